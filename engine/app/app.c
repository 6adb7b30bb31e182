#include "app/app.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/textsafe.h"
#include "core/replay.h"
#include "core/summary.h"
#include "demo/demo.h"
#include "share/client.h"

#define CLOCK_TICK_MS 250

static struct source *demo_source(struct app *a)
{
    for (int i = 0; i < a->sources.count; i++)
        if (a->sources.items[i].ops == &demo_source_ops)
            return &a->sources.items[i];
    return NULL;
}

/* Engine time now: the simulated clock in the demo, the wall clock live. */
static int64_t clock_target(struct app *a)
{
    if (!a->sim_clock)
        return loop_wall_ms();
    double speed = a->opt.demo_speed > 0 ? a->opt.demo_speed : 1.0;
    return a->clock_start + (int64_t)((double)(loop_mono_ms() - a->mono_start) * speed);
}

static void on_clock(void *ud)
{
    struct app *a = ud;
    struct source *demo = demo_source(a);
    int64_t t = clock_target(a);
    if (demo)
        demo_run_until(demo, t);
    else
        engine_advance(&a->engine, t);
    if (a->engine.record)
        fflush(a->engine.record); /* a killed Lookout loses at most one tick */
    a->clock_timer = loop_timer_start(a->loop, CLOCK_TICK_MS, on_clock, a);
}

/* A replay shows the record and nothing else: its source is the only one. */
static int add_replay(struct app *a, char *err, size_t errlen)
{
    void *priv = replay_new(a->opt.replay_path, a->opt.once ? 0 : a->opt.replay_speed, err, errlen);
    if (!priv)
        return -1; /* before any screen: the path and why it cannot be played */
    if (!source_add(&a->sources, &replay_source_ops, "replay", &a->ctx, priv)) {
        snprintf(err, errlen, "cannot create the replay source");
        return -1;
    }
    return 0;
}

/* An attached viewer shows the shared engine's state and nothing else. */
static int add_attach(struct app *a, char *err, size_t errlen)
{
    void *priv = share_client_new(a->opt.attach_url, a->opt.attach_token, err, errlen);
    if (!priv)
        return -1;
    if (!source_add(&a->sources, &share_source_ops, "attach", &a->ctx, priv)) {
        snprintf(err, errlen, "cannot create the attach source");
        return -1;
    }
    return 0;
}

/* Sets up every module of modules[], in order. A source that cannot start
 * is shown as failed later; only a configuration error stops Lookout here. */
static int setup_modules(struct app *a, char *err, size_t errlen)
{
    summary_attach(&a->engine);
    for (int i = 0; modules[i]; i++) {
        const struct module *m = modules[i];
        if (i >= (int)(sizeof(a->state) / sizeof(a->state[0]))) {
            snprintf(err, errlen, "more modules than app.state holds");
            return -1;
        }
        bool played = a->opt.replay_path || a->opt.attach_url;
        if (!m->setup || (played && (m->flags & MODULE_LIVE)))
            continue;
        if (m->setup(&a->mctx, &a->state[i], err, errlen) < 0)
            return -1;
    }
    if (a->opt.replay_path)
        return add_replay(a, err, errlen);
    if (a->opt.attach_url)
        return add_attach(a, err, errlen);
    a->sim_clock = demo_source(a) != NULL;
    return 0;
}

void *app_module_state(const struct app *a, const struct module *m)
{
    for (int i = 0; modules[i]; i++)
        if (modules[i] == m)
            return a->state[i];
    return NULL;
}

int app_init(struct app *a, const struct run_options *opt, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->opt = *opt;
    if (opt->host_kernel && !opt->demo) {
        snprintf(err, errlen,
                 "--host-kernel goes with --demo (a live run reads this host's kernel)");
        return -1;
    }
    if (opt->attach_url && (opt->demo || opt->replay_path)) {
        snprintf(err, errlen, "--attach shows a shared engine: no --demo or replay with it");
        return -1;
    }
    if (config_load(&a->config, opt->config_path, modules, err, errlen) < 0)
        return -1;
    if (!a->opt.refresh_ms)
        a->opt.refresh_ms = a->config.refresh_ms > 0 ? a->config.refresh_ms : 1000;
    if (!a->opt.theme && a->config.theme[0])
        a->opt.theme = a->config.theme;
    engine_init(&a->engine);
    a->loop = loop_new();
    a->http = a->loop ? http_new(a->loop) : NULL;
    if (!a->http) {
        snprintf(err, errlen, "cannot create the event loop");
        return -1;
    }
    a->ctx = (struct source_ctx){
        .engine = &a->engine, .loop = a->loop, .http = a->http, .config = &a->config};
    a->mctx = (struct module_ctx){.engine = &a->engine,
                                  .loop = a->loop,
                                  .http = a->http,
                                  .config = &a->config,
                                  .opt = &a->opt,
                                  .sources = &a->sources,
                                  .src = &a->ctx};
    if (!opt->replay_path && !opt->attach_url) /* the record's or the stream's clock */
        engine_advance(&a->engine, opt->demo ? DEMO_EPOCH_MS - 1000 : loop_wall_ms());
    struct summary *s = engine_get(&a->engine, T_SUMMARY, "summary");
    if (s) {
        struct summary upd = *s;
        STR_COPY(upd.context, opt->demo                  ? "demo (simulated)"
                              : a->config.environment[0] ? a->config.environment
                                                         : "local");
        upd.simulated = opt->demo;
        engine_upsert(&a->engine, T_SUMMARY, &upd);
    }
    if (setup_modules(a, err, errlen) < 0)
        return -1;
    if (opt->record_path && engine_record_open(&a->engine, opt->record_path) < 0) {
        snprintf(err, errlen, "%s: cannot open for recording: %m", opt->record_path);
        return -1;
    }
    return 0;
}

