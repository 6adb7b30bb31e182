/* The ceiling for bench_kernel.sh: the same kernel programs (opens only)
 * with a bare libbpf ring-buffer consumer that only counts records: epoll
 * wakeups plus a 100 ms ring_buffer__consume(), like Lookout, but nothing
 * else. Runs SECONDS, prints "records drops". */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bpf/loader.h"

static unsigned long long records;

static int count(void *ctx, void *data, size_t size)
{
    (void)ctx;
    (void)data;
    (void)size;
    records++;
    return 0;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3;
    struct kernel_options o;
    kernel_options_default(&o);
    for (int k = 0; k < LO_KIND_MAX; k++)
        o.kind_on[k] = k == LO_OPEN;
    char err[512];
    struct kernel_loader *kl = kloader_open(&o, err, sizeof(err));
    if (!kl) {
        fprintf(stderr, "kbench: %s\n", err);
        return 1;
    }
    struct ring_buffer *rb = ring_buffer__new(kloader_ring_fd(kl), count, NULL, NULL);
    fprintf(stderr, "ready\n");
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        ring_buffer__poll(rb, 100);
        ring_buffer__consume(rb);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
    ring_buffer__consume(rb);
    struct lo_stats s;
    kloader_read_stats(kl, &s);
    printf("%llu %llu\n", records, (unsigned long long)s.ring_drop[LO_OPEN]);
    fprintf(stderr, "seen %llu filtered %llu\n", (unsigned long long)s.seen[LO_OPEN],
            (unsigned long long)s.filtered[LO_OPEN]);
    ring_buffer__free(rb);
    kloader_close(kl);
    return 0;
}
