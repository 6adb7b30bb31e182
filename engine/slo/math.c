/* Pure SLO formulas; see slo/math.h and docs/slo.md. */
#include "slo/math.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

double slo_error_ratio(double errors, double total)
{
    if (!isfinite(errors) || !isfinite(total) || total <= 0)
        return NAN;
    return errors / total;
}

double slo_burn_rate(double error_ratio, double objective)
{
    double budget = 1.0 - objective;
    if (isnan(error_ratio) || !(budget > 0))
        return NAN;
    return error_ratio / budget;
}

double slo_budget_remaining(double period_error_ratio, double objective)
{
    double burn = slo_burn_rate(period_error_ratio, objective);
    return isnan(burn) ? NAN : 1.0 - burn;
}

int64_t slo_time_to_exhaustion(double remaining, int64_t period_ms, double burn)
{
    if (isnan(burn) || isnan(remaining))
        return SLO_EXHAUSTION_UNKNOWN;
    if (burn <= 0)
        return SLO_EXHAUSTION_NEVER;
    if (remaining <= 0)
        return 0;
    if (isinf(burn))
        return 0;
    double ms = remaining * (double)period_ms / burn;
    return ms > 9e18 ? INT64_MAX : (int64_t)llround(ms);
}

int64_t slo_time_to_exhaust_all(int64_t period_ms, double burn)
{
    return slo_time_to_exhaustion(1.0, period_ms, burn);
}

double slo_factor(double budget_pct, int64_t period_ms, int64_t window_ms)
{
    if (window_ms <= 0)
        return NAN;
    return budget_pct / 100.0 * (double)period_ms / (double)window_ms;
}

bool slo_rel_equal(double a, double b, double rel)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b))
        return a == b;
    double m = fmax(fabs(a), fabs(b));
    return fabs(a - b) <= rel * m;
}

bool slo_exceeds(double a, double b)
{
    if (isnan(a) || isnan(b))
        return false;
    return a > b && !slo_rel_equal(a, b, SLO_REL_TOL);
}

static const struct {
    int64_t long_ms, short_ms;
    double pct;
    enum alert_state sev;
} workbook[] = {
    {1 * MS_HOUR, 5 * MS_MINUTE, 2, ALERT_PAGE},
    {6 * MS_HOUR, 30 * MS_MINUTE, 5, ALERT_PAGE},
    {1 * MS_DAY, 2 * MS_HOUR, 10, ALERT_TICKET},
    {3 * MS_DAY, 6 * MS_HOUR, 10, ALERT_TICKET},
};

void slo_policy_default(struct slo_policy *p, int64_t period_ms)
{
    const int64_t d30 = 30 * MS_DAY;
    bool scale = period_ms < 28 * MS_DAY;
    p->npairs = 4;
    for (int i = 0; i < 4; i++) {
        struct slo_alert_pair *a = &p->pairs[i];
        a->long_ms = workbook[i].long_ms;
        a->short_ms = workbook[i].short_ms;
        if (scale) {
            /* keep whole seconds so window names stay readable */
            a->long_ms = (int64_t)((double)a->long_ms * period_ms / d30 / 1000 + 0.5) * 1000;
            a->short_ms = (int64_t)((double)a->short_ms * period_ms / d30 / 1000 + 0.5) * 1000;
            if (a->short_ms < 1000)
                a->short_ms = 1000;
            if (a->long_ms < a->short_ms)
                a->long_ms = a->short_ms;
        }
        a->budget_pct = workbook[i].pct;
        a->severity = workbook[i].sev;
    }
    slo_policy_refactor(p, period_ms);
    p->resolve_after_ms = p->pairs[0].short_ms;
}

void slo_policy_refactor(struct slo_policy *p, int64_t period_ms)
{
    for (int i = 0; i < p->npairs; i++)
        p->pairs[i].factor = slo_factor(p->pairs[i].budget_pct, period_ms, p->pairs[i].long_ms);
}

enum alert_state slo_policy_eval(const struct slo_policy *p, slo_burn_fn burn, void *ud)
{
    bool any_data = false, page = false, ticket = false, burning = false;
    for (int i = 0; i < p->npairs; i++) {
        const struct slo_alert_pair *a = &p->pairs[i];
        double bl = burn(a->long_ms, ud), bs = burn(a->short_ms, ud);
        if (!isnan(bl) || !isnan(bs))
            any_data = true;
        if (slo_exceeds(bs, a->factor))
            burning = true;
        if (slo_exceeds(bl, a->factor) && slo_exceeds(bs, a->factor)) {
            if (a->severity == ALERT_PAGE)
                page = true;
            else
                ticket = true;
        }
    }
    if (page)
        return ALERT_PAGE;
    if (ticket)
        return ALERT_TICKET;
    if (burning)
        return ALERT_BURNING;
    return any_data ? ALERT_OK : ALERT_NODATA;
}

