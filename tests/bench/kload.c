/* Load generator for bench_kernel.sh: a syscall loop that prints "ops ops/s
 * ops-per-CPU-second".
 *   kload getppid SECONDS        getppid() as fast as possible
 *   kload devnull SECONDS        open+close /dev/null as fast as possible
 *   kload passwd SECONDS [RATE]  open+close /etc/passwd (watched: one event
 *                                each), paced to RATE per second when given */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kload getppid|devnull|passwd SECONDS [RATE]\n");
        return 2;
    }
    const char *mode = argv[1];
    double secs = atof(argv[2]), rate = argc > 3 ? atof(argv[3]) : 0;
    const char *path = strcmp(mode, "passwd") == 0 ? "/etc/passwd" : "/dev/null";
    int getppid_mode = strcmp(mode, "getppid") == 0;
    double start = now_s(), end = start + secs, cpu0 = cpu_s();
    unsigned long long ops = 0;
    for (;;) {
        for (int i = 0; i < 1000; i++) {
            if (getppid_mode) {
                syscall(SYS_getppid);
            } else {
                int fd = open(path, O_RDONLY);
                if (fd >= 0)
                    close(fd);
            }
        }
        ops += 1000;
        double t = now_s();
        if (t >= end)
            break;
        if (rate > 0) { /* pace: sleep until this batch is due */
            double due = start + (double)ops / rate;
            if (due > t) {
                struct timespec d = {(time_t)(due - t),
                                     (long)((due - t - (time_t)(due - t)) * 1e9)};
                nanosleep(&d, NULL);
            }
        }
    }
    double el = now_s() - start, cpu = cpu_s() - cpu0;
    /* Third column: per CPU-second of this process, which time stolen by
     * other tenants of a shared VM does not count against. */
    printf("%llu %.0f %.0f\n", ops, (double)ops / el, cpu > 0 ? (double)ops / cpu : 0);
    return 0;
}
