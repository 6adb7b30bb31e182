/* Console side of node agents: stream, tag, ingest, reconnect. */
#include "agent/source.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server.h"
#include "base/backoff.h"
#include "base/path.h"
#include "base/buf.h"
#include "base/ndjson.h"
#include "base/secret.h"
#include "kernel/ingest.h"
#include "kernel/event_json.h"

#define MAX_LINE       (64u << 10) /* a longer line is dropped, not the stream */
#define IDLE_MS        15000       /* three missed heartbeats (every 5 s) */
#define HEAD_MS        10000       /* an agent answers /events at once */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define HEALTHY_MS     30000 /* connected this long: the next loss retries after 1 s again */

struct agent_conn {
    char node[NAME_LEN];
    char url[512];
    char ca_file[256];
    char auth[300]; /* "Authorization: Bearer ..." or "" */
    struct source *src;
    struct kevent_ingest *ingest;
    struct http_req *req;
    struct loop_timer *retry;
    struct backoff backoff;
    long status;
    bool ever_synced;
    bool backlog_done;          /* the empty line after the backlog arrived */
    struct ndjson_parser lines; /* blank lines kept: they are heartbeats */
    uint64_t bad_lines;         /* lines that did not parse */
    uint64_t events;
};

static void connect_agent(struct agent_conn *ac);

static void set_state(struct agent_conn *ac, enum source_state st, const char *error)
{
    engine_source_state(ac->src->ctx.engine, ac->src->name, "agent", st, error);
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
    ac->retry = loop_timer_start(ac->src->ctx.loop, delay, on_retry, ac);
}

/* {"kstats":{...}}: the agent's kernel counters, kept as row "agent:NODE". */
static bool handle_kstats(struct agent_conn *ac, const char *line, size_t len)
{
    static const char prefix[] = "{\"kstats\":";
    if (len < sizeof(prefix) || memcmp(line, prefix, sizeof(prefix) - 1) != 0)
        return false;
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kstats");
    struct kstats row = {0};
    char err[128];
    if (cJSON_IsObject(k) && schema_from_json(&kstats_schema, k, &row, err, sizeof(err)) == 0) {
        snprintf(row.name, sizeof(row.name), "%s", ac->src->name);
        engine_upsert(ac->src->ctx.engine, T_KSTATS, &row);
    } else {
        ac->bad_lines++;
    }
    cJSON_Delete(j);
    return true;
}

static bool handle_line(const char *line, size_t len, void *ud)
{
    struct agent_conn *ac = ud;
    if (len == 0) { /* heartbeat; the first one closes the backlog */
        if (!ac->backlog_done) {
            ac->backlog_done = true;
            ac->ever_synced = true;
            backoff_ok(&ac->backoff, loop_mono_ms());
            set_state(ac, SRC_SYNCED, NULL);
        }
        return true;
    }
    if (handle_kstats(ac, line, len))
        return true;
    static const char stream_only[] = "{\"stream\":"; /* a heartbeat with no kernel row */
    if (len >= sizeof(stream_only) - 1 && memcmp(line, stream_only, sizeof(stream_only) - 1) == 0)
        return true;
    struct kevent ev;
    char err[128];
    if (!kevent_json_parse(line, len, &ev, err, sizeof(err))) {
        ac->bad_lines++;
        return true;
    }
    STR_COPY(ev.node, ac->node); /* the console's name for the agent wins */
    ev.seq = 0;
    ac->events++;
    kevent_ingest_post(ac->ingest, &ev);
    return true;
}

/* The /events body: NDJSON whose blank lines are heartbeats, and where one
 * over-long line is dropped (counted), not the stream. */
static void stream_init(struct agent_conn *ac)
{
    ndjson_init(&ac->lines, handle_line, ac);
    ac->lines.split.max = MAX_LINE;
    ac->lines.split.skip_long = true;
    ac->lines.keep_blank = true;
}

static bool on_data(const char *buf, size_t len, void *ud)
{
    struct agent_conn *ac = ud;
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

static void configure(CURL *easy, void *ud)
{
    struct agent_conn *ac = ud;
    if (ac->ca_file[0])
        curl_easy_setopt(easy, CURLOPT_CAINFO, ac->ca_file);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
}

static void connect_agent(struct agent_conn *ac)
{
    char url[600];
    snprintf(url, sizeof(url), "%s/events", ac->url);
    const char *headers[] = {ac->auth[0] ? ac->auth : NULL, NULL};
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
        .ud = ac,
    };
    ac->status = 0;
    ac->backlog_done = false;
    ndjson_reset(&ac->lines);
    ac->req = http_start(ac->src->ctx.http, &o);
    if (!ac->req) {
        set_state(ac, ac->ever_synced ? SRC_STALE : SRC_FAILED, "cannot start the request");
        schedule_retry(ac);
    }
}

