/* SLO math, history buckets, evaluation and the gate, against hand-computed
 * tables (SRE Workbook ch. 5 tables 5-4 and 5-8, Sloth's factors). */
#include <stdint.h>

#include "core/engine.h"
#include "slo/gate.h"
#include "slo/slo.h"
#include "slo/history.h"
#include "slo/math.h"
#include "slo/names.h"
#include "slo/prom.h"
#include "base/http.h"
#include "base/loop.h"
#include "base/suggest.h"
#include "test.h"

#define REL 1e-12

TEST(error_ratio_and_burn_rate_table)
{
    /* errors, total, objective, ratio, burn */
    static const double rows[][5] = {
        {3, 6000, 0.999, 0.0005, 0.5}, {3, 6000, 0.99, 0.0005, 0.05},
        {3, 6000, 0.95, 0.0005, 0.01}, {180, 6000, 0.999, 0.03, 30},
        {60, 6000, 0.99, 0.01, 1},     {6000, 6000, 0.999, 1, 1000},
        {6000, 6000, 0.99, 1, 100},    {6000, 6000, 0.95, 1, 20},
        {0, 6000, 0.999, 0, 0},        {1, 3, 0.95, 1.0 / 3, 20.0 / 3},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        double r = slo_error_ratio(rows[i][0], rows[i][1]);
        CHECK_REL(r, rows[i][3], REL);
        CHECK_REL(slo_burn_rate(r, rows[i][2]), rows[i][4], 1e-9);
    }
}

TEST(zero_traffic_is_no_data)
{
    CHECK(isnan(slo_error_ratio(0, 0)));
    CHECK(isnan(slo_error_ratio(5, 0)));
    CHECK(isnan(slo_error_ratio(NAN, 10)));
    CHECK(isnan(slo_error_ratio(1, INFINITY)));
    CHECK(isnan(slo_burn_rate(NAN, 0.999)));
    CHECK(isnan(slo_budget_remaining(NAN, 0.999)));
    CHECK(isnan(slo_burn_rate(0.1, 1.0))); /* a 100% objective has no budget */
    /* no data is unknown, not "never" */
    CHECK(slo_time_to_exhaustion(NAN, 30 * MS_DAY, 2) == SLO_EXHAUSTION_UNKNOWN);
    CHECK(slo_time_to_exhaustion(0.5, 30 * MS_DAY, NAN) == SLO_EXHAUSTION_UNKNOWN);
    CHECK(slo_time_to_exhaustion(0.5, 30 * MS_DAY, 0) == SLO_EXHAUSTION_NEVER);
}

TEST(budget_remaining_can_go_negative)
{
    CHECK_REL(slo_budget_remaining(0.0005, 0.999), 0.5, 1e-9);
    CHECK_REL(slo_budget_remaining(0.002, 0.999), -1.0, 1e-9);
    CHECK_REL(slo_budget_remaining(0.005, 0.99), 0.5, 1e-9);
    CHECK_REL(slo_budget_remaining(0.1, 0.95), -1.0, 1e-9);
    CHECK_REL(slo_budget_remaining(0, 0.95), 1.0, REL);
    CHECK_REL(slo_budget_remaining(1, 0.999), -999.0, 1e-9);
}

TEST(time_to_exhaustion_table_5_4)
{
    int64_t p = 30 * MS_DAY;
    /* whole budget at burn 1, 2, 10, 1000: 30 d, 15 d, 3 d, 43.2 min */
    CHECK(slo_time_to_exhaust_all(p, 1) == 30 * MS_DAY);
    CHECK(slo_time_to_exhaust_all(p, 2) == 15 * MS_DAY);
    CHECK(slo_time_to_exhaust_all(p, 10) == 3 * MS_DAY);
    CHECK(slo_time_to_exhaust_all(p, 1000) == 2592000);
    CHECK(slo_time_to_exhaust_all(p, 14.4) == 50 * MS_HOUR);
    /* remaining budget: half left at burn 10 -> 1.5 days */
    CHECK(slo_time_to_exhaustion(0.5, p, 10) == 36 * MS_HOUR);
    CHECK(slo_time_to_exhaustion(0.5, p, 0) == -1);
    CHECK(slo_time_to_exhaustion(0.5, p, -3) == -1);
    CHECK(slo_time_to_exhaustion(-0.2, p, 3) == 0);
    CHECK(slo_time_to_exhaustion(0.5, p, INFINITY) == 0);
}

TEST(default_policy_factors_30d_28d)
{
    struct slo_policy p;
    slo_policy_default(&p, 30 * MS_DAY);
    CHECK(p.npairs == 4);
    CHECK_REL(p.pairs[0].factor, 14.4, REL);
    CHECK_REL(p.pairs[1].factor, 6.0, REL);
    CHECK_REL(p.pairs[2].factor, 3.0, REL);
    CHECK_REL(p.pairs[3].factor, 1.0, REL);
    CHECK(p.pairs[0].long_ms == MS_HOUR && p.pairs[0].short_ms == 5 * MS_MINUTE);
    CHECK(p.pairs[3].long_ms == 3 * MS_DAY && p.pairs[3].short_ms == 6 * MS_HOUR);
    CHECK(p.pairs[0].severity == ALERT_PAGE && p.pairs[2].severity == ALERT_TICKET);
    slo_policy_default(&p, 28 * MS_DAY);
    CHECK_REL(p.pairs[0].factor, 13.44, REL);
    CHECK_REL(p.pairs[1].factor, 5.6, REL);
    CHECK_REL(p.pairs[2].factor, 2.8, REL);
    CHECK_REL(p.pairs[3].factor, 28.0 / 30, REL);
    /* a 7-day SLO: windows scale by 7/30, factors stay the 30-day ones */
    slo_policy_default(&p, 7 * MS_DAY);
    CHECK(p.pairs[0].long_ms == 840000 && p.pairs[0].short_ms == 70000);
    CHECK_REL(p.pairs[0].factor, 14.4, 1e-9);
    int64_t w[8];
    slo_policy_default(&p, 30 * MS_DAY);
    CHECK(slo_policy_windows(&p, w, 8) == 7);
    CHECK(w[0] == 5 * MS_MINUTE && w[6] == 3 * MS_DAY);
}

