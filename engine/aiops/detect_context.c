/* The contextual detector: each value is quantised against the range seen
 * so far into a few levels; the recent window of levels forms contexts of
 * growing order (the current level after the last k levels, k = 0..K); a
 * dictionary remembers which contexts have occurred. A sample's raw anomaly
 * is the weighted share of its contexts that are new, so a series doing
 * something it has never done scores high whatever its scale. After a high
 * score a rest period silences the same episode. The dictionary has a hard
 * cap (CONTEXT_SLOTS entries, 4-way buckets, least recently seen evicted):
 * O(K) work per sample, constant memory. The score is 1 for a sample whose
 * contexts are all new, else the max of the embedded robust detector's
 * score (zeroed when an earlier day showed as strong a surprise at this
 * time of day) and, weighted, cad's sequence stage (shape changes inside
 * the daily range); a monotone map puts NAB's chosen threshold at 0.5. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "aiops/detect.h"

#define CONTEXT_WAYS 4

struct context_entry {
    uint32_t key;  /* 0 = empty */
    uint32_t last; /* sample index of the last occurrence, for eviction */
    uint32_t count;
};

struct context_det {
    struct detect_params p;
    int64_t n;
    double lo, hi;
    uint8_t hist[CONTEXT_MAX_ORDER]; /* previous levels, most recent first */
    int filled, rest;
    double beyond_part; /* weight of novelty this sample: ctx_partial, or 1 past the range */
    struct likelihood lk;
    struct robust robust; /* the magnitude view novelty lacks */
    /* Time-of-day context of surprises: the strongest robust score seen
     * in each half-hour bucket on an earlier day, so a spike that comes
     * every day at the same time stops being news. */
    double familiar[ROBUST_BUCKETS]; /* earlier days, decayed max */
    double today[ROBUST_BUCKETS];    /* the strongest of familiar_day */
    int32_t familiar_day[ROBUST_BUCKETS];
    bool was_familiar;   /* this sample's surprise recurs daily */
    struct cad_det *seq; /* the sequence detector, when ctx_cad > 0 */
    struct context_entry dict[CONTEXT_SLOTS];
};

static uint32_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    uint32_t h = (uint32_t)x;
    return h ? h : 1;
}

/* Looks the context up, records this occurrence, and returns how often it
 * had been seen before (0 = new). */
