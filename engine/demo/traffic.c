/* The demo's services: diurnal traffic posted as cumulative request and
 * error counters on the engine's sample bus, where the SLO engine and the
 * anomaly detectors pick them up like any other SLI. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "demo/internal.h"
#include "slo/slo.h"

static const struct {
    const char *name, *namespace, *selector;
    double base_rps, base_error_ratio;
} service_specs[DEMO_SERVICES] = {
    {"checkout", "shop", "app=checkout", 220, 0.0002},
    {"payments", "shop", "app=payments", 90, 0.0001},
    {"frontend", "web", "app=frontend", 640, 0.0003},
};

double demo_checkout_error_ratio(int64_t s)
{
    if (s < BEAT_ERRORS_START)
        return service_specs[0].base_error_ratio;
    double r = 0.08 * (double)(s - BEAT_ERRORS_START);
    return r > 0.72 ? 0.72 : r; /* v2.4.1 fails most checkouts */
}

/* Traffic follows the day: low at 04:00 UTC, high at 16:00 UTC. */
static double diurnal(int64_t t_ms)
{
    double hour = (double)((t_ms / 1000) % 86400) / 3600.0;
    return 1.0 + 0.45 * sin((hour - 10.0) / 24.0 * 2.0 * M_PI);
}

static void post_counters(struct engine *e, const struct demo_service *svc)
{
    char series[96];
    snprintf(series, sizeof(series), "demo:%s:requests_total", svc->name);
    engine_sample(e, series, svc->requests_total);
    snprintf(series, sizeof(series), "demo:%s:errors_total", svc->name);
    engine_sample(e, series, svc->errors_total);
}

/* Thirty days of history before the story, from the same diurnal traffic
 * without noise, so the burn-down chart and the long windows have data. */
struct backfill {
    double rps, error_ratio, step_s;
    double requests, errors;
};
static int backfill_counters(void *ud, int64_t t, double *errors, double *total)
{
    struct backfill *b = ud;
    double n = floor(b->rps * diurnal(t) * b->step_s);
    b->requests += n;
    b->errors += floor(n * b->error_ratio + 0.5);
    *errors = b->errors;
    *total = b->requests;
    return 0;
}

/* The demo's SLOs go through the SLO engine like any configured one. */
static void demo_slos_init(struct engine *e)
{
    static const struct {
        const char *name, *service, *description;
        double objective;
        int svc;
    } slos[] = {
        {"checkout-availability", "checkout", "checkout requests answered without a 5xx", 0.999, 0},
        {"payments-availability", "payments", "payments requests answered without a 5xx", 0.9995,
         1},
        {"frontend-availability", "frontend", "pages served without a 5xx", 0.99, 2},
    };
    for (size_t i = 0; i < sizeof(slos) / sizeof(slos[0]); i++) {
        char errs[96], total[96], err[256];
        snprintf(errs, sizeof(errs), "demo:%s:errors_total", slos[i].service);
        snprintf(total, sizeof(total), "demo:%s:requests_total", slos[i].service);
        struct slo_def def = {.name = slos[i].name,
                              .service = slos[i].service,
                              .description = slos[i].description,
                              .objective = slos[i].objective,
                              .period_ms = 30 * MS_DAY,
                              .errors_series = errs,
                              .total_series = total,
                              .source = "demo",
                              .simulated = true};
        if (slo_define(e, &def, err, sizeof(err)) < 0)
            continue; /* the demo's own table is valid: cannot happen */
        int svc = slos[i].svc;
        struct backfill b = {service_specs[svc].base_rps, service_specs[svc].base_error_ratio, 60};
        slo_backfill_counters(e, slos[i].name, demo_time(0) - 30 * MS_DAY, demo_time(0) - 60000,
                              60000, backfill_counters, &b);
    }
}

void demo_traffic_init(struct demo *d, struct engine *e)
{
    for (int i = 0; i < DEMO_SERVICES; i++) {
        struct demo_service *svc = &d->services[i];
        svc->name = service_specs[i].name;
        svc->namespace = service_specs[i].namespace;
        svc->base_rps = service_specs[i].base_rps;
        struct service row = {.request_rate = NAN, .error_ratio = NAN, .simulated = true};
        STR_COPY(row.name, svc->name);
        STR_COPY(row.namespace, svc->namespace);
        STR_COPY(row.selector, service_specs[i].selector);
        engine_upsert(e, T_SERVICES, &row);
    }
    demo_slos_init(e);
}

void demo_traffic_step(struct demo *d, struct engine *e, int64_t s)
{
    for (int i = 0; i < DEMO_SERVICES; i++) {
        struct demo_service *svc = &d->services[i];
        double noise = 0.9 + 0.2 * demo_uniform(d);
        double rps = floor(svc->base_rps * diurnal(demo_time(s)) * noise);
        double ratio = i == 0 ? demo_checkout_error_ratio(s) : service_specs[i].base_error_ratio;
        double errors = floor(rps * ratio + demo_uniform(d));
        svc->requests_total += rps;
        svc->errors_total += errors;
        post_counters(e, svc);
        struct service *row = engine_get(e, T_SERVICES, svc->name);
        if (row && s % 5 == 0) { /* the table shows a 5 s average; keep updates calm */
            struct service upd = *row;
            upd.request_rate = rps;
            upd.error_ratio = rps > 0 ? errors / rps : NAN;
            engine_upsert(e, T_SERVICES, &upd);
        }
    }
}
