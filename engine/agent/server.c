/* Node agent server: /events, /metrics, /healthz, /readyz over httpd.
 * Every stream client's books balance: what it was sent plus the `lost` of
 * the gap rows it was sent is everything that passed its filter, and its
 * heartbeats say both sums so it can check. */
#include "agent/server.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "slo/gate.h"
#include "base/httpd.h"
#include "base/secret.h"
#include "core/source.h"
#include "kernel/event_json.h"

#define MAX_CLIENTS    64
#define CLIENT_BACKLOG (4u << 20) /* bytes a slow client may lag before events drop */
#define MAX_RULE_NAMES 64
#define BACKLOG_EVENTS 256  /* recent events a new client gets first */
#define HEARTBEAT_MS   5000 /* an empty line, so consoles can tell a dead link */
#define MAX_NAMESPACES 8

struct agent;

struct client {
    struct httpd_conn *conn; /* NULL: free slot */
    struct agent *ag;
    uint64_t id;                   /* connection number, the /metrics label */
    uint64_t pending_lost;         /* missed since the last gap row it was sent */
    int64_t gap_time;              /* time of the newest event it missed */
    uint64_t delivered;            /* event rows sent (gap rows not counted) */
    uint64_t lost;                 /* sum of `lost` over the gap rows sent */
    uint64_t dropped;              /* events not sent because it lagged */
    uint64_t capped;               /* events past its filter held back by max_rate */
    uint64_t seen[KEV_KIND_COUNT]; /* events of the node since its last counters line */
    /* the filter, applied before serialising */
    uint32_t kinds; /* bit per kind wanted; gaps always go out */
    enum severity min_severity;
    bool rules_only;
    int nnamespaces; /* 0: every namespace (and host events) */
    char namespaces[MAX_NAMESPACES][NAME_LEN];
    int max_rate;     /* events per second, 0: no cap */
    int64_t rate_sec; /* the second rate_n counts */
    int rate_n;
    struct buf staged; /* rows of this loop turn, handed to httpd in one write */
};

struct rule_count {
    char name[NAME_LEN];
    uint64_t n;
};

struct agent {
    struct engine *engine;
    struct loop *loop;
    struct loop_timer *heartbeat;
    struct loop_timer *flush; /* armed while a client has staged rows */
    struct httpd *httpd;
    bool stopped;
    char node[NAME_LEN];
    char ready_kind[32]; /* see agent_opts; "": none */
    struct client clients[MAX_CLIENTS];
    struct buf line;
    uint64_t events[KEV_KIND_COUNT][3];
    uint64_t stream_drops;     /* events not sent to a lagging client, all clients */
    uint64_t stream_delivered; /* event rows sent, all clients */
    uint64_t next_client_id;
    struct rule_count rules[MAX_RULE_NAMES];
    int nrules;
    uint64_t rule_other; /* matches of rules past MAX_RULE_NAMES */
};

/* ---- /events ---- */

static void client_gone(struct httpd_conn *c, void *ud)
{
    struct client *cl = ud;
    (void)c;
    cl->conn = NULL;
    buf_free(&cl->staged);
}

/* Every client's staged rows to httpd, one chunk each. */
static void flush_staged(void *ud)
{
    struct agent *ag = ud;
    ag->flush = NULL;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *cl = &ag->clients[i];
        if (!cl->conn || !cl->staged.len)
            continue;
        /* room was checked as each row was staged */
        httpd_stream_write(cl->conn, cl->staged.data, cl->staged.len, SIZE_MAX);
        buf_reset(&cl->staged);
    }
}

/* Queues data for the client; false (nothing queued) when it lags more than
 * CLIENT_BACKLOG already. The rows of one loop turn (a slice of the kernel
 * ring, a batch of made-up events) leave in one write at the end of the
 * turn, not one write and one wake-up of the console per event. */
static bool client_write(struct client *cl, const char *data, size_t len)
{
    struct agent *ag = cl->ag;
    if (httpd_pending(cl->conn) + cl->staged.len > CLIENT_BACKLOG)
        return false;
    buf_append(&cl->staged, data, len);
    if (!ag->flush)
        ag->flush = loop_timer_start(ag->loop, 0, flush_staged, ag);
    return true;
}

