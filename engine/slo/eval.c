/* SLO evaluation on engine time: definitions, counter input, the tick hook
 * that writes struct slo rows, incidents on page, and the summary gate. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/dict.h"
#include "slo/gate.h"
#include "slo/slo.h"
#include "core/incident.h"
#include "slo/history.h"

#define SLO_MAX 4096

/* snprintf that may cut (fixed-size state fields are caps by design). */
__attribute__((format(printf, 3, 4))) static void textf(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}
#define QUERY_LEN     2048
#define SERIES_LEN    160
#define PROM_STALE_MS (5 * MS_MINUTE)

struct slo_rt {
    char name[96], service[NAME_LEN], description[TEXT_LEN], source[NAME_LEN];
    char errors_series[SERIES_LEN], total_series[SERIES_LEN];
    char error_query[QUERY_LEN], total_query[QUERY_LEN];
    struct slo_def def; /* its strings point into the arrays above */
    struct slo_policy policy;
    int nwin;
    int64_t win[SLO_WINDOWS]; /* policy windows, shortest first, then the period */
    /* counter input */
    bool prom;
    double raw_errors, raw_total;
    bool have_errors, have_total;
    struct slo_history hist;
    /* Prometheus input: one ratio per window */
    double prom_ratio[SLO_WINDOWS];
    int64_t prom_at[SLO_WINDOWS];
    bool prom_no_errors[SLO_WINDOWS]; /* that window had no error series */
    char error[TEXT_LEN];
    /* alert state */
    enum alert_state alert;
    int64_t pending_since, alert_since, burn_started;
    char incident[32];
    /* burn-down points are recomputed every HISTORY_REFRESH_MS; between
     * refreshes only the newest point moves */
    float history[SLO_HISTORY];
    int64_t history_at;
    /* the same for each pair's burn over the last BURN_SPAN_MS; Prometheus
     * answers only now, so there it is a ring of past evaluations */
    float burn_hist[SLO_PAIRS][SLO_BURN_HISTORY];
    int64_t burn_at;
    /* Prometheus burn-down: per-step rates of errors [0] and totals [1] */
    double range[2][SLO_HISTORY];
    int64_t range_at[2];
};

#define HISTORY_REFRESH_MS 60000
#define BURN_SPAN_MS       (3 * MS_HOUR)
#define BURN_STEP_MS       (BURN_SPAN_MS / SLO_BURN_HISTORY)

/* Series name -> SLO, so a sample costs a hash lookup, not a scan of every
 * SLO. A multimap: a series may feed several SLOs, each an entry whose key
 * points into that SLO's own copy of the name. */
static const struct dict_type series_type = {.hash = dict_hash_str};

struct slo_engine {
    struct engine *e;
    struct slo_rt **v;
    int n, cap;
    struct dict ix; /* see series_type */
    slo_notify_fn notify;
    void *notify_ud;
    void (*notify_free)(void *);
    struct gate_opts gate;
    int incident_seq;
    bool correlated; /* a correlator opens incidents; do not open our own */
};

/* One SLO engine per struct engine (tests create several engines), kept on
 * the engine itself so that any code holding the engine reaches it. */
static struct slo_engine *find_se(struct engine *e)
{
    return engine_ext_get(e, "slo");
}

static void on_tick(struct engine *e, int64_t now, void *ud);
static void on_sample(struct engine *e, int table, const void *obj, void *ud);

static struct slo_engine *get_se(struct engine *e)
{
    struct slo_engine *se = find_se(e);
    if (se)
        return se;
    se = calloc(1, sizeof(*se));
    if (!se)
        return NULL;
    se->e = e;
    se->gate.policy = GATE_PAGE;
    dict_init(&se->ix, &series_type, NULL);
    engine_ext_set(e, "slo", se);
    engine_add_hook(e, "slo", 1000, on_tick, se);
    engine_observe(e, on_sample, se);
    return se;
}

void slo_detach(struct engine *e)
{
    struct slo_engine *se = find_se(e);
    if (!se)
        return;
    /* the engine has no unregister: leave the hook and observer inert */
    for (int h = 0; h < e->nhooks; h++)
        if (e->hooks[h].ud == se)
            e->hooks[h].ud = NULL;
    for (int o = 0; o < e->nobservers; o++)
        if (e->observers[o].ud == se)
            e->observers[o].ud = NULL;
    engine_ext_set(e, "slo", NULL);
    for (int k = 0; k < se->n; k++)
        free(se->v[k]);
    free(se->v);
    dict_free(&se->ix);
    if (se->notify_free && se->notify_ud)
        se->notify_free(se->notify_ud);
    free(se);
}

