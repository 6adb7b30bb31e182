/* The sequence detector ("cad"), of the class of CAD OSE and HTM's
 * sequence memory, written from their published descriptions: each value is
 * quantised into a few levels of a range that forgets its extremes slowly
 * (with hysteresis, so noise on a level boundary is not a new token); the
 * token of a sample is its level and how long the series has stayed at
 * that level (log2 run-length bucket), so a cycle that flattens makes runs
 * it never made; contexts are the current token after the last k tokens
 * (k = 0..order). A bounded dictionary remembers which contexts occurred
 * recently (an entry not seen for cad_memory samples is forgotten, and a
 * full bucket evicts its least recently seen entry). The raw anomaly is the
 * share of this sample's contexts that are new; HTM's anomaly likelihood
 * (short-term mean of the raw anomaly against its long-run distribution)
 * turns it into a score, so a noisy series that is always a little new does
 * not alarm but a rise in the rate of novelty does. A jump inside the daily
 * range makes new transitions, denser spikes make new gap lengths before a
 * spike, a flat stretch makes new run lengths. Optionally the embedded
 * robust detector's score joins by max (cad_robust is its weight). O(order)
 * dictionary probes per sample; memory fixed (sizeof(struct cad_det)). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aiops/detect.h"

#define CAD_WAYS     4
#define CAD_RUN_BITS 3 /* run-length buckets 0..7: runs of 1, 2-3, 4-7, ..., 128+ */

struct cad_entry {
    uint32_t key;  /* 0 = empty */
    uint32_t last; /* sample index of the last occurrence (1-based) */
};

struct cad_det {
    struct detect_params p;
    uint32_t n;
    double lo, hi;
    int level, run;                   /* current level and its run length */
    uint16_t hist[CONTEXT_MAX_ORDER]; /* previous tokens, most recent first */
    int filled;
    struct likelihood lk;
    struct robust *robust; /* only when cad_robust > 0 (not inside context) */
    struct cad_entry dict[CAD_SLOTS];
};

static uint32_t mix32(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ULL;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 32;
    uint32_t h = (uint32_t)x;
    return h ? h : 1;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

struct cad_det *cad_new(const struct detect_params *p)
{
    struct cad_det *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->p = *p;
    c->p.cad_levels = clampi(p->cad_levels, 2, 32);
    c->p.cad_order = clampi(p->cad_order, 0, CONTEXT_MAX_ORDER);
    /* The likelihood stage with its own horizon and rest period. */
    struct detect_params lp = *p;
    lp.short_window = p->cad_window;
    lp.long_alpha = p->cad_long;
    lp.refractory = p->cad_rest;
    lp.high = 0.5;
    lp.damp = 0;
    likelihood_init(&c->lk, &lp);
    c->lk.min_sd = p->cad_min_sd;
    if (p->cad_robust > 0) {
        if (!(c->robust = malloc(sizeof(*c->robust)))) {
            free(c);
            return NULL;
        }
        robust_init(c->robust, p);
    }
    c->level = -1;
    return c;
}

void cad_free(struct cad_det *c)
{
    if (c)
        free(c->robust);
    free(c);
}

size_t cad_memory(const struct cad_det *c)
{
    return sizeof(*c) + (c->robust ? sizeof(*c->robust) : 0);
}

size_t cad_entries(const struct cad_det *c)
{
    size_t n = 0;
    for (int i = 0; i < CAD_SLOTS; i++)
        n += c->dict[i].key != 0;
    return n;
}

/* Records this occurrence; returns 1 when the context had not been seen
 * within the memory horizon. */
static int is_new(struct cad_det *c, uint32_t key)
{
    struct cad_entry *b = &c->dict[(key % (CAD_SLOTS / CAD_WAYS)) * CAD_WAYS];
    struct cad_entry *victim = b;
    for (int i = 0; i < CAD_WAYS; i++) {
        if (b[i].key == key) {
            int fresh = c->p.cad_memory > 0 && c->n - b[i].last > (uint32_t)c->p.cad_memory;
            b[i].last = c->n;
            return fresh;
        }
        if (b[i].key == 0 || (victim->key != 0 && b[i].last < victim->last))
            victim = &b[i];
    }
    *victim = (struct cad_entry){key, c->n};
    return 1;
}

/* The range forgets: each sample both ends move toward each other by a
 * share of the width, unless the value holds them out. */
static double excess_and_learn(struct cad_det *c, double x)
{
    if (c->n == 1) {
        c->lo = c->hi = x;
        return 0;
    }
    double width = c->hi - c->lo;
    double ex = x < c->lo ? c->lo - x : x > c->hi ? x - c->hi : 0;
    ex /= width + 1e-9 * (fabs(c->hi) + 1e-9);
    double shrink = c->p.cad_forget * width;
    c->lo = fmin(x, c->lo + shrink);
    c->hi = fmax(x, c->hi - shrink);
    return ex;
}

/* The level of x, with hysteresis: a value within a quarter level of the
 * current level's band stays in it, so noise on a boundary does not make
 * a stream of new tokens. */
static int quantise(const struct cad_det *c, double x)
{
    int levels = c->p.cad_levels;
    if (!(c->hi > c->lo))
        return 0;
    double pos = (x - c->lo) / (c->hi - c->lo) * levels;
    if (c->level >= 0 && pos > c->level - 0.25 && pos < c->level + 1.25)
        return c->level;
    return clampi((int)pos, 0, levels - 1);
}

static int run_bucket(int run)
{
    int b = 0;
    while (run > 1 && b < (1 << CAD_RUN_BITS) - 1) {
        run >>= 1;
        b++;
    }
    return b;
}

/* The weighted share of new contexts of orders 0..cad_order. */
static double novelty(struct cad_det *c, uint16_t token)
{
    int order = c->p.cad_order < c->filled ? c->p.cad_order : c->filled;
    uint64_t packed = token;
    double fresh = 0;
    for (int k = 0; k <= order; k++) {
        if (k > 0)
            packed = packed * 0x100000001b3ULL ^ c->hist[k - 1];
        fresh += is_new(c, mix32(packed * 31 + (uint64_t)k));
    }
    return fresh / (order + 1);
}

double cad_update(struct cad_det *c, int64_t time_ms, double x)
{
    if (!isfinite(x))
        return 0;
    c->n++;
    double ex = excess_and_learn(c, x);
    int level = quantise(c, x);
    c->run = level == c->level ? c->run + 1 : 1;
    c->level = level;
    uint16_t token = (uint16_t)(level << CAD_RUN_BITS | (c->p.cad_runs ? run_bucket(c->run) : 0));
    double raw = novelty(c, token);
    /* A value past the range seen is new whatever its contexts. */
    if (ex > 0 && c->p.cad_beyond > 0)
        raw = fmax(raw, fmin(1, ex / c->p.cad_beyond));
    memmove(c->hist + 1, c->hist, sizeof(c->hist) - sizeof(c->hist[0]));
    c->hist[0] = token;
    if (c->filled < CONTEXT_MAX_ORDER)
        c->filled++;
    double mag = c->robust ? robust_update(c->robust, time_ms, x) : 0;
    double score = likelihood_update(&c->lk, raw);
    /* A young series: everything is new, so nothing is news yet. */
    if (c->n <= (uint32_t)c->p.cad_warmup)
        return 0;
    return c->robust ? fmax(score, c->p.cad_robust * mag) : score;
}
