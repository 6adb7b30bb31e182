/* 1,000 counter SLOs with 30 days of history: backfill cost, time per
 * evaluation tick (every window, budget, burn-down, alert, gate) with live
 * samples posted each second, and memory per SLO. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"
#include "core/engine.h"
#include "slo/slo.h"
#include "slo/history.h"

struct gen {
    double req, err;
    int i;
};
static int counters(void *ud, int64_t t, double *errors, double *total)
{
    struct gen *g = ud;
    (void)t;
    g->req += 6000;
    g->err += 3 + (g->i % 7);
    *errors = g->err;
    *total = g->req;
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int ticks = argc > 2 ? atoi(argv[2]) : 60;
    static struct engine e;
    engine_init(&e);
    int64_t t0 = 1704067200000LL + 30 * MS_DAY;
    e.now = t0;
    long rss0 = rss_kb();
    char err[256], name[96], es[64], ts[64];
    double b0 = now_s();
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "svc%04d-availability", i);
        snprintf(es, sizeof(es), "bench:svc%04d:errors_total", i);
        snprintf(ts, sizeof(ts), "bench:svc%04d:requests_total", i);
        struct slo_def d = {
            .name = name, .objective = 0.999, .errors_series = es, .total_series = ts};
        if (slo_define(&e, &d, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        struct gen g = {0, 0, i};
        slo_backfill_counters(&e, name, t0 - 30 * MS_DAY, t0, 60000, counters, &g);
    }
    double backfill = now_s() - b0;
    long rss1 = rss_kb();
    double total = 0, worst = 0;
    double req = 0;
    for (int k = 1; k <= ticks; k++) {
        req += 100;
        e.now = t0 + k * 1000LL;
        for (int i = 0; i < n; i++) {
            snprintf(es, sizeof(es), "bench:svc%04d:errors_total", i);
            snprintf(ts, sizeof(ts), "bench:svc%04d:requests_total", i);
            engine_sample(&e, ts, req);
            engine_sample(&e, es, req * 0.001 * (k > ticks / 2 ? 30 : 1));
        }
        double a = now_s();
        slo_evaluate_all(&e);
        double d = now_s() - a;
        total += d;
        if (d > worst)
            worst = d;
    }
    printf("slos                      %d (30 days of history at 60 s each)\n", n);
    printf("backfill                  %.2f s (%.1f us per SLO-day)\n", backfill,
           backfill / n / 30 * 1e6);
    printf(
        "evaluation tick           %.2f ms mean, %.2f ms worst over %d ticks (%.1f us per SLO)\n",
        total / ticks * 1e3, worst * 1e3, ticks, total / ticks / n * 1e6);
    printf("memory per SLO            %.1f KiB RSS (history buckets %zu B, row %zu B)\n",
           (double)(rss1 - rss0) / n, sloh_memory(), sizeof(struct slo));
    slo_detach(&e);
    engine_free(&e);
    return 0;
}