static struct slo_rt *find_rt(struct slo_engine *se, const char *name)
{
    for (int i = 0; se && i < se->n; i++)
        if (strcmp(se->v[i]->name, name) == 0)
            return se->v[i];
    return NULL;
}

static int setup_windows(struct slo_rt *rt)
{
    int64_t w[SLO_WINDOWS];
    int n = slo_policy_windows(&rt->policy, w, SLO_WINDOWS - 1);
    rt->nwin = 0;
    for (int i = 0; i < n; i++)
        rt->win[rt->nwin++] = w[i];
    rt->win[rt->nwin++] = rt->def.period_ms;
    return 0;
}

static void copy_def(struct slo_rt *rt, const struct slo_def *d)
{
    STR_COPY(rt->name, d->name);
    STR_COPY(rt->service, d->service ? d->service : "");
    STR_COPY(rt->description, d->description ? d->description : "");
    STR_COPY(rt->errors_series, d->errors_series ? d->errors_series : "");
    STR_COPY(rt->total_series, d->total_series ? d->total_series : "");
    STR_COPY(rt->error_query, d->error_query ? d->error_query : "");
    STR_COPY(rt->total_query, d->total_query ? d->total_query : "");
    rt->prom = rt->error_query[0] != 0;
    STR_COPY(rt->source, d->source ? d->source : rt->prom ? "prometheus" : "counters");
    rt->def = *d;
    rt->def.name = rt->name;
    rt->def.service = rt->service;
    rt->def.description = rt->description;
    rt->def.errors_series = rt->errors_series;
    rt->def.total_series = rt->total_series;
    rt->def.error_query = rt->error_query;
    rt->def.total_query = rt->total_query;
    rt->def.source = rt->source;
    rt->def.policy = &rt->policy;
    if (rt->def.objective > 1)
        rt->def.objective /= 100.0;
    if (!rt->def.period_ms)
        rt->def.period_ms = 30 * MS_DAY;
    if (d->policy)
        rt->policy = *d->policy;
    else
        slo_policy_default(&rt->policy, rt->def.period_ms);
}

static int check_def(const struct slo_def *d, char *err, size_t errlen)
{
    double obj = d->objective > 1 ? d->objective / 100.0 : d->objective;
    if (!d->name || !d->name[0] || strlen(d->name) >= 96)
        return snprintf(err, errlen, "SLO name must be 1 to 95 bytes"), -1;
    if (!(obj > 0 && obj < 1))
        return snprintf(err, errlen, "%s: objective must be in (0, 100) percent, got %g", d->name,
                        d->objective),
               -1;
    bool counters =
        d->errors_series && d->errors_series[0] && d->total_series && d->total_series[0];
    bool prom = d->error_query && d->error_query[0] && d->total_query && d->total_query[0];
    if (counters == prom)
        return snprintf(err, errlen,
                        "%s: the SLI needs either two counter series or an error and a total "
                        "query",
                        d->name),
               -1;
    if (prom && (strlen(d->error_query) >= QUERY_LEN || strlen(d->total_query) >= QUERY_LEN))
        return snprintf(err, errlen, "%s: query longer than %d bytes", d->name, QUERY_LEN - 1), -1;
    if (d->period_ms < 0 || (d->period_ms && d->period_ms < MS_HOUR))
        return snprintf(err, errlen, "%s: the SLO period must be at least 1h", d->name), -1;
    if (d->policy) {
        if (d->policy->npairs < 1 || d->policy->npairs > SLO_MAX_PAIRS)
            return snprintf(err, errlen, "%s: the alert policy needs 1 to %d window pairs", d->name,
                            SLO_MAX_PAIRS),
                   -1;
        for (int i = 0; i < d->policy->npairs; i++) {
            const struct slo_alert_pair *p = &d->policy->pairs[i];
            if (p->short_ms <= 0 || p->long_ms < p->short_ms || !(p->factor > 0))
                return snprintf(err, errlen,
                                "%s: alert pair %d: need 0 < short <= long and a "
                                "factor > 0",
                                d->name, i + 1),
                       -1;
        }
    }
    return 0;
}

