/* Parameters, the likelihood stage, and the one-series wrapper shared by
 * the detectors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aiops/detect.h"

const char *const detector_names[] = {"robust", "rcf", "context", "cad", NULL};

void detect_default_params(struct detect_params *p, const char *detector)
{
    memset(p, 0, sizeof(*p));
    /* Designed on two NAB folders; the grid parameters' values are the
     * leave-one-folder-out protocol's (docs/aiops.md, tests/nab_lofo.py). */
    p->level_alpha = 0.1;
    p->scale_alpha = 0.02;
    p->season_alpha = 0.1;
    p->clip = 4.0;
    p->fast_weight = 0.8;
    p->slow_weight = 0.1;
    p->slow_alpha = 0.01;
    p->var_weight = 0.3;
    p->var_alpha = 0.03;
    p->short_window = 1;
    p->long_alpha = 0.002;
    p->refractory = 100;
    p->high = 0.4;
    p->damp = 0.0;
    p->trees = 20;
    p->tree_size = 128;
    p->shingle = 8;
    p->ctx_levels = 4;
    p->ctx_order = 1;
    p->ctx_decay = 1.0;
    p->ctx_known = 1;
    p->ctx_warmup = 150;
    p->ctx_rest = 50;
    p->ctx_high = 0.75;
    p->ctx_likelihood = 0;
    p->ctx_partial = 0;
    p->ctx_robust = 0.9;
    p->ctx_fam = 3;
    p->ctx_fam_decay = 0.9;
    p->ctx_fam_damp = 0;
    p->ctx_fam_near = 0;
    /* Only a strong surprise (a daily spike, not the day's noise) marks
     * the neighbouring half hours familiar too; below 0.6 spikes that
     * grow denser between the old ones are damped as familiar (the unit
     * test), see docs/aiops.md revision 4. */
    p->ctx_fam_near_min = 0.6;
    p->ctx_fam_novel = 0;
    p->ctx_beyond = 0.02;
    p->ctx_cad = 0.4;
    /* The median over folds of the threshold NAB's sweep chose on each
     * fold's training folders (tests/nab_lofo.py writes it, rounded down);
     * the live threshold is 0.5, so it maps there. */
    p->ctx_half = 0.4;
    p->cad_levels = 6;
    p->cad_order = 1;
    p->cad_runs = 1;
    p->cad_forget = 1e-5;
    p->cad_memory = 5000;
    p->cad_beyond = 0.05;
    p->cad_window = 3;
    p->cad_long = 0.002;
    p->cad_rest = 100;
    p->cad_warmup = 150;
    p->cad_robust = 0.9;
    p->cad_min_sd = 0.05;
    p->seed = 42;
    /* The protocol's choices where a detector's own differ from the shared
     * ones (tests/bench/nab_params.json "defaults"; t_nab_lofo checks). */
    if (detector && strcmp(detector, "robust") == 0) {
        p->fast_weight = 0.5;
        p->step_season = 1;
        p->clip = 2.5;
    }
    if (detector && strcmp(detector, "context") == 0) {
        p->ctx_fam_near = 1;
        p->ctx_fam_decay = 0.97;
        p->cad_min_sd = 0.08;
        p->cad_memory = 10000;
        p->damp = 0.3;
        p->cad_order = 2;
    }
}

#define P(field, is_int, det, help)                                                                \
    {                                                                                              \
#field, offsetof(struct detect_params, field), is_int, det, help                           \
    }