/* The kernel's counters as JSON text (free with cJSON_free), NULL when
 * there is no kernel row. */
static char *kstats_text(struct agent *ag)
{
    const struct kstats *k = engine_get(ag->engine, T_KSTATS, "kernel");
    cJSON *j = k ? schema_to_json(&kstats_schema, k) : NULL;
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return text;
}

/* The counters line: {"kstats":{...},"stream":{"delivered":D,"lost":L,
 * "capped":C},"seen":{"exec":N,...}}, so a console can show this node's
 * drops next to its own, the client can check its books (D event rows and
 * gap rows summing to L before this line; C held back by its max_rate), and
 * a filtered client still learns how many events of each kind the node had
 * since its previous counters line; {"stream":...} first when there is no
 * kernel row. Resets the client's per-kind counts. */
static void append_counters(struct buf *b, const char *kstats, struct client *cl)
{
    buf_puts(b, "{");
    if (kstats) {
        buf_puts(b, "\"kstats\":");
        buf_puts(b, kstats);
        buf_puts(b, ",");
    }
    buf_printf(b, "\"stream\":{\"delivered\":%llu,\"lost\":%llu,\"capped\":%llu},\"seen\":{",
               (unsigned long long)cl->delivered, (unsigned long long)cl->lost,
               (unsigned long long)cl->capped);
    for (int k = 0; k < KEV_KIND_COUNT; k++)
        buf_printf(b, "%s\"%s\":%llu", k ? "," : "", kev_kind_names[k],
                   (unsigned long long)cl->seen[k]);
    buf_puts(b, "}}\n");
    memset(cl->seen, 0, sizeof(cl->seen));
}

/* A gap row counts what it reports; any other row is one delivered. */
static void count_sent(struct agent *ag, struct client *cl, const struct kevent *ev)
{
    if (ev->kind == KEV_GAP) {
        cl->lost += ev->lost;
    } else {
        cl->delivered++;
        ag->stream_delivered++;
    }
}

static bool namespace_wanted(const struct client *cl, const struct kevent *ev)
{
    if (!cl->nnamespaces)
        return true;
    const char *slash = strchr(ev->pod, '/');
    size_t n = slash ? (size_t)(slash - ev->pod) : 0;
    for (int i = 0; n && i < cl->nnamespaces; i++)
        if (strlen(cl->namespaces[i]) == n && memcmp(cl->namespaces[i], ev->pod, n) == 0)
            return true;
    return false; /* host events have no namespace: not wanted */
}

static bool wanted(const struct client *cl, const struct kevent *ev)
{
    if (ev->kind == KEV_GAP)
        return true; /* losses are never filtered away */
    return (unsigned)ev->kind < KEV_KIND_COUNT && (cl->kinds & (1u << ev->kind)) &&
           ev->severity >= cl->min_severity && (!cl->rules_only || ev->rule[0]) &&
           namespace_wanted(cl, ev);
}

/* max_rate: at most N events a second of the loop's clock; the rest are
 * counted (capped), not sent. Gap rows always go out. */
static bool under_rate(struct client *cl, const struct kevent *ev)
{
    if (!cl->max_rate || ev->kind == KEV_GAP)
        return true;
    int64_t sec = loop_mono_ms() / 1000;
    if (sec != cl->rate_sec) {
        cl->rate_sec = sec;
        cl->rate_n = 0;
    }
    if (cl->rate_n < cl->max_rate) {
        cl->rate_n++;
        return true;
    }
    cl->capped++;
    return false;
}

