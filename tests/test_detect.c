/* Streaming detectors and the anomaly analyser on generated series. */
#include <math.h>

#include "aiops/anomaly.h"
#include "base/buf.h"
#include "aiops/correlate.h"
#include "aiops/detect.h"
#include "core/engine.h"
#include "test.h"

#define T0       1772460000000LL
#define FIVE_MIN 300000LL

static uint64_t rng = 88172645463325252ULL;
static double noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 - 0.5; /* [-0.5, 0.5) */
}

static double max_score(struct robust *r, int from, int to, double (*f)(int), int64_t step)
{
    double m = 0;
    for (int i = from; i < to; i++) {
        double s = robust_update(r, T0 + i * step, f(i));
        if (s > m)
            m = s;
    }
    return m;
}

static double noisy_flat(int i)
{
    (void)i;
    return 50 + 4 * noise();
}

TEST(robust_scores_a_spike_high_and_noise_low)
{
    struct detect_params p;
    detect_default_params(&p, "robust");
    struct robust r;
    robust_init(&r, &p);
    double quiet = max_score(&r, 0, 300, noisy_flat, FIVE_MIN);
    max_score(&r, 300, 1000, noisy_flat, FIVE_MIN);
    double late_quiet = max_score(&r, 1000, 2000, noisy_flat, FIVE_MIN);
    double spike = robust_update(&r, T0 + 2000 * FIVE_MIN, 90);
    CHECK(spike >= 0.9);
    CHECK(late_quiet < 0.5);
    CHECK(quiet <= 1.0 && quiet >= 0);
}

static double level_shift(int i)
{
    return (i < 1500 ? 20 : 35) + 2 * noise();
}

TEST(robust_detects_a_level_shift_once)
{
    struct detect_params p;
    detect_default_params(&p, "robust");
    struct robust r;
    robust_init(&r, &p);
    max_score(&r, 0, 1500, level_shift, FIVE_MIN);
    double first = robust_update(&r, T0 + 1500 * FIVE_MIN, level_shift(1500));
    CHECK(first >= 0.9);
    /* The refractory period damps the repeats of the same change. */
    int high = 0;
    for (int i = 1501; i < 1600; i++)
        high += robust_update(&r, T0 + i * FIVE_MIN, level_shift(i)) >= 0.5;
    CHECK(high <= 3);
}

static double daily(int i)
{
    /* 5-minute samples: 288 a day; traffic peaks mid-day. */
    return 100 + 60 * sin(2 * M_PI * (i % 288) / 288.0) + 3 * noise();
}

TEST(robust_learns_a_daily_profile)
{
    struct detect_params p;
    detect_default_params(&p, "robust");
    struct robust r;
    robust_init(&r, &p);
    max_score(&r, 0, 288 * 4, daily, FIVE_MIN);
    double normal_day = max_score(&r, 288 * 4, 288 * 5, daily, FIVE_MIN);
    CHECK(normal_day < 0.5);
    /* Night-time traffic at mid-day: off the profile. */
    double off = robust_update(&r, T0 + (288 * 5 + 72) * FIVE_MIN, 40);
    CHECK(off >= 0.9);
}

/* A daily square wave: its two edges a day are the series' normal shape.
 * With step_season (robust's default) they stop scoring once earlier days
 * have shown them; without it the step term keeps finding them new. */
static double robust_square_max(int step_season, int from_day, int days)
{
    struct detect_params p;
    detect_default_params(&p, "robust");
    p.step_season = step_season;
    struct robust r;
    robust_init(&r, &p);
    double m = 0;
    for (int i = 0; i < days * 288; i++) {
        double x = (i % 288 < 144 ? 10 : 50) + 0.5 * noise();
        double s = robust_update(&r, T0 + i * FIVE_MIN, x);
        if (i >= from_day * 288 && s > m)
            m = s;
    }
    return m;
}

TEST(robust_learns_a_daily_edge_with_step_season)
{
    rng = 3;
    double with = robust_square_max(1, 4, 10);
    rng = 3;
    double without = robust_square_max(0, 4, 10);
    printf("  square wave, days 4-10: %.2f with step_season, %.2f without\n", with, without);
    CHECK(with < 0.5);
    CHECK(without >= 0.5);
}