static uint32_t remember(struct context_det *c, uint32_t key)
{
    struct context_entry *b = &c->dict[(key % (CONTEXT_SLOTS / CONTEXT_WAYS)) * CONTEXT_WAYS];
    struct context_entry *victim = b;
    for (int i = 0; i < CONTEXT_WAYS; i++) {
        if (b[i].key == key) {
            uint32_t seen = b[i].count;
            b[i].last = (uint32_t)c->n;
            if (b[i].count < UINT32_MAX)
                b[i].count++;
            return seen;
        }
        if (b[i].key == 0 || (victim->key != 0 && b[i].last < victim->last))
            victim = &b[i];
    }
    *victim = (struct context_entry){key, (uint32_t)c->n, 1};
    return 0;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int quantise(const struct context_det *c, double x, int levels)
{
    if (!(c->hi > c->lo))
        return 0;
    return clampi((int)((x - c->lo) / (c->hi - c->lo) * levels), 0, levels - 1);
}

struct context_det *context_new(const struct detect_params *p)
{
    struct context_det *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->p = *p;
    c->p.ctx_levels = clampi(p->ctx_levels, 2, 16);
    c->p.ctx_order = clampi(p->ctx_order, 0, CONTEXT_MAX_ORDER);
    likelihood_init(&c->lk, p);
    robust_init(&c->robust, p);
    /* The sequence stage only: context has its own robust detector, whose
     * score familiarity damps; cad's would come through undamped. */
    struct detect_params sp = *p;
    sp.cad_robust = 0;
    if (p->ctx_cad > 0 && !(c->seq = cad_new(&sp))) {
        free(c);
        return NULL;
    }
    return c;
}

void context_free(struct context_det *c)
{
    if (c)
        cad_free(c->seq);
    free(c);
}

size_t context_memory(const struct context_det *c)
{
    return sizeof(*c) + (c->seq ? cad_memory(c->seq) : 0);
}

size_t context_entries(const struct context_det *c)
{
    size_t n = 0;
    for (int i = 0; i < CONTEXT_SLOTS; i++)
        n += c->dict[i].key != 0;
    return n;
}

/* The share of this sample's contexts (orders 0..K) that are new, each
 * order weighted by ctx_decay^k so short contexts count most. */
static double novelty(struct context_det *c, int level)
{
    int order = c->p.ctx_order < c->filled ? c->p.ctx_order : c->filled;
    uint64_t packed = (uint64_t)level;
    double w = 1, total = 0, fresh = 0;
    for (int k = 0; k <= order; k++) {
        if (k > 0)
            packed = packed << 4 | c->hist[k - 1];
        uint32_t seen = remember(c, mix(packed << 4 | (uint64_t)k));
        total += w;
        if (seen < (uint32_t)c->p.ctx_known)
            fresh += w * (1.0 - (double)seen / c->p.ctx_known);
        w *= c->p.ctx_decay;
    }
    return total > 0 ? fresh / total : 0;
}

/* The novelty stream: raw share of new contexts, optionally through the
 * likelihood stage, silenced for a rest period after a high score. */
static double novelty_score(struct context_det *c, double x)
{
    if (c->n == 0)
        c->lo = c->hi = x;
    /* How far past the range seen, as a share of that range. */
    double excess = x < c->lo ? c->lo - x : x > c->hi ? x - c->hi : 0;
    excess /= c->hi - c->lo + 1e-9 * (fabs(c->hi) + 1e-9);
    if (x < c->lo)
        c->lo = x;
    if (x > c->hi)
        c->hi = x;
    int level = quantise(c, x, c->p.ctx_levels);
    double raw = novelty(c, level);
    /* A value past the range is new however the contexts look; a small
     * overshoot less so than a large one. */
    if (excess > 0 && c->n > 0)
        raw = fmax(raw, c->p.ctx_beyond > 0 ? fmin(1, excess / c->p.ctx_beyond) : 1);
    c->n++;
    memmove(c->hist + 1, c->hist, CONTEXT_MAX_ORDER - 1);
    c->hist[0] = (uint8_t)level;
    if (c->filled < CONTEXT_MAX_ORDER)
        c->filled++;
    c->beyond_part = excess > 0 ? 1 : c->p.ctx_partial;
    if (c->n <= c->p.ctx_warmup)
        return 0;
    double score = c->p.ctx_likelihood ? likelihood_update(&c->lk, raw) : raw;
    if (c->rest > 0) {
        c->rest--;
        return 0;
    }
    if (score >= c->p.ctx_high)
        c->rest = c->p.ctx_rest;
    return score < 0 ? 0 : score > 1 ? 1 : score;
}

#define DAY_MS 86400000LL

/* Moves a bucket's memory to day `day`: what happened on its last day
 * joins the decayed max of earlier days. */
static void roll(struct context_det *c, int j, int32_t day)
{
    if (c->familiar_day[j] >= day)
        return;
    double keep = c->familiar[j] * pow(c->p.ctx_fam_decay, day - c->familiar_day[j]);
    c->familiar[j] = fmax(keep, c->today[j]);
    c->today[j] = 0;
    c->familiar_day[j] = day;
}

/* The robust score, damped when an earlier day had as strong a surprise
 * at this time of day (this bucket, or a neighbour within ctx_fam_near
 * whose surprise was a strong one: a daily spike that drifts across a
 * bucket edge is still familiar, but the noise of the next half hour does
 * not excuse a new spike there). */
static double seasonal_damp(struct context_det *c, int64_t time_ms, double mag)
{
    int64_t ms = time_ms % DAY_MS;
    if (ms < 0)
        ms += DAY_MS;
    int b = (int)(ms / (DAY_MS / ROBUST_BUCKETS));
    int32_t day = (int32_t)((time_ms - ms) / DAY_MS);
    int near = c->p.ctx_fam_near < 0 ? 0 : c->p.ctx_fam_near > 4 ? 4 : c->p.ctx_fam_near;
    double seen = 0;
    for (int k = -near; k <= near; k++) {
        int j = (b + k + ROBUST_BUCKETS) % ROBUST_BUCKETS;
        roll(c, j, day);
        if (k == 0 || c->familiar[j] >= c->p.ctx_fam_near_min)
            seen = fmax(seen, c->familiar[j]);
    }
    c->today[b] = fmax(c->today[b], mag);
    c->was_familiar = c->p.ctx_fam > 0 && seen > 0 && mag <= c->p.ctx_fam * seen;
    return c->was_familiar ? mag * c->p.ctx_fam_damp : mag;
}

/* A strictly increasing map sending ctx_half to 0.5: the order of scores
 * (all a threshold sweep sees) is unchanged, but the live threshold (0.5)
 * now sits where NAB's sweep put it. */
static double calibrate(double s, double half)
{
    if (!(half > 0 && half < 1))
        return s;
    return s <= half ? 0.5 * s / half : 0.5 + 0.5 * (s - half) / (1 - half);
}

static double combine(struct context_det *c, double nov, double mag, double seq)
{
    /* Something never seen is the strongest evidence; partial novelty and
     * the robust residual score below it. */
    if (nov >= 1 - 1e-9 && !(c->p.ctx_fam_novel && c->was_familiar))
        return 1;
    return fmax(fmax(fmax(c->p.ctx_partial * nov, c->beyond_part * nov), c->p.ctx_robust * mag),
                seq);
}

double context_update(struct context_det *c, int64_t time_ms, double x)
{
    if (!isfinite(x))
        return 0;
    double nov = novelty_score(c, x);
    double mag = seasonal_damp(c, time_ms, robust_update(&c->robust, time_ms, x));
    double seq = c->seq ? c->p.ctx_cad * cad_update(c->seq, time_ms, x) : 0;
    /* A young series: everything is new and the robust scales are unsure;
     * nothing is news until it has settled (ctx_warmup samples). */
    if (c->n <= c->p.ctx_warmup)
        return 0;
    double s = combine(c, nov, mag, seq);
    return calibrate(s < 0 ? 0 : s > 1 ? 1 : s, c->p.ctx_half);
}