static bool parse_kinds(char *v, struct client *cl, char *err, size_t errlen)
{
    cl->kinds = 0;
    char *save = NULL;
    for (char *k = strtok_r(v, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        int i;
        for (i = 0; i < KEV_KIND_COUNT && strcmp(kev_kind_names[i], k) != 0; i++)
            ;
        if (i == KEV_KIND_COUNT) {
            snprintf(err, errlen,
                     "unknown kind (exec, exit, open, priv, connect, accept, "
                     "reset, retransmit, oom, gap, throttle)\n");
            return false;
        }
        cl->kinds |= 1u << i;
    }
    return true;
}

static bool parse_severity(char *v, struct client *cl, char *err, size_t errlen)
{
    int i;
    for (i = 0; i < 3 && strcmp(severity_names[i], v) != 0; i++)
        ;
    if (i == 3) {
        snprintf(err, errlen, "min_severity: info, warning or critical\n");
        return false;
    }
    cl->min_severity = (enum severity)i;
    return true;
}

static bool parse_namespaces(char *v, struct client *cl, char *err, size_t errlen)
{
    char *save = NULL;
    cl->nnamespaces = 0;
    for (char *n = strtok_r(v, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        if (cl->nnamespaces == MAX_NAMESPACES || !STR_COPY(cl->namespaces[cl->nnamespaces], n)) {
            snprintf(err, errlen, "namespaces: at most %d names of up to %d bytes\n",
                     MAX_NAMESPACES, NAME_LEN - 1);
            return false;
        }
        cl->nnamespaces++;
    }
    return true;
}

static bool parse_rules_only(char *v, struct client *cl, char *err, size_t errlen)
{
    if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
        snprintf(err, errlen, "rules_only: 0 or 1\n");
        return false;
    }
    cl->rules_only = v[0] == '1';
    return true;
}

static bool parse_max_rate(char *v, struct client *cl, char *err, size_t errlen)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > 1000000) {
        snprintf(err, errlen, "max_rate: events per second, 0 to 1000000\n");
        return false;
    }
    cl->max_rate = (int)n;
    return true;
}

static const struct {
    const char *name;
    bool (*parse)(char *v, struct client *cl, char *err, size_t errlen);
} filter_params[] = {
    {"kinds", parse_kinds},           {"min_severity", parse_severity},
    {"severity", parse_severity}, /* the first name it had */
    {"namespaces", parse_namespaces}, {"rules_only", parse_rules_only},
    {"max_rate", parse_max_rate},
};

/* ?kinds=exec,open&min_severity=warning&namespaces=a,b&rules_only=1&max_rate=N;
 * 400 text in err on a bad query. */
static bool parse_filter(const char *query, struct client *cl, char *err, size_t errlen)
{
    cl->kinds = (1u << KEV_KIND_COUNT) - 1;
    cl->min_severity = SEV_INFO;
    char q[1024];
    if (!STR_COPY(q, query)) {
        snprintf(err, errlen, "query too long\n");
        return false;
    }
    char *save = NULL;
    for (char *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *v = strchr(kv, '=');
        if (!v) {
            snprintf(err, errlen, "bad query parameter\n");
            return false;
        }
        *v++ = '\0';
        size_t i, n = sizeof(filter_params) / sizeof(filter_params[0]);
        for (i = 0; i < n && strcmp(filter_params[i].name, kv) != 0; i++)
            ;
        if (i == n) {
            snprintf(err, errlen,
                     "unknown query parameter (kinds, min_severity, namespaces, "
                     "rules_only, max_rate)\n");
            return false;
        }
        if (!filter_params[i].parse(v, cl, err, errlen))
            return false;
    }
    return true;
}

/* The newest events first (oldest of them first), the counters, then an
 * empty line that tells the console the backlog is complete. */
static void send_backlog(struct agent *ag, struct client *cl)
{
    struct httpd_conn *c = cl->conn;
    struct ring *r = &ag->engine->kevents;
    int n = ring_count(r), from = n > BACKLOG_EVENTS ? n - BACKLOG_EVENTS : 0;
    struct buf b = {0};
    for (int i = from; i < n; i++)
        if (wanted(cl, ring_at(r, i)) && under_rate(cl, ring_at(r, i))) {
            kevent_json_append(&b, ring_at(r, i), ag->node);
            count_sent(ag, cl, ring_at(r, i));
        }
    char *kst = kstats_text(ag);
    append_counters(&b, kst, cl);
    cJSON_free(kst);
    buf_append(&b, "\n", 1);
    httpd_stream_write(c, b.data, b.len, CLIENT_BACKLOG); /* a new stream: it has room */
    buf_free(&b);
}

static void on_room(struct httpd_conn *c, void *ud);

