/* The demo source: a built-in simulated environment that tells the whole
 * story in about two minutes, deterministic under --seed. Everything it
 * posts is marked simulated. It also drives the engine's simulated clock. */
#ifndef LOOKOUT_DEMO_H
#define LOOKOUT_DEMO_H

#include <stdint.h>

#include "core/module.h"
#include "core/source.h"

/* 2026-03-02 14:00:00 UTC, a Monday afternoon: story second 0. */
#define DEMO_EPOCH_MS 1772460000000LL
/* The story's length in seconds; after it the environment idles on. */
#define DEMO_STORY_S 150

struct demo_options {
    uint64_t seed;
    const char *inject_comm; /* hostile process name for terminal-safety tests */
    const char *inject_path; /* hostile path for terminal-safety tests */
    int host_priv_at;        /* story second of a host privilege escalation (tests), 0: none */
};

extern const struct source_ops demo_source_ops;
/* The demo module: owns the `demo` section; with --demo it adds the demo
 * source, which then drives the engine's clock. */
extern const struct module demo_module;

/* Creates the demo's private state for source_add(). */
void *demo_new(const struct demo_options *opt);
/* Runs the simulation up to engine time t (ms), a second at a time. */
void demo_run_until(struct source *s, int64_t t);

#endif
