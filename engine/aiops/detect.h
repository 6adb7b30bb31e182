/* Streaming anomaly detectors: constant memory, O(1) (robust) or
 * O(trees * depth) (rcf) work per sample, no training phase. Each update
 * returns an anomaly score in [0,1]; callers compare it with a threshold.
 *
 *   robust  a seasonality-aware robust baseline: Huber-clipped EWMA level
 *           plus a daily profile (48 half-hour buckets), residuals scaled by
 *           a robust EW mean absolute deviation, turned into a score by the
 *           tail probability of their short-term mean against their long-run
 *           distribution (an "anomaly likelihood"), with a refractory period.
 *   cad     a sequence detector of the CAD OSE / HTM class: contexts of
 *           quantised values and run lengths in a forgetting dictionary,
 *           the share of new ones through the likelihood stage.
 *   rcf     a streaming robust random cut forest over D-dimensional points
 *           (per-pod vectors of kernel event rates; shingled values for a
 *           single series), scored by collusive displacement, normalised by
 *           the same likelihood stage. */
#ifndef LOOKOUT_DETECT_H
#define LOOKOUT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#define DETECT_MAX_DIM 16

/* Tunables; detect_default_params() fills them, --param k=v overrides. */
struct detect_params {
    double level_alpha;  /* EWMA weight of the level */
    double scale_alpha;  /* EW weight of the absolute deviation */
    double season_alpha; /* EW weight of a daily-profile bucket */
    double clip;         /* residuals are clipped at clip * scale when learning */
    double fast_weight;  /* weight of the step (x - previous x) in the raw anomaly */
    double slow_weight;  /* weight of the residual from the slow seasonal baseline */
    double slow_alpha;   /* EWMA weight of the slow level under the daily profile */
    double var_weight;   /* weight of a change in short-term variability */
    double var_alpha;    /* EW weight of the short-term variability */
    int step_season;     /* 1 = a step is scaled by the steps seen at this time on earlier days */
    int short_window;    /* samples in the short-term mean of raw scores */
    double long_alpha;   /* EW weight of the long-run distribution of that mean */
    int refractory;      /* samples after a high score in which repeats are damped */
    double high;         /* what counts as a high score for the refractory period */
    double damp;         /* factor on repeats within the refractory period */
    int trees;           /* rcf: trees in the forest */
    int tree_size;       /* rcf: points each tree keeps (sliding window) */
    int shingle;         /* rcf on one series: consecutive values per point */
    int ctx_levels;      /* context: quantisation levels over the range seen */
    int ctx_order;       /* context: longest context (previous levels) */
    double ctx_decay;    /* context: weight of order k is ctx_decay^k */
    int ctx_known;       /* context: occurrences before a context is familiar */
    double ctx_beyond;   /* context: raw anomaly of a value outside the range seen */
    int ctx_warmup;      /* context: samples that score 0 */
    int ctx_rest;        /* context: samples silenced after a high score */
    double ctx_high;     /* context: what counts as high for the rest period */
    int ctx_likelihood;  /* context: 1 = raw novelty through the likelihood stage */
    double ctx_partial;  /* context: weight of partial novelty in the score */
    double ctx_robust;   /* context: weight of the robust detector's score */
    double ctx_fam; /* context: damp a robust score <= ctx_fam x an earlier day's at this time */
    double ctx_fam_decay; /* context: per-day decay of that memory */
    double ctx_fam_damp;  /* context: factor on a familiar score */
    int ctx_fam_near;     /* context: neighbouring half-hour buckets that count as the same time */
    double ctx_fam_near_min; /* context: a neighbour counts after a surprise this strong */
    int ctx_fam_novel;       /* context: 1 = a familiar surprise is not novel either */
    double ctx_cad;    /* context: weight of the sequence (cad) score, joined by max; 0 = none */
    double ctx_half;   /* context: the score mapped to 0.5 (monotone; 0.5 = unchanged) */
    int cad_levels;    /* cad: quantisation levels over the (forgetting) range */
    int cad_order;     /* cad: longest context (previous tokens) */
    int cad_runs;      /* cad: 1 = a token carries its run-length bucket */
    double cad_forget; /* cad: share of the range each end forgets per sample */
    int cad_memory;    /* cad: samples after which an unseen context is new again */
    double cad_beyond; /* cad: overshoot (share of the range) that is fully new */
    int cad_window;    /* cad: samples in the short-term mean of the raw anomaly */
    double cad_long;   /* cad: EW weight of the long-run distribution of that mean */
    int cad_rest;      /* cad: samples after a high score in which repeats are silenced */
    int cad_warmup;    /* cad: samples of a young series that score 0 */
    double cad_robust; /* cad: weight of the embedded robust score (max) */
    double cad_min_sd; /* cad: floor of the likelihood stage's long-run spread */
    uint64_t seed;
};

