/* How late a node agent's events reach the console: a histogram of the
 * delay from an event's time (the agent's clock) to its arrival at the
 * console, read as p50/p99 once per heartbeat window and reset (agent/conn.c
 * puts them in the agent's kstats row). Fixed buckets, no allocation: 1 ms
 * wide below 100 ms, 10 ms below 1 s, 100 ms below 10 s, then one bucket for
 * everything later, so a console with hundreds of agents pays ~1 KiB each. */
#ifndef LOOKOUT_AGENT_LAG_H
#define LOOKOUT_AGENT_LAG_H

#include <stdint.h>

#define LAG_BUCKETS 281

struct lag_hist {
    uint32_t n[LAG_BUCKETS];
    uint32_t count;
};

/* Counts one delay in ms (negative, from clock skew, counts as 0). */
void lag_add(struct lag_hist *h, int64_t ms);
/* The q-quantile (0 < q <= 1) in ms: exact below 100 ms (delays are whole
 * ms), above that the upper edge of its bucket, so it errs high by less than
 * the bucket's width; 10000 past the last edge, NaN when empty. */
double lag_quantile(const struct lag_hist *h, double q);
void lag_reset(struct lag_hist *h);

#endif
