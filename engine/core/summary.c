#include "core/summary.h"

#include <string.h>

static bool pod_failing(const void *row)
{
    return ((const struct k8s_pod *)row)->problem[0] != 0;
}

void summary_refresh(struct engine *e)
{
    struct summary *row = engine_get(e, T_SUMMARY, "summary");
    if (!row)
        return;
    struct summary s = *row;
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
    struct table *inc = engine_table(e, T_INCIDENTS);
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

void summary_attach(struct engine *e)
{
    engine_add_hook(e, "summary", 1000, on_tick, NULL);
}
