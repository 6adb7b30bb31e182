/* The source set: adding, starting and stopping every source. */
#include "core/source.h"

#include <string.h>

#include "base/buf.h"

struct source *source_add_kind(struct source_set *set, const struct source_ops *ops,
                               const char *kind, const char *name, const struct source_ctx *ctx,
                               void *priv)
{
    if (set->count >= MAX_SOURCES)
        return NULL;
    struct source *s = &set->items[set->count++];
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    s->kind = kind;
    STR_COPY(s->name, name);
    s->ctx = *ctx;
    s->priv = priv;
    engine_source_state(ctx->engine, name, kind, SRC_STARTING, NULL);
    return s;
}

struct source *source_add(struct source_set *set, const struct source_ops *ops, const char *name,
                          const struct source_ctx *ctx, void *priv)
{
    return source_add_kind(set, ops, ops->kind, name, ctx, priv);
}

void source_start_all(struct source_set *set)
{
    for (int i = 0; i < set->count; i++) {
        struct source *s = &set->items[i];
        char err[256] = "";
        if (s->ops->start(s, err, sizeof(err)) < 0)
            engine_source_state(s->ctx.engine, s->name, s->kind, SRC_FAILED,
                                err[0] ? err : "failed to start");
    }
}

void source_stop_all(struct source_set *set)
{
    for (int i = set->count - 1; i >= 0; i--)
        if (set->items[i].ops->stop)
            set->items[i].ops->stop(&set->items[i]);
    set->count = 0;
}
