/* The source set: adding, starting and stopping every source; and which
 * sources are not reporting, for what the commands say beside their answer. */
#include "core/source.h"

#include <stdbool.h>
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

/* Runs one start step; false when it failed (the source is then shown as
 * failed and its start_late is not run). */
static bool run_step(struct source *s, int (*step)(struct source *, char *, size_t))
{
    char err[256] = "";
    if (step(s, err, sizeof(err)) == 0)
        return true;
    engine_source_state(s->ctx.engine, s->name, s->kind, SRC_FAILED,
                        err[0] ? err : "failed to start");
    return false;
}

/* Starts the sources from index i on; with hold, stops after the start of
 * the first one with a start_late and returns its index. */
static int start_from(struct source_set *set, int i, bool hold)
{
    for (; i < set->count; i++) {
        struct source *s = &set->items[i];
        if (!run_step(s, s->ops->start) || !s->ops->start_late)
            continue;
        if (hold)
            return i;
        run_step(s, s->ops->start_late);
    }
    return -1;
}

void source_start_all(struct source_set *set)
{
    start_from(set, 0, false);
}

int source_start_until_late(struct source_set *set)
{
    return start_from(set, 0, true);
}

int source_start_rest(struct source_set *set, int held)
{
    if (held < 0 || held >= set->count)
        return -1;
    run_step(&set->items[held], set->items[held].ops->start_late);
    return start_from(set, held + 1, true);
}

bool source_row_outbound(const struct source_info *s)
{
    return strcmp(s->kind, "copilot") == 0 || strcmp(s->kind, "webhook") == 0;
}

bool source_row_not_reporting(const struct source_info *s)
{
    if (s->state == SRC_SYNCED || s->state == SRC_DISABLED)
        return false;
    return !source_row_outbound(s);
}

int source_not_reporting(struct engine *e, struct buf *out)
{
    struct table *t = engine_table(e, T_SOURCES);
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (!source_row_not_reporting(s))
            continue;
        if (!out) {
            n++;
            continue;
        }
        buf_printf(out, "%s%s (%s%s%s)", n++ ? "; " : "", s->name, source_state_names[s->state],
                   s->error[0] ? ": " : "", s->error);
    }
    return n;
}

bool source_ready(struct engine *e, const char *need_kind, struct buf *out)
{
    struct table *t = engine_table(e, T_SOURCES);
    bool need_met = !need_kind;
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        bool needed = need_kind && strcmp(s->kind, need_kind) == 0;
        need_met |= needed && s->state == SRC_SYNCED;
        if (!source_row_not_reporting(s) && !(needed && s->state != SRC_SYNCED))
            continue;
        buf_printf(out, "%s%s (%s)", n++ ? "; " : "not ready: ", s->name,
                   source_state_names[s->state]);
    }
    if (!need_met && !n)
        buf_printf(out, "not ready: no %s source", need_kind);
    buf_puts(out, n || !need_met ? "\n" : "ready\n");
    return need_met && !n;
}

void source_stop_all(struct source_set *set)
{
    for (int i = set->count - 1; i >= 0; i--)
        if (set->items[i].ops->stop)
            set->items[i].ops->stop(&set->items[i]);
    set->count = 0;
}
