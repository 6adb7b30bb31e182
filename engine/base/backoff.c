/* Exponential backoff with jitter and reset-after-healthy; see backoff.h.
 * The jitter generator is splitmix64: tiny, seedable, and good enough to
 * keep a fleet of clients from retrying in step. */
#include "base/backoff.h"

#include <sys/random.h>
#include <time.h>

static uint64_t next_random(struct backoff *b)
{
    uint64_t z = (b->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void backoff_init(struct backoff *b, const struct backoff_policy *p, uint64_t seed)
{
    *b = (struct backoff){.p = *p, .rng = seed};
    if (seed)
        return;
    if (getrandom(&b->rng, sizeof(b->rng), GRND_NONBLOCK) != sizeof(b->rng)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        b->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)b;
    }
}

bool backoff_calm(const struct backoff *b, int64_t now_ms)
{
    return b->step_ms == 0 || (b->healthy && now_ms - b->healthy_since >= b->p.healthy_ms);
}

/* Far past any real wait (73 million years), and low enough that a step
 * plus its jitter stays an exact int64_t. */
#define STEP_LIMIT (INT64_MAX / 4)

/* The step after the current one, in double so a large factor cannot overflow. */
static int64_t grow(const struct backoff *b)
{
    int64_t cap = b->p.cap_ms < STEP_LIMIT ? b->p.cap_ms : STEP_LIMIT;
    double next = b->step_ms ? (double)b->step_ms * (b->p.factor > 1 ? b->p.factor : 1)
                             : (double)b->p.base_ms;
    return next >= (double)cap ? cap : next < 0 ? 0 : (int64_t)next;
}

int64_t backoff_fail(struct backoff *b, int64_t now_ms)
{
    if (backoff_calm(b, now_ms)) {
        b->step_ms = 0;
        b->failures = 0;
    }
    b->healthy = false;
    b->step_ms = grow(b);
    b->failures++;
    double u = (double)(next_random(b) >> 11) / 9007199254740992.0; /* [0, 1) */
    double j = b->p.jitter < -1 ? -1 : b->p.jitter > 1 ? 1 : b->p.jitter;
    /* only the jitter goes through double: an unjittered step stays exact */
    int64_t delay = b->step_ms + (int64_t)((double)b->step_ms * j * u);
    return delay > 0 ? delay : 0;
}

void backoff_ok(struct backoff *b, int64_t now_ms)
{
    if (b->healthy)
        return;
    b->healthy = true;
    b->healthy_since = now_ms;
}