static int ix_put(struct dict *ix, const char *series, struct slo_rt *rt)
{
    struct dict_entry *e = dict_insert(ix, series);
    if (!e)
        return -1;
    e->val.p = rt;
    return 0;
}

/* A whole new index, swapped in only when complete: out of memory keeps the
 * old one working. */
static int rebuild_index(struct slo_engine *se)
{
    struct dict ix;
    dict_init(&ix, &series_type, NULL);
    for (int i = 0; i < se->n; i++) {
        struct slo_rt *rt = se->v[i];
        if (rt->prom)
            continue;
        bool two = strcmp(rt->total_series, rt->errors_series) != 0;
        if (ix_put(&ix, rt->errors_series, rt) < 0 ||
            (two && ix_put(&ix, rt->total_series, rt) < 0)) {
            dict_free(&ix);
            return -1;
        }
    }
    dict_free(&se->ix);
    se->ix = ix;
    return 0;
}

static void update_summary(struct slo_engine *se, enum gate_state gate, const char *reason);

int slo_define(struct engine *e, const struct slo_def *def, char *err, size_t errlen)
{
    if (check_def(def, err, errlen) < 0)
        return -1;
    struct slo_engine *se = get_se(e);
    if (!se)
        return snprintf(err, errlen, "SLO engine: out of memory"), -1;
    struct slo_rt *rt = find_rt(se, def->name);
    bool fresh = !rt;
    if (fresh) {
        if (se->n >= SLO_MAX)
            return snprintf(err, errlen, "too many SLOs (cap %d)", SLO_MAX), -1;
        if (se->n == se->cap) {
            int cap = se->cap ? se->cap * 2 : 16;
            struct slo_rt **v = realloc(se->v, (size_t)cap * sizeof(*v));
            if (!v)
                return snprintf(err, errlen, "SLO engine: out of memory"), -1;
            se->v = v;
            se->cap = cap;
        }
        rt = calloc(1, sizeof(*rt));
        if (!rt)
            return snprintf(err, errlen, "SLO engine: out of memory"), -1;
        se->v[se->n++] = rt;
    }
    int64_t old_period = rt->def.period_ms;
    copy_def(rt, def);
    setup_windows(rt);
    for (int i = 0; i < SLO_WINDOWS; i++)
        if (fresh)
            rt->prom_ratio[i] = NAN;
    if (fresh || old_period != rt->def.period_ms)
        sloh_init(&rt->hist, rt->def.period_ms);
    if (rebuild_index(se) < 0)
        return snprintf(err, errlen, "SLO engine: out of memory"), -1;
    /* write the row at once so the snapshot lists the SLO before its first tick */
    struct slo row = {0};
    STR_COPY(row.name, rt->name);
    if (!engine_get(e, T_SLOS, row.name)) {
        STR_COPY(row.service, rt->service);
        STR_COPY(row.description, rt->description);
        STR_COPY(row.source, rt->source);
        row.objective = rt->def.objective;
        row.period_ms = rt->def.period_ms;
        row.sli = row.budget_remaining = NAN;
        row.exhaustion_ms = SLO_EXHAUSTION_UNKNOWN;
        row.alert = ALERT_NODATA;
        row.pair = -1;
        /* not evaluated: unknown, never open (a deploy asking now gets "cannot tell") */
        row.gate = GATE_STATE_UNKNOWN;
        row.awaiting = rt->prom;
        STR_COPY(row.gate_reason, "unknown: not evaluated yet");
        row.simulated = def->simulated;
        engine_upsert(e, T_SLOS, &row);
        /* the header's gate too: with an SLO defined it is not "n/a" (no SLOs) */
        const struct summary *sm = engine_get(e, T_SUMMARY, "summary");
        if (!sm || sm->gate == GATE_STATE_NONE) {
            char why[TEXT_LEN];
            textf(why, sizeof(why), "gate unknown: %s: not evaluated yet", row.name);
            update_summary(se, GATE_STATE_UNKNOWN, why);
        }
    }
    return 0;
}

int slo_backfill_counters(struct engine *e, const char *name, int64_t t_start, int64_t t_end,
                          int64_t step_ms, slo_counter_fn fn, void *ud)
{
    struct slo_rt *rt = find_rt(find_se(e), name);
    if (!rt || step_ms <= 0 || rt->prom)
        return -1;
    int n = 0;
    for (int64_t t = t_start; t <= t_end; t += step_ms) {
        double errors, total;
        if (fn(ud, t, &errors, &total) < 0)
            continue;
        sloh_add(&rt->hist, t, errors, total);
        n++;
    }
    return n;
}

