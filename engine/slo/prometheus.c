/* Prometheus HTTP API client; see prometheus.h. */
#include "slo/prometheus.h"
#include "base/path.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/http.h"
#include "base/redact.h"
#include "base/secret.h"
#include "base/textsafe.h"

/* ---- config ---- */

static const char *const prom_keys[] = {
    "url",    "bearer_token_env", "bearer_token_file", "username",      "password_env",
    "tenant", "timeout",          "interval",          TLS_CONFIG_KEYS, NULL};

int prom_config_check(const struct ynode *s, char *err, size_t errlen)
{
    if (s->type != Y_MAP)
        return yerr(s, err, errlen, "prometheus: expected a mapping");
    if (ycheck_keys(s, prom_keys, err, errlen) < 0)
        return -1;
    char url[512] = "";
    if (yget_str(s, "url", url, sizeof(url), err, errlen) < 0)
        return -1;
    if (!url[0])
        return yerr(s, err, errlen, "prometheus: url is required");
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return yerr(ymap_get(s, "url"), err, errlen,
                    "prometheus.url must start with http:// or https://");
    int64_t ms;
    struct tls_opts tls;
    if (yget_duration(s, "timeout", &ms, err, errlen) < 0 ||
        yget_duration(s, "interval", &ms, err, errlen) < 0 ||
        tls_config_read(s, &tls, err, errlen) < 0)
        return -1;
    char tmp[512];
    if (yget_str(s, "bearer_token_env", tmp, sizeof(tmp), err, errlen) < 0 ||
        yget_path(s, "bearer_token_file", tmp, sizeof(tmp), err, errlen) < 0 ||
        yget_str(s, "username", tmp, sizeof(tmp), err, errlen) < 0 ||
        yget_str(s, "password_env", tmp, sizeof(tmp), err, errlen) < 0)
        return -1;
    /* tmp is written only when the key is there: an absent tenant is not checked
     * (it was, once, against whatever the stack held, and a stray LF refused a
     * good config now and then) */
    int has_tenant = yget_str(s, "tenant", tmp, sizeof(tmp), err, errlen);
    if (has_tenant < 0)
        return -1;
    char why[200];
    if (has_tenant == 1 && http_header_value_check("prometheus.tenant", tmp, why, sizeof(why)) < 0)
        return yerr(ymap_get(s, "tenant"), err, errlen, "%s", why);
    return 0;
}

int prom_config_load(struct prom_config *c, const struct ynode *s, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    const char *env = getenv("LOOKOUT_PROMETHEUS_TOKEN");
    if (env)
        STR_COPY(c->bearer, env);
    env = getenv("LOOKOUT_PROMETHEUS_PASSWORD");
    if (env)
        STR_COPY(c->password, env);
    if (!s)
        return http_header_value_check("LOOKOUT_PROMETHEUS_TOKEN", c->bearer, err, errlen);
    if (prom_config_check(s, err, errlen) < 0)
        return -1;
    char name[256] = "", path[512] = "";
    int64_t ms;
    yget_str(s, "url", c->url, sizeof(c->url), err, errlen);
    yget_str(s, "username", c->username, sizeof(c->username), err, errlen);
    yget_str(s, "tenant", c->tenant, sizeof(c->tenant), err, errlen);
    if (yget_duration(s, "timeout", &ms, err, errlen) == 1)
        c->timeout_ms = (long)ms;
    if (yget_duration(s, "interval", &ms, err, errlen) == 1)
        c->interval_ms = (long)ms;
    if (tls_config_read(s, &c->tls, err, errlen) < 0)
        return -1;
    if (yget_str(s, "bearer_token_env", name, sizeof(name), err, errlen) == 1) {
        env = getenv(name);
        if (!env)
            return yerr(ymap_get(s, "bearer_token_env"), err, errlen,
                        "environment variable %s is not set", name);
        STR_COPY(c->bearer, env);
    }
    int has_file = yget_path(s, "bearer_token_file", path, sizeof(path), err, errlen);
    if (has_file < 0)
        return -1;
    if (has_file == 1 && secret_file_read(path, c->bearer, sizeof(c->bearer), err, errlen) < 0)
        return -1;
    if (yget_str(s, "password_env", name, sizeof(name), err, errlen) == 1) {
        env = getenv(name);
        if (!env)
            return yerr(ymap_get(s, "password_env"), err, errlen,
                        "environment variable %s is not set", name);
        STR_COPY(c->password, env);
    }
    /* the password is base64 in its header; the token goes in as it is */
    return http_header_value_check("the Prometheus bearer token", c->bearer, err, errlen);
}

/* ---- queries ---- */

/* Where a {{.window}} starting at open ends (after its "}}"), or NULL when
 * the braces hold anything else or never close. */