TEST(threshold_ties_use_relative_tolerance)
{
    /* Sloth's budget literal for 99.9% */
    double sloth_budget = 0.0009999999999999432;
    CHECK(!slo_exceeds(0.0144 / sloth_budget, 14.4));
    CHECK(!slo_exceeds(14.4 * (1 + 1e-12), 14.4));
    CHECK(slo_exceeds(14.41, 14.4));
    CHECK(!slo_exceeds(14.39, 14.4));
    CHECK(!slo_exceeds(NAN, 1));
    CHECK(slo_exceeds(INFINITY, 14.4));
    CHECK(slo_rel_equal(NAN, NAN, 1e-9));
    CHECK(!slo_rel_equal(1, 1.1, 1e-9));
}

struct burns {
    double b[4][2]; /* per pair: long, short */
    struct slo_policy p;
};
static double burn_lookup(int64_t w, void *ud)
{
    struct burns *b = ud;
    for (int i = 0; i < 4; i++) {
        if (b->p.pairs[i].long_ms == w)
            return b->b[i][0];
        if (b->p.pairs[i].short_ms == w)
            return b->b[i][1];
    }
    return NAN;
}

TEST(mwmb_page_ticket_and_suppression)
{
    struct burns b;
    slo_policy_default(&b.p, 30 * MS_DAY);
    /* windows are distinct so each pair is set independently */
    double none[4][2] = {{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}};
    memcpy(b.b, none, sizeof(none));
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_OK);
    b.b[0][0] = 15, b.b[0][1] = 20; /* 1h and 5m above 14.4 */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_PAGE);
    b.b[0][1] = 10; /* short window recovered: resets the page */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_OK);
    b.b[2][0] = 3.5, b.b[2][1] = 4; /* 1d and 2h above 3 */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_TICKET);
    b.b[1][0] = 7, b.b[1][1] = 6.5; /* 6h and 30m above 6: page suppresses the ticket */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_PAGE);
    b.b[1][1] = 6.0; /* exactly the factor: a tie does not fire */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_TICKET);
    for (int i = 0; i < 4; i++)
        b.b[i][0] = b.b[i][1] = NAN;
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_NODATA);
}

TEST(burning_when_only_the_short_window_is_over)
{
    struct burns b;
    slo_policy_default(&b.p, 30 * MS_DAY);
    double none[4][2] = {{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}};
    memcpy(b.b, none, sizeof(none));
    b.b[0][1] = 267; /* 5m over 14.4, 1h not yet */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_BURNING);
    b.b[0][1] = 14.4; /* a tie is not over */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_OK);
    b.b[0][0] = 20; /* long over, short back under: not burning either */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_OK);
    b.b[0][0] = 0.5;
    b.b[2][1] = 3.5; /* 2h over 3: a ticket pair burns too */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_BURNING);
    b.b[2][0] = 3.5; /* a firing ticket outranks burning */
    CHECK(slo_policy_eval(&b.p, burn_lookup, &b) == ALERT_TICKET);
    /* burning ranks with ok: it drops back at once, and a page waits */
    int64_t pending = 0;
    CHECK(slo_alert_step(ALERT_BURNING, ALERT_OK, 1000, 60000, &pending) == ALERT_OK);
    CHECK(slo_alert_step(ALERT_PAGE, ALERT_BURNING, 1000, 60000, &pending) == ALERT_PAGE);
    CHECK(slo_alert_step(ALERT_PAGE, ALERT_BURNING, 61000, 60000, &pending) == ALERT_BURNING);
}

static struct slo_pair mkpair(const char *l, const char *sh, double f, enum alert_state sev,
                              double lb, double sb)
{
    struct slo_pair p = {.factor = f, .severity = sev, .long_burn = lb, .short_burn = sb};
    snprintf(p.long_name, sizeof p.long_name, "%s", l);
    snprintf(p.short_name, sizeof p.short_name, "%s", sh);
    p.firing = slo_pair_firing(lb, sb, f);
    return p;
}

