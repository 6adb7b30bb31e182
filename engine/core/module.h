/* A module is one family's entry into the application: the config sections
 * it owns, and the sources and analysers it sets up from them. Each family
 * declares itself once, as a const struct module in its own folder, and
 * app/modules.c lists them all in one table (the way tmux lists its commands
 * in one table of cmd_entry structs, each declared in its own file). The
 * config loader, the source list and the analysers all come from that table,
 * so adding a data source is a folder, one row, its docs and its tests.
 *
 * A module gets a small context, never the whole application, and keeps its
 * own state behind the void pointer its setup returns. */
#ifndef LOOKOUT_MODULE_H
#define LOOKOUT_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/source.h"

/* What the command line asked for. Modules read what concerns them (a
 * replay adds no live source, --no-kernel, --context ...). */
struct run_options {
    const char *config_path;      /* --config */
    bool demo;                    /* --demo */
    uint64_t seed;                /* --seed (default 1) */
    bool no_kernel;               /* --no-kernel */
    bool host_kernel;             /* --host-kernel: real kernel events beside --demo's */
    double demo_time_s;           /* --demo-time: fast-forward the story */
    double demo_speed;            /* --demo-speed: simulated seconds per second (default 1) */
    bool once;                    /* --once */
    bool json;                    /* --json */
    double timeout_s;             /* --timeout for --once (default 10) */
    int64_t prom_timeout_ms;      /* serve --timeout: each Prometheus query (0: config, 10 s) */
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
    int demo_host_priv_at;        /* --demo-inject-host-priv: story second, 0: off (tests) */
    const char *replay_path;      /* lookout replay FILE */
    double replay_speed;          /* --speed: 1 recorded speed, 0 as fast as possible */
    const char *attach_url;       /* --attach: a shared engine's state, no sources here */
    const char *attach_token;     /* its bearer token ("" none), from --token-file or env */
    bool screen; /* a screen is drawn: the BPF load waits for its first frame, a 1 MiB ring */
};

/* What a module's setup is handed. */
struct module_ctx {
    struct engine *engine;
    struct loop *loop;
    struct http *http;
    const struct config *config;
    const struct run_options *opt;
    struct source_set *sources;   /* where the module adds its sources */
    const struct source_ctx *src; /* what each of those sources is handed */
};

/* A top-level config section and the check that validates it (NULL:
 * accepted as it is). */
struct module_section {
    const char *name;
    config_check_fn check;
};

enum {
    MODULE_LIVE = 1 << 0, /* not set up in a replay: it would add live sources */
};

struct module {
    const char *name;
    /* The config sections this module owns, ended by {NULL, NULL}. */
    const struct module_section *sections;
    unsigned flags;
    /* Adds sources and attaches analysers; *state is handed back to
     * teardown. Returns 0, or -1 with a message (a configuration error:
     * Lookout exits 2). NULL: the module only owns config sections. */
    int (*setup)(const struct module_ctx *ctx, void **state, char *err, size_t errlen);
    /* Frees the state, after every source stopped; NULL: nothing to free. */
    void (*teardown)(void *state);
};

#endif