static void feed(struct engine *e, struct slo_rt *rt, const struct sample *s)
{
    bool is_err = strcmp(rt->errors_series, s->series) == 0;
    bool is_tot = strcmp(rt->total_series, s->series) == 0;
    if (is_err)
        rt->raw_errors = s->value, rt->have_errors = true;
    if (is_tot)
        rt->raw_total = s->value, rt->have_total = true;
    if (rt->have_errors && rt->have_total)
        sloh_add(&rt->hist, s->time ? s->time : engine_now(e), rt->raw_errors, rt->raw_total);
}

static void on_measure(struct slo_engine *se, const struct measure *m);

static void on_sample(struct engine *e, int table, const void *obj, void *ud)
{
    struct slo_engine *se = ud;
    if (table == OBS_MEASURE && obj && se) {
        on_measure(se, obj);
        return;
    }
    const struct sample *s = obj;
    if (table != OBS_SAMPLE || !s || !se || !s->series)
        return;
    for (struct dict_entry *x = dict_find(&se->ix, s->series); x;
         x = dict_find_next(&se->ix, s->series, x))
        feed(e, x->val.p, s);
}

/* ---- evaluation ---- */

static int64_t period_start(const struct slo_rt *rt, int64_t now)
{
    return slo_period_start(rt->def.period_kind, rt->def.period_ms, now);
}

static double window_ratio(struct slo_rt *rt, int64_t now, int64_t w)
{
    if (rt->prom) {
        for (int i = 0; i < rt->nwin; i++)
            if (rt->win[i] == w)
                return (rt->prom_at[i] && now - rt->prom_at[i] <= PROM_STALE_MS && !rt->error[0])
                           ? rt->prom_ratio[i]
                           : NAN;
        return NAN;
    }
    return sloh_ratio(&rt->hist, now, w);
}

struct burn_ctx {
    struct slo_rt *rt;
    int64_t now;
};

static double burn_of(int64_t w, void *ud)
{
    struct burn_ctx *c = ud;
    return slo_burn_rate(window_ratio(c->rt, c->now, w), c->rt->def.objective);
}

static double period_ratio(struct slo_rt *rt, int64_t now)
{
    /* an answer from before the calendar boundary is about the last period */
    if (rt->prom && rt->nwin && rt->prom_at[rt->nwin - 1] < period_start(rt, now))
        return NAN;
    if (rt->prom)
        return window_ratio(rt, now, rt->def.period_ms);
    double bad, total;
    if (!sloh_delta_between(&rt->hist, period_start(rt, now), now, &bad, &total))
        return NAN;
    return slo_error_ratio(bad, total);
}

/* Remaining budget from the period start to step i of the range answers. */
static double prom_burndown(const struct slo_rt *rt, int64_t now, int i)
{
    if (!rt->range_at[0] || rt->range_at[0] != rt->range_at[1] ||
        rt->range_at[0] < period_start(rt, now))
        return NAN;
    double bad = 0, total = 0;
    for (int k = 0; k <= i; k++) {
        if (isfinite(rt->range[0][k]) && isfinite(rt->range[1][k])) {
            bad += rt->range[0][k];
            total += rt->range[1][k];
        }
    }
    return slo_budget_remaining(slo_error_ratio(bad, total), rt->def.objective);
}

static void fill_history(struct slo_rt *rt, int64_t now, struct slo *row)
{
    int64_t start = period_start(rt, now);
    int64_t span = now - start;
    row->history_step_ms = span / SLO_HISTORY;
    row->nhistory = SLO_HISTORY;
    bool refresh =
        !rt->history_at || now - rt->history_at >= HISTORY_REFRESH_MS || now < rt->history_at;
    for (int i = 0; i < SLO_HISTORY; i++) {
        if (!refresh && i < SLO_HISTORY - 1) {
            row->budget_history[i] = rt->history[i];
            continue;
        }
        int64_t t = now - (int64_t)(SLO_HISTORY - 1 - i) * row->history_step_ms;
        double bad, total, r = NAN;
        if (rt->prom) {
            r = i == SLO_HISTORY - 1 ? row->budget_remaining : prom_burndown(rt, now, i);
        } else if (sloh_delta_between(&rt->hist, start, t, &bad, &total)) {
            r = slo_budget_remaining(slo_error_ratio(bad, total), rt->def.objective);
        }
        row->budget_history[i] = rt->history[i] = (float)r;
    }
    if (refresh)
        rt->history_at = now;
}

