/* A source of data (demo, Prometheus, Kubernetes, GitLab, GitHub, kernel,
 * node agents, replay) is one module behind this interface. It registers the
 * fds and timers it needs with the loop in start(), posts updates to the
 * engine from its callbacks, and reports its health with
 * engine_source_state(). Panels never know which source a row came from. */
#ifndef LOOKOUT_SOURCE_H
#define LOOKOUT_SOURCE_H

#include <stddef.h>

#include "core/engine.h"
#include "base/http.h"
#include "base/loop.h"

struct config;
struct buf;

/* What every source is handed. */
struct source_ctx {
    struct engine *engine;
    struct loop *loop;
    struct http *http;
    const struct config *config;
};

struct source;

struct source_ops {
    const char *kind; /* the default kind of its sources ("kubernetes") */
    /* Registers fds/timers and begins the first sync. Returns 0, or -1 with a
     * message in err (the source is then shown as failed, the rest goes on). */
    int (*start)(struct source *s, char *err, size_t errlen);
    /* Unregisters everything and frees priv; also for a source that never
     * started (the screen quit before the held ones ran). */
    void (*stop)(struct source *s);
    /* Optional: the slow rest of start (the kernel source's BPF load), run
     * right after start, or after the screen's first frame when the set is
     * started with source_start_until_late(). The sources after this one
     * start only once it ran: the kernel source drops root's privileges at
     * its end, and what they do (a kubeconfig credential plugin) must not
     * run as root. Same return as start. NULL: start does everything.
     * Last, so that positional initialisers of the others stay valid. */
    int (*start_late)(struct source *s, char *err, size_t errlen);
};

struct source {
    const struct source_ops *ops;
    const char *kind; /* "gitlab", "kernel": shown in the source list */
    char name[64];
    struct source_ctx ctx;
    void *priv;
};

#define MAX_SOURCES 32

struct source_set {
    struct source items[MAX_SOURCES];
    int count;
};

/* Adds a source to the set (not started); NULL when the set is full. */
struct source *source_add(struct source_set *set, const struct source_ops *ops, const char *name,
                          const struct source_ctx *ctx, void *priv);
/* The same with a kind other than ops->kind: one set of ops serves several
 * kinds (every CI provider runs on the one poller). kind must outlive it. */
struct source *source_add_kind(struct source_set *set, const struct source_ops *ops,
                               const char *kind, const char *name, const struct source_ctx *ctx,
                               void *priv);
/* Starts all; a failing start marks that source failed and goes on. */
void source_start_all(struct source_set *set);
/* The same up to the first source with a start_late (that one's start
 * included); returns its index, for source_start_rest(), or -1 when all
 * started. */
int source_start_until_late(struct source_set *set);
/* Runs the held source's start_late, then starts the ones after it (up to
 * the next start_late, whose index it returns, or -1). */
int source_start_rest(struct source_set *set, int held);
void source_stop_all(struct source_set *set);

/* The sources whose data is not current: failed, stale, partial, or still
 * starting (never answered). Disabled ones (turned off by config or the
 * missing privileges) and the outbound ones (copilot, alert webhooks) do not
 * count: nothing was expected of them. Appends "name (state: error)" for
 * each to out (unless NULL), "; " between them, raw (sanitise before a
 * terminal or Markdown); returns how many. For what a command says beside "no
 * incidents" or "ok": that it could not see everything. */
int source_not_reporting(struct engine *e, struct buf *out);
/* The test behind it, for one row. */
bool source_row_not_reporting(const struct source_info *s);
/* A row for what Lookout sends to (the copilot's backend, alert webhooks),
 * not reads from: its failure leaves what Lookout shows current. */
bool source_row_outbound(const struct source_info *s);

/* GET /readyz (lookout serve, lookout agent): ready when every source
 * reports and, with need_kind, a source of that kind is synced (the agent
 * exists for its kernel events: a disabled kernel is not ready there).
 * Writes the body: "ready", else "not ready: NAME (STATE); ..." with names
 * and states only (the probe needs no token: errors stay behind it). */
bool source_ready(struct engine *e, const char *need_kind, struct buf *out);

#endif
