/* Shared between the demo's files: its state and deterministic randomness. */
#ifndef LOOKOUT_DEMO_INTERNAL_H
#define LOOKOUT_DEMO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "demo/demo.h"
#include "core/engine.h"

#define DEMO_SERVICES 3

struct demo_service {
    const char *name;
    const char *namespace;
    double base_rps;       /* mean requests per second */
    double requests_total; /* cumulative counters posted on the sample bus */
    double errors_total;
};

struct kevent_ingest;

struct demo {
    struct demo_options opt;
    struct kevent_ingest *ingest; /* rules apply to simulated events as to real ones */
    uint64_t rng;
    int64_t story_s; /* last simulated story second */
    bool started;
    struct demo_service services[DEMO_SERVICES];
};

/* xorshift64*: small, fast and the same on every machine. */
static inline uint64_t demo_rand(struct demo *d)
{
    d->rng ^= d->rng >> 12;
    d->rng ^= d->rng << 25;
    d->rng ^= d->rng >> 27;
    return d->rng * 2685821657736338717ULL;
}

/* Uniform in [0, 1). */
static inline double demo_uniform(struct demo *d)
{
    return (double)(demo_rand(d) >> 11) / 9007199254740992.0;
}

/* Engine time of story second s. */
static inline int64_t demo_time(int64_t s)
{
    return DEMO_EPOCH_MS + s * 1000;
}

/* One step of each part of the story at story second s. */
void demo_traffic_step(struct demo *d, struct engine *e, int64_t s);
void demo_cluster_step(struct demo *d, struct engine *e, int64_t s);
void demo_pipeline_step(struct demo *d, struct engine *e, int64_t s);
void demo_kernel_step(struct demo *d, struct engine *e, int64_t s);

/* Posts a simulated kernel event through the same ingest as real ones. */
void demo_post_kevent(struct demo *d, struct engine *e, struct kevent *ev);

/* Initial state before story second 0 (history, inventory). */
void demo_traffic_init(struct demo *d, struct engine *e);
void demo_cluster_init(struct demo *d, struct engine *e);
void demo_pipeline_init(struct demo *d, struct engine *e);

/* Error ratio of checkout at story second s: the bad deploy's effect. */
double demo_checkout_error_ratio(int64_t s);

/* Story beats, in story seconds. */
#define BEAT_PIPELINE_START  0
#define BEAT_DEPLOY_START    16
#define BEAT_HONEYPOT_UP     18 /* the deploy stage puts a honeypot pod beside it */
#define BEAT_DEPLOY_DONE     24 /* checkout v2.4.1 is live */
#define BEAT_HONEYPOT_READ   27 /* experiment stage: /etc/passwd read in the honeypot */
#define BEAT_AI_CHECK_FAILS  36 /* the AI check blocks on the finding */
#define BEAT_HONEYPOT_GONE   40 /* the cleanup stage removes the honeypot */
#define BEAT_ERRORS_START    26
#define BEAT_CRASHLOOP       40
#define BEAT_OOMKILL         50
#define BEAT_PASSWD_READ     55
#define BEAT_SECOND_PIPELINE 70

#endif
