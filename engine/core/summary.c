#include "core/summary.h"

#include <string.h>

#include "core/source.h"

static bool pod_failing(const void *row)
{
    return ((const struct k8s_pod *)row)->problem[0] != 0;
}

static bool delivered(const struct source_info *s)
{
    return s->state == SRC_SYNCED || s->state == SRC_PARTIAL || s->state == SRC_STALE;
}

/* Can the cluster counts be trusted? The demo and a replay always carry
 * them; a Kubernetes source once it has delivered (synced, or partial or
 * stale after delivering). A viewer attached to a shared engine has that
 * engine's sources as rows: once attached, they decide (a server with no
 * cluster has no counts to show); until then nobody knows. */
static enum cluster_state cluster_state(struct engine *e)
{
    struct table *t = engine_table(e, T_SOURCES);
    enum cluster_state k = CLUSTER_NONE;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (strcmp(s->kind, "demo") == 0 || strcmp(s->kind, "replay") == 0)
            return CLUSTER_KNOWN;
        if (strcmp(s->kind, "kubernetes") == 0 && delivered(s))
            return CLUSTER_KNOWN;
        if (strcmp(s->kind, "kubernetes") == 0 || (strcmp(s->kind, "attach") == 0 && !delivered(s)))
            k = CLUSTER_UNKNOWN;
    }
    return k;
}

void summary_refresh(struct engine *e)
{
    struct summary *row = engine_get(e, T_SUMMARY, "summary");
    if (!row)
        return;
    struct summary s = *row;
    s.cluster = cluster_state(e);
    s.nodes_total = engine_table(e, T_NODES)->count;
    s.nodes_ready = 0;
    for (int i = 0; i < s.nodes_total; i++)
        s.nodes_ready += ((const struct k8s_node *)table_row(engine_table(e, T_NODES), i))->ready;
    /* Kept on every change: no walk of 50,000 pods a second. (Pod rows are
     * only ever changed through engine_upsert of a copy, which the count
     * needs; incidents are edited in place, and are 256 at most.) */
    struct table *pods = engine_table(e, T_PODS);
    if (pods->flag != pod_failing)
        table_set_flag(pods, pod_failing);
    s.pods_failing = pods->flagged;
    if (s.cluster != CLUSTER_KNOWN) /* "?", never "0 failing" */
        s.nodes_ready = s.nodes_total = s.pods_failing = -1;
    struct table *inc = engine_table(e, T_INCIDENTS);
    s.sources_not_reporting = source_not_reporting(e, NULL);
    s.open_incidents = 0;
    for (int i = 0; i < inc->count; i++)
        s.open_incidents += ((const struct incident *)table_row(inc, i))->state == INC_OPEN;
    if (memcmp(&s, row, sizeof(s)) != 0)
        engine_upsert(e, T_SUMMARY, &s);
}

static void on_tick(struct engine *e, int64_t now, void *ud)
{
    (void)now;
    (void)ud;
    summary_refresh(e);
}

/* A source changed state: if that changes whether the cluster counts are
 * known, refresh now, not at the next tick (the header must not say
 * "0 failing" for a second after the kubeconfig failed). */
static void on_change(struct engine *e, int table, const void *obj, void *ud)
{
    (void)obj;
    (void)ud;
    if (table != T_SOURCES)
        return;
    const struct summary *row = engine_get(e, T_SUMMARY, "summary");
    if (row && (row->cluster != cluster_state(e) ||
                row->sources_not_reporting != source_not_reporting(e, NULL)))
        summary_refresh(e);
}

void summary_attach(struct engine *e)
{
    engine_add_hook(e, "summary", 1000, on_tick, NULL);
    engine_observe(e, on_change, NULL);
}
