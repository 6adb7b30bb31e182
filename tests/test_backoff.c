/* The shared backoff policy: each source's documented steps, the jitter
 * bounds and their reproducibility under a seed, and the reset that waits
 * for a healthy stretch instead of the first success. */
#include <stdint.h>

#include "base/backoff.h"
#include "test.h"

TEST(backoff_steps_exact_without_jitter)
{
    /* the agent's figures: 1 s doubling to 30 s */
    struct backoff_policy p = {.base_ms = 1000, .cap_ms = 30000, .factor = 2};
    struct backoff b;
    backoff_init(&b, &p, 1);
    const int64_t want[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (int i = 0; i < 7; i++)
        CHECK(backoff_fail(&b, 0) == want[i]);
    CHECK(b.failures == 7);
    /* the webhook's: 1, 2, 4, 8 s */
    struct backoff_policy w = {.base_ms = 1000, .cap_ms = 8000, .factor = 2};
    backoff_init(&b, &w, 1);
    CHECK(backoff_fail(&b, 0) == 1000 && backoff_fail(&b, 0) == 2000);
    CHECK(backoff_fail(&b, 0) == 4000 && backoff_fail(&b, 0) == 8000);
    CHECK(backoff_fail(&b, 0) == 8000);
}

TEST(backoff_jitter_bounds_and_seed)
{
    /* client-go's: 0.8 s doubling, up to 100 % on top */
    struct backoff_policy up = {.base_ms = 800, .cap_ms = 30000, .factor = 2, .jitter = 1};
    struct backoff a, b;
    backoff_init(&a, &up, 7);
    backoff_init(&b, &up, 7);
    bool varied = false;
    int64_t first = -1;
    for (int i = 0; i < 200; i++) {
        int64_t d = backoff_fail(&a, 0), e = backoff_fail(&b, 0);
        CHECK(d == e); /* same seed, same delays */
        CHECK(d >= a.step_ms && d < 2 * a.step_ms);
        if (i >= 10) {
            if (first < 0)
                first = d;
            varied |= d != first;
        }
    }
    CHECK(a.step_ms == 30000);
    CHECK(varied); /* at the cap, the delays still spread */
    backoff_init(&b, &up, 8);
    backoff_init(&a, &up, 7);
    bool differs = false;
    for (int i = 0; i < 8; i++)
        differs |= backoff_fail(&a, 0) != backoff_fail(&b, 0);
    CHECK(differs);
    /* the LLM SDKs': 0.5 s doubling to 8 s, up to 25 % off */
    struct backoff_policy down = {.base_ms = 500, .cap_ms = 8000, .factor = 2, .jitter = -0.25};
    backoff_init(&a, &down, 0); /* kernel seed: only the bounds are known */
    for (int i = 0; i < 50; i++) {
        int64_t d = backoff_fail(&a, 0);
        CHECK(d <= a.step_ms && d >= a.step_ms * 3 / 4);
    }
}

TEST(backoff_reset_needs_a_healthy_stretch)
{
    struct backoff_policy p = {.base_ms = 1000, .cap_ms = 30000, .factor = 2, .healthy_ms = 30000};
    struct backoff b;
    backoff_init(&b, &p, 1);
    CHECK(backoff_calm(&b, 0));
    backoff_fail(&b, 0);
    backoff_fail(&b, 1000);
    CHECK(backoff_fail(&b, 3000) == 4000);
    /* back up briefly, then down again: no reset yet */
    backoff_ok(&b, 7000);
    CHECK(!backoff_calm(&b, 20000));
    CHECK(backoff_fail(&b, 20000) == 8000);
    /* a success repeated does not restart the stretch */
    backoff_ok(&b, 28000);
    backoff_ok(&b, 50000);
    CHECK(!backoff_calm(&b, 57999));
    CHECK(backoff_calm(&b, 58000));
    CHECK(backoff_fail(&b, 58000) == 1000);
    CHECK(b.failures == 1);
    /* healthy_ms 0: the first success resets */
    struct backoff_policy now = {.base_ms = 100, .cap_ms = 1000, .factor = 3};
    backoff_init(&b, &now, 1);
    CHECK(backoff_fail(&b, 0) == 100 && backoff_fail(&b, 0) == 300);
    backoff_ok(&b, 5);
    CHECK(backoff_fail(&b, 5) == 100);
}

TEST(backoff_extreme_policies_stay_in_range)
{
    struct backoff_policy p = {.base_ms = 1, .cap_ms = INT64_MAX / 4, .factor = 1e300};
    struct backoff b;
    backoff_init(&b, &p, 3);
    CHECK(backoff_fail(&b, 0) == 1);
    CHECK(backoff_fail(&b, 0) == INT64_MAX / 4);
    CHECK(backoff_fail(&b, 0) == INT64_MAX / 4);
    struct backoff_policy q = {.base_ms = 500, .cap_ms = 100, .factor = 0.5, .jitter = -5};
    backoff_init(&b, &q, 3);
    for (int i = 0; i < 5; i++) {
        int64_t d = backoff_fail(&b, 0);
        CHECK(b.step_ms == 100 && d >= 0 && d <= 100); /* base over cap: cap; jitter -1 at most */
    }
}

RUN_TESTS()