static const char *window_var_end(const char *open)
{
    const char *q = open + 2;
    while (*q == ' ')
        q++;
    size_t n = strlen(".window");
    if (strncmp(q, ".window", n) != 0)
        return NULL;
    for (q += n; *q == ' '; q++)
        ;
    return strncmp(q, "}}", 2) == 0 ? q + 2 : NULL;
}

bool prom_expand_window(const char *tmpl, const char *window, char *out, size_t outlen)
{
    struct buf b = {0};
    const char *p = tmpl;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            buf_puts(&b, p);
            break;
        }
        const char *end = window_var_end(open);
        buf_append(&b, p, (size_t)(open - p));
        buf_puts(&b, end ? window : "{{");
        p = end ? end : open + 2;
    }
    bool fit = str_copy(out, outlen, buf_cstr(&b));
    buf_free(&b);
    return fit;
}

int prom_template_check(const char *tmpl, char *err, size_t errlen)
{
    int windows = 0;
    for (const char *p = strstr(tmpl, "{{"); p; p = strstr(p, "{{")) {
        const char *end = window_var_end(p);
        if (!end) {
            const char *close = strstr(p + 2, "}}");
            size_t len = close ? (size_t)(close + 2 - p) : strlen(p);
            char cut[64];
            ts_sanitize(p, len < 32 ? len : 32, cut, sizeof(cut), true);
            snprintf(err, errlen, "template %s: only {{.window}} is expanded", cut);
            return -1;
        }
        windows++;
        p = end;
    }
    if (!windows) {
        snprintf(err, errlen,
                 "no {{.window}}: every alert window and the SLO period would ask the same "
                 "range");
        return -1;
    }
    return 0;
}

bool prom_ratio_query(const char *error_q, const char *total_q, const char *window, char *out,
                      size_t outlen)
{
    size_t half = outlen / 2;
    char *e = malloc(half), *t = malloc(half);
    bool ok = e && t && prom_expand_window(error_q, window, e, half) &&
              prom_expand_window(total_q, window, t, half);
    if (ok) {
        /* A service that never failed has no error series at all, and
         * (empty) / (total) is empty: "no data", a gate that cannot decide.
         * `or on() vector(0)` reads a missing error series as 0 errors, and
         * its label says so; `/ on() group_left()` divides one series by
         * one series whatever their labels and keeps the left one's labels
         * (plain `on()` would drop them). An empty total stays empty: no
         * traffic. */
        int n = snprintf(out, outlen,
                         "((%s) or on() label_replace(vector(0), \"" PROM_NO_ERRORS_LABEL
                         "\", \"1\", \"\", \"\")) / on() group_left() (%s)",
                         e, t);
        ok = n > 0 && (size_t)n < outlen;
    }
    free(e);
    free(t);
    return ok;
}

static bool parse_sample(const cJSON *pair, double *v)
{
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
        return false;
    const cJSON *s = cJSON_GetArrayItem(pair, 1);
    if (!cJSON_IsString(s))
        return false;
    /* Prometheus writes NaN, +Inf, -Inf; strtod reads them (C locale) */
    static locale_t c_locale;
    if (!c_locale)
        c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    char *end;
    *v = c_locale ? strtod_l(s->valuestring, &end, c_locale) : strtod(s->valuestring, &end);
    return end != s->valuestring && !*end;
}

/* Checks the envelope; returns the parsed root (caller deletes) with *res
 * and *type set, or NULL with a message. */