/* The sources held back for the first frame: the slow start (the BPF
 * load), then the ones after it, in order. */
static void on_late_start(void *ud);

/* Waits for the loop for the held source, if any; without a timer the
 * sources start now, the first frame late rather than never. */
static void hold(struct app *a)
{
    while (a->held_source >= 0) {
        a->late_timer = loop_timer_start(a->loop, 0, on_late_start, a);
        if (a->late_timer)
            return;
        a->held_source = source_start_rest(&a->sources, a->held_source);
    }
}

static void on_late_start(void *ud)
{
    struct app *a = ud;
    a->late_timer = NULL;
    a->held_source = source_start_rest(&a->sources, a->held_source);
    hold(a);
}

void app_start(struct app *a)
{
    a->held_source = -1;
    if (a->opt.screen)
        a->held_source = source_start_until_late(&a->sources);
    else
        source_start_all(&a->sources);
    hold(a);
    struct source *demo = demo_source(a);
    if (demo && a->opt.demo_time_s > 0)
        demo_run_until(demo, DEMO_EPOCH_MS + (int64_t)llround(a->opt.demo_time_s * 1000));
    a->mono_start = loop_mono_ms();
    a->clock_start = a->engine.now;
    /* A one-shot simulated snapshot must not depend on how fast this machine is. */
    if (!(a->opt.once && a->sim_clock) && !a->opt.replay_path && !a->opt.attach_url)
        a->clock_timer = loop_timer_start(a->loop, CLOCK_TICK_MS, on_clock, a);
}

bool app_wait_first_sync(struct app *a, double timeout_s)
{
    int64_t deadline = loop_mono_ms() + (int64_t)(timeout_s * 1000);
    while (!engine_first_sync_done(&a->engine)) {
        int64_t left = deadline - loop_mono_ms();
        if (left <= 0)
            return false;
        loop_run_once(a->loop, (int)(left < 100 ? left : 100));
    }
    return true;
}

/* Did not sync: what --once prints of it is not current. */
static bool not_synced(const struct source_info *s)
{
    return s->state == SRC_FAILED || s->state == SRC_STALE || s->state == SRC_STARTING;
}

/* Rows for what Lookout sends to (the copilot's backend, alert webhooks)
 * and disabled sources: their failure leaves the snapshot as current. */
static bool counts_for_once(const struct source_info *s)
{
    return s->state != SRC_DISABLED && !source_row_outbound(s);
}

/* True when row i is the first enabled source of its kind. */
static bool first_of_kind(const struct table *t, int i)
{
    const struct source_info *s = table_row(t, i);
    for (int j = 0; j < i; j++) {
        const struct source_info *o = table_row(t, j);
        if (counts_for_once(o) && strcmp(o->kind, s->kind) == 0)
            return false;
    }
    return true;
}

static bool kind_failed(const struct table *t, const char *kind)
{
    for (int j = 0; j < t->count; j++) {
        const struct source_info *o = table_row(t, j);
        if (counts_for_once(o) && strcmp(o->kind, kind) == 0 && !not_synced(o))
            return false;
    }
    return true;
}

static void describe_kind(const struct table *t, const char *kind, struct buf *msg)
{
    buf_puts(msg, "lookout: every ");
    ts_sanitize_buf(kind, strlen(kind), msg, 0);
    buf_puts(msg, " source failed:");
    const char *sep = " ";
    for (int j = 0; j < t->count; j++) {
        const struct source_info *o = table_row(t, j);
        if (!counts_for_once(o) || strcmp(o->kind, kind) != 0)
            continue;
        buf_puts(msg, sep);
        ts_sanitize_buf(o->name, strlen(o->name), msg, 0);
        buf_printf(msg, " (%s%s", source_state_names[o->state], o->error[0] ? ": " : "");
        ts_sanitize_buf(o->error, strlen(o->error), msg, 0);
        buf_puts(msg, ")");
        sep = "; ";
    }
    buf_puts(msg, "\n");
}

int app_failed_kinds(struct app *a, struct buf *msg)
{
    const struct table *t = &a->engine.tables[T_SOURCES];
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (!counts_for_once(s) || !first_of_kind(t, i) || !kind_failed(t, s->kind))
            continue;
        describe_kind(t, s->kind, msg);
        n++;
    }
    return n;
}

void app_free(struct app *a)
{
    if (a->clock_timer)
        loop_timer_cancel(a->loop, a->clock_timer);
    if (a->late_timer)
        loop_timer_cancel(a->loop, a->late_timer);
    source_stop_all(&a->sources);
    /* In reverse order, before the HTTP client goes: a module may have a
     * request in flight (the copilot), or a last webhook to cancel. */
    int n = 0;
    while (modules[n])
        n++;
    for (int i = n - 1; i >= 0; i--) {
        if (modules[i]->teardown && a->state[i])
            modules[i]->teardown(a->state[i]);
        a->state[i] = NULL;
    }
    http_free(a->http);
    loop_free(a->loop);
    engine_free(&a->engine);
    config_free(&a->config);
}
