/* Incident rank and the current incident (see incident.h). Pure functions
 * of the incident rows, so a replayed record ranks as the live run did. */
#include "core/incident.h"

#include "base/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const incident_tier_names[] = {"info", "warning", "critical", "ticket", "page"};

enum incident_tier incident_tier(const struct incident *inc)
{
    if (inc->peak_alert == ALERT_PAGE)
        return TIER_PAGE;
    if (inc->peak_alert == ALERT_TICKET)
        return TIER_TICKET;
    if (inc->severity == SEV_CRITICAL)
        return TIER_CRITICAL;
    return inc->severity == SEV_WARNING ? TIER_WARNING : TIER_INFO;
}

int64_t incident_start(const struct incident *inc)
{
    return inc->start ? inc->start : inc->opened;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static double finite_or_zero(double x)
{
    return isfinite(x) ? x : 0;
}

int incident_compare(const struct incident *a, const struct incident *b)
{
    bool ao = a->state == INC_OPEN, bo = b->state == INC_OPEN;
    if (ao != bo)
        return ao ? -1 : 1;
    if (!ao && a->closed != b->closed)
        return cmp_i64(b->closed, a->closed);
    int ta = (int)incident_tier(a), tb = (int)incident_tier(b);
    if (ta != tb)
        return tb - ta;
    double ba = finite_or_zero(a->budget_per_hour), bb = finite_or_zero(b->budget_per_hour);
    if (ba != bb)
        return ba > bb ? -1 : 1;
    if (a->slos_hit != b->slos_hit)
        return b->slos_hit - a->slos_hit;
    int by_start = cmp_i64(incident_start(a), incident_start(b));
    return by_start ? by_start : strcmp(a->id, b->id);
}

static int cmp_rows(const void *x, const void *y)
{
    return incident_compare(*(const struct incident *const *)x, *(const struct incident *const *)y);
}

int incident_ranked(struct engine *e, const struct incident **out, int max)
{
    struct table *t = engine_table(e, T_INCIDENTS);
    int n = 0;
    for (int i = 0; i < t->count && n < max; i++)
        out[n++] = table_row(t, i);
    qsort(out, (size_t)n, sizeof(out[0]), cmp_rows);
    return n;
}

void incident_rank_reason(const struct incident *inc, char *out, size_t n)
{
    enum incident_tier tier = incident_tier(inc);
    if (tier == TIER_PAGE || tier == TIER_TICKET) {
        snprintf(out, n, "%s SLO, %d SLO%s hit, %.1f%% of budget/h at peak",
                 tier == TIER_PAGE ? "paging" : "ticket", inc->slos_hit > 0 ? inc->slos_hit : 1,
                 inc->slos_hit > 1 ? "s" : "", finite_or_zero(inc->budget_per_hour));
    } else if (tier == TIER_CRITICAL) {
        snprintf(out, n, "%s", inc->security ? "critical security rule" : "critical signal");
    } else {
        snprintf(out, n, "%s, no SLO alert", tier == TIER_WARNING ? "warnings" : "information");
    }
}

const struct incident *incident_current(struct engine *e, char *why, size_t whylen)
{
    const struct incident *inc =
        e->picked_incident[0] ? engine_get(e, T_INCIDENTS, e->picked_incident) : NULL;
    char reason[160];
    if (inc) {
        if (why)
            snprintf(why, whylen, "picked by the user");
        return inc;
    }
    struct table *t = engine_table(e, T_INCIDENTS);
    const struct incident *best = NULL;
    int open = 0;
    for (int i = 0; i < t->count; i++) {
        const struct incident *x = table_row(t, i);
        open += x->state == INC_OPEN;
        if (!best || incident_compare(x, best) < 0)
            best = x;
    }
    if (best && why) {
        incident_rank_reason(best, reason, sizeof reason);
        if (best->state == INC_OPEN)
            snprintf(why, whylen, "top-ranked of %d open: %s", open, reason);
        else
            snprintf(why, whylen, "none open; the last resolved: %s", reason);
    }
    return best;
}

int incident_pick(struct engine *e, const char *id)
{
    if (!id || !*id) {
        e->picked_incident[0] = 0;
        return 0;
    }
    if (!engine_get(e, T_INCIDENTS, id))
        return -1;
    STR_COPY(e->picked_incident, id);
    return 0;
}