enum tribool slo_pair_firing(double long_burn, double short_burn, double factor)
{
    if (isnan(long_burn) || isnan(short_burn))
        return TB_UNKNOWN;
    return slo_exceeds(long_burn, factor) && slo_exceeds(short_burn, factor) ? TB_YES : TB_NO;
}

/* How much a pair has to say: firing pages, firing tickets, burning pages,
 * burning tickets, then the rest. */
static int pair_tier(const struct slo_pair *p)
{
    bool page = p->severity == ALERT_PAGE;
    if (p->firing == TB_YES)
        return page ? 4 : 3;
    if (slo_exceeds(p->short_burn, p->factor))
        return page ? 2 : 1;
    return 0;
}

int slo_pair_pick(const struct slo_pair *p, int n)
{
    int best = -1, best_tier = -1;
    double best_level = -INFINITY;
    for (int i = 0; i < n; i++) {
        int tier = pair_tier(&p[i]);
        /* fmin: one window with data still says how near the pair is */
        double level = fmin(p[i].long_burn, p[i].short_burn) / p[i].factor;
        if (isnan(level) && tier == 0)
            continue;
        if (tier > best_tier || (tier == best_tier && tier == 0 && level > best_level)) {
            best = i;
            best_tier = tier;
            best_level = level;
        }
    }
    return best;
}

/* Severity order for hysteresis: no data and burning rank with ok, so a
 * burn that never reaches both windows comes and goes without delay. */
static int rank(enum alert_state s)
{
    return s == ALERT_PAGE ? 2 : s == ALERT_TICKET ? 1 : 0;
}

enum alert_state slo_alert_step(enum alert_state current, enum alert_state raw, int64_t now,
                                int64_t resolve_after_ms, int64_t *pending_since)
{
    if (rank(raw) > rank(current) || (rank(raw) == rank(current))) {
        *pending_since = 0;
        /* ok <-> nodata moves freely: neither alerts */
        return raw;
    }
    if (!*pending_since)
        *pending_since = now;
    if (now - *pending_since >= resolve_after_ms) {
        *pending_since = 0;
        return raw;
    }
    return current;
}

int slo_policy_windows(const struct slo_policy *p, int64_t *out, int cap)
{
    int n = 0;
    for (int i = 0; i < p->npairs; i++) {
        int64_t w[2] = {p->pairs[i].short_ms, p->pairs[i].long_ms};
        for (int k = 0; k < 2; k++) {
            bool dup = false;
            for (int j = 0; j < n; j++)
                dup |= out[j] == w[k];
            if (dup || n >= cap)
                continue;
            int j = n++;
            while (j > 0 && out[j - 1] > w[k]) {
                out[j] = out[j - 1];
                j--;
            }
            out[j] = w[k];
        }
    }
    return n;
}

void slo_format_window(int64_t ms, char *out, size_t outlen)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{MS_DAY, "d"}, {MS_HOUR, "h"}, {MS_MINUTE, "m"}, {1000, "s"}, {1, "ms"}};
    size_t used = 0;
    out[0] = 0;
    if (ms <= 0) {
        snprintf(out, outlen, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && ms > 0; i++) {
        int64_t q = ms / units[i].ms;
        if (!q)
            continue;
        int k = snprintf(out + used, used < outlen ? outlen - used : 0, "%lld%s", (long long)q,
                         units[i].unit);
        if (k > 0)
            used += (size_t)k;
        ms -= q * units[i].ms;
    }
}

int64_t slo_period_start(enum slo_period_kind kind, int64_t period_ms, int64_t now_ms)
{
    if (kind == SLO_ROLLING)
        return now_ms - period_ms;
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (kind == SLO_CALENDAR_MONTH)
        tm.tm_mday = 1;
    else
        tm.tm_mday -= (tm.tm_wday + 6) % 7; /* ISO weeks start on Monday */
    return (int64_t)timegm(&tm) * 1000;     /* timegm normalises a day before the 1st */
}

int64_t slo_period_query_ms(enum slo_period_kind kind, int64_t period_ms, int64_t now_ms)
{
    if (kind == SLO_ROLLING)
        return period_ms;
    return (now_ms - slo_period_start(kind, period_ms, now_ms)) / 1000 * 1000;
}

int64_t slo_range_step_ms(enum slo_period_kind kind, int64_t period_ms, int64_t now_ms)
{
    if (kind == SLO_ROLLING)
        return period_ms / SLO_HISTORY;
    return slo_period_query_ms(kind, period_ms, now_ms) / 1000 / SLO_HISTORY * 1000;
}