/* A pair's level: the lower of its two burns, since it fires only when
 * both are over; one window with data still says something. */
static float pair_level(double long_burn, double short_burn)
{
    return (float)fmin(long_burn, short_burn);
}

static double burn_at(struct slo_rt *rt, int64_t t, int64_t w)
{
    return slo_burn_rate(sloh_ratio(&rt->hist, t, w), rt->def.objective);
}

/* Counters keep their past, so every point is read back from the history
 * (all of them each HISTORY_REFRESH_MS, the newest every tick). */
static void burn_history_counters(struct slo_rt *rt, int64_t now, bool refresh)
{
    for (int k = 0; k < rt->policy.npairs; k++) {
        const struct slo_alert_pair *a = &rt->policy.pairs[k];
        for (int i = refresh ? 0 : SLO_BURN_HISTORY - 1; i < SLO_BURN_HISTORY; i++) {
            int64_t t = now - (int64_t)(SLO_BURN_HISTORY - 1 - i) * BURN_STEP_MS;
            rt->burn_hist[k][i] =
                pair_level(burn_at(rt, t, a->long_ms), burn_at(rt, t, a->short_ms));
        }
    }
}

/* Prometheus answers only for now: each BURN_STEP_MS the ring moves on by
 * one point; the newest point follows every evaluation. */
static void burn_history_prom(struct slo_rt *rt, int64_t now, const struct slo *row)
{
    bool fresh = !rt->burn_at || now < rt->burn_at;
    if (fresh || now - rt->burn_at >= BURN_STEP_MS) {
        for (int k = 0; k < SLO_PAIRS; k++) {
            if (fresh)
                for (int i = 0; i < SLO_BURN_HISTORY; i++)
                    rt->burn_hist[k][i] = NAN;
            else
                memmove(rt->burn_hist[k], rt->burn_hist[k] + 1,
                        (SLO_BURN_HISTORY - 1) * sizeof(rt->burn_hist[k][0]));
        }
        rt->burn_at = now;
    }
    for (int k = 0; k < row->npairs; k++)
        rt->burn_hist[k][SLO_BURN_HISTORY - 1] =
            pair_level(row->pairs[k].long_burn, row->pairs[k].short_burn);
}

/* The policy's pairs as they stand now, with their recent burn, and the
 * one the state is about. */
static void fill_pairs(struct slo_rt *rt, int64_t now, struct slo *row, struct burn_ctx *bc)
{
    row->npairs = rt->policy.npairs < SLO_PAIRS ? rt->policy.npairs : SLO_PAIRS;
    for (int k = 0; k < row->npairs; k++) {
        const struct slo_alert_pair *a = &rt->policy.pairs[k];
        struct slo_pair *p = &row->pairs[k];
        slo_format_window(a->long_ms, p->long_name, sizeof(p->long_name));
        slo_format_window(a->short_ms, p->short_name, sizeof(p->short_name));
        p->factor = a->factor;
        p->severity = a->severity;
        p->long_burn = burn_of(a->long_ms, bc);
        p->short_burn = burn_of(a->short_ms, bc);
        /* a failed SLI's burns are not current: the pair cannot say */
        p->firing =
            rt->error[0] ? TB_UNKNOWN : slo_pair_firing(p->long_burn, p->short_burn, a->factor);
    }
    row->pair = slo_pair_pick(row->pairs, row->npairs);
    if (rt->prom) {
        burn_history_prom(rt, now, row);
    } else {
        bool refresh = !rt->burn_at || now - rt->burn_at >= HISTORY_REFRESH_MS || now < rt->burn_at;
        burn_history_counters(rt, now, refresh);
        if (refresh)
            rt->burn_at = now;
    }
    row->burn_step_ms = BURN_STEP_MS;
    for (int k = 0; k < row->npairs; k++) {
        row->pairs[k].nhistory = SLO_BURN_HISTORY;
        memcpy(row->pairs[k].burn_history, rt->burn_hist[k], sizeof(rt->burn_hist[k]));
    }
}

