/* A viewer of a shared engine: stream, apply, reconnect, ask (client.h). */
#include "share/client.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/backoff.h"
#include "base/ndjson.h"
#include "base/secret.h"
#include "core/record.h"

#define MAX_LINE       (4u << 20) /* a record line (a copilot answer) is far smaller */
#define IDLE_MS        5000       /* five missed heartbeats: the server is gone or stuck */
#define HEAD_MS        10000
#define SOURCE         "attach" /* this viewer's own row in the source list */
#define ASK_TIMEOUT_MS 10000

static const struct backoff_policy policy = {
    .base_ms = 1000, .cap_ms = 15000, .factor = 2, .healthy_ms = 30000};

struct share_client {
    struct source *src;
    char url[512];  /* base, without a trailing slash */
    char auth[300]; /* "Authorization: Bearer ..." or "" */
    struct http_req *req, *ask;
    struct loop_timer *retry;
    int64_t retry_due; /* monotonic ms of the next attempt */
    struct backoff backoff;
    struct ndjson_parser lines;
    long status;
    bool fresh;  /* no line yet on this connection: the next one starts a new state */
    bool synced; /* attached at least once */
    enum share_state state;
    char name[64];
    int viewers;
    char error[160];
    char asked[200];
    bool ask_refused;
    int64_t asked_at; /* monotonic ms of the outcome */
    uint64_t bad_lines;
};

static void connect_server(struct share_client *sc);

static void set_row(struct share_client *sc, enum source_state st, const char *error)
{
    engine_source_state(sc->src->ctx.engine, SOURCE, "attach", st, error);
}

static void on_retry(void *ud)
{
    struct share_client *sc = ud;
    sc->retry = NULL;
    connect_server(sc);
}

static void schedule_retry(struct share_client *sc)
{
    int64_t now = loop_mono_ms(), delay = backoff_fail(&sc->backoff, now);
    sc->retry_due = now + delay;
    sc->retry = loop_timer_start(sc->src->ctx.loop, delay, on_retry, sc);
}

/* The heartbeat's share object: who serves, to how many, or why this
 * viewer is being cut. */
static void heartbeat(struct share_client *sc, const char *line, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "share");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(sh, "name");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(sh, "viewers");
    const cJSON *cut = cJSON_GetObjectItemCaseSensitive(sh, "cut");
    if (cJSON_IsString(name))
        STR_COPY(sc->name, name->valuestring);
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e6)
        sc->viewers = (int)n->valuedouble;
    if (cJSON_IsString(cut))
        snprintf(sc->error, sizeof sc->error, "the server cut this viewer: %s", cut->valuestring);
    cJSON_Delete(j);
}

/* The first line of a connection: the server resends the whole state, so
 * the last one goes (a reconnect must not keep what was removed meanwhile). */
static void begin_state(struct share_client *sc)
{
    struct engine *e = sc->src->ctx.engine;
    sc->fresh = false;
    engine_reset(e);
    e->replaying = true;
    sc->synced = true;
    sc->state = SHARE_ATTACHED;
    backoff_ok(&sc->backoff, loop_mono_ms());
    /* synced at the heartbeat after the snapshot, not while half of it is in */
    set_row(sc, SRC_STARTING, NULL);
}

static bool handle_line(const char *line, size_t len, void *ud)
{
    struct share_client *sc = ud;
    if (!len)
        return true;
    if (sc->fresh)
        begin_state(sc);
    /* a tick is small and its op comes early: no need to parse the others twice */
    const char *op = memmem(line, len < 64 ? len : 64, "\"op\":\"tick\"", 11);
    if (op)
        heartbeat(sc, line, len);
    char err[200];
    long long t;
    if (record_apply_line(sc->src->ctx.engine, line, len, &t, err, sizeof err) < 0)
        sc->bad_lines++;
    if (op) /* after the first heartbeat, and on each: the row says attached */
        set_row(sc, SRC_SYNCED, NULL);
    return true;
}

static bool on_data(const char *buf, size_t len, void *ud)
{
    struct share_client *sc = ud;
    if (sc->status != 200)
        return true; /* an error body: on_done reports the status */
    ndjson_feed(&sc->lines, buf, len);
    return true;
}

static void on_header(const char *name, const char *value, void *ud)
{
    struct share_client *sc = ud;
    long code;
    (void)value;
    if (strncmp(name, "HTTP/", 5) == 0 && sscanf(name, "HTTP/%*s %ld", &code) == 1)
        sc->status = code;
}

static void on_done(const struct http_result *res, void *ud)
{
    struct share_client *sc = ud;
    sc->req = NULL;
    char msg[sizeof sc->error];
    if (res->curl_code != CURLE_OK)
        snprintf(msg, sizeof msg, "%s", res->error);
    else if (res->status == 401)
        snprintf(msg, sizeof msg, "HTTP 401: wrong or missing token (--token-file)");
    else if (res->status != 200)
        snprintf(msg, sizeof msg, "HTTP %ld", res->status);
    else
        snprintf(msg, sizeof msg, "the stream ended");
    if (!sc->error[0] || res->status != 200) /* a cut's reason says more than "ended" */
        STR_COPY(sc->error, msg);
    sc->state = res->status && res->status != 200 ? SHARE_REFUSED
                : sc->synced                      ? SHARE_STALE
                                                  : SHARE_CONNECTING;
    set_row(sc, sc->synced ? SRC_STALE : SRC_FAILED, sc->error);
    schedule_retry(sc);
}

static void configure(CURL *easy, void *ud)
{
    (void)ud;
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
}