static cJSON *envelope(const char *body, size_t len, long status, bool truncated, const cJSON **res,
                       const char **type, char *err, size_t errlen)
{
    if (truncated)
        return snprintf(err, errlen, "response larger than %u bytes", PROM_MAX_BODY), NULL;
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    if (!cJSON_IsObject(j)) {
        /* "404 page not found" parses as the JSON number 404: only an
         * object is a Prometheus envelope */
        cJSON_Delete(j);
        if (status == 404)
            return snprintf(err, errlen,
                            "HTTP 404, not a Prometheus API answer: is the Prometheus URL the "
                            "server root (no /api/v1 in it)?"),
                   NULL;
        if (status < 200 || status > 299)
            return snprintf(err, errlen, "HTTP %ld without a Prometheus answer", status), NULL;
        return snprintf(err, errlen, "bad JSON in the Prometheus answer"), NULL;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(data, "resultType");
    *res = cJSON_GetObjectItemCaseSensitive(data, "result");
    if (!cJSON_IsString(st)) {
        snprintf(err, errlen, "HTTP %ld: answer has no status", status);
    } else if (strcmp(st->valuestring, "success") != 0) {
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(j, "errorType");
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(j, "error");
        const char *m = cJSON_IsString(em) ? em->valuestring : "(no message)";
        char red[256];
        redact_field(red, sizeof(red), m, strlen(m));
        snprintf(err, errlen, "HTTP %ld: %.40s: %s", status,
                 cJSON_IsString(et) ? et->valuestring : "error", red);
    } else if (status < 200 || status > 299) {
        snprintf(err, errlen, "HTTP %ld", status);
    } else if (!cJSON_IsString(ty) || !*res) {
        snprintf(err, errlen, "answer has no data.resultType/result");
    } else {
        *type = ty->valuestring;
        return j;
    }
    cJSON_Delete(j);
    return NULL;
}

int prom_parse_range(const char *body, size_t len, long status, bool truncated, double *t,
                     double *v, int cap, int *n, char *err, size_t errlen)
{
    const cJSON *res;
    const char *type;
    cJSON *j = envelope(body, len, status, truncated, &res, &type, err, errlen);
    if (!j)
        return -1;
    int rc = -1, series = cJSON_IsArray(res) ? cJSON_GetArraySize(res) : -1;
    *n = 0;
    if (strcmp(type, "matrix") != 0) {
        snprintf(err, errlen, "unexpected resultType %.32s for a range query (want matrix)", type);
    } else if (series < 0) {
        snprintf(err, errlen, "matrix result is not a list");
    } else if (series > 1) {
        snprintf(err, errlen, "query returned %d series, want one (aggregate with sum())", series);
    } else if (series == 0) {
        rc = 0;
    } else {
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "values");
        const cJSON *pair;
        rc = cJSON_IsArray(vals) ? 0 : -1;
        if (rc < 0)
            snprintf(err, errlen, "matrix series has no values");
        cJSON_ArrayForEach(pair, vals)
        {
            const cJSON *ts = cJSON_GetArrayItem(pair, 0);
            double x;
            if (!cJSON_IsNumber(ts) || !parse_sample(pair, &x)) {
                snprintf(err, errlen, "matrix value is not [time, \"value\"]");
                rc = -1;
                break;
            }
            if (*n < cap) {
                t[*n] = ts->valuedouble;
                v[*n] = x;
                (*n)++;
            }
        }
    }
    cJSON_Delete(j);
    return rc;
}

int prom_parse_instant(const char *body, size_t len, long status, bool truncated, double *value,
                       char *err, size_t errlen)
{
    const cJSON *res;
    const char *type;
    cJSON *j = envelope(body, len, status, truncated, &res, &type, err, errlen);
    if (!j)
        return -1;
    int rc = -1;
    if (strcmp(type, "vector") == 0) {
        int n = cJSON_IsArray(res) ? cJSON_GetArraySize(res) : -1;
        if (n == 0) {
            *value = NAN; /* no series: no data */
            rc = 0;
        } else if (n == 1) {
            const cJSON *s = cJSON_GetArrayItem(res, 0);
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "metric");
            if (parse_sample(cJSON_GetObjectItemCaseSensitive(s, "value"), value))
                rc = cJSON_GetObjectItemCaseSensitive(m, PROM_NO_ERRORS_LABEL) ? PROM_NO_ERRORS : 0;
            else
                snprintf(err, errlen, "vector sample is not [time, \"value\"]");
        } else if (n > 1) {
            snprintf(err, errlen, "query returned %d series, want one (aggregate with sum())", n);
        } else {
            snprintf(err, errlen, "vector result is not a list");
        }
    } else if (strcmp(type, "scalar") == 0) {
        if (parse_sample(res, value))
            rc = 0;
        else
            snprintf(err, errlen, "scalar result is not [time, \"value\"]");
    } else {
        snprintf(err, errlen, "unexpected resultType %.32s for an SLO ratio (want vector)", type);
    }
    cJSON_Delete(j);
    return rc;
}

struct pq {
    prom_value_fn fn;
    prom_range_fn rfn;
    void *ud;
    const struct prom_config *c; /* read by configure() inside http_start */
    long timeout_ms;             /* for the message when it passes */
};

/* Why a request got no answer: its time limit, or the connection. */
static void transport_error(const struct http_result *res, const struct pq *q, char *err,
                            size_t errlen)
{
    if (res->curl_code == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, errlen, "Prometheus timed out after %.3g s (--timeout or prometheus.timeout)",
                 (double)q->timeout_ms / 1000);
    else
        snprintf(err, errlen, "Prometheus unreachable: %s", res->error);
}

static void on_done(const struct http_result *res, void *ud)
{
    struct pq *q = ud;
    double v = NAN;
    char err[512];
    int rc;
    if (res->curl_code != CURLE_OK && !res->truncated) {
        transport_error(res, q, err, sizeof(err));
        q->fn(q->ud, NAN, 0, err);
    } else if ((rc = prom_parse_instant(res->body, res->body_len, res->status, res->truncated, &v,
                                        err, sizeof(err))) < 0) {
        q->fn(q->ud, NAN, 0, err);
    } else {
        q->fn(q->ud, v, rc, NULL);
    }
    free(q);
}