static void open_incident(struct slo_engine *se, struct slo_rt *rt, const struct slo *row,
                          int64_t now)
{
    struct engine *e = se->e;
    char fp[96];
    textf(fp, sizeof(fp), "slo:%s", rt->name);
    struct incident inc = {0}, *found = NULL;
    struct table *t = engine_table(e, T_INCIDENTS);
    for (int i = 0; i < t->count && !found; i++) {
        struct incident *x = table_row(t, i);
        if (x->state == INC_OPEN && strcmp(x->fingerprint, fp) == 0)
            found = x;
    }
    if (found) {
        inc = *found;
    } else {
        snprintf(inc.id, sizeof(inc.id), "slo-%d", ++se->incident_seq);
        while (engine_get(e, T_INCIDENTS, inc.id))
            snprintf(inc.id, sizeof(inc.id), "slo-%d", ++se->incident_seq);
        STR_COPY(inc.fingerprint, fp);
        textf(inc.title, sizeof(inc.title), "SLO %s is burning its error budget", rt->name);
        STR_COPY(inc.service, rt->service);
        inc.severity = SEV_CRITICAL;
        inc.state = INC_OPEN;
        inc.opened = now;
        inc.start = row->burn_started ? row->burn_started : now;
        inc.simulated = row->simulated;
    }
    /* The rank (core/incident.h) reads these: this one pages, one SLO. */
    inc.peak_alert = ALERT_PAGE;
    inc.slos_hit = 1;
    if (!inc.paged)
        inc.paged = now;
    inc.updated = now;
    inc.signals++;
    if (inc.ntimeline < INC_TIMELINE) {
        struct timeline_entry *te = &inc.timeline[inc.ntimeline++];
        te->time = now;
        STR_COPY(te->kind, "slo");
        char why[TEXT_LEN];
        slo_pair_reason(row, why, sizeof(why));
        textf(te->text, sizeof(te->text), "page: %s %s, budget left %.1f%%", rt->name, why,
              row->budget_remaining * 100);
    }
    STR_COPY(rt->incident, inc.id);
    engine_upsert(e, T_INCIDENTS, &inc);
}

/* Whether Prometheus has answered any of the SLO's window queries yet. */
static bool prom_answered(const struct slo_rt *rt)
{
    for (int i = 0; i < rt->nwin; i++)
        if (rt->prom_at[i])
            return true;
    return false;
}