static void connect_server(struct share_client *sc)
{
    char url[600];
    snprintf(url, sizeof url, "%s/v1/stream", sc->url);
    const char *headers[] = {sc->auth[0] ? sc->auth : NULL, NULL};
    struct http_opts o = {
        .url = url,
        .headers = headers,
        .connect_timeout_ms = 3000,
        .idle_timeout_ms = IDLE_MS,
        .head_timeout_ms = HEAD_MS,
        .configure = configure,
        .on_data = on_data,
        .on_header = on_header,
        .on_done = on_done,
        .ud = sc,
    };
    sc->status = 0;
    sc->fresh = true;
    sc->retry_due = 0;
    sc->error[0] = '\0';
    ndjson_reset(&sc->lines);
    sc->req = http_start(sc->src->ctx.http, &o);
    if (!sc->req) {
        STR_COPY(sc->error, "cannot start the request");
        schedule_retry(sc);
    }
}

void *share_client_new(const char *url, const char *token, char *err, size_t errlen)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        snprintf(err, errlen, "--attach '%.200s': want http://HOST:PORT or https://...", url);
        return NULL;
    }
    if (http_header_value_check("the token", token, err, errlen) < 0)
        return NULL;
    struct share_client *sc = calloc(1, sizeof(*sc));
    if (!sc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!STR_COPY(sc->url, url)) {
        snprintf(err, errlen, "--attach: URL too long");
        free(sc);
        return NULL;
    }
    size_t n = strlen(sc->url);
    while (n > 0 && sc->url[n - 1] == '/')
        sc->url[--n] = '\0';
    if (token[0])
        snprintf(sc->auth, sizeof sc->auth, "Authorization: Bearer %s", token);
    ndjson_init(&sc->lines, handle_line, sc);
    sc->lines.split.max = MAX_LINE;
    sc->lines.split.skip_long = true;
    backoff_init(&sc->backoff, &policy, 0);
    return sc;
}

static int share_start(struct source *s, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct share_client *sc = s->priv;
    sc->src = s;
    s->ctx.engine->replaying = true; /* the shared engine analyses; this one shows */
    set_row(sc, SRC_STARTING, NULL);
    connect_server(sc);
    return 0;
}

static void share_stop(struct source *s)
{
    struct share_client *sc = s->priv;
    if (!sc)
        return;
    if (sc->req)
        http_cancel(s->ctx.http, sc->req);
    if (sc->ask)
        http_cancel(s->ctx.http, sc->ask);
    if (sc->retry)
        loop_timer_cancel(s->ctx.loop, sc->retry);
    ndjson_free(&sc->lines);
    secret_wipe(sc->auth, sizeof sc->auth);
    free(sc);
    s->priv = NULL;
}

const struct source_ops share_source_ops = {
    .kind = "attach",
    .start = share_start,
    .stop = share_stop,
};

struct source *share_find(struct source_set *set)
{
    for (int i = 0; i < set->count; i++)
        if (set->items[i].ops == &share_source_ops && set->items[i].priv)
            return &set->items[i];
    return NULL;
}

void share_get_status(const struct source *s, struct share_status *st)
{
    const struct share_client *sc = s->priv;
    *st = (struct share_status){.state = sc->state, .viewers = sc->viewers};
    STR_COPY(st->name, sc->name[0] ? sc->name : sc->url);
    STR_COPY(st->error, sc->error);
    STR_COPY(st->asked, sc->asked);
    st->ask_refused = sc->ask_refused;
    st->asked_ago = loop_mono_ms() - sc->asked_at;
    if (sc->retry)
        st->retry_in = sc->retry_due > loop_mono_ms() ? sc->retry_due - loop_mono_ms() : 0;
}

/* {"ok":..} or {"error":..}: what the server's copilot said to the ask. */
static void on_ask_done(const struct http_result *res, void *ud)
{
    struct share_client *sc = ud;
    sc->ask = NULL;
    cJSON *j = res->body ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (res->status == 202 && cJSON_IsString(ok))
        snprintf(sc->asked, sizeof sc->asked, "the server %s", ok->valuestring);
    else if (cJSON_IsString(e))
        snprintf(sc->asked, sizeof sc->asked, "not asked: %s", e->valuestring);
    else if (res->curl_code != CURLE_OK)
        snprintf(sc->asked, sizeof sc->asked, "not asked: %s", res->error);
    else
        snprintf(sc->asked, sizeof sc->asked, "not asked: HTTP %ld", res->status);
    sc->ask_refused = res->status != 202;
    sc->asked_at = loop_mono_ms();
    cJSON_Delete(j);
}

int share_ask(struct source *s, const char *kind, const char *key, char *err, size_t errlen)
{
    struct share_client *sc = s->priv;
    if (sc->ask) {
        snprintf(err, errlen, "still asking the server");
        return -1;
    }
    char *k = curl_easy_escape(NULL, kind, 0), *v = curl_easy_escape(NULL, key, 0);
    char url[1400];
    int n =
        k && v ? snprintf(url, sizeof url, "%s/v1/copilot/ask?kind=%s&key=%s", sc->url, k, v) : -1;
    curl_free(k);
    curl_free(v);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(err, errlen, "subject too long to ask about");
        return -1;
    }
    const char *headers[] = {sc->auth[0] ? sc->auth : NULL, NULL};
    struct http_opts o = {.method = "POST",
                          .url = url,
                          .headers = headers,
                          .body = "",
                          .body_len = 0,
                          .timeout_ms = ASK_TIMEOUT_MS,
                          .max_body = 4096,
                          .configure = configure,
                          .on_done = on_ask_done,
                          .ud = sc};
    sc->ask = http_start(s->ctx.http, &o);
    if (!sc->ask) {
        snprintf(err, errlen, "cannot start the request");
        return -1;
    }
    sc->asked[0] = '\0';
    return 0;
}
