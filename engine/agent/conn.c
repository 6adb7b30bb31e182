/* Console side of one node agent: stream, tag, ingest, reconnect. */
#include "agent/conn.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/lag.h"
#include "base/backoff.h"
#include "base/tls.h"
#include "base/buf.h"
#include "base/ndjson.h"
#include "base/secret.h"
#include "kernel/event_json.h"
#include "kernel/ingest.h"

#define MAX_LINE       (64u << 10) /* a longer line is dropped, not the stream */
#define IDLE_MS        15000       /* three missed heartbeats (every 5 s) */
#define HEAD_MS        10000       /* an agent answers /events at once */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define HEALTHY_MS     30000 /* connected this long: the next loss retries after 1 s again */

struct agent_conn {
    char node[NAME_LEN];
    char name[NAME_LEN + 8]; /* "agent:NODE": its source and kernel counter rows */
    char url[512];
    struct tls_opts tls; /* the agent's CA, a client certificate */
    char auth[300];      /* "Authorization: Bearer ..." or "" */
    struct source_ctx ctx;
    struct agent_fleet *fleet;
    struct kevent_ingest *ingest;
    struct http_req *req;
    struct loop_timer *retry;
    struct loop_timer *refilter; /* the fleet's filter changed: reconnect with it */
    struct loop_timer *watchdog; /* breaks a stream silent for IDLE_MS */
    int64_t data_ms;             /* loop_mono_ms() of the stream's last bytes */
    char query[512];             /* the filter the stream was opened with */
    struct backoff backoff;
    long status;
    bool ever_synced;
    bool backlog_done;          /* the empty line after the backlog arrived */
    struct ndjson_parser lines; /* blank lines kept: they are heartbeats */
    uint64_t bad_lines;         /* lines that did not parse */
    uint64_t events;            /* event rows received, backlogs included */
    uint64_t lost;              /* the sum of the gap rows' `lost` received */
    struct lag_hist lag;        /* live events' delay since the last counters line */
    int64_t counters_ms;        /* when the last counters line came, 0: none yet */
    double node_rate;           /* the node's events/s, filtered or not, from the counters */
};

static const struct backoff_policy backoff_policy = {
    .base_ms = BACKOFF_MIN_MS, .cap_ms = BACKOFF_MAX_MS, .factor = 2, .healthy_ms = HEALTHY_MS};

static void connect_agent(struct agent_conn *ac);

void agent_fleet_query(const struct agent_fleet *f, char *out, size_t outlen)
{
    if (f->filter_set)
        snprintf(out, outlen, "%s", f->filter);
    else
        snprintf(out, outlen, "%s",
                 f->nagents > AGENTS_ALL_EVENTS_MAX ? "min_severity=warning" : "");
}

static void set_state(struct agent_conn *ac, enum source_state st, const char *error)
{
    engine_source_state(ac->ctx.engine, ac->name, "agent", st, error);
}

static void on_retry(void *ud)
{
    struct agent_conn *ac = ud;
    ac->retry = NULL;
    connect_agent(ac);
}

static void schedule_retry(struct agent_conn *ac)
{
    int64_t delay = backoff_fail(&ac->backoff, loop_mono_ms());
    ac->retry = loop_timer_start(ac->ctx.loop, delay, on_retry, ac);
}

/* The node's events per kind since the previous counters line, filtered
 * away or not: their sum over the time between the lines is the node's
 * rate, which a filtered stream's rows alone would understate. */
static void node_rate(struct agent_conn *ac, const cJSON *seen)
{
    int64_t now = loop_mono_ms();
    double sum = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, seen) if (cJSON_IsNumber(k)) sum += k->valuedouble;
    if (ac->counters_ms && now > ac->counters_ms)
        ac->node_rate = sum * 1000.0 / (double)(now - ac->counters_ms);
    ac->counters_ms = now;
}

/* {"kstats":{...},"stream":{...},"seen":{...}}: the agent's kernel counters,
 * kept as row "agent:NODE" with the node's event rate; {"stream":...} when
 * the agent has no kernel row. False when the line is no counters line. */
static bool handle_counters(struct agent_conn *ac, const char *line, size_t len)
{
    static const char kst[] = "{\"kstats\":", stream[] = "{\"stream\":";
    if (!(len > sizeof(kst) && memcmp(line, kst, sizeof(kst) - 1) == 0) &&
        !(len > sizeof(stream) && memcmp(line, stream, sizeof(stream) - 1) == 0))
        return false;
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kstats");
    const cJSON *seen = cJSON_GetObjectItemCaseSensitive(j, "seen");
    if (cJSON_IsObject(seen))
        node_rate(ac, seen);
    struct kstats row = {0};
    char err[128];
    if (cJSON_IsObject(k) && schema_from_json(&kstats_schema, k, &row, err, sizeof(err)) == 0) {
        STR_COPY(row.name, ac->name);
        if (cJSON_IsObject(seen))
            row.events_per_s = ac->node_rate;
        row.received = ac->events;
        row.lost = ac->lost;
        row.lag_p50_ms = lag_quantile(&ac->lag, 0.5);
        row.lag_p99_ms = lag_quantile(&ac->lag, 0.99);
        engine_upsert(ac->ctx.engine, T_KSTATS, &row);
    } else if (!j || k) {
        ac->bad_lines++;
    }
    lag_reset(&ac->lag);
    cJSON_Delete(j);
    return true;
}