static void route_events(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    struct agent *ag = ud;
    struct client filter = {0};
    char err[160];
    if (!parse_filter(r->query, &filter, err, sizeof(err))) {
        httpd_respond(c, 400, "text/plain", err, strlen(err));
        return;
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (!ag->clients[i].conn) {
            struct client *cl = &ag->clients[i];
            *cl = filter;
            cl->conn = c;
            cl->ag = ag;
            cl->id = ++ag->next_client_id;
            httpd_stream_begin(c, "application/x-ndjson", client_gone, cl);
            httpd_stream_on_room(c, on_room);
            send_backlog(ag, cl);
            return;
        }
    const char *msg = "too many event streams\n";
    httpd_respond(c, 503, "text/plain", msg, strlen(msg));
}

/* One gap row with everything the client missed since its last one; false
 * when it still has no room. */
static bool send_gap(struct agent *ag, struct client *cl)
{
    if (!cl->pending_lost)
        return true;
    struct kevent gap = {.kind = KEV_GAP, .time = cl->gap_time, .lost = cl->pending_lost};
    STR_COPY(gap.title, "events dropped: slow stream client");
    STR_COPY(gap.comm, "-");
    struct buf b = {0};
    kevent_json_append(&b, &gap, ag->node);
    bool ok = client_write(cl, b.data, b.len);
    buf_free(&b);
    if (ok) {
        count_sent(ag, cl, &gap);
        cl->pending_lost = 0;
    }
    return ok;
}

/* The socket took some of a lagging client's queue: say what it missed now,
 * not only before its next event (there may never be one its filter passes). */
static void on_room(struct httpd_conn *c, void *ud)
{
    struct client *cl = ud;
    (void)c;
    if (cl->conn && cl->pending_lost)
        send_gap(cl->ag, cl);
}

static void send_to(struct agent *ag, struct client *cl, const struct kevent *ev)
{
    if (send_gap(ag, cl) && client_write(cl, ag->line.data, ag->line.len)) {
        count_sent(ag, cl, ev);
        return;
    }
    /* A kernel gap row not sent hands its count on to the client's own. */
    cl->pending_lost += ev->kind == KEV_GAP ? ev->lost : 1;
    cl->gap_time = ev->time;
    if (ev->kind != KEV_GAP) {
        cl->dropped++;
        ag->stream_drops++;
    }
}

static void count_rule(struct agent *ag, const char *rule)
{
    for (int i = 0; i < ag->nrules; i++)
        if (strcmp(ag->rules[i].name, rule) == 0) {
            ag->rules[i].n++;
            return;
        }
    if (ag->nrules == MAX_RULE_NAMES) {
        ag->rule_other++;
        return;
    }
    STR_COPY(ag->rules[ag->nrules].name, rule);
    ag->rules[ag->nrules++].n = 1;
}

static void on_kevent(struct engine *e, int table, const void *obj, void *ud)
{
    struct agent *ag = ud;
    (void)e;
    if (table != OBS_KEVENT || !obj || ag->stopped)
        return;
    const struct kevent *ev = obj;
    if ((unsigned)ev->kind < KEV_KIND_COUNT)
        ag->events[ev->kind][(unsigned)ev->severity % 3]++;
    if (ev->rule[0])
        count_rule(ag, ev->rule);
    buf_reset(&ag->line);
    bool encoded = false;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *cl = &ag->clients[i];
        if (!cl->conn)
            continue;
        if ((unsigned)ev->kind < KEV_KIND_COUNT)
            cl->seen[ev->kind]++; /* what the node saw, whatever the filter */
        if (!wanted(cl, ev) || !under_rate(cl, ev))
            continue;
        if (!encoded) {
            kevent_json_append(&ag->line, ev, ag->node);
            encoded = true;
        }
        send_to(ag, &ag->clients[i], ev);
    }
}

/* The counters line to every client, after any gap it is owed so the line's
 * sums match what the client read; skipped for a client with no room. */
