/* Cumulative bad/total counters of one SLO in fixed-size time buckets, so
 * memory per SLO is constant whatever the period.
 *
 * Four tiers of SLOH_CAP buckets each keep the first sample seen in every
 * bucket: 1 s (12.8 min), 15 s (3.2 h), 5 min (2.7 d) and max(1 h,
 * period/720) (32 d for a 30-day SLO). A window [t-W, t] is read from the
 * finest tier that still covers t-W; an edge inside a bucket is linearly
 * interpolated between the kept samples around it, so it is exact on
 * sample instants and for steady rates, and within one bucket otherwise (1 s for 5m, 15 s for
 * 1h..3h, 5 min for 6h..2d, 1 h beyond). Counter resets are corrected as Prometheus does (a drop
 * adds the previous value), so a ratio is increase(bad)/increase(total) between the first and the
 * last sample inside the window. */
#ifndef LOOKOUT_SLO_HISTORY_H
#define LOOKOUT_SLO_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLOH_TIERS 4
#define SLOH_CAP   768

struct sloh_point {
    int64_t t; /* ms; 0: empty bucket */
    double bad;
    double total;
};

struct sloh_tier {
    int64_t step_ms;
    int64_t newest; /* bucket number of the newest point, -1: none */
    struct sloh_point p[SLOH_CAP];
};

struct slo_history {
    struct sloh_tier tier[SLOH_TIERS];
    struct sloh_point first; /* oldest sample ever kept (t 0: none) */
    struct sloh_point last;
    double raw_bad, raw_total; /* last raw values, for reset detection */
    double off_bad, off_total; /* reset corrections added so far */
    uint64_t dropped;          /* out-of-order or invalid samples */
};

void sloh_init(struct slo_history *h, int64_t period_ms);
/* Adds raw cumulative counters sampled at t (ms, non-decreasing). */
void sloh_add(struct slo_history *h, int64_t t, double bad_raw, double total_raw);
/* Increase of bad and total over [t - window_ms, t]; false when fewer than
 * two samples fall inside (no data). */
bool sloh_delta(const struct slo_history *h, int64_t t, int64_t window_ms, double *bad,
                double *total);
/* bad/total over the window; NaN when no data or no traffic. */
double sloh_ratio(const struct slo_history *h, int64_t t, int64_t window_ms);
/* The same between two instants [from, to]. */
bool sloh_delta_between(const struct slo_history *h, int64_t from, int64_t to, double *bad,
                        double *total);
size_t sloh_memory(void);

#endif