TEST(pair_pick_and_reason_name_the_pair_that_fired)
{
    struct slo s = {.npairs = 4};
    s.pairs[0] = mkpair("1h", "5m", 14.4, ALERT_PAGE, 18.7, 266.7);
    s.pairs[1] = mkpair("6h", "30m", 6, ALERT_PAGE, 3.9, 37.3);
    s.pairs[2] = mkpair("1d", "2h", 3, ALERT_TICKET, 1.2, 9.6);
    s.pairs[3] = mkpair("3d", "6h", 1, ALERT_TICKET, 0.5, 3.9);
    /* the noisiest window is 5m, the pair that fired is 1h/5m */
    s.pair = slo_pair_pick(s.pairs, s.npairs);
    CHECK(s.pair == 0);
    char why[TEXT_LEN];
    slo_pair_reason(&s, why, sizeof why);
    CHECK_STR(why, "1h 18.7x and 5m 267x over 14.4");
    /* 1h not yet over: the 30m/6h page pair comes second, but 1h/5m burns first */
    s.pairs[0] = mkpair("1h", "5m", 14.4, ALERT_PAGE, 3.1, 266.7);
    s.pair = slo_pair_pick(s.pairs, s.npairs);
    CHECK(s.pair == 0);
    slo_pair_reason(&s, why, sizeof why);
    CHECK_STR(why, "5m 267x over 14.4, 1h 3.1x not yet");
    /* a firing ticket pair beats a burning page pair */
    s.pairs[3] = mkpair("3d", "6h", 1, ALERT_TICKET, 1.5, 3.9);
    CHECK(slo_pair_pick(s.pairs, s.npairs) == 3);
    /* nothing over: the pair nearest its factor, and a tie reads with two decimals */
    s.pairs[0] = mkpair("1h", "5m", 14.4, ALERT_PAGE, 0.3, 0.3);
    s.pairs[1] = mkpair("6h", "30m", 6, ALERT_PAGE, 0.3, 0.3);
    s.pairs[2] = mkpair("1d", "2h", 3, ALERT_TICKET, 0.2, 0.3);
    s.pairs[3] = mkpair("3d", "6h", 1, ALERT_TICKET, 0.2, 0.3);
    s.pair = slo_pair_pick(s.pairs, s.npairs);
    CHECK(s.pair == 3);
    slo_pair_reason(&s, why, sizeof why);
    CHECK_STR(why, "3d 0.2x and 6h 0.3x under 1");
    s.pairs[0] = mkpair("1h", "5m", 14.4, ALERT_PAGE, 14.41, 100);
    s.pair = 0;
    slo_pair_reason(&s, why, sizeof why);
    CHECK_STR(why, "1h 14.41x and 5m 100x over 14.4");
    /* one window without data: the pair cannot say it is not firing */
    s.pairs[0] = mkpair("1h", "5m", 14.4, ALERT_PAGE, 0.5, NAN);
    CHECK(s.pairs[0].firing == TB_UNKNOWN);
    CHECK(mkpair("1h", "5m", 14.4, ALERT_PAGE, NAN, 300).firing == TB_UNKNOWN);
    CHECK(mkpair("1h", "5m", 14.4, ALERT_PAGE, 0.5, 0.1).firing == TB_NO);
    s.pair = 0;
    slo_pair_reason(&s, why, sizeof why);
    CHECK_STR(why, "1h 0.5x and 5m no data, factor 14.4: firing unknown");
    for (int i = 0; i < 4; i++) {
        s.pairs[i].long_burn = s.pairs[i].short_burn = NAN;
        s.pairs[i].firing = TB_UNKNOWN;
    }
    s.pair = slo_pair_pick(s.pairs, s.npairs);
    CHECK(s.pair == -1);
    slo_pair_reason(&s, why, sizeof why);
    CHECK_STR(why, "no window data");
}

TEST(hysteresis)
{
    int64_t pend = 0;
    enum alert_state s = ALERT_OK;
    s = slo_alert_step(s, ALERT_PAGE, 1000, 300000, &pend);
    CHECK(s == ALERT_PAGE);
    s = slo_alert_step(s, ALERT_OK, 2000, 300000, &pend);
    CHECK(s == ALERT_PAGE && pend == 2000);
    s = slo_alert_step(s, ALERT_PAGE, 3000, 300000, &pend); /* flap back: pending cleared */
    CHECK(s == ALERT_PAGE && pend == 0);
    s = slo_alert_step(s, ALERT_TICKET, 4000, 300000, &pend);
    s = slo_alert_step(s, ALERT_TICKET, 303999, 300000, &pend);
    CHECK(s == ALERT_PAGE);
    s = slo_alert_step(s, ALERT_TICKET, 304000, 300000, &pend);
    CHECK(s == ALERT_TICKET);
}

TEST(window_names)
{
    char b[16];
    slo_format_window(5 * MS_MINUTE, b, sizeof(b));
    CHECK_STR(b, "5m");
    slo_format_window(30 * MS_DAY, b, sizeof(b));
    CHECK_STR(b, "30d");
    slo_format_window(90 * MS_MINUTE, b, sizeof(b));
    CHECK_STR(b, "1h30m");
}

TEST(terminal_safe_text)
{
    char out[64];
    gate_term_safe(out, sizeof(out),
                   "bad\x1b[2Jdata\x07 \xc2\x9b"
                   "31m ok \xc3\xa9");
    CHECK_STR(out, "bad?[2Jdata? ?31m ok \xc3\xa9");
    gate_term_safe(out, 4, "abcdef");
    CHECK_STR(out, "abc");
}

#define T0 1704067200000LL /* 2024-01-01T00:00:00Z */

TEST(history_window_rollover_and_resets)
{
    static struct slo_history h;
    sloh_init(&h, 30 * MS_DAY);
    double errors = 0, total = 0;
    /* 100 req/s, 1 error/s for 10 min, then 50 errors/s for 2 min, then 1/s */
    for (int s = 0; s <= 20 * 60; s++) {
        sloh_add(&h, T0 + s * 1000LL, errors, total);
        total += 100;
        errors += (s >= 600 && s < 720) ? 50 : 1;
    }
    int64_t now = T0 + 20 * 60 * 1000LL;
    /* the spike (600..720 s) is 8 to 10 minutes ago: outside 5m */
    CHECK_REL(sloh_ratio(&h, now, 5 * MS_MINUTE), 0.01, 1e-12);
    double r15 = sloh_ratio(&h, now, 15 * MS_MINUTE); /* 780 s at 1/s + 120 s at 50/s */
    CHECK_REL(r15, (780.0 + 120 * 50) / 90000, 1e-12);
    /* a counter reset (process restart) must not look like negative errors */
    sloh_add(&h, now + 1000, 0, 0);
    sloh_add(&h, now + 2000, 1, 100);
    CHECK_REL(sloh_ratio(&h, now + 2000, 2000), 1.0 / 100, 1e-12);
    /* no samples in a window: no data */
    CHECK(isnan(sloh_ratio(&h, now + 10 * MS_MINUTE, 1000)));
    /* out-of-order samples are dropped and counted */
    sloh_add(&h, T0, 0, 0);
    CHECK(h.dropped == 1);
}

