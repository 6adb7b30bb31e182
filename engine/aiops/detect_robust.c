/* The robust seasonal baseline: a Huber-clipped EWMA level, a daily
 * profile of offsets from it (48 half-hour buckets) used only once it
 * predicts better than the level alone, and a robust EW absolute deviation
 * as the scale. The raw anomaly is the scaled residual; the likelihood
 * stage turns it into a score. Optionally (step_season) a step is scaled by
 * the largest seen at this time on earlier days too, so a daily edge is not
 * news. O(1) amortised time, fixed memory per series. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "aiops/detect.h"

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

/* EW update of a scale from an absolute residual: the mean at first, then
 * clipped so one outlier cannot inflate it. */
static void learn_scale(double *scale, double absdev, int64_t n, double alpha, double clipk)
{
    double obs = n < 20 ? absdev : fmin(absdev, clipk * *scale);
    *scale += (n < 20 ? 1.0 / (double)n : alpha) * (obs - *scale);
}

/* The largest step seen in this half hour on earlier days (decayed 0.9 a
 * day), after recording this one for today: a square wave's daily edge is
 * not news on its third day. A new day folds today into the memory (48
 * buckets once a day: O(1) amortised). */
static double step_seen(struct robust *r, int64_t time_ms, int b, double step)
{
    int64_t day = time_ms / DAY_MS - (time_ms % DAY_MS < 0);
    if (day > r->step_dayno) {
        double decay = pow(0.9, (double)(day - r->step_dayno));
        for (int j = 0; j < ROBUST_BUCKETS; j++) {
            r->step_day[j] = fmaxf((float)(r->step_day[j] * decay), r->step_today[j]);
            r->step_today[j] = 0;
        }
        r->step_dayno = day;
    }
    double seen = r->step_day[b];
    /* float halves the memory; a step past FLT_MAX is no less news clamped. */
    r->step_today[b] = (float)fmax(r->step_today[b], fmin(fabs(step), FLT_MAX));
    return seen;
}

double robust_update(struct robust *r, int64_t time_ms, double x)
{
    if (!isfinite(x))
        return 0;
    if (r->n++ == 0) {
        r->level = r->slow_level = x;
        r->first_time = time_ms;
        r->last_value = x;
        return 0;
    }
    int b = bucket_of(time_ms);
    /* The profile is trusted after two days, and only while it beats the level. */
    double pred_season = r->slow_level + r->season[b];
    bool seasonal = time_ms - r->first_time > 2 * DAY_MS && r->season_n[b] > 1 &&
                    r->err_season < 0.9 * r->err_level;
    double slow_pred = seasonal ? pred_season : r->slow_level;
    /* A floor for flat series: a change of 0.1% of the level is not news. */
    double floor = 1e-3 * fabs(r->level) + 1e-9;
    double resid = x - r->level, step = x - r->last_value, slow = x - slow_pred;
    double scale = fmax(r->scale, floor), step_scale = fmax(r->step_scale, floor);
    double step_norm = step_scale;
    if (r->p.step_season)
        step_norm = fmax(step_norm, step_seen(r, time_ms, b, step));
    double slow_scale = fmax(r->slow_scale, floor);
    double wf = r->p.fast_weight, ws = r->p.slow_weight, wl = 1 - wf - ws;
    double anomaly = wl * log1p(fabs(resid) / scale) + wf * log1p(fabs(step) / step_norm) +
                     ws * log1p(fabs(slow) / slow_scale);
    /* Variability changing (a series gone noisy, or gone flat) is news too. */
    double short_step = r->short_step + r->p.var_alpha * (fabs(step) - r->short_step);
    anomaly += r->p.var_weight * fabs(log((short_step + floor) / (step_scale + floor)));

    /* Learn, with residuals clipped so an outlier moves nothing far. */
    double a = r->p.scale_alpha, k = r->p.clip;
    double lim_slow = k * slow_scale;
    r->err_level += a * (fmin(fabs(x - r->slow_level), lim_slow) - r->err_level);
    r->err_season += a * (fmin(fabs(x - pred_season), lim_slow) - r->err_season);
    learn_scale(&r->scale, fabs(r->n < 20 ? step : resid), r->n, a, k);
    learn_scale(&r->step_scale, fabs(step), r->n, a, k);
    r->short_step = short_step;
    learn_scale(&r->slow_scale, fabs(r->n < 20 ? step : slow), r->n, a, k);
    r->level += r->p.level_alpha * clip(resid, k * scale);
    r->slow_level += r->p.slow_alpha * clip(x - r->slow_level - r->season[b], lim_slow);
    double sa = r->season_n[b] ? r->p.season_alpha : 1.0;
    r->season[b] += sa * (clip(x - r->slow_level, lim_slow) - r->season[b]);
    if (r->season_n[b] < UINT32_MAX)
        r->season_n[b]++;
    r->last_value = x;
    /* The first residuals measure the detector's ignorance, not the series. */
    if (r->n <= ROBUST_WARMUP)
        return 0;
    return likelihood_update(&r->lk, anomaly);
}
