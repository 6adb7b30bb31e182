/* Fixed-size multi-resolution counter history; see slo/history.h. */
#include "slo/history.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static const int64_t tier_steps[SLOH_TIERS - 1] = {1000, 15000, 300000};

void sloh_init(struct slo_history *h, int64_t period_ms)
{
    memset(h, 0, sizeof(*h));
    for (int k = 0; k < SLOH_TIERS - 1; k++)
        h->tier[k].step_ms = tier_steps[k];
    int64_t top = period_ms / (SLOH_CAP - 48); /* a little slack past the period */
    top = (top + 999) / 1000 * 1000;
    h->tier[SLOH_TIERS - 1].step_ms = top > 3600000 ? top : 3600000;
    for (int k = 0; k < SLOH_TIERS; k++)
        h->tier[k].newest = -1;
}

static void tier_put(struct sloh_tier *tr, const struct sloh_point *pt)
{
    int64_t b = pt->t / tr->step_ms;
    if (b < tr->newest)
        return;
    if (tr->newest >= 0 && b > tr->newest) {
        /* forget buckets skipped by a gap so stale points are never read */
        if (b - tr->newest >= SLOH_CAP)
            memset(tr->p, 0, sizeof(tr->p));
        else
            for (int64_t x = tr->newest + 1; x < b; x++)
                tr->p[x % SLOH_CAP].t = 0;
    }
    struct sloh_point *slot = &tr->p[b % SLOH_CAP];
    /* keep the first sample of each bucket (exact window starts when the
     * evaluation instant is bucket-aligned); a sample at the same instant
     * completes it (errors and totals arrive as separate samples) */
    if (b > tr->newest || slot->t == pt->t)
        *slot = *pt;
    tr->newest = b;
}

void sloh_add(struct slo_history *h, int64_t t, double bad_raw, double total_raw)
{
    if (t <= 0 || t < h->last.t || !isfinite(bad_raw) || !isfinite(total_raw) || bad_raw < 0 ||
        total_raw < 0) {
        h->dropped++;
        return;
    }
    if (h->last.t) {
        if (bad_raw < h->raw_bad)
            h->off_bad += h->raw_bad;
        if (total_raw < h->raw_total)
            h->off_total += h->raw_total;
    }
    h->raw_bad = bad_raw;
    h->raw_total = total_raw;
    struct sloh_point pt = {t, bad_raw + h->off_bad, total_raw + h->off_total};
    if (!h->first.t || h->first.t == t)
        h->first = pt;
    h->last = pt;
    for (int k = 0; k < SLOH_TIERS; k++)
        tier_put(&h->tier[k], &pt);
}

static bool valid(const struct sloh_tier *tr, int64_t b, const struct sloh_point **out)
{
    const struct sloh_point *p = &tr->p[b % SLOH_CAP];
    if (!p->t || p->t / tr->step_ms != b)
        return false;
    *out = p;
    return true;
}

/* A point at time x between two kept samples, linearly interpolated: a
 * window edge that falls inside a coarse bucket then costs no whole bucket. */
static struct sloh_point between(const struct sloh_point *a, const struct sloh_point *b, int64_t x)
{
    if (!a || b->t <= a->t || x <= a->t)
        return a && x <= a->t ? *a : *b;
    if (x >= b->t)
        return *b;
    double f = (double)(x - a->t) / (double)(b->t - a->t);
    struct sloh_point p = {x, a->bad + (b->bad - a->bad) * f, a->total + (b->total - a->total) * f};
    return p;
}

/* The finest tier whose span still includes time x, or the coarsest. */
static const struct sloh_tier *tier_for(const struct slo_history *h, int64_t x)
{
    for (int k = 0; k < SLOH_TIERS - 1; k++) {
        const struct sloh_tier *tr = &h->tier[k];
        if (x / tr->step_ms >= tr->newest - SLOH_CAP + 1)
            return tr;
    }
    return &h->tier[SLOH_TIERS - 1];
}

/* The counters at time s, from the kept samples around it. */
static bool at_or_after(const struct slo_history *h, int64_t s, struct sloh_point *out)
{
    if (!h->first.t || s > h->last.t)
        return false;
    if (s <= h->first.t) {
        *out = h->first;
        return true;
    }
    const struct sloh_tier *tr = tier_for(h, s);
    int64_t oldest = tr->newest - SLOH_CAP + 1, bs = s / tr->step_ms;
    const struct sloh_point *prev = NULL, *p;
    if (bs >= oldest && valid(tr, bs, &p) && p->t < s)
        prev = p;
    else if (bs - 1 >= oldest && bs >= 1 && valid(tr, bs - 1, &p))
        prev = p;
    for (int64_t b = bs < oldest ? oldest : bs; b <= tr->newest; b++) {
        if (b >= 0 && valid(tr, b, &p) && p->t >= s) {
            *out = between(prev, p, s);
            return true;
        }
    }
    *out = between(prev, &h->last, s);
    return true;
}

/* The counters at time e, from the kept samples around it. */
static bool at_or_before(const struct slo_history *h, int64_t e, struct sloh_point *out)
{
    if (!h->first.t || e < h->first.t)
        return false;
    if (e >= h->last.t) {
        *out = h->last;
        return true;
    }
    const struct sloh_tier *tr = tier_for(h, e);
    int64_t oldest = tr->newest - SLOH_CAP + 1;
    for (int64_t b = e / tr->step_ms; b >= oldest && b >= 0; b--) {
        const struct sloh_point *p, *n = NULL;
        if (!valid(tr, b, &p) || p->t > e)
            continue;
        for (int64_t x = b + 1; x <= tr->newest && !n; x++) {
            const struct sloh_point *q;
            if (valid(tr, x, &q))
                n = q;
        }
        *out = between(p, n ? n : &h->last, e);
        return true;
    }
    *out = h->first;
    return true;
}

bool sloh_delta_between(const struct slo_history *h, int64_t from, int64_t to, double *bad,
                        double *total)
{
    struct sloh_point a, b;
    if (to < from || !at_or_after(h, from, &a) || !at_or_before(h, to, &b) || b.t <= a.t)
        return false;
    *bad = b.bad - a.bad;
    *total = b.total - a.total;
    return true;
}

bool sloh_delta(const struct slo_history *h, int64_t t, int64_t window_ms, double *bad,
                double *total)
{
    return sloh_delta_between(h, t - window_ms, t, bad, total);
}

double sloh_ratio(const struct slo_history *h, int64_t t, int64_t window_ms)
{
    double bad, total;
    if (!sloh_delta(h, t, window_ms, &bad, &total) || !(total > 0))
        return NAN;
    return bad / total;
}

size_t sloh_memory(void)
{
    return sizeof(struct slo_history);
}