static void heartbeat(void *ud)
{
    struct agent *ag = ud;
    char *kst = kstats_text(ag);
    struct buf b = {0};
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *cl = &ag->clients[i];
        if (!cl->conn || !send_gap(ag, cl))
            continue;
        buf_reset(&b);
        append_counters(&b, kst, cl);
        client_write(cl, b.data, b.len);
    }
    buf_free(&b);
    cJSON_free(kst);
    ag->heartbeat = loop_timer_start(ag->loop, HEARTBEAT_MS, heartbeat, ag);
}

/* ---- /metrics (Prometheus text format 0.0.4) ---- */

static void label_value(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            buf_puts(b, "\\n");
        else
            buf_append(b, s, 1);
    }
}

static void metric_head(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void kstats_metrics(struct agent *ag, struct buf *b)
{
    struct table *t = engine_table(ag->engine, T_KSTATS);
    metric_head(b, "lookout_kernel_seen_total", "counter",
                "Kernel events seen by the programs before the ring buffer, by kind.");
    for (int i = 0; i < t->count; i++) {
        const struct kstats *k = table_row(t, i);
        for (int kind = 0; kind < KEV_KIND_COUNT; kind++) {
            buf_puts(b, "lookout_kernel_seen_total{source=\"");
            label_value(b, k->name);
            buf_printf(b, "\",kind=\"%s\"} %llu\n", kev_kind_names[kind],
                       (unsigned long long)k->seen[kind]);
        }
    }
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"lookout_kernel_ring_drops_total", "Events lost because the ring buffer was full.",
         offsetof(struct kstats, ring_drops)},
        {"lookout_kernel_filtered_total", "Events filtered in the kernel.",
         offsetof(struct kstats, filtered)},
        {"lookout_kernel_too_big_total", "Events too big for a record.",
         offsetof(struct kstats, too_big)},
    };
    for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
        metric_head(b, counters[c].name, "counter", counters[c].help);
        for (int i = 0; i < t->count; i++) {
            const char *row = table_row(t, i);
            uint64_t v;
            memcpy(&v, row + counters[c].off, sizeof(v));
            buf_printf(b, "%s{source=\"", counters[c].name);
            label_value(b, ((const struct kstats *)row)->name);
            buf_printf(b, "\"} %llu\n", (unsigned long long)v);
        }
    }
}

/* Per open stream, labelled by connection number: its heartbeat's figures. */
static void client_metrics(struct agent *ag, struct buf *b)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } per[] = {
        {"lookout_agent_stream_client_delivered_total", "Event rows sent to this stream.",
         offsetof(struct client, delivered)},
        {"lookout_agent_stream_client_lost_total",
         "Events this stream was told it lost (its gap rows: ring and lag).",
         offsetof(struct client, lost)},
        {"lookout_agent_stream_client_drops_total",
         "Events not sent to this stream because it lagged.", offsetof(struct client, dropped)},
    };
    for (size_t m = 0; m < sizeof(per) / sizeof(per[0]); m++) {
        metric_head(b, per[m].name, "counter", per[m].help);
        for (int i = 0; i < MAX_CLIENTS; i++) {
            const char *cl = (const char *)&ag->clients[i];
            if (!ag->clients[i].conn)
                continue;
            uint64_t v;
            memcpy(&v, cl + per[m].off, sizeof(v));
            buf_printf(b, "%s{client=\"%llu\"} %llu\n", per[m].name,
                       (unsigned long long)ag->clients[i].id, (unsigned long long)v);
        }
    }
}

/* How long the loop was deaf at worst: /healthz waits on it. */
static void loop_metrics(struct agent *ag, struct buf *b)
{
    int64_t wall_us, cpu_us;
    loop_longest_turn(ag->loop, &wall_us, &cpu_us);
    metric_head(b, "lookout_agent_loop_longest_turn_seconds", "gauge",
                "Longest event-loop turn since start (the wait not counted).");
    buf_printf(b, "lookout_agent_loop_longest_turn_seconds %.6f\n", (double)wall_us / 1e6);
    metric_head(b, "lookout_agent_loop_longest_turn_cpu_seconds", "gauge",
                "Most CPU time one loop turn took since start.");
    buf_printf(b, "lookout_agent_loop_longest_turn_cpu_seconds %.6f\n", (double)cpu_us / 1e6);
}

