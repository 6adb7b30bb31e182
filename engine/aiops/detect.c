/* Parameters, the likelihood stage, and the one-series wrapper shared by
 * the detectors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aiops/detect.h"

const char *const detector_names[] = {"robust", "rcf", "context", NULL};

void detect_default_params(struct detect_params *p, const char *detector)
{
    memset(p, 0, sizeof(*p));
    /* Chosen on the NAB subset (docs/aiops.md says how and how far to trust it). */
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
    p->ctx_levels = 6;
    p->ctx_order = 1;
    p->ctx_decay = 1.0;
    p->ctx_known = 1;
    p->ctx_warmup = 20;
    p->ctx_rest = 100;
    p->ctx_high = 0.75;
    p->ctx_likelihood = 0;
    p->ctx_partial = 0;
    p->ctx_robust = 0.9;
    p->ctx_fam = 3;
    p->ctx_fam_decay = 0.9;
    p->ctx_fam_damp = 0;
    p->ctx_fam_near = 0;
    p->ctx_fam_novel = 0;
    p->ctx_beyond = 0.02;
    p->seed = 42;
    (void)detector;
}

int detect_set_param(struct detect_params *p, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || !eq[1])
        return -1;
    char *end;
    double v = strtod(eq + 1, &end);
    if (*end)
        return -1;
    size_t n = (size_t)(eq - kv);
    static const struct {
        const char *name;
        size_t off;
        int is_int;
    } names[] = {
        {"level_alpha", offsetof(struct detect_params, level_alpha), 0},
        {"scale_alpha", offsetof(struct detect_params, scale_alpha), 0},
        {"season_alpha", offsetof(struct detect_params, season_alpha), 0},
        {"clip", offsetof(struct detect_params, clip), 0},
        {"fast_weight", offsetof(struct detect_params, fast_weight), 0},
        {"slow_weight", offsetof(struct detect_params, slow_weight), 0},
        {"slow_alpha", offsetof(struct detect_params, slow_alpha), 0},
        {"var_weight", offsetof(struct detect_params, var_weight), 0},
        {"var_alpha", offsetof(struct detect_params, var_alpha), 0},
        {"short_window", offsetof(struct detect_params, short_window), 1},
        {"long_alpha", offsetof(struct detect_params, long_alpha), 0},
        {"refractory", offsetof(struct detect_params, refractory), 1},
        {"high", offsetof(struct detect_params, high), 0},
        {"damp", offsetof(struct detect_params, damp), 0},
        {"trees", offsetof(struct detect_params, trees), 1},
        {"tree_size", offsetof(struct detect_params, tree_size), 1},
        {"shingle", offsetof(struct detect_params, shingle), 1},
        {"ctx_levels", offsetof(struct detect_params, ctx_levels), 1},
        {"ctx_order", offsetof(struct detect_params, ctx_order), 1},
        {"ctx_decay", offsetof(struct detect_params, ctx_decay), 0},
        {"ctx_known", offsetof(struct detect_params, ctx_known), 1},
        {"ctx_beyond", offsetof(struct detect_params, ctx_beyond), 0},
        {"ctx_warmup", offsetof(struct detect_params, ctx_warmup), 1},
        {"ctx_rest", offsetof(struct detect_params, ctx_rest), 1},
        {"ctx_high", offsetof(struct detect_params, ctx_high), 0},
        {"ctx_likelihood", offsetof(struct detect_params, ctx_likelihood), 1},
        {"ctx_partial", offsetof(struct detect_params, ctx_partial), 0},
        {"ctx_robust", offsetof(struct detect_params, ctx_robust), 0},
        {"ctx_fam", offsetof(struct detect_params, ctx_fam), 0},
        {"ctx_fam_decay", offsetof(struct detect_params, ctx_fam_decay), 0},
        {"ctx_fam_damp", offsetof(struct detect_params, ctx_fam_damp), 0},
        {"ctx_fam_near", offsetof(struct detect_params, ctx_fam_near), 1},
        {"ctx_fam_novel", offsetof(struct detect_params, ctx_fam_novel), 1},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) != n || strncmp(kv, names[i].name, n) != 0)
            continue;
        if (names[i].is_int)
            *(int *)((char *)p + names[i].off) = (int)v;
        else
            *(double *)((char *)p + names[i].off) = v;
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
        double sd = sqrt(l->var) + 1e-6 * (fabs(l->mean) + 1e-3);
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
    int kind; /* 0 robust, 1 rcf, 2 context */
    struct robust robust;
    struct rcf *forest;
    struct context_det *context;
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
        robust_init(&d->robust, p);
        return d;
    }
    if (strcmp(name, "context") == 0) {
        d->kind = 2;
        if ((d->context = context_new(p)))
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
        return robust_update(&d->robust, time_ms, value);
    if (d->kind == 2)
        return context_update(d->context, time_ms, value);
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
    return sizeof(*d) + (d->forest ? rcf_memory(d->forest) : 0) +
           (d->context ? context_memory(d->context) : 0);
}

void series_detector_free(struct series_detector *d)
{
    if (!d)
        return;
    rcf_free(d->forest);
    context_free(d->context);
    free(d);
}
