/* The SLO formulas, pure: error ratio, burn rate, error budget, time to
 * exhaustion, and multi-window multi-burn-rate (MWMB) alert policies as the
 * Google SRE Workbook ("Alerting on SLOs") and Sloth define them.
 *
 * Everything here is a function of its arguments (no engine, no clock), so
 * the unit tests check it against hand-computed tables. NaN means "no data"
 * throughout: it never counts as met or as breached. */
#ifndef LOOKOUT_SLO_MATH_H
#define LOOKOUT_SLO_MATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* Relative tolerance of threshold comparisons: Sloth writes the budget of a
 * 99.9% SLO as 0.0009999999999999432, so exact comparisons would disagree
 * with Prometheus on ties. A value within this of the threshold is a tie,
 * and a tie does not exceed (alerts use a strict >). */
#define SLO_REL_TOL 1e-9

#define MS_MINUTE 60000LL
#define MS_HOUR   (60 * MS_MINUTE)
#define MS_DAY    (24 * MS_HOUR)

enum slo_period_kind { SLO_ROLLING, SLO_CALENDAR_MONTH, SLO_CALENDAR_WEEK };

/* One MWMB condition: fires when the burn rate over both windows is > factor. */
struct slo_alert_pair {
    int64_t long_ms;
    int64_t short_ms;
    double factor;             /* burn-rate threshold */
    double budget_pct;         /* % of the period budget spent over long_ms at factor */
    enum alert_state severity; /* ALERT_PAGE or ALERT_TICKET */
};

#define SLO_MAX_PAIRS 6
_Static_assert(SLO_MAX_PAIRS == SLO_PAIRS, "a row holds every pair of a policy");
struct slo_policy {
    int npairs;
    struct slo_alert_pair pairs[SLO_MAX_PAIRS];
    int64_t resolve_after_ms; /* hysteresis: lower state must hold this long */
};

/* errors/total; NaN when total is 0, negative, NaN or infinite. */
double slo_error_ratio(double errors, double total);
/* error_ratio / (1 - objective); NaN in, NaN out. objective in (0,1). */
double slo_burn_rate(double error_ratio, double objective);
/* 1 - error_ratio(period) / (1 - objective); can go negative; NaN: no data. */
double slo_budget_remaining(double period_error_ratio, double objective);
/* remaining * period / burn: ms until the budget is gone at this burn rate.
 * SLO_EXHAUSTION_NEVER when burn <= 0; SLO_EXHAUSTION_UNKNOWN when the burn
 * or the budget is NaN (no data is not "never"); 0 when the budget is gone. */
#define SLO_EXHAUSTION_NEVER   (-1)
#define SLO_EXHAUSTION_UNKNOWN (-2)
int64_t slo_time_to_exhaustion(double remaining, int64_t period_ms, double burn);
/* period / burn: ms for the whole budget at this burn rate; as above for burn <= 0 or NaN. */
int64_t slo_time_to_exhaust_all(int64_t period_ms, double burn);
/* Burn-rate factor that spends budget_pct % of the period's budget in window_ms. */
double slo_factor(double budget_pct, int64_t period_ms, int64_t window_ms);

/* a > b with ties (|a-b| <= SLO_REL_TOL relative) not exceeding; NaN false. */
bool slo_exceeds(double a, double b);
/* |a-b| <= rel * max(|a|,|b|); NaN equals NaN; same-signed infinities equal. */
bool slo_rel_equal(double a, double b, double rel);

/* The SRE Workbook / Sloth default: page 2%/1h+5m, 5%/6h+30m; ticket
 * 10%/1d+2h, 10%/3d+6h. For periods of 28 days or more the windows stay as
 * written and the factors follow the period (30d: 14.4, 6, 3, 1; 28d: 13.44,
 * 5.6, 2.8, 0.9333); shorter periods scale the windows by period/30d (so
 * factors equal the 30d ones). */
void slo_policy_default(struct slo_policy *p, int64_t period_ms);
/* Recomputes each pair's factor from its budget_pct for this period. */
void slo_policy_refactor(struct slo_policy *p, int64_t period_ms);

/* Burn rate over a window of the policy; the caller supplies a lookup. */
typedef double (*slo_burn_fn)(int64_t window_ms, void *ud);
/* The raw MWMB state right now: PAGE if any page pair fires, else TICKET if
 * any ticket pair fires (a page suppresses the ticket), else BURNING if the
 * short window of any pair is over its factor (the long one not yet), else
 * OK; NODATA when no window of the policy has data. */
enum alert_state slo_policy_eval(const struct slo_policy *p, slo_burn_fn burn, void *ud);
/* Whether a pair fires (both burns over the factor), as the snapshot says
 * it: unknown unless both burns are known, so a window without data never
 * reads "not firing". */
enum tribool slo_pair_firing(double long_burn, double short_burn, double factor);
/* The pair a row's state is about: the first firing page pair, else the
 * first firing ticket pair, else the first burning page then ticket pair,
 * else the one whose lower burn is nearest its factor; -1 when no pair has
 * data. Burns and firing must be filled in. */
int slo_pair_pick(const struct slo_pair *p, int n);

/* Alert state with hysteresis: escalation is immediate; going down (or to
 * no data) needs the lower raw state to hold for resolve_after_ms.
 * *pending_since tracks when the raw state first dropped (0: not dropping). */
enum alert_state slo_alert_step(enum alert_state current, enum alert_state raw, int64_t now,
                                int64_t resolve_after_ms, int64_t *pending_since);

/* The distinct windows of a policy, shortest first; returns the count. */
int slo_policy_windows(const struct slo_policy *p, int64_t *out, int cap);
/* Where the period ending at now_ms starts: now - period_ms when rolling,
 * else the start of the UTC month or ISO week (Monday 00:00 UTC) holding
 * now_ms. Both evaluation paths (counter history and Prometheus) use it, so
 * a calendar SLO measures the same range whichever feeds it. */
int64_t slo_period_start(enum slo_period_kind kind, int64_t period_ms, int64_t now_ms);
/* The range Prometheus is asked for the period at now_ms: period_ms when
 * rolling; for a calendar period, the time elapsed since its start rounded
 * down to whole seconds (0 right at the boundary: nothing to ask). */
int64_t slo_period_query_ms(enum slo_period_kind kind, int64_t period_ms, int64_t now_ms);
/* The step of the burn-down range queries at now_ms: the queried period in
 * SLO_HISTORY steps, whole seconds (0: too short to chart). */
int64_t slo_range_step_ms(enum slo_period_kind kind, int64_t period_ms, int64_t now_ms);
/* "5m", "1h", "30d", "1h30m"; writes into out. */
void slo_format_window(int64_t ms, char *out, size_t outlen);

#endif
