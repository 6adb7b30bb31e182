/* Made-up kernel events at a fixed rate (see loadgen.h). The mix is fixed so
 * figures compare across runs: of every 100 events, 5 are a shell in a
 * container (the default rules make them warnings), 1 is a write below /etc
 * (critical), the rest are health-check execs, connections to a service
 * port, reads of /etc/hosts and exits (info): 6% warn+. */
#include "agent/loadgen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "kernel/ingest.h"

#define TICK_MS 100 /* events are posted in ten batches a second, like ring reads */

struct agent_load {
    struct engine *engine;
    struct loop *loop;
    struct loop_timer *timer;
    struct kevent_ingest *ingest;
    int rate;
    int64_t start_ms; /* loop_mono_ms() at start */
    uint64_t posted;
    uint64_t seen[KEV_KIND_COUNT];
    uint64_t last_posted; /* at the previous kstats update */
    int64_t last_kstats_ms;
};

static void set_open(struct kevent *ev, const char *path, const char *flags)
{
    ev->kind = KEV_OPEN;
    STR_COPY(ev->path, path);
    STR_COPY(ev->args, flags);
    ev->ret = 3;
}

/* The n-th event of the mix. */
static void make_event(struct kevent *ev, uint64_t n)
{
    int i = (int)(n % 100);
    *ev = (struct kevent){
        .pid = 20000 + (uint32_t)(n % 5000), .ppid = 1, .uid = 1000, .simulated = true};
    snprintf(ev->pod, sizeof(ev->pod), "shop/frontend-7d9c4-%d", (int)(n % 3));
    snprintf(ev->container, sizeof(ev->container), "5f1e0c%06d", (int)(n % 3));
    if (i < 5) {
        ev->kind = KEV_EXEC;
        STR_COPY(ev->comm, "sh");
        STR_COPY(ev->path, "/bin/sh");
        STR_COPY(ev->args, "sh -c id");
    } else if (i == 50) {
        STR_COPY(ev->comm, "python3");
        set_open(ev, "/etc/crontab", "O_WRONLY|O_TRUNC");
    } else if (i % 4 == 0) {
        ev->kind = KEV_EXEC;
        STR_COPY(ev->comm, "curl");
        STR_COPY(ev->path, "/usr/bin/curl");
        STR_COPY(ev->args, "curl -fsS http://127.0.0.1:8080/healthz");
    } else if (i % 4 == 1) {
        ev->kind = KEV_CONNECT;
        STR_COPY(ev->comm, "frontend");
        STR_COPY(ev->saddr, "10.0.1.20");
        STR_COPY(ev->daddr, "10.0.2.57");
        ev->sport = 32768 + (int)(n % 28000);
        ev->dport = 8080;
    } else if (i % 4 == 2) {
        STR_COPY(ev->comm, "frontend");
        set_open(ev, "/etc/hosts", "O_RDONLY|O_CLOEXEC");
    } else {
        ev->kind = KEV_EXIT;
        STR_COPY(ev->comm, "curl");
    }
}

/* The node's kstats row, as the kernel source keeps it: what the console
 * reads from every heartbeat. */
static void update_kstats(struct agent_load *g, int64_t now)
{
    struct kstats row = {.simulated = true, .lag_p50_ms = NAN, .lag_p99_ms = NAN};
    STR_COPY(row.name, "kernel");
    memcpy(row.seen, g->seen, sizeof(row.seen));
    row.rule_matches = kevent_ingest_stats(g->ingest)->rule_matches;
    if (now > g->last_kstats_ms)
        row.events_per_s =
            (double)(g->posted - g->last_posted) * 1000.0 / (double)(now - g->last_kstats_ms);
    g->last_posted = g->posted;
    g->last_kstats_ms = now;
    engine_upsert(g->engine, T_KSTATS, &row);
}

static void on_tick(void *ud)
{
    struct agent_load *g = ud;
    int64_t now = loop_mono_ms();
    uint64_t due = (uint64_t)((now - g->start_ms) * (int64_t)g->rate / 1000);
    int64_t wall = loop_wall_ms();
    for (; g->posted < due; g->posted++) {
        struct kevent ev;
        make_event(&ev, g->posted);
        ev.time = wall;
        g->seen[ev.kind]++;
        kevent_ingest_post(g->ingest, &ev);
    }
    if (now - g->last_kstats_ms >= 1000)
        update_kstats(g, now);
    g->timer = loop_timer_start(g->loop, TICK_MS, on_tick, g);
}

struct agent_load *agent_load_start(struct engine *e, struct loop *l, const struct config *c,
                                    int rate, char *err, size_t errlen)
{
    struct agent_load *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->ingest = kevent_ingest_new(e, c, err, errlen);
    if (!g->ingest) {
        free(g);
        return NULL;
    }
    g->engine = e;
    g->loop = l;
    g->rate = rate;
    g->start_ms = g->last_kstats_ms = loop_mono_ms();
    g->timer = loop_timer_start(l, TICK_MS, on_tick, g);
    return g;
}

void agent_load_free(struct agent_load *g)
{
    if (!g)
        return;
    loop_timer_cancel(g->loop, g->timer);
    kevent_ingest_free(g->ingest);
    free(g);
}
