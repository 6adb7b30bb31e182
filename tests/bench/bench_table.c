/* See bench_table.sh. A pod table (k8s_pod rows, the largest common row) of
 * N rows, then a burst of D removals of random keys (a namespace deletion):
 * microseconds per insert, per update, per remove and per lookup, and the
 * worst single remove. Exits 1 when a remove averages over 50 us. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "base/intern.h"
#include "base/buf.h"
#include "core/model.h"
#include "core/table.h"

#define NAMESPACES 10

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13; /* xorshift64: the same keys on every run */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void make_pod(struct k8s_pod *p, int i)
{
    schema_zero(&k8s_pod_schema, p);
    char ns[16];
    snprintf(ns, sizeof(ns), "team-%02d", i % NAMESPACES);
    p->namespace = intern_str(ns);
    snprintf(p->name, sizeof(p->name), "checkout-7d9f8b6c5-%05d", i);
    snprintf(p->key, sizeof(p->key), "%s/%s", p->namespace, p->name);
    p->phase = intern_str("Running");
    p->ready = true;
}

static double us_per(double seconds, int n)
{
    return n ? seconds * 1e6 / n : 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    int d = argc > 2 ? atoi(argv[2]) : 1000;
    if (n < 1 || d < 0 || d > n) {
        fprintf(stderr, "usage: bench_table [rows] [removals <= rows]\n");
        return 2;
    }
    struct table t;
    table_init(&t, &k8s_pod_schema, 60000);
    struct k8s_pod pod;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        make_pod(&pod, i);
        table_upsert(&t, &pod);
    }
    double insert = now_s() - t0;

    t0 = now_s();
    for (int i = 0; i < n; i++) {
        make_pod(&pod, (int)(next_random() % (uint64_t)n));
        pod.restarts = i;
        table_upsert(&t, &pod);
    }
    double update = now_s() - t0;

    /* D distinct random victims: a partial Fisher-Yates shuffle. */
    int *ids = malloc((size_t)n * sizeof(int));
    if (!ids)
        return 1;
    for (int i = 0; i < n; i++)
        ids[i] = i;
    for (int i = 0; i < d; i++) {
        int j = i + (int)(next_random() % (uint64_t)(n - i));
        int tmp = ids[i];
        ids[i] = ids[j];
        ids[j] = tmp;
    }
    double removal = 0, worst = 0;
    int removed = 0;
    for (int i = 0; i < d; i++) {
        make_pod(&pod, ids[i]);
        double s = now_s();
        removed += table_remove(&t, pod.key);
        double one = now_s() - s;
        removal += one;
        if (one > worst)
            worst = one;
    }

    int found = 0;
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        make_pod(&pod, i);
        found += table_get(&t, pod.key) != NULL;
    }
    double lookup = now_s() - t0;

    printf("   pod table (%zu-byte rows): %d inserts %.2f us each, %d updates %.2f us each\n",
           sizeof(struct k8s_pod), n, us_per(insert, n), n, us_per(update, n));
    printf("   %d removes of random keys: %.2f us each (worst %.0f us, burst %.1f ms); "
           "%d lookups %.2f us each\n",
           d, us_per(removal, d), worst * 1e6, removal * 1e3, n, us_per(lookup, n));
    bool ok = removed == d && found == n - d && t.count == n - d && us_per(removal, d) < 50;
    printf("   target (remove < 50 us at %d rows, every row accounted for): %s\n", n,
           ok ? "met" : "MISSED");
    free(ids);
    table_free(&t);
    return ok ? 0 : 1;
}