TEST(history_long_windows_in_coarse_tiers)
{
    static struct slo_history h;
    sloh_init(&h, 30 * MS_DAY);
    /* 40 days at 60 s: 6000 req/min, 3 errors/min, plus 180/min in day 39 hour 0 */
    double errors = 0, total = 0;
    int64_t end = T0 + 40 * MS_DAY;
    for (int64_t t = T0; t <= end; t += 60000) {
        sloh_add(&h, t, errors, total);
        total += 6000;
        int64_t since = t - T0;
        errors += (since >= 39 * MS_DAY && since < 39 * MS_DAY + MS_HOUR) ? 180 : 3;
    }
    /* 30d window: steady 0.0005 plus the hour at 0.03 */
    double expect = (30.0 * 1440 * 3 + 60 * 177) / (30.0 * 1440 * 6000);
    CHECK_REL(sloh_ratio(&h, end, 30 * MS_DAY), expect, 2e-3); /* 1 h edge resolution */
    CHECK_REL(sloh_ratio(&h, end, 6 * MS_HOUR), 0.0005, 1e-9);
    double d1 = (23.0 * 60 * 3 + 60 * 180) / (1440.0 * 6000);
    CHECK_REL(sloh_ratio(&h, end, MS_DAY), d1, 1e-9);
    CHECK(sizeof(struct slo_history) < 80 * 1024);
}

/* ---- evaluation through the engine ---- */

struct flat {
    double per_s, err_ratio;
    int64_t t0;
};
static int flat_counters(void *ud, int64_t t, double *errors, double *total)
{
    struct flat *f = ud;
    double s = (double)(t - f->t0) / 1000;
    *total = s * f->per_s;
    *errors = *total * f->err_ratio;
    return 0;
}

static struct slo *row_of(struct engine *e, const char *name)
{
    return engine_get(e, T_SLOS, name);
}

TEST(outage_pages_after_51_84_seconds_and_opens_incident)
{
    static struct engine e;
    engine_init(&e);
    int64_t now = T0 + 30 * MS_DAY;
    e.now = now;
    char err[256];
    struct slo_def d = {.name = "checkout-availability",
                        .service = "checkout",
                        .objective = 99.9,
                        .errors_series = "t:checkout:errors_total",
                        .total_series = "t:checkout:requests_total"};
    CHECK(slo_define(&e, &d, err, sizeof(err)) == 0);
    struct flat f = {100, 0, now - 30 * MS_DAY};
    CHECK(slo_backfill_counters(&e, d.name, now - 30 * MS_DAY, now - 60000, 60000, flat_counters,
                                &f) == 43200);
    /* live counters restart from 0 (a reset) and fail completely */
    double total = 0, errors = 0;
    int64_t paged_at = 0, burning_at = 0;
    char burning_reason[TEXT_LEN] = "";
    for (int s = 0; s <= 120; s++) {
        engine_advance(&e, now + s * 1000LL);
        engine_sample(&e, "t:checkout:requests_total", total);
        engine_sample(&e, "t:checkout:errors_total", errors);
        struct slo *r = row_of(&e, d.name);
        if (!burning_at && r && r->alert == ALERT_BURNING) {
            burning_at = s;
            snprintf(burning_reason, sizeof burning_reason, "%s", r->gate_reason);
            CHECK(r->gate == GATE_STATE_OPEN && r->pair == 0 && r->pairs[0].firing == TB_NO);
        }
        if (!paged_at && r && r->alert == ALERT_PAGE)
            paged_at = s;
        total += 100;
        errors += s >= 1 ? 100 : 0; /* errors from second 1 on */
    }
    /* detection time (B/e)*L*k = 0.001 * 3600 s * 14.4 = 51.84 s after errors start,
     * seen at the first whole-second tick after it (plus 1 s of sample lag) */
    CHECK(paged_at >= 52 && paged_at <= 54);
    /* 5m crosses 14.4 within seconds (0.001 * 300 s * 14.4 = 4.3 s): burning long before */
    CHECK(burning_at >= 4 && burning_at <= 7);
    CHECK(strstr(burning_reason, "burning (5m ") && strstr(burning_reason, "over 14.4, 1h "));
    struct slo *r = row_of(&e, d.name);
    CHECK(r && r->npairs == 4 && r->pair == 0 && r->pairs[0].firing == TB_YES);
    CHECK(r && strstr(r->gate_reason, "page alert firing (1h ") &&
          strstr(r->gate_reason, " and 5m ") && strstr(r->gate_reason, "x over 14.4)"));
    /* the pair's recent burn ends at its level now (the lower of the two) */
    CHECK(r && r->pairs[0].nhistory == SLO_BURN_HISTORY &&
          fabsf(r->pairs[0].burn_history[SLO_BURN_HISTORY - 1] -
                (float)fmin(r->pairs[0].long_burn, r->pairs[0].short_burn)) < 1e-3f &&
          r->pairs[0].burn_history[0] < 1);
    CHECK(r && r->alert == ALERT_PAGE && !r->gate_open && r->gate == GATE_STATE_CLOSED);
    CHECK(r && r->nwindows == 8 && strcmp(r->windows[7].name, "30d") == 0);
    CHECK(r && r->budget_remaining < 1 && r->budget_remaining > 0.9);
    CHECK(r && r->exhaustion_ms > 0);
    CHECK(r && r->nhistory == SLO_HISTORY);
    struct table *inc = engine_table(&e, T_INCIDENTS);
    CHECK(inc->count == 1);
    if (inc->count) {
        struct incident *i0 = table_row(inc, 0);
        CHECK_STR(i0->fingerprint, "slo:checkout-availability");
        CHECK(i0->ntimeline == 1);
        CHECK(strstr(i0->timeline[0].text, "page: checkout-availability 1h ") &&
              strstr(i0->timeline[0].text, " and 5m ") &&
              strstr(i0->timeline[0].text, "over 14.4"));
    }
    struct summary *s = engine_get(&e, T_SUMMARY, "summary");
    CHECK(s && !s->gate_open && s->gate == GATE_STATE_CLOSED);
    char json[512];
    CHECK(gate_http_answer(&e, "slo=checkout-availability", json, sizeof(json)) == 200);
    CHECK(strstr(json, "\"ok\":false") && strstr(json, "\"decision\":\"block\""));
    CHECK(gate_http_answer(&e, "slo=nope", json, sizeof(json)) == 404);
    CHECK(gate_http_answer(&e, "x=1", json, sizeof(json)) == 400);
    /* the query is form-decoded (base/urlquery): %XX and + in a name */
    CHECK(gate_http_answer(&e, "x=%zz&slo=checkout%2davailability", json, sizeof(json)) == 200);
    CHECK(gate_http_answer(&e, "slo=checkout-availability&policy=ti%63ket", json, sizeof(json)) ==
          200);
    CHECK(gate_http_answer(&e, "slo=checkout-availability%2", json, sizeof(json)) == 400 &&
          strstr(json, "percent-encoding"));
    CHECK(gate_http_answer(&e, "slo=checkout+availability", json, sizeof(json)) == 404 &&
          strstr(json, "checkout availability"));
    CHECK(gate_http_answer(&e, NULL, json, sizeof(json)) == 400);
    slo_detach(&e);
    engine_free(&e);
}