static void configure(CURL *easy, void *ud)
{
    const struct prom_config *c = ((struct pq *)ud)->c;
    if (c->username[0]) {
        curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(easy, CURLOPT_USERNAME, c->username);
        curl_easy_setopt(easy, CURLOPT_PASSWORD, c->password);
    }
}

static void form_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            buf_append(b, s, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_append(b, e, 3);
        }
    }
}

/* A cancelled query: its callback is not called, its state is freed. */
static void on_cancel(void *ud)
{
    free(ud);
}

static struct http_req *post(struct http *h, const struct prom_config *c, const char *path,
                             struct buf *body, void (*done)(const struct http_result *, void *),
                             struct pq *q)
{
    struct buf url = {0}, auth = {0}, tenant = {0};
    q->timeout_ms = c->timeout_ms ? c->timeout_ms : 10000;
    buf_puts(&url, c->url);
    while (url.len && url.data[url.len - 1] == '/')
        url.data[--url.len] = 0;
    buf_puts(&url, path);
    const char *headers[4] = {"Content-Type: application/x-www-form-urlencoded"};
    int nh = 1;
    if (c->bearer[0]) {
        buf_printf(&auth, "Authorization: Bearer %s", c->bearer);
        headers[nh++] = buf_cstr(&auth);
    }
    if (c->tenant[0]) {
        buf_printf(&tenant, "X-Scope-OrgID: %s", c->tenant);
        headers[nh++] = buf_cstr(&tenant);
    }
    struct http_opts o = {
        .method = "POST",
        .url = buf_cstr(&url),
        .headers = headers,
        .body = buf_cstr(body),
        .body_len = body->len,
        .timeout_ms = q->timeout_ms,
        .max_body = PROM_MAX_BODY,
        .tls = &c->tls,
        .configure = configure,
        .on_done = done,
        .on_cancel = on_cancel,
        .ud = q,
    };
    struct http_req *r = http_start(h, &o);
    if (!r)
        free(q);
    secret_wipe(auth.data, auth.cap); /* our copy of the token */
    buf_free(&url);
    buf_free(&auth);
    buf_free(&tenant);
    return r;
}

/* Seconds with millisecond precision, formatted without the locale. */
static void put_time(struct buf *b, const char *name, double s)
{
    long long ms = (long long)llround(s * 1000);
    buf_printf(b, "&%s=%lld.%03lld", name, ms / 1000, ms % 1000);
}

struct http_req *prom_query(struct http *h, const struct prom_config *c, const char *query,
                            double at_s, prom_value_fn fn, void *ud)
{
    struct pq *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->fn = fn;
    q->ud = ud;
    q->c = c;
    struct buf body = {0};
    buf_puts(&body, "query=");
    form_escape(&body, query);
    put_time(&body, "time", at_s);
    struct http_req *r = post(h, c, "/api/v1/query", &body, on_done, q);
    buf_free(&body);
    return r;
}

#define RANGE_CAP 11000

static void on_range_done(const struct http_result *res, void *ud)
{
    struct pq *q = ud;
    double *t = malloc(RANGE_CAP * sizeof(double)), *v = malloc(RANGE_CAP * sizeof(double));
    char err[512];
    int n = 0;
    if (!t || !v) {
        q->rfn(q->ud, NULL, NULL, 0, "out of memory");
    } else if (res->curl_code != CURLE_OK && !res->truncated) {
        transport_error(res, q, err, sizeof(err));
        q->rfn(q->ud, NULL, NULL, 0, err);
    } else if (prom_parse_range(res->body, res->body_len, res->status, res->truncated, t, v,
                                RANGE_CAP, &n, err, sizeof(err)) < 0) {
        q->rfn(q->ud, NULL, NULL, 0, err);
    } else {
        q->rfn(q->ud, t, v, n, NULL);
    }
    free(t);
    free(v);
    free(q);
}

struct http_req *prom_query_range(struct http *h, const struct prom_config *c, const char *query,
                                  double start_s, double end_s, double step_s, prom_range_fn fn,
                                  void *ud)
{
    struct pq *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->rfn = fn;
    q->ud = ud;
    q->c = c;
    struct buf body = {0};
    buf_puts(&body, "query=");
    form_escape(&body, query);
    put_time(&body, "start", start_s);
    put_time(&body, "end", end_s);
    put_time(&body, "step", step_s);
    struct http_req *r = post(h, c, "/api/v1/query_range", &body, on_range_done, q);
    buf_free(&body);
    return r;
}