static void route_metrics(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    struct agent *ag = ud;
    (void)r;
    struct buf b = {0};
    metric_head(&b, "lookout_agent_events_total", "counter",
                "Kernel events that passed attribution and rules, by kind and severity.");
    for (int k = 0; k < KEV_KIND_COUNT; k++)
        for (int s = 0; s < 3; s++)
            buf_printf(&b, "lookout_agent_events_total{kind=\"%s\",severity=\"%s\"} %llu\n",
                       kev_kind_names[k], severity_names[s], (unsigned long long)ag->events[k][s]);
    metric_head(&b, "lookout_agent_rule_matches_total", "counter", "Events matched, by rule.");
    for (int i = 0; i < ag->nrules; i++) {
        buf_puts(&b, "lookout_agent_rule_matches_total{rule=\"");
        label_value(&b, ag->rules[i].name);
        buf_printf(&b, "\"} %llu\n", (unsigned long long)ag->rules[i].n);
    }
    if (ag->rule_other)
        buf_printf(&b, "lookout_agent_rule_matches_total{rule=\"(other)\"} %llu\n",
                   (unsigned long long)ag->rule_other);
    kstats_metrics(ag, &b);
    int clients = 0;
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients += ag->clients[i].conn != NULL;
    metric_head(&b, "lookout_agent_stream_clients", "gauge", "Open /events streams.");
    buf_printf(&b, "lookout_agent_stream_clients %d\n", clients);
    metric_head(&b, "lookout_agent_stream_drops_total", "counter",
                "Events not sent to a stream client that fell too far behind.");
    buf_printf(&b, "lookout_agent_stream_drops_total %llu\n", (unsigned long long)ag->stream_drops);
    metric_head(&b, "lookout_agent_stream_delivered_total", "counter",
                "Event rows sent to stream clients (gap rows not counted).");
    buf_printf(&b, "lookout_agent_stream_delivered_total %llu\n",
               (unsigned long long)ag->stream_delivered);
    client_metrics(ag, &b);
    loop_metrics(ag, &b);
    metric_head(&b, "lookout_agent_kevent_ring_evicted_total", "counter",
                "Events pushed out of the engine's in-memory ring.");
    buf_printf(&b, "lookout_agent_kevent_ring_evicted_total %llu\n",
               (unsigned long long)ag->engine->kevents.evicted);
    metric_head(&b, "lookout_source_up", "gauge", "1 when a data source is synced.");
    struct table *src = engine_table(ag->engine, T_SOURCES);
    for (int i = 0; i < src->count; i++) {
        const struct source_info *s = table_row(src, i);
        buf_puts(&b, "lookout_source_up{name=\"");
        label_value(&b, s->name);
        buf_puts(&b, "\",kind=\"");
        label_value(&b, s->kind);
        buf_printf(&b, "\"} %d\n", s->state == SRC_SYNCED);
    }
    httpd_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf_cstr(&b), b.len);
    buf_free(&b);
}

static void route_healthz(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)r;
    (void)ud;
    httpd_respond(c, 200, "text/plain", "ok\n", 3);
}

/* Liveness is /healthz (the loop answers); readiness is this: the source
 * its events come from delivering (the kernel, or the demo simulating it).
 * An agent that cannot see the kernel it was asked to watch must not look
 * Ready in kubectl (its /metrics also says lookout_source_up 0); one told
 * to watch none is ready when what it has reports. */
static void route_readyz(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    struct agent *ag = ud;
    (void)r;
    struct buf b = {0};
    bool ready = source_ready(ag->engine, ag->ready_kind[0] ? ag->ready_kind : NULL, &b);
    httpd_respond(c, ready ? 200 : 503, "text/plain", buf_cstr(&b), b.len);
    buf_free(&b);
}

/* A route either streams/answers itself (fn) or is a JSON answer function
 * over the engine (answer: returns the HTTP status). */
typedef int (*json_answer_fn)(struct engine *e, const char *query, char *json_out, size_t outlen);
static const struct {
    const char *path;
    httpd_handler fn;
    json_answer_fn answer;
} routes[] = {
    {"/events", route_events, NULL},
    {"/metrics", route_metrics, NULL},
    {"/healthz", route_healthz, NULL},
    {"/readyz", route_readyz, NULL},
    /* the deploy gate, Argo Rollouts web metric */
    {"/v1/gate", NULL, gate_http_answer},
};

