/* The headless application: config, engine, loop, HTTP, sources and
 * analysers wired together. The curses front end and the headless commands
 * (--once --json, replay, agent) all start from here. */
#ifndef LOOKOUT_APP_H
#define LOOKOUT_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/engine.h"
#include "base/http.h"
#include "base/loop.h"
#include "core/source.h"

struct app_options {
    const char *config_path;      /* --config */
    bool demo;                    /* --demo */
    uint64_t seed;                /* --seed (default 1) */
    bool no_kernel;               /* --no-kernel */
    double demo_time_s;           /* --demo-time: fast-forward the story */
    double demo_speed;            /* --demo-speed: simulated seconds per second (default 1) */
    bool once;                    /* --once */
    bool json;                    /* --json */
    double timeout_s;             /* --timeout for --once (default 10) */
    const char *record_path;      /* --record */
    int64_t refresh_ms;           /* --refresh (0: from config, default 1000) */
    const char *theme;            /* --theme */
    bool war_room;                /* --war-room */
    int frames;                   /* --frames N: draw N frames and exit (0: run) */
    const char *copilot;          /* --copilot BACKEND */
    const char *kube_context;     /* --context */
    const char *kube_namespace;   /* --namespace */
    const char *demo_inject_comm; /* --demo-inject-comm: a hostile process name (tests) */
    const char *demo_inject_path; /* --demo-inject-path: a hostile file path (tests) */
    const char *replay_path;      /* lookout replay FILE */
    double replay_speed;          /* --speed: 1 recorded speed, 0 as fast as possible */
};

/* A module that analyses state (SLO evaluation, correlation, copilot ...)
 * attaches its hooks and observers to the engine here. */
struct app;
typedef int (*app_module_fn)(struct app *a, char *err, size_t errlen);

struct app {
    struct app_options opt;
    struct config config;
    struct engine engine;
    struct loop *loop;
    struct http *http;
    struct source_set sources;
    struct source_ctx ctx;
    struct loop_timer *clock_timer;
    int64_t mono_start;
    int64_t clock_start; /* engine time at mono_start */
    bool sim_clock;      /* the clock is driven by the demo source */
    int exit_code;
};

/* Loads config and builds everything; -1 with a message (exit code 2). */
int app_init(struct app *a, const struct app_options *opt, char *err, size_t errlen);
/* Starts sources and analysers. */
void app_start(struct app *a);
void app_free(struct app *a);
/* Runs the loop until every source synced or failed, or timeout_s passed.
 * Returns true when all synced in time. */
bool app_wait_first_sync(struct app *a, double timeout_s);

#endif
