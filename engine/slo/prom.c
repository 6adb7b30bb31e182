/* Prometheus-fed SLO windows: one-shot and live; see slo/prom.h. */
#include "slo/prom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/secret.h"

/* Every query in flight is on its batch's list, so a batch can be cancelled
 * (timeout, source stop) without leaving callbacks pointing at freed memory. */
struct track {
    struct batch *b;
    struct http_req *req;
    struct track *next;
};

struct batch {
    struct engine *e;
    struct http *http;
    int outstanding;
    int failed;
    int answered; /* queries that came back with data */
    char first_error[TEXT_LEN];
    struct track *inflight;
};

static void track_add(struct batch *b, struct track *t, struct http_req *req)
{
    t->b = b;
    t->req = req;
    t->next = b->inflight;
    b->inflight = t;
}

/* Unlinks and frees a finished query. */
static void track_done(struct track *t)
{
    struct track **pp = &t->b->inflight;
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp)
        *pp = t->next;
    free(t);
}

static void batch_cancel(struct batch *b)
{
    while (b->inflight) {
        struct track *t = b->inflight;
        b->inflight = t->next;
        http_cancel(b->http, t->req);
        free(t);
        b->outstanding--;
        b->failed++;
    }
}

struct pending {
    struct track tr; /* first: freed through it */
    char name[96];
    int64_t window_ms;
    int64_t at_ms;
};

/* A failed query (NULL: a good answer clears the last error). */
static void post_error(struct engine *e, const char *slo, const char *error)
{
    engine_measure(e, &(struct measure){.kind = MEASURE_ERROR, .subject = slo, .error = error});
}

/* A query that cannot be formed is a failure of its SLO, never a query
 * skipped in silence: the row reads no data with the reason, and the
 * round (so the source) fails naming the SLO. The spec loader refuses such
 * queries (slo/spec.c); this covers definitions that did not come through
 * it. */
static void unformed(struct batch *b, const char *slo, const char *window)
{
    char why[TEXT_LEN];
    snprintf(why, sizeof(why), "cannot form the PromQL query for window %s (longer than %d bytes)",
             window, PROM_QUERY_MAX - 1);
    b->failed++;
    post_error(b->e, slo, why);
    if (!b->first_error[0])
        snprintf(b->first_error, sizeof(b->first_error), "SLO %s: %s", slo, why);
}

static void on_value(void *ud, double v, int flags, const char *error)
{
    struct pending *p = ud;
    struct batch *b = p->tr.b;
    b->outstanding--;
    if (error) {
        b->failed++;
        if (!b->first_error[0])
            snprintf(b->first_error, sizeof(b->first_error), "%s", error);
        post_error(b->e, p->name, error);
    } else {
        b->answered++;
        /* a ratio below 0 or above 1 is noise from extrapolation at a counter reset */
        engine_measure(b->e, &(struct measure){.kind = MEASURE_RATIO,
                                               .subject = p->name,
                                               .window_ms = p->window_ms,
                                               .at = p->at_ms,
                                               .value = v,
                                               .no_errors = flags & PROM_NO_ERRORS});
    }
    track_done(&p->tr);
}

struct range_pending {
    struct track tr; /* first: freed through it */
    char name[96];
    int which;
    int64_t at_ms;
};

static void on_range(void *ud, const double *t, const double *v, int n, const char *error)
{
    struct range_pending *p = ud;
    struct batch *b = p->tr.b;
    b->outstanding--;
    if (error) {
        b->failed++;
        if (!b->first_error[0])
            snprintf(b->first_error, sizeof(b->first_error), "burn-down: %s", error);
    } else {
        b->answered++;
        engine_measure(b->e,
                       &(struct measure){.kind = p->which ? MEASURE_RANGE_TOTAL : MEASURE_RANGE_BAD,
                                         .subject = p->name,
                                         .at = p->at_ms,
                                         .t = t,
                                         .v = v,
                                         .n = n});
    }
    track_done(&p->tr);
}

/* The burn-down chart: rates per 1/SLO_HISTORY of the period (of the part
 * elapsed, for a calendar period), two range queries per SLO. */