/* One series feeding two SLOs: every sample reaches both (the series index
 * is a multimap), and each SLO sees only its own error series. */
TEST(shared_total_series_feeds_every_slo)
{
    static struct engine e;
    engine_init(&e);
    int64_t now = T0 + 30 * MS_DAY;
    e.now = now;
    char err[256];
    struct slo_def a = {
        .name = "a", .objective = 99, .errors_series = "a:e", .total_series = "shared:t"};
    struct slo_def b = {
        .name = "b", .objective = 99, .errors_series = "b:e", .total_series = "shared:t"};
    CHECK(slo_define(&e, &a, err, sizeof(err)) == 0);
    CHECK(slo_define(&e, &b, err, sizeof(err)) == 0);
    for (int s = 0; s <= 600; s++) {
        engine_advance(&e, now + s * 1000LL);
        engine_sample(&e, "shared:t", 100.0 * s);
        engine_sample(&e, "a:e", 10.0 * s);
        engine_sample(&e, "b:e", 0);
    }
    struct slo *ra = row_of(&e, "a"), *rb = row_of(&e, "b");
    CHECK(ra && ra->nwindows > 0 && fabs(ra->windows[0].error_ratio - 0.1) < 1e-6);
    CHECK(rb && rb->nwindows > 0 && rb->windows[0].error_ratio == 0);
    slo_detach(&e);
    engine_free(&e);
}

TEST(healthy_slo_allows_and_no_traffic_is_unknown)
{
    static struct engine e;
    engine_init(&e);
    int64_t now = T0 + 30 * MS_DAY;
    e.now = now;
    char err[256];
    struct slo_def d = {
        .name = "ok", .objective = 0.99, .errors_series = "a:e", .total_series = "a:t"};
    struct slo_def q = {
        .name = "quiet", .objective = 0.99, .errors_series = "q:e", .total_series = "q:t"};
    CHECK(slo_define(&e, &d, err, sizeof(err)) == 0);
    CHECK(slo_define(&e, &q, err, sizeof(err)) == 0);
    struct flat f = {10, 0.002, now - 30 * MS_DAY}; /* burn 0.2 */
    slo_backfill_counters(&e, "ok", now - 30 * MS_DAY, now, 60000, flat_counters, &f);
    struct flat zero = {0, 0, now - 30 * MS_DAY};
    slo_backfill_counters(&e, "quiet", now - 30 * MS_DAY, now, 60000, flat_counters, &zero);
    engine_advance(&e, now + 1000);
    struct slo *r = row_of(&e, "ok");
    CHECK(r && r->alert == ALERT_OK && r->gate_open);
    CHECK(r && fabs(r->budget_remaining - 0.8) < 1e-9);
    CHECK(r && fabs(r->windows[7].burn_rate - 0.2) < 1e-9);
    /* burn 0.2 over 1h, 0.8 left of 30 d: 0.8 * 30 d / 0.2 = 120 d */
    CHECK(r && r->exhaustion_ms == 120 * MS_DAY);
    struct slo *qr = row_of(&e, "quiet");
    CHECK(qr && qr->alert == ALERT_NODATA && isnan(qr->budget_remaining));
    char reason[256];
    struct gate_opts o = {GATE_PAGE, 0};
    CHECK(qr && gate_decide(qr, &o, reason, sizeof(reason)) == GATE_UNKNOWN);
    /* unknown is never shown as open: not on the row, not in the header */
    CHECK(qr && qr->gate == GATE_STATE_UNKNOWN && !qr->gate_open);
    CHECK(r && r->gate == GATE_STATE_OPEN);
    struct summary *sm = engine_get(&e, T_SUMMARY, "summary");
    CHECK(sm && sm->gate == GATE_STATE_UNKNOWN && !sm->gate_open);
    CHECK(sm && strstr(sm->gate_reason, "quiet"));
    o.min_budget = 0.9;
    CHECK(r && gate_decide(r, &o, reason, sizeof(reason)) == GATE_BLOCK);
    CHECK(strstr(reason, "below"));
    struct slo_def bad = {
        .name = "bad", .objective = 100, .errors_series = "x", .total_series = "y"};
    CHECK(slo_define(&e, &bad, err, sizeof(err)) < 0 && strstr(err, "objective"));
    struct slo_def nosli = {.name = "nosli", .objective = 99};
    CHECK(slo_define(&e, &nosli, err, sizeof(err)) < 0 && strstr(err, "SLI"));
    slo_detach(&e);
    engine_free(&e);
}

