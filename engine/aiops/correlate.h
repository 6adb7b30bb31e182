/* Correlation of raw signals (SLO alerts, pod/node problems, Warning events,
 * failed pipelines, deploys, critical kernel-rule hits, anomalies) into
 * incidents, one per service (its fingerprint), each with a timeline and a
 * ranked list of candidate causes with evidence.
 *
 * The correlator is an engine observer plus a 1 s tick hook. It only uses
 * engine time, so the demo's fast-forward and replay stay deterministic. */
#ifndef LOOKOUT_CORRELATE_H
#define LOOKOUT_CORRELATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/engine.h"

struct correlate_opts {
    int64_t quiet_ms;         /* an incident closes after this long without signals */
    int64_t lookback_ms;      /* signals this long before an incident opens are folded in */
    int64_t deploy_window_ms; /* deploys this long before the burn are candidate causes */
};

/* Defaults: quiet 10 min, lookback 15 min, deploy window 60 min. */
void correlate_default_opts(struct correlate_opts *o);

struct correlator;

/* Registers the observer and the tick hook on e; NULL on allocation failure. */
struct correlator *correlator_new(struct engine *e, const struct correlate_opts *o);
/* Frees the state; the engine must not run its hooks afterwards. */
void correlator_free(struct correlator *c);

/* An anomaly item from a detector: subject is the series' subject (a service
 * name or "namespace/pod"); it folds into that service's open incident. */
void correlator_anomaly(struct correlator *c, const char *series, const char *subject, double score,
                        int64_t time);

/* Raw signals counted in the last hour (the noise figure's numerator). */
int correlator_signals_1h(const struct correlator *c);

#endif
