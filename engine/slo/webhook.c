/* SLO alert webhooks with retries; see slo/webhook.h. */
#include "slo/webhook.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/backoff.h"
#include "base/buf.h"
#include "slo/slo.h"

#define WEBHOOKS_MAX 8
#define ATTEMPTS     5

struct webhook {
    char kind[16];
    char url[1024];
    char routing_key[256];
    bool page, ticket;
};

struct delivery {
    struct webhooks *owner;
    struct delivery *next;
    int hook;
    int attempt;
    struct backoff backoff; /* 1, 2, 4, 8 s: exact, one alert is not a herd */
    char *body;
    struct http_req *req;
    struct loop_timer *timer;
};

struct webhooks {
    struct loop *loop;
    struct http *http;
    struct engine *engine;
    int n;
    struct webhook w[WEBHOOKS_MAX];
    struct delivery *inflight;
    uint64_t sent, failed;
};

static const char *const keys[] = {"kind", "url", "url_env", "routing_key_env", "severities", NULL};

static int load_one(const struct ynode *n, struct webhook *w, bool need_env, char *err,
                    size_t errlen)
{
    if (n->type != Y_MAP)
        return yerr(n, err, errlen, "webhooks[]: expected a mapping");
    if (ycheck_keys(n, keys, err, errlen) < 0)
        return -1;
    memset(w, 0, sizeof(*w));
    if (yget_str(n, "kind", w->kind, sizeof(w->kind), err, errlen) < 0)
        return -1;
    if (strcmp(w->kind, "alertmanager") && strcmp(w->kind, "slack") && strcmp(w->kind, "pagerduty"))
        return yerr(n, err, errlen, "kind must be alertmanager, slack or pagerduty");
    char env[128] = "";
    if (yget_str(n, "url", w->url, sizeof(w->url), err, errlen) < 0 ||
        yget_str(n, "url_env", env, sizeof(env), err, errlen) < 0)
        return -1;
    if (env[0] && need_env) {
        const char *v = getenv(env);
        if (!v || !v[0])
            return yerr(n, err, errlen, "environment variable %s is not set", env);
        STR_COPY(w->url, v);
    }
    if (!w->url[0] && strcmp(w->kind, "pagerduty") == 0)
        STR_COPY(w->url, "https://events.pagerduty.com/v2/enqueue");
    if (!w->url[0] && !env[0])
        return yerr(n, err, errlen, "url or url_env is required");
    if (w->url[0] && strncmp(w->url, "http://", 7) && strncmp(w->url, "https://", 8))
        return yerr(n, err, errlen, "url must start with http:// or https://");
    env[0] = 0;
    if (yget_str(n, "routing_key_env", env, sizeof(env), err, errlen) < 0)
        return -1;
    if (strcmp(w->kind, "pagerduty") == 0) {
        if (!env[0])
            return yerr(n, err, errlen, "pagerduty needs routing_key_env");
        const char *v = need_env ? getenv(env) : "x";
        if (!v || !v[0])
            return yerr(n, err, errlen, "environment variable %s is not set", env);
        STR_COPY(w->routing_key, v);
    }
    const struct ynode *sev = ymap_get(n, "severities");
    if (!sev) {
        w->page = w->ticket = true;
        return 0;
    }
    if (sev->type != Y_SEQ)
        return yerr(sev, err, errlen, "severities: expected a list of page, ticket");
    for (const struct ynode *s = sev->child; s; s = s->next) {
        if (s->type == Y_SCALAR && s->value && strcmp(s->value, "page") == 0)
            w->page = true;
        else if (s->type == Y_SCALAR && s->value && strcmp(s->value, "ticket") == 0)
            w->ticket = true;
        else
            return yerr(s, err, errlen, "severity must be page or ticket");
    }
    return 0;
}