static const struct param_info {
    const char *name;
    size_t off;
    int is_int;
    const char *detector; /* "all": read by every detector's likelihood stage */
    const char *help;
} params[] = {
    P(level_alpha, 0, "robust", "EWMA weight of the fast level"),
    P(scale_alpha, 0, "robust", "EW weight of the absolute deviations"),
    P(season_alpha, 0, "robust", "EW weight of a daily-profile bucket"),
    P(clip, 0, "robust", "residuals clipped at clip x scale when learning"),
    P(fast_weight, 0, "robust", "weight of the step from the previous value"),
    P(slow_weight, 0, "robust", "weight of the residual from the seasonal baseline"),
    P(slow_alpha, 0, "robust", "EWMA weight of the slow level"),
    P(var_weight, 0, "robust", "weight of a change in short-term variability"),
    P(var_alpha, 0, "robust", "EW weight of the short-term variability"),
    P(step_season, 1, "robust", "1 = steps scaled by those seen at this time on earlier days"),
    P(short_window, 1, "all", "samples in the short-term mean of raw anomalies"),
    P(long_alpha, 0, "all", "EW weight of the long-run distribution of that mean"),
    P(refractory, 1, "all", "samples after a high score in which repeats are damped"),
    P(high, 0, "all", "score that starts the refractory period"),
    P(damp, 0, "all", "factor on repeats within the refractory period"),
    P(trees, 1, "rcf", "trees in the forest"),
    P(tree_size, 1, "rcf", "points each tree keeps (sliding window)"),
    P(shingle, 1, "rcf", "consecutive values per point on one series"),
    P(ctx_levels, 1, "context", "quantisation levels over the range seen"),
    P(ctx_order, 1, "context", "longest context (previous levels)"),
    P(ctx_decay, 0, "context", "weight of order k is ctx_decay^k"),
    P(ctx_known, 1, "context", "occurrences before a context is familiar"),
    P(ctx_beyond, 0, "context", "overshoot (share of the range) that is fully new"),
    P(ctx_warmup, 1, "context", "samples that score 0"),
    P(ctx_rest, 1, "context", "samples silenced after a high score"),
    P(ctx_high, 0, "context", "score that starts the rest period"),
    P(ctx_likelihood, 1, "context", "1 = novelty through the likelihood stage"),
    P(ctx_partial, 0, "context", "weight of partial novelty"),
    P(ctx_robust, 0, "context", "weight of the embedded robust score"),
    P(ctx_fam, 0, "context", "damp a score <= ctx_fam x an earlier day's at this time"),
    P(ctx_fam_decay, 0, "context", "per-day decay of that memory"),
    P(ctx_fam_damp, 0, "context", "factor on a familiar score"),
    P(ctx_fam_near, 1, "context", "neighbouring half-hour buckets counted as the same time"),
    P(ctx_fam_near_min, 0, "context", "a neighbour counts only for an earlier score this strong"),
    P(ctx_fam_novel, 1, "context", "1 = a familiar surprise is not novel either"),
    P(ctx_cad, 0, "context", "weight of the cad sequence score, joined by max (0 = none)"),
    P(ctx_half, 0, "context", "the score mapped to 0.5, monotone (0.5 = unchanged)"),
    P(cad_levels, 1, "cad", "quantisation levels over the forgetting range"),
    P(cad_order, 1, "cad", "longest context (previous tokens), 0..8"),
    P(cad_runs, 1, "cad", "1 = a token carries its run-length bucket"),
    P(cad_forget, 0, "cad", "share of the range each end forgets per sample"),
    P(cad_memory, 1, "cad", "samples after which an unseen context is new again (0 = never)"),
    P(cad_beyond, 0, "cad", "overshoot (share of the range) that is fully new (0 = off)"),
    P(cad_window, 1, "cad", "samples in the short-term mean of the raw anomaly"),
    P(cad_long, 0, "cad", "EW weight of the long-run distribution of that mean"),
    P(cad_rest, 1, "cad", "samples after a high score in which repeats are silenced"),
    P(cad_warmup, 1, "cad", "samples of a young series that score 0"),
    P(cad_robust, 0, "cad", "weight of the embedded robust score (joined by max)"),
    P(cad_min_sd, 0, "cad", "floor of the likelihood stage's long-run spread"),
};
#undef P

const char *detect_param_info(size_t i, const char **detector, const char **help)
{
    if (i >= sizeof(params) / sizeof(params[0]))
        return NULL;
    if (detector)
        *detector = params[i].detector;
    if (help)
        *help = params[i].help;
    return params[i].name;
}

const char *detector_summary(const char *name)
{
    static const char *const what[][2] = {
        {"robust", "seasonal robust residuals through the likelihood stage (cheap baseline)"},
        {"rcf", "streaming random cut forest on shingled values (costly)"},
        {"context", "novelty of quantised contexts, robust score, time-of-day familiarity"},
        {"cad", "CAD/HTM-class sequence memory: new contexts through the likelihood stage"},
    };
    for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++)
        if (strcmp(what[i][0], name) == 0)
            return what[i][1];
    return NULL;
}

int detect_set_param(struct detect_params *p, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || !eq[1])
        return -1;
    char *end;
    double v = strtod(eq + 1, &end);
    if (*end || !isfinite(v))
        return -1;
    size_t n = (size_t)(eq - kv);
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        if (strlen(params[i].name) != n || strncmp(kv, params[i].name, n) != 0)
            continue;
        if (params[i].is_int) {
            if (v != floor(v) || fabs(v) > 1e9)
                return -1;
            *(int *)((char *)p + params[i].off) = (int)v;
        } else {
            *(double *)((char *)p + params[i].off) = v;
        }
        return 0;
    }
    return -1;
}

/* ---- likelihood ---- */