struct stepwise {
    int64_t bad_until; /* errors at 50% before this instant, none after */
    int64_t t0;
};
static int stepwise_counters(void *ud, int64_t t, double *errors, double *total)
{
    struct stepwise *w = ud;
    double minutes = (double)(t - w->t0) / 60000;
    double bad_minutes = (double)((t < w->bad_until ? t : w->bad_until) - w->t0) / 60000;
    *total = minutes * 100;
    *errors = bad_minutes > 0 ? bad_minutes * 50 : 0;
    return 0;
}

/* A Prometheus SLO before its first answer is "cannot tell", and says why:
 * not "no traffic", which would send the reader to the wrong place. */
TEST(prometheus_slo_awaits_its_first_answer)
{
    static struct engine e;
    engine_init(&e);
    int64_t now = T0 + 30 * MS_DAY;
    e.now = now;
    char err[256], reason[256];
    struct slo_def d = {.name = "p",
                        .objective = 0.99,
                        .error_query = "sum(rate(e[{{.window}}]))",
                        .total_query = "sum(rate(t[{{.window}}]))"};
    CHECK(slo_define(&e, &d, err, sizeof(err)) == 0);
    struct slo *r = row_of(&e, "p");
    CHECK(r && r->awaiting && r->gate == GATE_STATE_UNKNOWN && !r->gate_open);
    /* the header's gate: unknown at once, not "n/a" as if there were no SLO */
    struct summary *sm = engine_get(&e, T_SUMMARY, "summary");
    CHECK(sm && sm->gate == GATE_STATE_UNKNOWN && strstr(sm->gate_reason, "not evaluated yet"));
    engine_advance(&e, now + 1000);
    r = row_of(&e, "p");
    struct gate_opts o = {GATE_PAGE, 0};
    CHECK(r && r->awaiting && gate_decide(r, &o, reason, sizeof(reason)) == GATE_UNKNOWN);
    CHECK(strstr(reason, "no answer from Prometheus yet") && !strstr(reason, "no traffic"));
    int n = r ? r->nwindows : 0;
    int64_t len[SLO_WINDOWS];
    for (int i = 0; i < n; i++)
        len[i] = r->windows[i].length_ms;
    for (int i = 0; i < n; i++) {
        struct measure m = {
            .kind = MEASURE_RATIO, .subject = "p", .window_ms = len[i], .at = now + 1000};
        engine_measure(&e, &m); /* value 0: no errors in any window */
    }
    engine_advance(&e, now + 2000);
    r = row_of(&e, "p");
    CHECK(r && !r->awaiting && r->gate == GATE_STATE_OPEN && r->gate_open);
    slo_detach(&e);
    engine_free(&e);
}

/* A query that cannot be formed (here a window name longer than the
 * {{.window}} it replaces, 186 times over: the spec loader refuses such a
 * query, slo_define does not) fails its SLO and the round, naming the
 * window: never skipped as if nothing had been asked, which left the SLO
 * "awaiting" and the source synced. Every window of this SLO is that one;
 * its burn-down range query goes to port 1, which refuses at once. */
TEST(prometheus_query_that_cannot_be_formed_fails)
{
    static struct engine e;
    static char q[2048];
    engine_init(&e);
    e.now = T0 + 30 * MS_DAY;
    for (int i = 0; i < 186; i++)
        strcat(q, "{{.window}}");
    int64_t w = 10 * MS_DAY + 10 * MS_HOUR + 10 * MS_MINUTE + 10000; /* "10d10h10m10s" */
    struct slo_policy pol = {.npairs = 1, .pairs = {{w, w, 1, 100, ALERT_PAGE}}};
    struct slo_def d = {.name = "long",
                        .objective = 0.99,
                        .period_ms = w,
                        .error_query = q,
                        .total_query = q,
                        .policy = &pol};
    char err[256];
    CHECK(slo_define(&e, &d, err, sizeof(err)) == 0);
    struct loop *l = loop_new();
    struct http *h = http_new(l);
    struct prom_config c = {.url = "http://127.0.0.1:1", .timeout_ms = 2000};
    CHECK(slo_prom_eval_once(&e, l, h, &c, e.now, 2000) > 0);
    struct slo *r = row_of(&e, "long");
    CHECK(r && strstr(r->error, "cannot form the PromQL query for window 10d10h10m10s"));
    CHECK(r && r->alert == ALERT_NODATA && r->gate == GATE_STATE_UNKNOWN && !r->awaiting);
    CHECK(r && strstr(r->gate_reason, "cannot form the PromQL query"));
    CHECK(r && r->npairs == 1 && r->pairs[0].firing == TB_UNKNOWN);
    http_free(h);
    loop_free(l);
    slo_detach(&e);
    engine_free(&e);
}

TEST(gate_is_none_without_slos)
{
    static struct engine e;
    engine_init(&e);
    engine_advance(&e, 1700000000000LL);
    struct summary *sm = engine_get(&e, T_SUMMARY, "summary");
    CHECK(sm && sm->gate == GATE_STATE_NONE && !sm->gate_open);
    engine_free(&e);
}

/* Calendar periods start at 00:00 UTC on the 1st or on the ISO Monday:
 * leap February, a common one, December into January (and a week that
 * spans the new year), Sunday night into Monday. */