int webhooks_check(const struct ynode *list, char *err, size_t errlen)
{
    if (list->type != Y_SEQ)
        return yerr(list, err, errlen, "webhooks: expected a list");
    if (yseq_len(list) > WEBHOOKS_MAX)
        return yerr(list, err, errlen, "at most %d webhooks", WEBHOOKS_MAX);
    struct webhook w;
    for (const struct ynode *n = list->child; n; n = n->next)
        if (load_one(n, &w, false, err, errlen) < 0)
            return -1;
    return 0;
}

/* ---- bodies ---- */

static void rfc3339(int64_t ms, char *out, size_t n)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool is_alert(enum alert_state s)
{
    return s == ALERT_PAGE || s == ALERT_TICKET;
}

static void describe(const struct slo *row, char *out, size_t n)
{
    char why[TEXT_LEN];
    slo_pair_reason(row, why, sizeof(why));
    snprintf(out, n, "%s, budget remaining %.1f%%", why, row->budget_remaining * 100);
}

static cJSON *am_alert(const struct slo *row, enum alert_state sev, bool resolved, int64_t now)
{
    cJSON *a = cJSON_CreateObject(), *l = cJSON_AddObjectToObject(a, "labels");
    cJSON_AddStringToObject(l, "alertname", "LookoutSLOErrorBudgetBurn");
    cJSON_AddStringToObject(l, "slo", row->name);
    cJSON_AddStringToObject(l, "service", row->service);
    cJSON_AddStringToObject(l, "severity", sev == ALERT_PAGE ? "page" : "ticket");
    cJSON *an = cJSON_AddObjectToObject(a, "annotations");
    char text[256], ts[32];
    describe(row, text, sizeof(text));
    cJSON_AddStringToObject(an, "summary", text);
    cJSON_AddStringToObject(an, "description", row->description);
    rfc3339(row->alert_since ? row->alert_since : now, ts, sizeof(ts));
    cJSON_AddStringToObject(a, "startsAt", ts);
    if (resolved) {
        rfc3339(now, ts, sizeof(ts));
        cJSON_AddStringToObject(a, "endsAt", ts);
    }
    return a;
}

char *webhook_body(const char *kind, const struct slo *row, enum alert_state from,
                   const char *routing_key, int64_t now)
{
    enum alert_state to = row->alert;
    cJSON *j = NULL;
    char text[256];
    describe(row, text, sizeof(text));
    if (strcmp(kind, "alertmanager") == 0) {
        j = cJSON_CreateArray();
        if (is_alert(to))
            cJSON_AddItemToArray(j, am_alert(row, to, false, now));
        if (is_alert(from) && from != to)
            cJSON_AddItemToArray(j, am_alert(row, from, true, now));
    } else if (strcmp(kind, "slack") == 0) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s SLO %s (%s): %s -> %s, %s",
                 is_alert(to) ? ":rotating_light:" : ":white_check_mark:", row->name, row->service,
                 alert_state_names[from], alert_state_names[to], text);
        j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "text", msg);
    } else {
        j = cJSON_CreateObject();
        char dedup[160];
        snprintf(dedup, sizeof(dedup), "lookout:slo:%s", row->name);
        cJSON_AddStringToObject(j, "routing_key", routing_key ? routing_key : "");
        cJSON_AddStringToObject(j, "event_action", is_alert(to) ? "trigger" : "resolve");
        cJSON_AddStringToObject(j, "dedup_key", dedup);
        if (is_alert(to)) {
            cJSON *p = cJSON_AddObjectToObject(j, "payload");
            char summary[400], ts[32];
            snprintf(summary, sizeof(summary), "SLO %s: %s", row->name, text);
            cJSON_AddStringToObject(p, "summary", summary);
            cJSON_AddStringToObject(p, "source", "lookout");
            cJSON_AddStringToObject(p, "severity", to == ALERT_PAGE ? "critical" : "warning");
            cJSON_AddStringToObject(p, "component", row->service);
            rfc3339(now, ts, sizeof(ts));
            cJSON_AddStringToObject(p, "timestamp", ts);
        }
    }
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

/* ---- delivery with retries ---- */

static void start(struct delivery *d);