static void evaluate_one(struct slo_engine *se, struct slo_rt *rt, int64_t now, struct slo *row)
{
    struct slo *old = engine_get(se->e, T_SLOS, rt->name);
    memset(row, 0, sizeof(*row));
    STR_COPY(row->name, rt->name);
    STR_COPY(row->service, rt->service);
    STR_COPY(row->description, rt->description);
    STR_COPY(row->source, rt->source);
    STR_COPY(row->error, rt->error);
    row->objective = rt->def.objective;
    row->period_ms = rt->def.period_ms;
    row->simulated = old ? old->simulated : rt->def.simulated;
    if (rt->def.period_kind != SLO_ROLLING)
        row->period_ms = now - period_start(rt, now);
    row->nwindows = rt->nwin;
    /* the period window is the last: no error series over all of it */
    row->no_error_series = rt->prom && rt->nwin && rt->prom_no_errors[rt->nwin - 1];
    row->awaiting = rt->prom && !rt->error[0] && !prom_answered(rt);
    for (int i = 0; i < rt->nwin; i++) {
        struct slo_window *w = &row->windows[i];
        slo_format_window(rt->win[i], w->name, sizeof(w->name));
        w->length_ms = rt->win[i];
        w->error_ratio =
            i == rt->nwin - 1 ? period_ratio(rt, now) : window_ratio(rt, now, rt->win[i]);
        w->burn_rate = slo_burn_rate(w->error_ratio, rt->def.objective);
    }
    if (rt->def.period_kind != SLO_ROLLING) {
        /* the period window is the month or week so far, not 30d or 7d */
        struct slo_window *w = &row->windows[rt->nwin - 1];
        STR_COPY(w->name, rt->def.period_kind == SLO_CALENDAR_MONTH ? "month" : "week");
        w->length_ms = row->period_ms;
    }
    double shortest = row->windows[0].error_ratio;
    row->sli = isnan(shortest) ? NAN : 1 - shortest;
    row->budget_remaining =
        slo_budget_remaining(row->windows[rt->nwin - 1].error_ratio, rt->def.objective);
    struct burn_ctx bc = {rt, now};
    double ref_burn = burn_of(rt->policy.pairs[0].long_ms, &bc);
    row->exhaustion_ms = slo_time_to_exhaustion(row->budget_remaining, row->period_ms, ref_burn);

    enum alert_state raw = slo_policy_eval(&rt->policy, burn_of, &bc);
    if (rt->error[0])
        raw = ALERT_NODATA;
    enum alert_state prev = rt->alert;
    rt->alert =
        slo_alert_step(rt->alert, raw, now, rt->policy.resolve_after_ms, &rt->pending_since);
    if (rt->alert != prev || !rt->alert_since)
        rt->alert_since = now;
    double burn_short = slo_burn_rate(shortest, rt->def.objective);
    if (slo_exceeds(burn_short, 1.0) && !rt->burn_started)
        rt->burn_started = now;
    else if (rt->alert == ALERT_OK && !slo_exceeds(burn_short, 1.0))
        rt->burn_started = 0;
    row->alert = rt->alert;
    row->alert_since = rt->alert_since;
    row->burn_started = rt->burn_started;
    fill_history(rt, now, row);
    fill_pairs(rt, now, row, &bc);

    char reason[TEXT_LEN];
    enum gate_decision d = gate_decide(row, &se->gate, reason, sizeof(reason));
    row->gate = d == GATE_ALLOW   ? GATE_STATE_OPEN
                : d == GATE_BLOCK ? GATE_STATE_CLOSED
                                  : GATE_STATE_UNKNOWN;
    row->gate_open = row->gate == GATE_STATE_OPEN;
    textf(row->gate_reason, sizeof(row->gate_reason), "%s: %s", gate_decision_names[d], reason);
    if (rt->alert == ALERT_PAGE && prev != ALERT_PAGE && !se->e->replaying && !se->correlated)
        open_incident(se, rt, row, now);
    if (rt->alert != prev && se->notify && !se->e->replaying)
        se->notify(row, prev, se->notify_ud);
}

void slo_leave_incidents_to_correlator(struct engine *e)
{
    struct slo_engine *se = get_se(e);
    if (se)
        se->correlated = true;
}

/* The header's gate over every SLO: closed if any blocks, else unknown if
 * any cannot tell (no data, a failed query), else open; reason names the
 * first SLO that decided it. */
static void update_summary(struct slo_engine *se, enum gate_state gate, const char *reason)
{
    struct summary s = {0}, *cur = engine_get(se->e, T_SUMMARY, "summary");
    if (cur)
        s = *cur;
    else
        STR_COPY(s.name, "summary");
    char text[TEXT_LEN];
    if (gate == GATE_STATE_OPEN)
        snprintf(text, sizeof(text), "all %d SLOs allow deploys", se->n);
    else
        snprintf(text, sizeof(text), "%s", reason);
    if (cur && cur->gate == gate && strcmp(cur->gate_reason, text) == 0)
        return;
    s.gate = gate;
    s.gate_open = gate == GATE_STATE_OPEN;
    STR_COPY(s.gate_reason, text);
    engine_upsert(se->e, T_SUMMARY, &s);
}

static void evaluate(struct slo_engine *se, int64_t now)
{
    int closed = 0, unknown = 0;
    char reason[TEXT_LEN] = "", unknown_reason[TEXT_LEN] = "";
    struct slo *row = malloc(sizeof(*row));
    if (!row)
        return;
    /* Of several closing SLOs, the reason names the current incident's. */
    const struct incident *cur = incident_current(se->e, NULL, 0);
    bool cur_named = false;
    for (int i = 0; i < se->n; i++) {
        struct slo_rt *rt = se->v[i];
        evaluate_one(se, rt, now, row);
        bool of_cur = cur && cur->service[0] && !strcmp(cur->service, row->service);
        if (row->gate == GATE_STATE_CLOSED && (closed++ == 0 || (of_cur && !cur_named))) {
            textf(reason, sizeof(reason), "gate closed: %s", row->gate_reason);
            cur_named = of_cur;
        }
        if (row->gate == GATE_STATE_UNKNOWN && unknown++ == 0)
            textf(unknown_reason, sizeof(unknown_reason), "gate unknown: %s", row->gate_reason);
        struct slo *old = engine_get(se->e, T_SLOS, row->name);
        if (!old || memcmp(old, row, sizeof(*row)) != 0)
            engine_upsert(se->e, T_SLOS, row);
    }
    free(row);
    if (se->n)
        update_summary(se,
                       closed    ? GATE_STATE_CLOSED
                       : unknown ? GATE_STATE_UNKNOWN
                                 : GATE_STATE_OPEN,
                       closed ? reason : unknown_reason);
}

