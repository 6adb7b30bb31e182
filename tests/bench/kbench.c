/* The ceiling for bench_kernel.sh: the same kernel programs (opens only)
 * with a bare libbpf ring-buffer consumer that only counts records: epoll
 * wakeups plus a 100 ms ring_buffer__consume(), like Lookout, but nothing
 * else (no slices: one call drains until it catches up). Runs SECONDS,
 * prints "records drops longest_call_ms cpu_s". */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "bench.h"
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
    double t0 = now_s(), cpu0 = cpu_s(), longest = 0;
    int epfd = ring_buffer__epoll_fd(rb);
    do {
        struct epoll_event ev;
        epoll_wait(epfd, &ev, 1, 100); /* the wakeup, not counted as work */
        double c0 = now_s();
        ring_buffer__consume(rb);
        if (now_s() - c0 > longest)
            longest = now_s() - c0;
    } while (now_s() - t0 < secs);
    ring_buffer__consume(rb);
    struct lo_stats s;
    kloader_read_stats(kl, &s);
    printf("%llu %llu %.1f %.2f\n", records, (unsigned long long)s.ring_drop[LO_OPEN],
           longest * 1000, cpu_s() - cpu0);
    fprintf(stderr, "seen %llu filtered %llu\n", (unsigned long long)s.seen[LO_OPEN],
            (unsigned long long)s.filtered[LO_OPEN]);
    ring_buffer__free(rb);
    kloader_close(kl);
    return 0;
}
