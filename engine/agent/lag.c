/* Delay histogram of agent events at the console (see lag.h). */
#include "agent/lag.h"

#include <math.h>
#include <string.h>

/* Bucket b covers [lo(b), lo(b+1)) ms. */
static int64_t bucket_lo(int b)
{
    if (b < 100)
        return b;
    if (b < 190)
        return 100 + (int64_t)(b - 100) * 10;
    return 1000 + (int64_t)(b - 190) * 100;
}

static int bucket_of(int64_t ms)
{
    if (ms < 100)
        return ms < 0 ? 0 : (int)ms;
    if (ms < 1000)
        return 100 + (int)((ms - 100) / 10);
    if (ms < 10000)
        return 190 + (int)((ms - 1000) / 100);
    return LAG_BUCKETS - 1;
}

void lag_add(struct lag_hist *h, int64_t ms)
{
    h->n[bucket_of(ms)]++;
    h->count++;
}

double lag_quantile(const struct lag_hist *h, double q)
{
    if (!h->count)
        return NAN;
    /* The rank of the q-quantile among count samples, 1-based. */
    double rank = ceil(q * (double)h->count);
    uint64_t want = rank < 1 ? 1 : (uint64_t)rank, seen = 0;
    for (int b = 0; b < LAG_BUCKETS - 1; b++) {
        seen += h->n[b];
        if (seen >= want)
            return b < 100 ? (double)b : (double)bucket_lo(b + 1);
    }
    return 10000;
}

void lag_reset(struct lag_hist *h)
{
    memset(h, 0, sizeof(*h));
}