/* A live event's delay from its time on the agent to now. The backlog's
 * events are old by design and not counted; nor is a delay over an hour,
 * which is a clock far off (or the demo's story clock), not a lag. */
static void count_lag(struct agent_conn *ac, const struct kevent *ev)
{
    if (!ac->backlog_done || ev->kind == KEV_GAP || !ev->time)
        return;
    int64_t d = loop_wall_ms() - ev->time;
    if (d < 3600 * 1000 && d > -3600 * 1000)
        lag_add(&ac->lag, d);
}

static void on_refilter(void *ud)
{
    struct agent_conn *ac = ud;
    ac->refilter = NULL;
    if (!ac->req)
        return; /* a retry is due anyway, with the new filter */
    http_cancel(ac->ctx.http, ac->req);
    ac->req = NULL;
    connect_agent(ac);
}

/* At each heartbeat: when the fleet's filter is no longer the one this
 * stream asked for (the default flips at AGENTS_ALL_EVENTS_MAX agents),
 * reconnect with it; from a timer, as this runs inside the transfer. */
static void check_filter(struct agent_conn *ac)
{
    char q[sizeof(ac->query)];
    agent_fleet_query(ac->fleet, q, sizeof(q));
    if (!ac->refilter && strcmp(q, ac->query) != 0)
        ac->refilter = loop_timer_start(ac->ctx.loop, 0, on_refilter, ac);
}

static bool handle_line(const char *line, size_t len, void *ud)
{
    struct agent_conn *ac = ud;
    if (len == 0) { /* the end of the backlog */
        if (!ac->backlog_done) {
            ac->backlog_done = true;
            ac->ever_synced = true;
            backoff_ok(&ac->backoff, loop_mono_ms());
            set_state(ac, SRC_SYNCED, NULL);
        }
        return true;
    }
    if (handle_counters(ac, line, len)) { /* the heartbeat */
        check_filter(ac);
        if (ac->backlog_done) /* last_ok is the heartbeat the source list shows */
            set_state(ac, SRC_SYNCED, NULL);
        return true;
    }
    struct kevent ev;
    char err[128];
    if (!kevent_json_parse(line, len, &ev, err, sizeof(err))) {
        ac->bad_lines++;
        return true;
    }
    STR_COPY(ev.node, ac->node); /* the console's name for the agent wins */
    ev.seq = 0;
    count_lag(ac, &ev);
    if (ev.kind == KEV_GAP)
        ac->lost += ev.lost;
    else
        ac->events++;
    kevent_ingest_post(ac->ingest, &ev);
    return true;
}

static bool on_data(const char *buf, size_t len, void *ud)
{
    struct agent_conn *ac = ud;
    ac->data_ms = loop_mono_ms();
    if (ac->status != 200)
        return true; /* an error body: on_done reports the status */
    ndjson_feed(&ac->lines, buf, len);
    return true;
}

static void on_header(const char *name, const char *value, void *ud)
{
    struct agent_conn *ac = ud;
    long code;
    (void)value;
    if (strncmp(name, "HTTP/", 5) == 0 && sscanf(name, "HTTP/%*s %ld", &code) == 1)
        ac->status = code;
}

static void on_done(const struct http_result *res, void *ud)
{
    struct agent_conn *ac = ud;
    ac->req = NULL;
    char msg[TEXT_LEN];
    if (res->curl_code != CURLE_OK)
        snprintf(msg, sizeof(msg), "agent %s: %s", ac->url, res->error);
    else if (res->status != 200)
        snprintf(msg, sizeof(msg), "agent %s: HTTP %ld%s", ac->url, res->status,
                 res->status == 401 ? " (check the token)" : "");
    else
        snprintf(msg, sizeof(msg), "agent %s: stream ended", ac->url);
    set_state(ac, ac->ever_synced ? SRC_STALE : SRC_FAILED, msg);
    schedule_retry(ac);
}

static int idle_limit_ms(const struct agent_conn *ac)
{
    return ac->fleet->idle_ms ? ac->fleet->idle_ms : IDLE_MS;
}

/* The silent-stream check, here rather than as curl's idle timeout (its
 * low-speed check): that wakes the console once a second for every stream,
 * 200 wake-ups a second with 200 agents, about a quarter of the console's
 * CPU in tests/bench/bench_agents.sh; this one fires about every 15 s per
 * stream. */