void detect_default_params(struct detect_params *p, const char *detector);
/* Sets one parameter from "name=value"; -1 when unknown or malformed. */
int detect_set_param(struct detect_params *p, const char *kv);

/* ---- the likelihood stage both detectors share ---- */
#define LIKELIHOOD_MAX_WINDOW 64
#define LIKELIHOOD_WARMUP     10 /* samples before any score: the distribution is too young */
struct likelihood {
    int window, n, pos;
    double ring[LIKELIHOOD_MAX_WINDOW];
    double sum;
    double mean, var; /* long-run distribution of the short-term mean */
    int64_t seen;
    double alpha;
    int refractory, quiet;
    double high, recent_max, damp;
    double min_sd; /* floor of the long-run spread (0 = none): a rare blip on a
                    * quiet series is not a 1e-10 tail */
};
void likelihood_init(struct likelihood *l, const struct detect_params *p);
/* Raw anomaly (>= 0, larger is stranger) to a score in [0,1]. */
double likelihood_update(struct likelihood *l, double raw);

/* ---- robust baseline ---- */
#define ROBUST_BUCKETS 48
struct robust {
    struct detect_params p;
    int64_t n;
    double level;      /* fast level */
    double scale;      /* EW mean absolute residual from the fast level */
    double step_scale; /* EW mean absolute step between samples */
    double short_step; /* the same over a short horizon (var_alpha) */
    double slow_level; /* slow level; the daily profile is relative to it */
    double slow_scale;
    double err_level;              /* EW |error| of the slow level alone */
    double err_season;             /* ... and of slow level + profile */
    double season[ROBUST_BUCKETS]; /* offset from the slow level per half hour */
    uint32_t season_n[ROBUST_BUCKETS];
    float step_day[ROBUST_BUCKETS]; /* largest |step| per half hour on earlier days (decayed) */
    float step_today[ROBUST_BUCKETS];
    int64_t step_dayno; /* the day step_today is about */
    int64_t first_time;
    double last_value;
    struct likelihood lk;
};
void robust_init(struct robust *r, const struct detect_params *p);
double robust_update(struct robust *r, int64_t time_ms, double value);

/* ---- robust random cut forest ---- */
struct rcf;
struct rcf *rcf_new(const struct detect_params *p, int dim);
void rcf_free(struct rcf *f);
/* Inserts the point (evicting the oldest when full) and returns its score. */
double rcf_update(struct rcf *f, const double *point);
size_t rcf_memory(const struct rcf *f);

/* ---- contextual detector ---- */
#define CONTEXT_MAX_ORDER 8
#define CONTEXT_SLOTS     512 /* dictionary cap per series */
struct context_det;
struct context_det *context_new(const struct detect_params *p);
void context_free(struct context_det *c);
double context_update(struct context_det *c, int64_t time_ms, double value);
size_t context_memory(const struct context_det *c);
/* Contexts the dictionary holds now (<= CONTEXT_SLOTS). */
size_t context_entries(const struct context_det *c);

/* ---- sequence detector (CAD-class) ---- */
#define CAD_SLOTS 512 /* dictionary cap per series (8 bytes each) */
struct cad_det;
struct cad_det *cad_new(const struct detect_params *p);
void cad_free(struct cad_det *c);
double cad_update(struct cad_det *c, int64_t time_ms, double value);
size_t cad_memory(const struct cad_det *c);
/* Contexts the dictionary holds now (<= CAD_SLOTS). */
size_t cad_entries(const struct cad_det *c);

/* ---- one series through a named detector (NAB runner, anomaly analyser) ---- */
struct series_detector;
struct series_detector *series_detector_new(const char *name, const struct detect_params *p);
double series_detector_update(struct series_detector *d, int64_t time_ms, double value);
size_t series_detector_memory(const struct series_detector *d);
void series_detector_free(struct series_detector *d);
/* "robust", "rcf", "context", "cad"; NULL-terminated. */
extern const char *const detector_names[];
/* One line on what a detector is; NULL for an unknown name. */
const char *detector_summary(const char *name);
/* The i-th parameter's name, the detector it belongs to ("all" when
 * shared) and what it does; NULL past the last. */
const char *detect_param_info(size_t i, const char **detector, const char **help);

#endif
