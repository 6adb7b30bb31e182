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
    /* Unregisters everything and frees priv. */
    void (*stop)(struct source *s);
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
void source_stop_all(struct source_set *set);

#endif
