/* The robust seasonal baseline: a Huber-clipped EWMA level, a daily
 * profile of offsets from it (48 half-hour buckets) used only once it
 * predicts better than the level alone, and a robust EW absolute deviation
 * as the scale. The raw anomaly is the scaled residual; the likelihood
 * stage turns it into a score. O(1) time and memory per sample. */
#include <stdbool.h>
#include <math.h>
#include <string.h>

#include "detect.h"

#define DAY_MS        86400000LL
#define ROBUST_WARMUP 10

void robust_init(struct robust *r, const struct detect_params *p)
{
    memset(r, 0, sizeof(*r));
    r->p = *p;
    likelihood_init(&r->lk, p);
}

static double clip(double x, double lim)
{
    return x > lim ? lim : x < -lim ? -lim : x;
}

static int bucket_of(int64_t t)
{
    int64_t ms = t % DAY_MS;
    if (ms < 0)
        ms += DAY_MS;
    return (int)(ms / (DAY_MS / ROBUST_BUCKETS));
}

double robust_update(struct robust *r, int64_t time_ms, double x)
{
    if (!isfinite(x))
        return 0;
    if (r->n++ == 0) {
        r->level = x;
        r->first_time = time_ms;
        r->last_value = x;
        return likelihood_update(&r->lk, 0);
    }
    int b = bucket_of(time_ms);
    double pred_level = r->level;
    double pred_season = r->level + r->season[b];
    /* The profile is trusted after two days, and only while it beats the level. */
    bool seasonal = time_ms - r->first_time > 2 * DAY_MS && r->season_n[b] > 1 &&
                    r->err_season < 0.9 * r->err_level;
    double pred = seasonal ? pred_season : pred_level;
    double resid = x - pred;
    /* A floor for flat series: a change of 0.1% of the level is not news. */
    double floor = 1e-3 * fabs(r->level) + 1e-9;
    double scale = r->scale > floor ? r->scale : floor;
    double raw = r->n > 2 ? fabs(resid) / scale : 0;
    double step = x - r->last_value;
    double step_scale = r->step_scale > floor ? r->step_scale : floor;
    double raw_step = r->n > 2 ? fabs(step) / step_scale : 0;
    double w = r->p.fast_weight;
    double anomaly = (1 - w) * log1p(raw) + w * log1p(raw_step);

    /* Learn, with residuals clipped so an outlier moves nothing far. */
    double lim = r->p.clip * scale;
    double el = fabs(x - pred_level), es = fabs(x - pred_season);
    double a = r->p.scale_alpha;
    r->err_level += a * (fmin(el, lim) - r->err_level);
    r->err_season += a * (fmin(es, lim) - r->err_season);
    double early = r->n < 20 ? 1.0 / (double)r->n : a;
    r->scale += early * ((r->n < 20 ? fabs(step) : fmin(fabs(resid), lim)) - r->scale);
    double step_obs = r->n < 20 ? fabs(step) : fmin(fabs(step), r->p.clip * step_scale);
    r->step_scale += early * (step_obs - r->step_scale);
    r->level += r->p.level_alpha * clip(x - r->level, lim);
    double sa = r->season_n[b] ? r->p.season_alpha : 1.0;
    r->season[b] += sa * (clip(x - r->level, lim) - r->season[b]);
    if (r->season_n[b] < UINT32_MAX)
        r->season_n[b]++;
    r->last_value = x;
    /* The first residuals measure the detector's ignorance, not the series. */
    if (r->n <= ROBUST_WARMUP)
        return 0;
    return likelihood_update(&r->lk, anomaly);
}
