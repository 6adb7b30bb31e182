/* The one retry backoff policy every source embeds.
 *
 * Each failure waits a step that starts at base and grows by factor up to
 * cap, then jitter spreads it: the delay is step * (1 + jitter * u) with u
 * uniform in [0, 1). A positive jitter adds up to that share on top
 * (client-go's +100 %), a negative one takes it off (the LLM SDKs' -25 %),
 * 0 keeps the steps exact. The step returns to base only after the source
 * has been healthy for healthy_ms without a failure: one lucky success in
 * a flapping outage must not restart the retries at full speed.
 *
 * Jitter comes from a small generator in the struct, so a test that seeds
 * it gets the same delays every run. */
#ifndef LOOKOUT_BACKOFF_H
#define LOOKOUT_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct backoff_policy {
    int64_t base_ms;    /* the first wait */
    int64_t cap_ms;     /* the step never grows past this (nor INT64_MAX / 4); jitter after */
    double factor;      /* growth per failure in a row; below 1 counts as 1 */
    double jitter;      /* -1..1, see above */
    int64_t healthy_ms; /* healthy this long resets the step; 0: the first success does */
};

struct backoff {
    struct backoff_policy p;
    int64_t step_ms;       /* the last wait before jitter; 0: none since the reset */
    int64_t healthy_since; /* when the current healthy stretch began */
    bool healthy;
    uint32_t failures; /* in a row since the last reset */
    uint64_t rng;
};

/* seed 0 draws one from the kernel; any other seed pins the jitter. */
void backoff_init(struct backoff *b, const struct backoff_policy *p, uint64_t seed);
/* A failure at now_ms (monotonic): returns how long to wait before retrying. */
int64_t backoff_fail(struct backoff *b, int64_t now_ms);
/* A success: starts the healthy stretch, or continues it. */
void backoff_ok(struct backoff *b, int64_t now_ms);
/* True when the next failure starts again from base. */
bool backoff_calm(const struct backoff *b, int64_t now_ms);

#endif