TEST(calendar_period_start_at_boundaries)
{
    static const struct {
        enum slo_period_kind kind;
        int64_t now_s, start_s;
    } rows[] = {
        {SLO_CALENDAR_MONTH, 1709208000, 1706745600}, /* 2024-02-29 12:00 (leap) -> 02-01 */
        {SLO_CALENDAR_MONTH, 1709251199, 1706745600}, /* 2024-02-29 23:59:59 -> 02-01 */
        {SLO_CALENDAR_MONTH, 1709251200, 1709251200}, /* 2024-03-01 00:00 starts March */
        {SLO_CALENDAR_MONTH, 1677628799, 1675209600}, /* 2023-02-28 23:59:59 -> 02-01 */
        {SLO_CALENDAR_MONTH, 1677628800, 1677628800}, /* 2023-03-01 (no Feb 29) */
        {SLO_CALENDAR_MONTH, 1704067199, 1701388800}, /* 2023-12-31 23:59:59 -> 12-01 */
        {SLO_CALENDAR_MONTH, 1704067200, 1704067200}, /* 2024-01-01 00:00 starts January */
        {SLO_CALENDAR_WEEK, 1709208000, 1708905600},  /* Thu 2024-02-29 -> Mon 02-26 */
        {SLO_CALENDAR_WEEK, 1709251200, 1708905600},  /* Fri 2024-03-01: same week */
        {SLO_CALENDAR_WEEK, 1709510399, 1708905600},  /* Sun 2024-03-03 23:59:59 */
        {SLO_CALENDAR_WEEK, 1709510400, 1709510400},  /* Mon 2024-03-04 00:00 */
        {SLO_CALENDAR_WEEK, 1735722000, 1735516800},  /* Wed 2025-01-01 -> Mon 2024-12-30 */
        {SLO_CALENDAR_WEEK, 1736121599, 1735516800},  /* Sun 2025-01-05 23:59:59 */
        {SLO_CALENDAR_WEEK, 1704067199, 1703462400},  /* Sun 2023-12-31 -> Mon 12-25 */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t now = rows[i].now_s * 1000 + 250;
        CHECK_NEAR((double)(slo_period_start(rows[i].kind, 30 * MS_DAY, now)),
                   (double)(rows[i].start_s * 1000), 0);
        CHECK_NEAR((double)(slo_period_query_ms(rows[i].kind, 30 * MS_DAY, now)),
                   (double)((rows[i].now_s - rows[i].start_s) * 1000), 0);
    }
    int64_t now = 1709208000000LL;
    CHECK_NEAR((double)(slo_period_start(SLO_ROLLING, 30 * MS_DAY, now)),
               (double)(now - 30 * MS_DAY), 0);
    CHECK_NEAR((double)(slo_period_query_ms(SLO_ROLLING, 30 * MS_DAY, now)), (double)(30 * MS_DAY),
               0);
}

/* The period Prometheus is asked for: whole seconds since the boundary (0
 * under one second: not asked), and the burn-down step a 120th of it. */
TEST(calendar_query_window_and_range_step)
{
    int64_t march = 1709251200000LL;
    CHECK_NEAR((double)(slo_period_query_ms(SLO_CALENDAR_MONTH, 0, march + 999)), (double)(0), 0);
    CHECK_NEAR((double)(slo_period_query_ms(SLO_CALENDAR_MONTH, 0, march + 1500)), (double)(1000),
               0);
    /* 2024-02-29 23:59:59.999: the whole leap February less a second */
    CHECK_NEAR((double)(slo_period_query_ms(SLO_CALENDAR_MONTH, 0, march - 1)),
               (double)((29 * 86400 - 1) * 1000LL), 0);
    CHECK_NEAR((double)(slo_range_step_ms(SLO_CALENDAR_MONTH, 0, march + 119999)), (double)(0), 0);
    CHECK_NEAR((double)(slo_range_step_ms(SLO_CALENDAR_MONTH, 0, march + 120000)), (double)(1000),
               0);
    CHECK_NEAR((double)(slo_range_step_ms(SLO_CALENDAR_MONTH, 0, march + 183600000)),
               (double)(1530000), 0);
    CHECK_NEAR((double)(slo_range_step_ms(SLO_ROLLING, 30 * MS_DAY, march)), (double)(6 * MS_HOUR),
               0);
}

/* Right after a calendar boundary, Prometheus's last answer for the period
 * is about the month that ended: it is not this month's budget (no data
 * until the first answer after the boundary), whatever the staleness. */
TEST(calendar_prometheus_answer_from_last_month_is_not_this_months)
{
    static struct engine e;
    engine_init(&e);
    int64_t march = 1709251200000LL;
    e.now = march - 60000;
    char err[256];
    struct slo_def d = {.name = "pc",
                        .objective = 0.99,
                        .period_kind = SLO_CALENDAR_MONTH,
                        .error_query = "sum(rate(e[{{.window}}]))",
                        .total_query = "sum(rate(t[{{.window}}]))"};
    CHECK(slo_define(&e, &d, err, sizeof(err)) == 0);
    struct slo_info info;
    CHECK(slo_info_at(&e, 0, &info));
    for (int i = 0; i < info.nwindows; i++) {
        struct measure m = {.kind = MEASURE_RATIO,
                            .subject = "pc",
                            .window_ms = info.windows[i],
                            .at = march - 60000,
                            .value = 0.005};
        engine_measure(&e, &m);
    }
    engine_advance(&e, march - 30000);
    struct slo *r = row_of(&e, "pc");
    CHECK(r && fabs(r->budget_remaining - 0.5) < 1e-12);
    CHECK(r && strcmp(r->windows[r->nwindows - 1].name, "month") == 0);
    engine_advance(&e, march + 30000);
    r = row_of(&e, "pc");
    CHECK(r && isnan(r->budget_remaining) && r->exhaustion_ms == SLO_EXHAUSTION_UNKNOWN);
    CHECK(r && r->gate == GATE_STATE_UNKNOWN);
    struct measure m = {.kind = MEASURE_RATIO,
                        .subject = "pc",
                        .window_ms = info.windows[info.nwindows - 1],
                        .at = march + 30000};
    engine_measure(&e, &m); /* the month so far: no errors */
    engine_advance(&e, march + 31000);
    r = row_of(&e, "pc");
    CHECK(r && fabs(r->budget_remaining - 1) < 1e-12);
    slo_detach(&e);
    engine_free(&e);
}