static void on_tick(struct engine *e, int64_t now, void *ud)
{
    (void)e;
    if (ud)
        evaluate(ud, now);
}

void slo_evaluate_all(struct engine *e)
{
    struct slo_engine *se = find_se(e);
    if (se)
        evaluate(se, engine_now(e));
}

void slo_set_notifier(struct engine *e, slo_notify_fn fn, void *ud, void (*free_ud)(void *))
{
    struct slo_engine *se = get_se(e);
    if (!se)
        return;
    if (se->notify_free && se->notify_ud)
        se->notify_free(se->notify_ud);
    se->notify = fn;
    se->notify_ud = ud;
    se->notify_free = free_ud;
}

void slo_set_gate_opts(struct engine *e, const struct gate_opts *o)
{
    struct slo_engine *se = get_se(e);
    if (se)
        se->gate = *o;
}

/* ---- answers from Prometheus (OBS_MEASURE) ---- */

static void set_window_ratio(struct slo_engine *se, const char *name, int64_t window_ms,
                             double ratio, bool no_errors, int64_t at)
{
    struct slo_rt *rt = find_rt(se, name);
    if (!rt)
        return;
    for (int i = 0; i < rt->nwin; i++)
        if (rt->win[i] == window_ms) {
            rt->prom_ratio[i] = ratio;
            rt->prom_no_errors[i] = no_errors;
            rt->prom_at[i] = at;
        }
}

static void set_source_error(struct slo_engine *se, const char *name, const char *error)
{
    struct slo_rt *rt = find_rt(se, name);
    if (rt)
        STR_COPY(rt->error, error ? error : "");
}

/* Prometheus-mode burn-down: per-step rates of the error (which 0) or total
 * (which 1) query over the SLO period in SLO_HISTORY steps ending at at_ms
 * (times t in seconds). The chart is cumulative bad/total up to each step. */
static void set_range(struct slo_engine *se, const char *name, int which, const double *t,
                      const double *v, int n, int64_t at_ms)
{
    struct slo_rt *rt = find_rt(se, name);
    if (!rt || which < 0 || which > 1)
        return;
    int64_t step = slo_range_step_ms(rt->def.period_kind, rt->def.period_ms, at_ms);
    for (int i = 0; i < SLO_HISTORY; i++)
        rt->range[which][i] = NAN;
    if (step <= 0)
        return;
    for (int k = 0; k < n; k++) {
        /* step i ends at at - (SLO_HISTORY - 1 - i) * step */
        double back = ((double)at_ms - t[k] * 1000) / (double)step;
        long i = SLO_HISTORY - 1 - lround(back);
        if (i >= 0 && i < SLO_HISTORY)
            rt->range[which][i] = v[k];
    }
    rt->range_at[which] = at_ms;
    rt->history_at = 0; /* recompute the chart */
}

static void on_measure(struct slo_engine *se, const struct measure *m)
{
    switch (m->kind) {
    case MEASURE_RATIO:
        set_window_ratio(se, m->subject, m->window_ms, m->value, m->no_errors, m->at);
        break;
    case MEASURE_RANGE_BAD:
    case MEASURE_RANGE_TOTAL:
        set_range(se, m->subject, m->kind == MEASURE_RANGE_TOTAL, m->t, m->v, m->n, m->at);
        break;
    case MEASURE_ERROR:
        set_source_error(se, m->subject, m->error);
        break;
    }
}

int slo_count(struct engine *e)
{
    struct slo_engine *se = find_se(e);
    return se ? se->n : 0;
}

bool slo_info_at(struct engine *e, int i, struct slo_info *out)
{
    struct slo_engine *se = find_se(e);
    if (!se || i < 0 || i >= se->n)
        return false;
    struct slo_rt *rt = se->v[i];
    out->name = rt->name;
    out->def = &rt->def;
    out->policy = &rt->policy;
    out->nwindows = rt->nwin;
    memcpy(out->windows, rt->win, sizeof(rt->win));
    return true;
}
