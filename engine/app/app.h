/* The headless application: config, engine, loop, HTTP, sources and
 * analysers wired together. The curses front end and the headless commands
 * (--once --json, replay, agent) all start from here. */
#ifndef LOOKOUT_APP_H
#define LOOKOUT_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/http.h"
#include "base/loop.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/module.h"
#include "core/source.h"

/* Every module, in set-up order (app/modules.c), ended by NULL. */
extern const struct module *const modules[];

struct app {
    struct run_options opt;
    struct config config;
    struct engine engine;
    struct loop *loop;
    struct http *http;
    struct source_set sources;
    struct source_ctx ctx;
    struct module_ctx mctx;
    void *state[16]; /* each module's state, by its index in modules[] */
    struct loop_timer *clock_timer;
    struct loop_timer *late_timer; /* the held sources' start, after the first frame */
    int held_source;               /* index of the source whose start_late waits, -1 */
    int64_t mono_start;
    int64_t clock_start; /* engine time at mono_start */
    bool sim_clock;      /* the clock is driven by the demo source */
    int exit_code;
};

/* Loads config and builds everything; -1 with a message (exit code 2). */
int app_init(struct app *a, const struct run_options *opt, char *err, size_t errlen);
/* Starts sources and analysers. On the screen (opt.screen) a source's slow
 * start_late (the BPF load) and every source after it wait for a 0 ms timer,
 * so that the first frame, drawn before the loop first runs, comes first. */
void app_start(struct app *a);
void app_free(struct app *a);
/* A module's state (what its setup returned), or NULL when it is not set up. */
void *app_module_state(const struct app *a, const struct module *m);
/* Runs the loop until every source synced or failed, or timeout_s passed.
 * Returns true when all synced in time. */
bool app_wait_first_sync(struct app *a, double timeout_s);
/* For --once: the number of source kinds (gitlab, kubernetes, ...) none of
 * whose sources synced (each failed, stale, or still starting), with one
 * line per kind appended to msg naming them and their errors, sanitised.
 * Disabled sources and outputs (copilot, webhooks) do not count. */
int app_failed_kinds(struct app *a, struct buf *msg);

#endif