TEST(calendar_month_resets_the_budget)
{
    static struct engine e;
    engine_init(&e);
    /* 2024-03-10T00:00:00Z; the month began 9 days ago, errors stopped 2024-02-29 */
    int64_t now = 1710028800000LL, march = 1709251200000LL;
    e.now = now;
    char err[256];
    struct slo_def cal = {.name = "cal",
                          .objective = 0.99,
                          .period_kind = SLO_CALENDAR_MONTH,
                          .errors_series = "c:e",
                          .total_series = "c:t"};
    struct slo_def roll = {
        .name = "roll", .objective = 0.99, .errors_series = "r:e", .total_series = "r:t"};
    CHECK(slo_define(&e, &cal, err, sizeof(err)) == 0);
    CHECK(slo_define(&e, &roll, err, sizeof(err)) == 0);
    struct stepwise w = {march - MS_DAY, now - 40 * MS_DAY};
    slo_backfill_counters(&e, "cal", w.t0, now, 60000, stepwise_counters, &w);
    slo_backfill_counters(&e, "roll", w.t0, now, 60000, stepwise_counters, &w);
    engine_advance(&e, now + 1000);
    struct slo *c = row_of(&e, "cal"), *r = row_of(&e, "roll");
    CHECK(c && fabs(c->budget_remaining - 1.0) < 1e-12);
    CHECK(c && c->period_ms == now + 1000 - march);
    CHECK(c && strcmp(c->windows[c->nwindows - 1].name, "month") == 0 &&
          c->windows[c->nwindows - 1].length_ms == c->period_ms);
    /* rolling 30 d still holds the 20 bad days before March 1st: ratio 0.5 * 20/30 */
    CHECK(r && fabs(r->budget_remaining - (1 - (0.5 * 20.0 / 30) / 0.01)) < 1e-4);
    slo_detach(&e);
    engine_free(&e);
}

RUN_TESTS()

/* --slo as people type it: the id, the bare Sloth name, a pasted sloth_id
 * label; a typo gets a did-you-mean, an ambiguous bare name the choices. */
TEST(slo_names_as_people_write_them)
{
    static struct engine e;
    engine_init(&e);
    e.now = T0 + 30 * MS_DAY;
    char err[512], id[96];
    struct slo_def a = {.name = "myservice-requests-availability",
                        .service = "myservice",
                        .objective = 99.9,
                        .errors_series = "m:e",
                        .total_series = "m:t"};
    struct slo_def b = {.name = "shop-latency",
                        .service = "shop",
                        .objective = 99,
                        .errors_series = "s:e",
                        .total_series = "s:t"};
    struct slo_def c = {.name = "cart-latency",
                        .service = "cart",
                        .objective = 99,
                        .errors_series = "c:e",
                        .total_series = "c:t"};
    CHECK(slo_define(&e, &a, err, sizeof(err)) == 0 && slo_define(&e, &b, err, sizeof(err)) == 0 &&
          slo_define(&e, &c, err, sizeof(err)) == 0);
    static const char *const same[] = {"myservice-requests-availability",
                                       "requests-availability",
                                       "sloth_id=\"myservice-requests-availability\"",
                                       "{sloth_id=\"myservice-requests-availability\"}",
                                       "sloth_slo='requests-availability'",
                                       NULL};
    for (int i = 0; same[i]; i++) {
        id[0] = 0;
        CHECK(slo_resolve_name(&e, same[i], id, sizeof(id), err, sizeof(err)) == 0);
        CHECK_STR(id, "myservice-requests-availability");
    }
    CHECK(slo_resolve_name(&e, "myservice-request-availability", id, sizeof(id), err, sizeof(err)) <
          0);
    CHECK(strstr(err, "unknown SLO") &&
          strstr(err, "did you mean myservice-requests-availability"));
    CHECK(slo_resolve_name(&e, "latency", id, sizeof(id), err, sizeof(err)) < 0);
    CHECK(strstr(err, "ambiguous") && strstr(err, "shop-latency") && strstr(err, "cart-latency"));
    CHECK(slo_resolve_name(&e, "zzzzzz", id, sizeof(id), err, sizeof(err)) < 0);
    CHECK(strstr(err, "known: ") && !strstr(err, "did you mean"));
    char json[512];
    CHECK(gate_http_answer(&e, "slo=requests-availability", json, sizeof(json)) == 200);
    CHECK(gate_http_answer(&e, "slo=shop-latencyy", json, sizeof(json)) == 404 &&
          strstr(json, "did you mean shop-latency"));
    slo_detach(&e);
    engine_free(&e);
}

TEST(suggest_distance_and_closest)
{
    CHECK(suggest_distance("kitten", "sitting", 5) == 3);
    CHECK(suggest_distance("", "abc", 5) == 3);
    CHECK(suggest_distance("same", "same", 0) == 0);
    CHECK(suggest_distance("abcdefgh", "zzzzzzzz", 2) == 3); /* capped */
    struct suggest sg;
    suggest_init(&sg, "checkout-availabilty");
    suggest_offer(&sg, "payments-availability");
    suggest_offer(&sg, "checkout-availability");
    CHECK(sg.best && strcmp(sg.best, "checkout-availability") == 0 && sg.best_dist == 1);
    suggest_init(&sg, "ab");
    suggest_offer(&sg, "xyzw");
    CHECK(sg.best == NULL);
}