static void on_watchdog(void *ud)
{
    struct agent_conn *ac = ud;
    int idle_ms = idle_limit_ms(ac);
    ac->watchdog = NULL;
    if (!ac->req)
        return; /* the next connection arms it again */
    int64_t silent = loop_mono_ms() - ac->data_ms;
    if (silent < idle_ms) {
        ac->watchdog = loop_timer_start(ac->ctx.loop, idle_ms - silent, on_watchdog, ac);
        return;
    }
    http_cancel(ac->ctx.http, ac->req);
    ac->req = NULL;
    char msg[TEXT_LEN];
    snprintf(msg, sizeof(msg), "agent %s: no data for %.1f s (heartbeats come every 5 s)", ac->url,
             idle_ms / 1000.0);
    set_state(ac, ac->ever_synced ? SRC_STALE : SRC_FAILED, msg);
    schedule_retry(ac);
}

static void configure(CURL *easy, void *ud)
{
    (void)ud;
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
}

static void connect_agent(struct agent_conn *ac)
{
    char url[1200];
    agent_fleet_query(ac->fleet, ac->query, sizeof(ac->query));
    snprintf(url, sizeof(url), "%s/events%s%s", ac->url, ac->query[0] ? "?" : "", ac->query);
    const char *headers[] = {ac->auth[0] ? ac->auth : NULL, NULL};
    struct http_opts o = {
        .url = url,
        .headers = headers,
        .connect_timeout_ms = 3000,
        .head_timeout_ms = HEAD_MS,
        .tls = &ac->tls,
        .configure = configure,
        .on_data = on_data,
        .on_header = on_header,
        .on_done = on_done,
        .ud = ac,
    };
    ac->status = 0;
    ac->backlog_done = false;
    ac->counters_ms = 0;
    ndjson_reset(&ac->lines);
    ac->req = http_start(ac->ctx.http, &o);
    ac->data_ms = loop_mono_ms();
    if (ac->req && !ac->watchdog)
        ac->watchdog = loop_timer_start(ac->ctx.loop, idle_limit_ms(ac), on_watchdog, ac);
    if (!ac->req) {
        set_state(ac, ac->ever_synced ? SRC_STALE : SRC_FAILED, "cannot start the request");
        schedule_retry(ac);
    }
}

struct agent_conn *agent_conn_new(const struct source_ctx *ctx, struct agent_fleet *fleet,
                                  const char *node, const char *url, const struct tls_opts *tls,
                                  const char *auth, char *err, size_t errlen)
{
    struct agent_conn *ac = calloc(1, sizeof(*ac));
    if (!ac) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ac->ctx = *ctx;
    ac->fleet = fleet;
    STR_COPY(ac->node, node);
    snprintf(ac->name, sizeof(ac->name), "agent:%s", node);
    STR_COPY(ac->url, url);
    if (tls)
        ac->tls = *tls;
    STR_COPY(ac->auth, auth ? auth : "");
    /* The body is NDJSON whose blank lines are heartbeats, and where one
     * over-long line is dropped (counted), not the stream. */
    ndjson_init(&ac->lines, handle_line, ac);
    ac->lines.split.max = MAX_LINE;
    ac->lines.split.skip_long = true;
    ac->lines.keep_blank = true;
    backoff_init(&ac->backoff, &backoff_policy, 0);
    return ac;
}

int agent_conn_start(struct agent_conn *ac, char *err, size_t errlen)
{
    ac->ingest = kevent_ingest_new(ac->ctx.engine, ac->ctx.config, err, errlen);
    if (!ac->ingest)
        return -1;
    connect_agent(ac);
    return 0;
}

void agent_conn_retarget(struct agent_conn *ac, const char *url)
{
    STR_COPY(ac->url, url);
    if (!ac->ingest)
        return; /* not started: it will connect there */
    if (ac->req)
        http_cancel(ac->ctx.http, ac->req);
    ac->req = NULL;
    if (ac->retry)
        loop_timer_cancel(ac->ctx.loop, ac->retry);
    ac->retry = NULL;
    backoff_init(&ac->backoff, &backoff_policy, 0); /* a new address owes nothing to the old one */
    connect_agent(ac);
}

const char *agent_conn_url(const struct agent_conn *ac)
{
    return ac->url;
}

void agent_conn_free(struct agent_conn *ac, bool drop_rows)
{
    if (!ac)
        return;
    if (ac->req)
        http_cancel(ac->ctx.http, ac->req);
    if (ac->retry)
        loop_timer_cancel(ac->ctx.loop, ac->retry);
    if (ac->refilter)
        loop_timer_cancel(ac->ctx.loop, ac->refilter);
    if (ac->watchdog)
        loop_timer_cancel(ac->ctx.loop, ac->watchdog);
    if (drop_rows) {
        engine_remove(ac->ctx.engine, T_SOURCES, ac->name);
        engine_remove(ac->ctx.engine, T_KSTATS, ac->name);
    }
    kevent_ingest_free(ac->ingest);
    ndjson_free(&ac->lines);
    secret_wipe(ac->auth, sizeof(ac->auth));
    free(ac);
}