static void unlink_free(struct delivery *d)
{
    struct delivery **pp = &d->owner->inflight;
    while (*pp && *pp != d)
        pp = &(*pp)->next;
    if (*pp)
        *pp = d->next;
    free(d->body);
    free(d);
}

static void on_retry(void *ud)
{
    struct delivery *d = ud;
    d->timer = NULL;
    start(d);
}

static void on_done(const struct http_result *res, void *ud)
{
    struct delivery *d = ud;
    d->req = NULL;
    bool ok = res->curl_code == CURLE_OK && res->status >= 200 && res->status < 300;
    bool permanent = res->status >= 400 && res->status < 500 && res->status != 429;
    if (ok) {
        d->owner->sent++;
        unlink_free(d);
        return;
    }
    if (permanent || d->attempt >= ATTEMPTS) {
        d->owner->failed++;
        engine_source_state(d->owner->engine, "alert-webhooks", "webhook", SRC_STALE,
                            res->error && res->error[0] ? res->error : "webhook rejected");
        unlink_free(d);
        return;
    }
    int64_t delay = backoff_fail(&d->backoff, loop_mono_ms());
    d->timer = loop_timer_start(d->owner->loop, delay, on_retry, d);
    if (!d->timer)
        unlink_free(d);
}

static void start(struct delivery *d)
{
    const struct webhook *w = &d->owner->w[d->hook];
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    struct http_opts o = {.method = "POST",
                          .url = w->url,
                          .headers = headers,
                          .body = d->body,
                          .body_len = strlen(d->body),
                          .timeout_ms = 10000,
                          .max_body = 64 * 1024,
                          .on_done = on_done,
                          .ud = d};
    d->attempt++;
    d->req = http_start(d->owner->http, &o);
    if (!d->req) {
        d->owner->failed++;
        unlink_free(d);
    }
}

static void notify(const struct slo *row, enum alert_state from, void *ud)
{
    struct webhooks *wh = ud;
    for (int i = 0; i < wh->n; i++) {
        const struct webhook *w = &wh->w[i];
        bool wanted = ((row->alert == ALERT_PAGE || from == ALERT_PAGE) && w->page) ||
                      ((row->alert == ALERT_TICKET || from == ALERT_TICKET) && w->ticket);
        if (!wanted || (!is_alert(row->alert) && !is_alert(from)))
            continue;
        struct delivery *d = calloc(1, sizeof(*d));
        if (!d)
            continue;
        d->owner = wh;
        d->hook = i;
        static const struct backoff_policy bp = {.base_ms = 1000, .cap_ms = 8000, .factor = 2};
        backoff_init(&d->backoff, &bp, 1); /* no jitter: any seed will do */
        d->body = webhook_body(w->kind, row, from, w->routing_key, engine_now(wh->engine));
        if (!d->body) {
            free(d);
            continue;
        }
        d->next = wh->inflight;
        wh->inflight = d;
        start(d);
    }
}

/* Runs from slo_detach, after the app freed the HTTP client and the loop:
 * only memory is released here. */
static void free_webhooks(void *ud)
{
    struct webhooks *wh = ud;
    while (wh->inflight) {
        struct delivery *d = wh->inflight;
        wh->inflight = d->next;
        free(d->body);
        free(d);
    }
    memset(wh->w, 0, sizeof(wh->w));
    free(wh);
}

int webhooks_attach(struct engine *e, struct loop *l, struct http *h, const struct ynode *list,
                    char *err, size_t errlen)
{
    if (!list)
        return 0;
    if (webhooks_check(list, err, errlen) < 0)
        return -1;
    struct webhooks *wh = calloc(1, sizeof(*wh));
    if (!wh)
        return snprintf(err, errlen, "out of memory"), -1;
    wh->loop = l;
    wh->http = h;
    wh->engine = e;
    for (const struct ynode *n = list->child; n; n = n->next)
        if (load_one(n, &wh->w[wh->n++], true, err, errlen) < 0) {
            free_webhooks(wh);
            return -1;
        }
    slo_set_notifier(e, notify, wh, free_webhooks);
    return 0;
}