static int agent_start_source(struct source *s, char *err, size_t errlen)
{
    struct agent_conn *ac = s->priv;
    ac->src = s;
    ac->ingest = kevent_ingest_new(s->ctx.engine, s->ctx.config, err, errlen);
    if (!ac->ingest)
        return -1;
    struct backoff_policy bp = {
        .base_ms = BACKOFF_MIN_MS, .cap_ms = BACKOFF_MAX_MS, .factor = 2, .healthy_ms = HEALTHY_MS};
    backoff_init(&ac->backoff, &bp, 0);
    stream_init(ac);
    connect_agent(ac);
    return 0;
}

static void agent_stop_source(struct source *s)
{
    struct agent_conn *ac = s->priv;
    if (!ac)
        return;
    if (ac->req)
        http_cancel(s->ctx.http, ac->req);
    if (ac->retry)
        loop_timer_cancel(s->ctx.loop, ac->retry);
    kevent_ingest_free(ac->ingest);
    ndjson_free(&ac->lines);
    secret_wipe(ac->auth, sizeof(ac->auth));
    free(ac);
    s->priv = NULL;
}

const struct source_ops agent_source_ops = {
    .kind = "agent",
    .start = agent_start_source,
    .stop = agent_stop_source,
};

/* ---- config ---- */

static int check_agent(const struct ynode *m, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "url", "token_file", "ca_file", NULL};
    if (m->type != Y_MAP)
        return yerr(m, err, errlen, "agents: each entry is a mapping (name, url, ...)");
    if (ycheck_keys(m, keys, err, errlen) < 0)
        return -1;
    char v[512] = "";
    for (int i = 0; keys[i]; i++)
        if (yget_str(m, keys[i], v, sizeof(v), err, errlen) < 0)
            return -1;
    v[0] = '\0';
    yget_str(m, "name", v, sizeof(v), err, errlen);
    if (!v[0])
        return yerr(m, err, errlen, "agents: entry without a name");
    if (strlen(v) >= NAME_LEN - 7)
        return yerr(ymap_get(m, "name"), err, errlen, "agents: name longer than %d bytes",
                    NAME_LEN - 8);
    v[0] = '\0';
    yget_str(m, "url", v, sizeof(v), err, errlen);
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return yerr(ymap_get(m, "url") ? ymap_get(m, "url") : m, err, errlen,
                    "agents: url must start with http:// or https://");
    return 0;
}

int agents_config_check(const struct ynode *section, char *err, size_t errlen)
{
    if (section->type != Y_SEQ)
        return yerr(section, err, errlen, "agents: expected a list of {name, url}");
    for (const struct ynode *m = section->child; m; m = m->next) {
        if (check_agent(m, err, errlen) < 0)
            return -1;
        for (const struct ynode *o = section->child; o != m; o = o->next) {
            const struct ynode *a = ymap_get(m, "name"), *b = ymap_get(o, "name");
            if (a && b && a->value && b->value && strcmp(a->value, b->value) == 0)
                return yerr(a, err, errlen, "agents: name '%s' used twice", a->value);
        }
    }
    return 0;
}

static int agents_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    (void)state;
    const struct ynode *sec = config_section(ctx->config, "agents");
    if (!sec || sec->type != Y_SEQ || (ctx->opt->demo && !ctx->opt->host_kernel))
        return 0; /* other nodes' real events join the demo only with --host-kernel */
    for (const struct ynode *m = sec->child; m; m = m->next) {
        struct agent_conn *ac = calloc(1, sizeof(*ac));
        char token_file[256] = "", token[256] = "", name[NAME_LEN + 8];
        if (!ac) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        yget_str(m, "name", ac->node, sizeof(ac->node), err, errlen);
        yget_str(m, "url", ac->url, sizeof(ac->url), err, errlen);
        int has_token = yget_path(m, "token_file", token_file, sizeof(token_file), err, errlen);
        if (yget_path(m, "ca_file", ac->ca_file, sizeof(ac->ca_file), err, errlen) < 0 ||
            has_token < 0) {
            free(ac);
            return -1;
        }
        size_t ul = strlen(ac->url);
        while (ul && ac->url[ul - 1] == '/')
            ac->url[--ul] = '\0';
        if (has_token == 1) {
            if (agent_read_token(token_file, token, sizeof(token), err, errlen) < 0) {
                free(ac);
                return -1;
            }
            snprintf(ac->auth, sizeof(ac->auth), "Authorization: Bearer %s", token);
            secret_wipe(token, sizeof(token));
        }
        snprintf(name, sizeof(name), "agent:%s", ac->node);
        if (!source_add(ctx->sources, &agent_source_ops, name, ctx->src, ac)) {
            secret_wipe(ac->auth, sizeof(ac->auth));
            free(ac);
            snprintf(err, errlen, "too many sources");
            return -1;
        }
    }
    return 0;
}

static const struct module_section agents_sections[] = {
    {"agents", agents_config_check},
    {NULL, NULL},
};

const struct module agents_module = {
    .name = "agents",
    .sections = agents_sections,
    .flags = MODULE_LIVE,
    .setup = agents_setup,
};