static void start_ranges(struct batch *b, struct http *h, const struct prom_config *c,
                         const struct slo_info *info, int64_t at_ms, char *q, size_t qlen)
{
    const struct slo_def *d = info->def;
    int64_t step = slo_range_step_ms(d->period_kind, d->period_ms, at_ms);
    if (step <= 0)
        return; /* the first two minutes of a calendar period: no chart yet */
    char win[24];
    if (d->period_kind == SLO_ROLLING)
        slo_format_window(step, win, sizeof(win));
    else
        snprintf(win, sizeof(win), "%llds", (long long)(step / 1000));
    const char *tmpl[2] = {d->error_query, d->total_query};
    for (int which = 0; which < 2; which++) {
        if (!prom_expand_window(tmpl[which], win, q, qlen)) {
            unformed(b, info->name, win);
            continue;
        }
        struct range_pending *p = calloc(1, sizeof(*p));
        if (!p)
            return;
        STR_COPY(p->name, info->name);
        p->which = which;
        p->at_ms = at_ms;
        b->outstanding++;
        double end = (double)at_ms / 1000, st = (double)step / 1000;
        p->tr.b = b;
        struct http_req *r =
            prom_query_range(h, c, q, end - st * (SLO_HISTORY - 1), end, st, on_range, p);
        if (!r) {
            b->outstanding--;
            b->failed++;
            free(p);
            continue;
        }
        track_add(b, &p->tr, r);
    }
}

/* The range of window w as PromQL text. The period of a calendar SLO is
 * the time since its start, in whole seconds, so it grows each round; right
 * at the boundary nothing has been measured: the period reads no data (never
 * a full budget) and nothing is asked. Returns false when not to ask. */
static bool window_text(struct batch *b, const struct slo_info *info, int w, int64_t at_ms,
                        char *out, size_t outlen)
{
    const struct slo_def *d = info->def;
    if (w < info->nwindows - 1 || d->period_kind == SLO_ROLLING) {
        slo_format_window(info->windows[w], out, outlen);
        return true;
    }
    int64_t ms = slo_period_query_ms(d->period_kind, d->period_ms, at_ms);
    if (ms > 0) {
        snprintf(out, outlen, "%llds", (long long)(ms / 1000));
        return true;
    }
    engine_measure(b->e, &(struct measure){.kind = MEASURE_RATIO,
                                           .subject = info->name,
                                           .window_ms = info->windows[w],
                                           .at = at_ms,
                                           .value = NAN});
    return false;
}

/* Starts every query of one round; returns how many were started. */
static int start_round(struct batch *b, struct http *h, const struct prom_config *c, int64_t at_ms)
{
    int started = 0;
    char *q = malloc(PROM_QUERY_MAX);
    if (!q)
        return 0;
    for (int i = 0; i < slo_count(b->e); i++) {
        struct slo_info info;
        if (!slo_info_at(b->e, i, &info) || !info.def->error_query || !info.def->error_query[0])
            continue;
        post_error(b->e, info.name, NULL);
        for (int w = 0; w < info.nwindows; w++) {
            char win[24];
            if (!window_text(b, &info, w, at_ms, win, sizeof(win)))
                continue;
            if (!prom_ratio_query(info.def->error_query, info.def->total_query, win, q,
                                  PROM_QUERY_MAX)) {
                unformed(b, info.name, win);
                continue;
            }
            struct pending *p = calloc(1, sizeof(*p));
            if (!p)
                break;
            p->tr.b = b;
            STR_COPY(p->name, info.name);
            p->window_ms = info.windows[w];
            p->at_ms = at_ms;
            b->outstanding++;
            struct http_req *r = prom_query(h, c, q, (double)at_ms / 1000.0, on_value, p);
            if (!r) {
                b->outstanding--;
                b->failed++;
                post_error(b->e, info.name, "cannot start the HTTP request");
                free(p);
                continue;
            }
            track_add(b, &p->tr, r);
            started++;
        }
        start_ranges(b, h, c, &info, at_ms, q, PROM_QUERY_MAX);
    }
    free(q);
    return started;
}

/* With no SLO to ask about, a round still asks Prometheus something (the
 * query "1"), so that the source's state says whether it answers: a
 * source with a dead URL must not read "synced" because nothing was tried. */
static void on_probe(void *ud, double v, int flags, const char *error)
{
    struct track *t = ud;
    struct batch *b = t->b;
    (void)v;
    (void)flags;
    b->outstanding--;
    if (error) {
        b->failed++;
        snprintf(b->first_error, sizeof(b->first_error), "%s", error);
    } else {
        b->answered++;
    }
    track_done(t);
}

bool slo_prom_wanted(struct engine *e)
{
    for (int i = 0; i < slo_count(e); i++) {
        struct slo_info info;
        if (slo_info_at(e, i, &info) && info.def->error_query && info.def->error_query[0])
            return true;
    }
    return false;
}