TEST(detectors_survive_bad_input)
{
    struct detect_params p;
    detect_default_params(&p, "robust");
    struct robust r;
    robust_init(&r, &p);
    double s = robust_update(&r, T0, NAN);
    CHECK(s == 0);
    for (int i = 0; i < 100; i++) {
        s = robust_update(&r, T0 + i * 1000, i % 7 ? 5.0 : INFINITY);
        CHECK(s >= 0 && s <= 1);
    }
    s = robust_update(&r, T0 + 200000, 1e300);
    CHECK(s >= 0 && s <= 1);
    struct likelihood l;
    likelihood_init(&l, &p);
    CHECK(likelihood_update(&l, NAN) == 0);
    CHECK(detect_set_param(&p, "level_alpha=0.3") == 0 && p.level_alpha == 0.3);
    CHECK(detect_set_param(&p, "nope=1") < 0);
    CHECK(detect_set_param(&p, "trees=") < 0);
    CHECK(detect_set_param(&p, "trees=1x") < 0);
}

TEST(rcf_isolates_an_outlier_with_constant_memory)
{
    struct detect_params p;
    detect_default_params(&p, "rcf");
    p.trees = 20;
    p.tree_size = 64;
    struct rcf *f = rcf_new(&p, 3);
    CHECK(f != NULL);
    if (!f)
        return;
    size_t mem = rcf_memory(f);
    double typical = 0;
    for (int i = 0; i < 500; i++) {
        double x[3] = {1 + 0.1 * noise(), 2 + 0.1 * noise(), 3 + 0.1 * noise()};
        double s = rcf_update(f, x);
        if (i >= 400)
            typical += s / 100;
    }
    double out[3] = {1, 5, 3};
    double outlier = rcf_update(f, out);
    CHECK(outlier > 4 * typical);
    CHECK(rcf_memory(f) == mem); /* the window slides: no growth */
    /* Duplicates and a degenerate window must not break the trees. */
    for (int i = 0; i < 200; i++) {
        double same[3] = {7, 7, 7};
        double s = rcf_update(f, same);
        CHECK(s >= 0);
    }
    rcf_free(f);
}

/* ---- context ---- */

static struct context_det *context_with(const char *extra)
{
    struct detect_params p;
    detect_default_params(&p, "context");
    if (extra)
        CHECK(detect_set_param(&p, extra) == 0);
    return context_new(&p);
}