struct json_route {
    struct agent *ag;
    json_answer_fn answer;
};
static struct json_route json_routes[sizeof(routes) / sizeof(routes[0])];

static void route_json(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    struct json_route *jr = ud;
    char out[16384];
    out[0] = '\0';
    int status = jr->answer(jr->ag->engine, r->query, out, sizeof(out));
    httpd_respond(c, status, "application/json", out, strlen(out));
}

/* ---- lifetime ---- */

int agent_read_token(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    char why[512];
    if (secret_file_read(path, out, outlen, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "token file %s", why);
        return -1;
    }
    return 0;
}

struct agent *agent_start(struct engine *e, struct loop *l, const struct agent_opts *o, char *err,
                          size_t errlen)
{
    struct agent *ag = calloc(1, sizeof(*ag));
    if (!ag) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ag->engine = e;
    STR_COPY(ag->ready_kind, o->ready_kind ? o->ready_kind : "");
    if (o->node && o->node[0])
        STR_COPY(ag->node, o->node);
    else if (gethostname(ag->node, sizeof(ag->node) - 1) < 0)
        STR_COPY(ag->node, "localhost");
    char token[256] = "";
    if (o->token_file && agent_read_token(o->token_file, token, sizeof(token), err, errlen) < 0) {
        free(ag);
        return NULL;
    }
    ag->httpd = httpd_new(l, o->listen && o->listen[0] ? o->listen : "127.0.0.1:7070", err, errlen);
    if (!ag->httpd) {
        secret_wipe(token, sizeof(token));
        free(ag);
        return NULL;
    }
    httpd_set_token(ag->httpd, token);
    secret_wipe(token, sizeof(token));
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (routes[i].fn) {
            httpd_route(ag->httpd, routes[i].path, routes[i].fn, ag);
        } else {
            json_routes[i] = (struct json_route){ag, routes[i].answer};
            httpd_route(ag->httpd, routes[i].path, route_json, &json_routes[i]);
        }
    }
    engine_observe(e, on_kevent, ag);
    ag->loop = l;
    ag->heartbeat = loop_timer_start(l, HEARTBEAT_MS, heartbeat, ag);
    return ag;
}

void agent_stop(struct agent *ag)
{
    if (!ag || ag->stopped)
        return;
    ag->stopped = true;
    loop_timer_cancel(ag->loop, ag->heartbeat);
    loop_timer_cancel(ag->loop, ag->flush);
    httpd_free(ag->httpd);
    ag->httpd = NULL;
}

void agent_free(struct agent *ag)
{
    if (!ag)
        return;
    agent_stop(ag);
    buf_free(&ag->line);
    for (int i = 0; i < MAX_CLIENTS; i++)
        buf_free(&ag->clients[i].staged);
    free(ag);
}

int agent_port(const struct agent *ag)
{
    return ag->httpd ? httpd_port(ag->httpd) : 0;
}

const char *agent_node(const struct agent *ag)
{
    return ag->node;
}

/* ---- config ---- */

int agent_config_check(const struct ynode *section, char *err, size_t errlen)
{
    static const char *const keys[] = {"listen", "token_file", "node", NULL};
    if (section->type != Y_MAP)
        return yerr(section, err, errlen, "agent: expected a mapping (listen, token_file, node)");
    if (ycheck_keys(section, keys, err, errlen) < 0)
        return -1;
    char tmp[256];
    for (int i = 0; keys[i]; i++)
        if (yget_str(section, keys[i], tmp, sizeof(tmp), err, errlen) < 0)
            return -1;
    if (yget_str(section, "listen", tmp, sizeof(tmp), err, errlen) == 1 && !strrchr(tmp, ':'))
        return yerr(ymap_get(section, "listen"), err, errlen, "listen: expected HOST:PORT");
    return 0;
}

static const struct module_section agent_server_sections[] = {
    {"agent", agent_config_check},
    {NULL, NULL},
};

const struct module agent_server_module = {
    .name = "agent-server",
    .sections = agent_server_sections,
};