void likelihood_init(struct likelihood *l, const struct detect_params *p)
{
    memset(l, 0, sizeof(*l));
    l->window = p->short_window < 1                       ? 1
                : p->short_window > LIKELIHOOD_MAX_WINDOW ? LIKELIHOOD_MAX_WINDOW
                                                          : p->short_window;
    l->alpha = p->long_alpha;
    l->refractory = p->refractory;
    l->high = p->high;
    l->damp = p->damp;
}

/* log(tail) / log(1e-10), clamped to [0,1]: HTM's log-likelihood scale, so
 * 0.5 is a 1e-5 tail and 1 a 1e-10 one. */
static double tail_score(double d)
{
    if (d <= 0)
        return 0;
    double tail = 0.5 * erfc(d / M_SQRT2);
    double s = log(tail + 1e-10) / log(1e-10);
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

double likelihood_update(struct likelihood *l, double raw)
{
    if (!(raw >= 0))
        raw = 0; /* NaN or negative */
    if (l->n == l->window)
        l->sum -= l->ring[l->pos];
    else
        l->n++;
    l->ring[l->pos] = raw;
    l->pos = (l->pos + 1) % l->window;
    l->sum += raw;
    double m = l->sum / l->n;
    double score = 0;
    if (l->seen >= LIKELIHOOD_WARMUP) {
        double sd = fmax(sqrt(l->var) + 1e-6 * (fabs(l->mean) + 1e-3), l->min_sd);
        score = tail_score((m - l->mean) / sd);
    }
    /* Long-run distribution: a fast start, then slow forgetting. */
    l->seen++;
    double a = 1.0 / (double)l->seen;
    if (a < l->alpha)
        a = l->alpha;
    double d = m - l->mean;
    l->mean += a * d;
    l->var = (1 - a) * (l->var + a * d * d);
    /* Refractory: within a burst, only a stronger score than the last high
     * one comes through at full height. */
    if (l->refractory > 0) {
        if (l->quiet > 0) {
            l->quiet--;
            if (score <= l->recent_max) {
                score *= l->damp;
            } else {
                l->recent_max = score;
                l->quiet = l->refractory;
            }
        } else if (score >= l->high) {
            l->recent_max = score;
            l->quiet = l->refractory;
        }
    }
    return score;
}

/* ---- one series ---- */

struct series_detector {
    int kind;              /* 0 robust, 1 rcf, 2 context, 3 cad */
    struct robust *robust; /* kind 0 only: context and cad carry their own */
    struct rcf *forest;
    struct context_det *context;
    struct cad_det *cad;
    struct likelihood lk;
    double shingle[DETECT_MAX_DIM];
    int dim, filled;
};

struct series_detector *series_detector_new(const char *name, const struct detect_params *p)
{
    struct series_detector *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    if (strcmp(name, "robust") == 0) {
        if ((d->robust = malloc(sizeof(*d->robust)))) {
            robust_init(d->robust, p);
            return d;
        }
    }
    if (strcmp(name, "context") == 0) {
        d->kind = 2;
        if ((d->context = context_new(p)))
            return d;
    }
    if (strcmp(name, "cad") == 0) {
        d->kind = 3;
        if ((d->cad = cad_new(p)))
            return d;
    }
    if (strcmp(name, "rcf") == 0) {
        d->kind = 1;
        d->dim = p->shingle < 1 ? 1 : p->shingle > DETECT_MAX_DIM ? DETECT_MAX_DIM : p->shingle;
        d->forest = rcf_new(p, d->dim);
        likelihood_init(&d->lk, p);
        if (d->forest)
            return d;
    }
    free(d);
    return NULL;
}

double series_detector_update(struct series_detector *d, int64_t time_ms, double value)
{
    if (d->kind == 0)
        return robust_update(d->robust, time_ms, value);
    if (d->kind == 2)
        return context_update(d->context, time_ms, value);
    if (d->kind == 3)
        return cad_update(d->cad, time_ms, value);
    if (!isfinite(value))
        return 0;
    memmove(d->shingle, d->shingle + 1, sizeof(double) * (size_t)(d->dim - 1));
    d->shingle[d->dim - 1] = value;
    if (d->filled < d->dim) {
        d->filled++;
        if (d->filled < d->dim)
            return 0;
    }
    return likelihood_update(&d->lk, rcf_update(d->forest, d->shingle));
}

size_t series_detector_memory(const struct series_detector *d)
{
    return sizeof(*d) + (d->robust ? sizeof(*d->robust) : 0) +
           (d->forest ? rcf_memory(d->forest) : 0) + (d->context ? context_memory(d->context) : 0) +
           (d->cad ? cad_memory(d->cad) : 0);
}

void series_detector_free(struct series_detector *d)
{
    if (!d)
        return;
    free(d->robust);
    rcf_free(d->forest);
    context_free(d->context);
    cad_free(d->cad);
    free(d);
}