/* Starts the probe; false when it could not start (the batch says why). */
static bool start_probe(struct batch *b, struct http *h, const struct prom_config *c, int64_t at_ms)
{
    struct track *t = calloc(1, sizeof(*t));
    if (!t)
        return false;
    t->b = b;
    b->outstanding++;
    struct http_req *r = prom_query(h, c, "1", (double)at_ms / 1000.0, on_probe, t);
    if (!r) {
        b->outstanding--;
        b->failed++;
        snprintf(b->first_error, sizeof(b->first_error), "cannot start the HTTP request");
        free(t);
        return false;
    }
    track_add(b, t, r);
    return true;
}

int slo_prom_eval_once(struct engine *e, struct loop *l, struct http *h,
                       const struct prom_config *c, int64_t at_ms, long timeout_ms)
{
    struct batch b = {.e = e, .http = h};
    start_round(&b, h, c, at_ms);
    int64_t deadline = loop_mono_ms() + timeout_ms;
    while (b.outstanding > 0) {
        int64_t left = deadline - loop_mono_ms();
        if (left <= 0)
            break;
        loop_run_once(l, (int)(left > 1000 ? 1000 : left));
    }
    if (b.outstanding > 0) {
        batch_cancel(&b);
        for (int i = 0; i < slo_count(e); i++) {
            struct slo_info info;
            if (slo_info_at(e, i, &info) && info.def->error_query && info.def->error_query[0])
                post_error(e, info.name, "Prometheus did not answer in time");
        }
    }
    if (engine_now(e) != at_ms)
        e->now = at_ms;
    slo_evaluate_all(e);
    return b.failed;
}

/* ---- live source ---- */

struct live {
    struct prom_config c;
    struct source *s;
    struct loop_timer *timer;
    struct batch *round; /* in flight, NULL when idle */
    bool ever_answered;  /* some query came back with data */
};

struct prom_config *slo_prom_source_priv(const struct prom_config *c)
{
    struct live *lv = calloc(1, sizeof(*lv));
    if (lv)
        lv->c = *c;
    return &lv->c; /* c is the first member: the source casts back */
}

static void schedule(struct live *lv);

static void round_done(struct live *lv)
{
    struct batch *b = lv->round;
    struct engine *e = lv->s->ctx.engine;
    slo_evaluate_all(e); /* rows reflect the answers before the source says synced */
    /* never answered is failed: "stale" would claim there were answers */
    if (b->failed)
        engine_source_state(e, lv->s->name, "prometheus",
                            lv->ever_answered ? SRC_STALE : SRC_FAILED, b->first_error);
    else
        engine_source_state(e, lv->s->name, "prometheus", SRC_SYNCED, NULL);
    lv->ever_answered |= b->answered > 0;
    free(b);
    lv->round = NULL;
}

static void on_timer(void *ud)
{
    struct live *lv = ud;
    lv->timer = NULL;
    if (lv->round && lv->round->outstanding == 0)
        round_done(lv);
    if (!lv->round) {
        lv->round = calloc(1, sizeof(*lv->round));
        if (lv->round) {
            lv->round->e = lv->s->ctx.engine;
            lv->round->http = lv->s->ctx.http;
            struct batch *b = lv->round;
            int64_t now = engine_now(b->e);
            bool asking = slo_prom_wanted(b->e) ? start_round(b, b->http, &lv->c, now) > 0
                                                : start_probe(b, b->http, &lv->c, now);
            if (!asking)
                round_done(lv);
        }
    }
    schedule(lv);
}

static void schedule(struct live *lv)
{
    /* poll the round quickly until it completes, then wait for the interval */
    long every = lv->c.interval_ms ? lv->c.interval_ms : 30000;
    lv->timer = loop_timer_start(lv->s->ctx.loop, lv->round ? 200 : every, on_timer, lv);
}

static int live_start(struct source *s, char *err, size_t errlen)
{
    struct live *lv = s->priv;
    (void)err;
    (void)errlen;
    lv->s = s;
    lv->timer = loop_timer_start(s->ctx.loop, 0, on_timer, lv);
    return 0;
}

static void live_stop(struct source *s)
{
    struct live *lv = s->priv;
    if (!lv)
        return;
    if (lv->timer)
        loop_timer_cancel(s->ctx.loop, lv->timer);
    if (lv->round) {
        batch_cancel(lv->round);
        free(lv->round);
    }
    secret_wipe(lv->c.bearer, sizeof(lv->c.bearer));
    secret_wipe(lv->c.password, sizeof(lv->c.password));
    free(lv);
    s->priv = NULL;
}

const struct source_ops slo_prom_source_ops = {"prometheus", live_start, live_stop};
