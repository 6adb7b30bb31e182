/* The demo source's driver: the simulated clock and the story's pace.
 * Each story second runs every part of the story in a fixed order, so the
 * same seed always gives the same state at the same story second. */
#include "demo/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "ci/pipeline.h"
#include "kernel/ingest.h"
#include "kernel/rules.h"

/* The seed's honeypot: whatever a decoy pod opens is an intruder's probe.
 * A demo rule beside the default set, as a site would add its own. It is a
 * warning, not critical: a critical kernel hit opens an incident of its own
 * (aiops/correlate.c), and the story has one incident, checkout's; the
 * pipeline's check fails on warnings instead (fail_on below). */
static const char honeypot_rule[] = "rules:\n"
                                    "  - rule: honeypot_touched\n"
                                    "    title: File opened inside a honeypot pod\n"
                                    "    kind: open\n"
                                    "    severity: warning\n"
                                    "    tags: [honeypot, discovery]\n"
                                    "    match:\n"
                                    "      pod: '^[^/]+/honeypot-'\n";

/* The demo's pipelines are judged on the kernel view of namespace shop,
 * where they deploy (docs/demo.md). */
static int demo_security(struct demo *d, char *err, size_t errlen)
{
    struct buf warn = {0};
    int n = rules_load_string(kevent_ingest_rules(d->ingest), honeypot_rule,
                              sizeof(honeypot_rule) - 1, "demo", &warn, err, errlen);
    buf_free(&warn);
    if (n != 1) {
        if (n >= 0)
            snprintf(err, errlen, "demo: the honeypot rule did not load");
        return -1;
    }
    struct sec_watch w = {.project = "shop/*", .namespace = "shop", .fail_on = SEV_WARNING};
    pipeline_security_watch(&w);
    return 0;
}

void *demo_new(const struct demo_options *opt)
{
    struct demo *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->opt = *opt;
    /* Never a zero state for xorshift; mix the seed so 1 and 2 differ a lot. */
    d->rng = (opt->seed ^ 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL | 1;
    d->story_s = -1;
    return d;
}

static void run_second(struct demo *d, struct engine *e, int64_t s)
{
    engine_advance(e, demo_time(s));
    demo_traffic_step(d, e, s);
    demo_cluster_step(d, e, s);
    demo_pipeline_step(d, e, s);
    demo_kernel_step(d, e, s);
}

void demo_run_until(struct source *src, int64_t t)
{
    struct demo *d = src->priv;
    struct engine *e = src->ctx.engine;
    int64_t target_s = (t - DEMO_EPOCH_MS) / 1000;
    while (d->story_s < target_s)
        run_second(d, e, ++d->story_s);
    if (t > e->now)
        engine_advance(e, t);
}

void demo_post_kevent(struct demo *d, struct engine *e, struct kevent *ev)
{
    if (d->ingest)
        kevent_ingest_post(d->ingest, ev);
    else
        engine_kevent(e, ev);
}

static int demo_start(struct source *src, char *err, size_t errlen)
{
    struct demo *d = src->priv;
    struct engine *e = src->ctx.engine;
    d->ingest = kevent_ingest_new(e, src->ctx.config, err, errlen);
    if (!d->ingest || demo_security(d, err, errlen) < 0)
        return -1;
    e->simulated = true;
    engine_advance(e, demo_time(0) - 1000);
    demo_traffic_init(d, e);
    demo_cluster_init(d, e);
    demo_pipeline_init(d, e);
    d->started = true;
    demo_run_until(src, demo_time(0));
    struct source_info *si = engine_get(e, T_SOURCES, src->name);
    if (si) {
        struct source_info s = *si;
        s.simulated = true;
        STR_COPY(s.detail, "simulated environment");
        engine_upsert(e, T_SOURCES, &s);
    }
    engine_source_state(e, src->name, "demo", SRC_SYNCED, NULL);
    return 0;
}

static void demo_stop(struct source *src)
{
    struct demo *d = src->priv;
    if (d)
        kevent_ingest_free(d->ingest);
    free(src->priv);
    src->priv = NULL;
}

const struct source_ops demo_source_ops = {
    .kind = "demo",
    .start = demo_start,
    .stop = demo_stop,
};

static int demo_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    (void)state;
    if (!ctx->opt->demo)
        return 0;
    struct demo_options dopt = {
        .seed = ctx->opt->seed,
        .inject_comm = ctx->opt->demo_inject_comm,
        .inject_path = ctx->opt->demo_inject_path,
        .host_priv_at = ctx->opt->demo_host_priv_at,
    };
    void *priv = demo_new(&dopt);
    if (!priv || !source_add(ctx->sources, &demo_source_ops, "demo", ctx->src, priv)) {
        snprintf(err, errlen, "cannot create the demo source");
        return -1;
    }
    return 0;
}

static const struct module_section demo_sections[] = {
    {"demo", NULL},
    {NULL, NULL},
};

const struct module demo_module = {
    .name = "demo",
    .sections = demo_sections,
    .flags = MODULE_LIVE,
    .setup = demo_setup,
};
