/* Prometheus as the SLI source of PromQL SLOs: a live source on the loop
 * (one instant query per SLO window every interval, at engine time) and a
 * one-shot evaluation at a chosen instant for `lookout slo status` and
 * `lookout gate`. */
#ifndef LOOKOUT_SLO_PROM_H
#define LOOKOUT_SLO_PROM_H

#include "slo/prometheus.h"
#include "slo/slo.h"
#include "core/source.h"

/* Queries every window of every PromQL SLO at at_ms and runs the loop until
 * all answers are in (or timeout_ms). Ratios and errors go into the SLO
 * engine; then every SLO is evaluated at at_ms. Returns the number of failed
 * queries (0: all answered). */
int slo_prom_eval_once(struct engine *e, struct loop *l, struct http *h,
                       const struct prom_config *c, int64_t at_ms, long timeout_ms);

/* Does any defined SLO take its SLI from Prometheus (a PromQL one)? */
bool slo_prom_wanted(struct engine *e);

extern const struct source_ops slo_prom_source_ops;
/* priv for the source: a heap copy of the config (the source frees it). */
struct prom_config *slo_prom_source_priv(const struct prom_config *c);

#endif
