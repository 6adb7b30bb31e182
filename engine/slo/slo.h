/* The SLO engine: definitions, SLI inputs, evaluation on engine time.
 *
 * An SLO is defined with slo_define() (from the config, a Sloth/OpenSLO
 * spec, or a source such as the demo). Its SLI is either
 *  - two cumulative counters on the engine sample bus (engine_sample():
 *    "demo:checkout:errors_total" and "demo:checkout:requests_total"), kept
 *    in fixed-size buckets (slo/history.h), or
 *  - two PromQL queries with {{.window}} (Sloth style), evaluated by a
 *    Prometheus-compatible server (prometheus.h).
 * A tick hook (every second of engine time, so the demo fast-forward gives
 * the numbers real time would) recomputes every window's error ratio and
 * burn rate, the budget, time to exhaustion, the MWMB alert state with
 * hysteresis and the deploy gate, and writes them into struct slo rows
 * (T_SLOS) and the T_SUMMARY gate fields. A page transition opens an
 * incident (T_INCIDENTS, fingerprint "slo:<name>"); observers of T_SLOS see
 * every alert change (slo->alert, alert_since, burn_started). */
#ifndef LOOKOUT_SLO_H
#define LOOKOUT_SLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/module.h"
#include "slo/math.h"

struct slo_def {
    const char *name; /* unique, <= 95 bytes */
    const char *service;
    const char *description;
    double objective;                 /* 0.999 (a value > 1 is read as a percentage: 99.9) */
    int64_t period_ms;                /* rolling window; 0: 30 days */
    enum slo_period_kind period_kind; /* calendar periods are UTC months/ISO weeks */
    /* Counter SLI: cumulative series on the sample bus. */
    const char *errors_series;
    const char *total_series;
    /* PromQL SLI (Sloth style): rates with {{.window}} in place of the range. */
    const char *error_query;
    const char *total_query;
    const struct slo_policy *policy; /* NULL: slo_policy_default(period) */
    const char *source;              /* shown as slo->source; NULL: "counters"/"prometheus" */
    bool simulated;
};

/* Defines (or redefines, keeping history) an SLO. Returns 0, or -1 with a
 * message (bad objective, missing SLI, too many SLOs). */
int slo_define(struct engine *e, const struct slo_def *def, char *err, size_t errlen);

/* Cumulative counters at instant t (ms): return 0, or -1 to skip t. */
typedef int (*slo_counter_fn)(void *ud, int64_t t, double *errors, double *total);
/* Preloads history for a counter SLO: calls fn for t = t_start, t_start +
 * step_ms, ... <= t_end (ms, engine time, in the past) and stores the values
 * as if they had been sampled then. 30 days at a 60 s step is 43,200 calls
 * and a few milliseconds. Live samples must come after t_end; live counters
 * that start again from 0 are read as a counter reset (nothing is lost).
 * Returns the number of points stored, or -1 when the SLO is unknown. */
int slo_backfill_counters(struct engine *e, const char *name, int64_t t_start, int64_t t_end,
                          int64_t step_ms, slo_counter_fn fn, void *ud);

/* Evaluates every SLO now (the tick hook does this each second). */
void slo_evaluate_all(struct engine *e);

/* Gate options (the `gate` CLI and the config's alerting section). */
enum gate_policy { GATE_PAGE, GATE_TICKET };
struct gate_opts {
    enum gate_policy policy; /* block on a page (default) or on a ticket too */
    double min_budget;       /* block when budget remaining < this (default 0) */
};
void slo_set_gate_opts(struct engine *e, const struct gate_opts *o);

/* Prometheus answers reach the SLO engine as OBS_MEASURE (core/engine.h):
 * MEASURE_RATIO for a window's error ratio, MEASURE_RANGE_BAD/TOTAL for the
 * burn-down chart's steps, MEASURE_ERROR for a failed query, each with the
 * SLO's name as its subject. */

/* Read access for commands and the Prometheus source. */
struct slo_info {
    const char *name;
    const struct slo_def *def; /* strings owned by the engine */
    const struct slo_policy *policy;
    int nwindows;
    int64_t windows[SLO_WINDOWS]; /* distinct policy windows, then the period */
};
int slo_count(struct engine *e);
bool slo_info_at(struct engine *e, int i, struct slo_info *out);

/* Called on every alert state change of an SLO (after hysteresis), with the
 * row as it will be published. One notifier per engine (the webhooks). */
typedef void (*slo_notify_fn)(const struct slo *row, enum alert_state from, void *ud);
/* free_ud (may be NULL) is called on ud by slo_detach. */
void slo_set_notifier(struct engine *e, slo_notify_fn fn, void *ud, void (*free_ud)(void *));

/* Frees everything the SLO engine holds for e (app_free calls it). */
void slo_detach(struct engine *e);

/* The SLO module: config sections slos, slo_specs, prometheus and alerting;
 * its setup defines the SLOs, attaches the webhooks and adds the
 * Prometheus source when one is configured (not in the demo). */
extern const struct module slo_module;
/* With a correlator on, a page is one of its signals: the SLO engine then
 * opens no incident of its own (no duplicate, no early copilot call). */
void slo_leave_incidents_to_correlator(struct engine *e);

#endif