TEST(context_scores_a_step_change_high)
{
    struct context_det *c = context_with(NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    double before = 0, after = 0;
    for (int i = 0; i < 3000; i++) {
        double s = context_update(c, T0 + i * FIVE_MIN, 50 + 4 * noise());
        CHECK(s >= 0 && s <= 1);
        if (i >= 2000)
            before = fmax(before, s);
    }
    for (int i = 3000; i < 3010; i++)
        after = fmax(after, context_update(c, T0 + i * FIVE_MIN, 80 + 4 * noise()));
    CHECK(after >= 0.99); /* never seen: the strongest evidence */
    CHECK(before < 0.9);
    context_free(c);
}

TEST(context_constant_series_scores_zero_after_warmup)
{
    struct context_det *c = context_with(NULL);
    CHECK(c != NULL);
    for (int i = 0; c && i < 5000; i++) {
        double s = context_update(c, T0 + i * FIVE_MIN, 5.0);
        if (i >= 30)
            CHECK(s == 0);
    }
    context_free(c);
}

/* A spike every day at 12:30 is news the first day, not the tenth. */
TEST(context_daily_spike_becomes_familiar)
{
    struct context_det *c = context_with(NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    const int per_day = 288, spike_at = 150; /* 5-min samples, 12:30 */
    double first = 0, last = 0;
    for (int i = 0; i < 12 * per_day; i++) {
        bool spike = i % per_day == spike_at;
        double x = spike ? 70 + noise() : 50 + 2 * noise();
        double s = context_update(c, T0 - T0 % 86400000LL + i * FIVE_MIN, x);
        if (spike && i / per_day == 0)
            first = s; /* past warm-up, never seen */
        if (spike && i / per_day == 11)
            last = s;
    }
    CHECK(first >= 0.99);
    CHECK(last < 0.2);
    context_free(c);
}

TEST(context_memory_stays_within_its_cap)
{
    /* Many levels and long contexts: far more contexts than slots. */
    struct detect_params p;
    detect_default_params(&p, "context");
    p.ctx_levels = 16;
    p.ctx_order = CONTEXT_MAX_ORDER;
    struct context_det *c = context_new(&p);
    CHECK(c != NULL);
    if (!c)
        return;
    size_t mem = context_memory(c);
    for (int i = 0; i < 1000000; i++) {
        double s = context_update(c, T0 + (int64_t)i * 1000, noise());
        if (s < 0 || s > 1) {
            CHECK(s >= 0 && s <= 1);
            break;
        }
    }
    CHECK(context_entries(c) <= CONTEXT_SLOTS);
    CHECK(context_entries(c) > CONTEXT_SLOTS / 2); /* it was full and evicting */
    CHECK(context_memory(c) == mem);
    CHECK(context_update(c, T0, NAN) == 0);
    context_free(c);
}

/* The live default's budget (docs/aiops.md): at most 16 KiB per series,
 * so the analyser's 512 series fit in 8 MiB whatever they see. */
TEST(live_default_fits_its_memory_budget)
{
    struct detect_params p;
    detect_default_params(&p, "context");
    struct series_detector *d = series_detector_new("context", &p);
    CHECK(d != NULL);
    size_t mem = d ? series_detector_memory(d) : 0;
    for (int i = 0; d && i < 50000; i++)
        series_detector_update(d, T0 + i * 1000LL, noise() * 100);
    CHECK(d && series_detector_memory(d) == mem);
    CHECK(mem > 0 && mem <= 16384);
    series_detector_free(d);
}

TEST(series_detector_by_name)
{
    struct detect_params p;
    detect_default_params(&p, "rcf");
    p.trees = 10;
    p.tree_size = 32;
    CHECK(series_detector_new("nope", &p) == NULL);
    struct series_detector *d = series_detector_new("rcf", &p);
    CHECK(d != NULL);
    for (int i = 0; d && i < 300; i++) {
        double s = series_detector_update(d, T0 + i * 1000, noisy_flat(i));
        CHECK(s >= 0 && s <= 1);
    }
    CHECK(d && series_detector_memory(d) > 1000);
    series_detector_free(d);
    d = series_detector_new("context", &p);
    CHECK(d != NULL);
    for (int i = 0; d && i < 300; i++) {
        double s = series_detector_update(d, T0 + i * 1000, noisy_flat(i));
        CHECK(s >= 0 && s <= 1);
    }
    series_detector_free(d);
}

/* An engine with the correlator and the anomaly analyser attached. */
struct rig {
    struct engine e;
    struct correlator *c;
    struct anomaly *a;
};

static void rig_start(struct rig *r, const struct anomaly_opts *o)
{
    engine_init(&r->e);
    engine_advance(&r->e, T0);
    r->c = correlator_new(&r->e, NULL);
    r->a = anomaly_new(&r->e, r->c, o);
}

static void rig_stop(struct rig *r)
{
    engine_free(&r->e);
    anomaly_free(r->a);
    correlator_free(r->c);
}

/* 400 s of an errors_total counter that trickles, then jumps at 300 s; with
 * requests, a steady requests_total beside it. */
static void feed_error_jump(struct rig *r, bool requests)
{
    double total = 0, errors = 0;
    for (int s = 1; s <= 400; s++) {
        engine_advance(&r->e, T0 + s * 1000);
        total += 100 + 10 * noise();
        errors += s < 300 ? 1 + noise() : 40;
        if (requests)
            engine_sample(&r->e, "demo:checkout:requests_total", total);
        engine_sample(&r->e, "demo:checkout:errors_total", errors);
    }
}

/* The analyser on the engine: counters become rates; a jump is an item. */
TEST(anomaly_analyser_turns_counter_jumps_into_items)
{
    struct rig r;
    rig_start(&r, NULL);
    feed_error_jump(&r, true);
    CHECK(anomaly_series_count(r.a) >= 2);
    CHECK(anomaly_items(r.a) >= 1);
    CHECK(anomaly_last_score(r.a, "demo:checkout:requests_total") < 0.5);
    CHECK(anomaly_last_score(r.a, "nope") == -1);
    /* Replay: nothing runs. */
    unsigned long before = anomaly_items(r.a);
    r.e.replaying = true;
    engine_sample(&r.e, "demo:checkout:errors_total", 1e9);
    CHECK(anomaly_items(r.a) == before);
    rig_stop(&r);
}

/* The series pool is bounded: past 3/4 of ANOMALY_MAX_SERIES new series are
 * refused and counted, and the kept ones are still found by name. */
TEST(anomaly_analyser_bounds_its_series)
{
    struct rig r;
    rig_start(&r, NULL);
    char name[64];
    for (int i = 0; i < ANOMALY_MAX_SERIES; i++) {
        snprintf(name, sizeof(name), "demo:svc-%d:latency", i);
        engine_sample(&r.e, name, 1.0);
    }
    int kept = ANOMALY_MAX_SERIES * 3 / 4;
    CHECK(anomaly_series_count(r.a) == kept);
    CHECK(anomaly_dropped_series(r.a) == (unsigned long)(ANOMALY_MAX_SERIES - kept));
    snprintf(name, sizeof(name), "demo:svc-%d:latency", kept - 1);
    engine_sample(&r.e, name, 2.0); /* a kept series: no new drop */
    CHECK(anomaly_dropped_series(r.a) == (unsigned long)(ANOMALY_MAX_SERIES - kept));
    CHECK(anomaly_last_score(r.a, name) != -1);
    snprintf(name, sizeof(name), "demo:svc-%d:latency", kept);
    CHECK(anomaly_last_score(r.a, name) == -1);
    rig_stop(&r);
}

/* aiops.detector: context runs per series in the analyser. */
TEST(anomaly_analyser_with_the_context_detector)
{
    struct anomaly_opts o = {.threshold = 0.5, .detector = "context"};
    detect_default_params(&o.params, "context");
    struct rig r;
    rig_start(&r, &o);
    feed_error_jump(&r, false);
    CHECK(anomaly_series_count(r.a) >= 1);
    CHECK(anomaly_items(r.a) >= 1);
    rig_stop(&r);
}

/* The live default on young series: 32 series appear at once in the middle
 * of an incident (wild values for 100 s) and then run normally. Nothing is
 * an item while they settle (the first ctx_warmup samples), and afterwards
 * a few at most, not one per series. */
TEST(anomaly_analyser_default_settles_young_series_started_mid_incident)
{
    struct rig r;
    rig_start(&r, NULL);
    struct detect_params p;
    detect_default_params(&p, "context");
    char name[64];
    unsigned long settling = 0;
    rng = 5;
    for (int s = 1; s <= 900; s++) {
        engine_advance(&r.e, T0 + s * 1000);
        for (int k = 0; k < 32; k++) {
            snprintf(name, sizeof(name), "demo:svc%d:latency_ms", k);
            double v = s <= 100 ? 200 + 2000 * noise() * noise() : 100 + 5 * noise();
            engine_sample(&r.e, name, v);
        }
        if (s == p.ctx_warmup)
            settling = anomaly_items(r.a);
    }
    CHECK(anomaly_series_count(r.a) >= 32); /* and the kernel rate series */
    CHECK(settling == 0);
    fprintf(stderr, "  young series: %lu items\n", anomaly_items(r.a));
    CHECK(anomaly_items(r.a) <= 4); /* ctx_warmup=20 gives 31: one per series */
    rig_stop(&r);
}

TEST(anomaly_analyser_pod_forest_flags_a_kernel_storm)
{
    struct rig r;
    rig_start(&r, NULL);
    struct kevent k = {.kind = KEV_EXEC};
    for (int s = 0; s < 3000; s++) {
        engine_advance(&r.e, T0 + s * 1000);
        for (int p = 0; p < 4; p++) {
            snprintf(k.pod, sizeof(k.pod), "shop/web-%d", p);
            k.kind = (s + p) % 3 ? KEV_CONNECT : KEV_EXEC;
            engine_kevent(&r.e, &k);
        }
    }
    unsigned long before = anomaly_items(r.a);
    for (int s = 3000; s < 3030; s++) {
        engine_advance(&r.e, T0 + s * 1000);
        STR_COPY(k.pod, "shop/web-2");
        k.kind = KEV_OPEN;
        for (int n = 0; n < 200; n++)
            engine_kevent(&r.e, &k);
    }
    engine_advance(&r.e, T0 + 3040 * 1000);
    CHECK(anomaly_items(r.a) > before);
    rig_stop(&r);
}

/* ---- cad: shape changes inside a daily cycle (NAB-like: 14 days of 5-min
 * samples, the change at day 10, its NAB window 10% of the file centred on
 * it, scored against the live threshold 0.5). ---- */
#define DAY_N   288
#define CAD_N   (14 * DAY_N)
#define CHANGE  (10 * DAY_N + DAY_N / 3)
#define WIN_LO  (CHANGE - CAD_N / 20)
#define WIN_HI  (CHANGE + CAD_N / 20)
#define PROBATE (CAD_N * 15 / 100)

static double cycle(int i)
{
    return 50 + 30 * sin(2 * M_PI * (double)(i % DAY_N) / DAY_N) + 2 * noise();
}

static double jump_down(int i)
{
    return cycle(i) - (i >= CHANGE ? 25 : 0);
}

static double goes_flat(int i)
{
    return i >= CHANGE && i < CHANGE + 120 ? 50 + 0.2 * noise() : cycle(i);
}

static double spiky(int i, int every)
{
    return cycle(i) + (i % every == 0 ? 40 : 0);
}

static double denser(int i)
{
    return spiky(i, i >= CHANGE ? 7 : 36);
}

static double sparse(int i)
{
    return spiky(i, 36);
}

static double flat_line(int i)
{
    (void)i;
    return 42;
}

/* The strongest score in [from, to) of a fresh detector with params p fed f. */
static double det_max_with(const char *name, const struct detect_params *p, double (*f)(int),
                           int from, int to)
{
    struct series_detector *d = series_detector_new(name, p);
    CHECK(d != NULL);
    double m = 0;
    for (int i = 0; d && i < to; i++) {
        double s = series_detector_update(d, T0 + i * FIVE_MIN, f(i));
        CHECK(s >= 0 && s <= 1);
        if (i >= from && s > m)
            m = s;
    }
    series_detector_free(d);
    return m;
}

/* The same with the detector's defaults. */
static double det_max(const char *name, double (*f)(int), int from, int to)
{
    struct detect_params p;
    detect_default_params(&p, name);
    return det_max_with(name, &p, f, from, to);
}

static double cad_max(double (*f)(int), int from, int to)
{
    return det_max("cad", f, from, to);
}

TEST(cad_flags_a_daily_cycle_that_jumps_down_within_the_window)
{
    rng = 7;
    CHECK(cad_max(jump_down, WIN_LO, WIN_HI + 1) >= 0.5);
}

TEST(cad_flags_a_daily_cycle_whose_middle_goes_flat_within_the_window)
{
    rng = 7;
    CHECK(cad_max(goes_flat, WIN_LO, WIN_HI + 1) >= 0.5);
}

TEST(cad_flags_spikes_that_grow_denser_within_the_window)
{
    rng = 7;
    CHECK(cad_max(denser, WIN_LO, WIN_HI + 1) >= 0.5);
}

TEST(cad_keeps_quiet_on_a_clean_daily_cycle_and_a_flat_line)
{
    rng = 7;
    CHECK(cad_max(cycle, PROBATE, CAD_N) < 0.5);
    CHECK(cad_max(flat_line, 0, CAD_N) == 0);
}

/* The sequence stage alone (no robust score joined) tells a regular spike
 * train from one that grows denser: the gaps before a spike are new. */
TEST(cad_sequence_stage_tells_sparse_spikes_from_denser_ones)
{
    struct detect_params p;
    detect_default_params(&p, "cad");
    CHECK(detect_set_param(&p, "cad_robust=0") == 0);
    double (*f[2])(int) = {sparse, denser};
    double m[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        rng = 7;
        struct cad_det *c = cad_new(&p);
        for (int i = 0; c && i <= WIN_HI; i++) {
            double s = cad_update(c, T0 + i * FIVE_MIN, f[k](i));
            if (i >= WIN_LO && s > m[k])
                m[k] = s;
        }
        cad_free(c);
    }
    CHECK(m[0] < 0.5);
    CHECK(m[1] >= 0.5);
}

TEST(cad_memory_is_fixed_and_the_dictionary_capped)
{
    struct detect_params p;
    detect_default_params(&p, "cad");
    CHECK(detect_set_param(&p, "cad_levels=32") == 0 && detect_set_param(&p, "cad_order=8") == 0);
    struct cad_det *c = cad_new(&p);
    CHECK(c != NULL);
    size_t mem = cad_memory(c);
    for (int i = 0; c && i < 200000; i++)
        cad_update(c, T0 + i * 1000LL, noise());
    CHECK(c && cad_entries(c) <= CAD_SLOTS && cad_entries(c) > CAD_SLOTS / 2);
    CHECK(c && cad_memory(c) == mem && mem < 8192);
    CHECK(c && cad_update(c, T0, NAN) == 0);
    cad_free(c);
}

/* The live default (context with cad's sequence stage joined) sees the
 * same three shape changes at the live threshold, and stays quiet on the
 * clean cycle and the flat line after NAB's probation. */
TEST(context_flags_the_three_shape_changes_within_the_window)
{
    double (*f[3])(int) = {jump_down, goes_flat, denser};
    for (int k = 0; k < 3; k++) {
        rng = 7;
        double m = det_max("context", f[k], WIN_LO, WIN_HI + 1);
        printf("  context shape change %d: %.2f\n", k, m);
        CHECK(m >= 0.5);
    }
}

TEST(context_keeps_quiet_on_a_clean_daily_cycle_and_a_flat_line)
{
    rng = 7;
    double m = det_max("context", cycle, PROBATE, CAD_N);
    printf("  context clean cycle: %.2f\n", m);
    CHECK(m < 0.5);
    CHECK(det_max("context", flat_line, 0, CAD_N) == 0);
}

/* A daily spike at the end of one half hour that moves into the next
 * one at the change (clock drift, a cron job that slipped): with the
 * neighbouring half hours counted it stays familiar. */
static double drifting_spike(int i)
{
    int at = i >= CHANGE - CHANGE % DAY_N ? 102 : 101; /* buckets of 6 samples: 16, then 17 */
    return cycle(i) + (i % DAY_N == at ? 40 : 0);
}

static double context_max_near(double (*f)(int), int near, double near_min)
{
    struct detect_params p;
    detect_default_params(&p, "context");
    p.ctx_fam_near = near;
    p.ctx_fam_near_min = near_min;
    rng = 7;
    double m = det_max_with("context", &p, f, WIN_LO, WIN_HI + 1);
    printf("  context near %d (min %.1f): %.2f\n", near, near_min, m);
    return m;
}

TEST(context_neighbouring_half_hours_keep_a_drifting_daily_spike_familiar)
{
    CHECK(context_max_near(drifting_spike, 0, 0.6) >= 0.5);
    CHECK(context_max_near(drifting_spike, 1, 0.6) < 0.5);
}

/* Only a strong earlier surprise makes its neighbours familiar: counting
 * every neighbour's (noise included) would excuse spikes that grow denser
 * between the old ones. */
TEST(context_neighbours_count_only_after_a_strong_surprise)
{
    CHECK(context_max_near(denser, 1, 0) < 0.5);
    CHECK(context_max_near(denser, 1, 0.6) >= 0.5);
}

/* A young series settles without an alert storm: its first cad_warmup
 * samples score 0, including one that starts in the middle of an incident
 * (a wild spiky phase) and then turns normal. */
static double mid_incident(int i)
{
    return i < 100 ? 50 + 300 * noise() * noise() : cycle(i);
}

TEST(cad_young_series_settles_without_a_storm)
{
    struct detect_params p;
    detect_default_params(&p, "cad");
    rng = 11;
    CHECK(cad_max(mid_incident, 0, p.cad_warmup) == 0);
    struct cad_det *c = cad_new(&p);
    int high = 0;
    for (int i = 0; c && i < 4 * DAY_N; i++)
        high += cad_update(c, T0 + i * FIVE_MIN, mid_incident(i)) >= 0.5;
    CHECK(high <= 2); /* at most a burst's first sample or two, never a storm */
    cad_free(c);
}

RUN_TESTS()
