/* The anomaly analyser: runs a series detector (robust by default) on every numeric series of
 * the engine's sample bus (cumulative "*_total" counters as per-second
 * rates), on SLO error ratios, and on kernel event rates per kind; and the
 * random cut forest over per-pod vectors of kernel event rates. A score at
 * or above the threshold is an anomaly item for the correlator. */
#ifndef LOOKOUT_ANOMALY_H
#define LOOKOUT_ANOMALY_H

#include <stddef.h>

#include "aiops/correlate.h"
#include "aiops/detect.h"
#include "core/engine.h"

#define ANOMALY_MAX_SERIES       512 /* series past this are not analysed (counted) */
#define ANOMALY_MAX_PODS         256
#define ANOMALY_KERNEL_PERIOD_MS 10000

struct anomaly_opts {
    double threshold;  /* score at which an item is emitted, default 0.5 */
    char detector[16]; /* per-series detector (detector_names); "" = robust */
    struct detect_params params;
};

struct anomaly;
struct anomaly *anomaly_new(struct engine *e, struct correlator *c, const struct anomaly_opts *o);
void anomaly_free(struct anomaly *a);

/* Figures for tests and the bench. */
int anomaly_series_count(const struct anomaly *a);
unsigned long anomaly_items(const struct anomaly *a);
unsigned long anomaly_dropped_series(const struct anomaly *a);
/* Last score of a series, -1 when unknown. */
double anomaly_last_score(const struct anomaly *a, const char *series);

#endif
