/* The BPF load through its short-lived child (bpf/loader.c): the fds handed
 * over work in the parent (counters read, a kind switched off and on again
 * at run time through the mapped .bss), the child is reaped, and a child
 * that fails, dies or hangs is an error with its reason, never a wait. The
 * load itself needs root and kernel BTF; the failures run anywhere. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/loader.h"
#include "test.h"

static void run_true(void)
{
    pid_t p = fork();
    if (p == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    waitpid(p, NULL, 0);
}

static uint64_t exec_seen(const struct kernel_loader *kl)
{
    struct lo_stats s;
    return kloader_read_stats(kl, &s) == 0 ? s.seen[LO_EXEC] : 0;
}

/* No child of this process is left, running or zombie. */
static bool no_children(void)
{
    return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

TEST(handover_counters_and_kinds)
{
    char why[256];
    if (kernel_unavailable(why, sizeof(why)))
        SKIP("%s", why);
    struct kernel_options o;
    kernel_options_default(&o);
    o.ring_bytes = 1u << 16;
    char err[512] = "";
    struct kernel_loader *kl = kloader_open(&o, err, sizeof(err));
    CHECK(kl != NULL);
    if (!kl) {
        printf("    %s\n", err);
        return;
    }
    CHECK(kloader_helper_pid(kl) > 0);
    CHECK(no_children());
    CHECK(kloader_ring_fd(kl) >= 0);
    uint64_t before = exec_seen(kl);
    run_true();
    CHECK(exec_seen(kl) > before);
    /* Off: the programs skip the kind before counting it, host-wide. */
    kloader_set_kind(kl, LO_EXEC, false);
    before = exec_seen(kl);
    run_true();
    run_true();
    CHECK(exec_seen(kl) == before);
    kloader_set_kind(kl, LO_EXEC, true);
    run_true();
    CHECK(exec_seen(kl) > before);
    kloader_close(kl);
}

static struct kernel_loader *open_with(const char *how, char *err, size_t errlen)
{
    struct kernel_options o;
    kernel_options_default(&o);
    setenv("LOOKOUT_BPF_CHILD", how, 1);
    struct kernel_loader *kl = kloader_open(&o, err, errlen);
    unsetenv("LOOKOUT_BPF_CHILD");
    return kl;
}

TEST(child_fails_with_its_reason)
{
    char err[512] = "";
    CHECK(open_with("fail", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "forced by LOOKOUT_BPF_CHILD=fail") != NULL);
    CHECK(no_children());
}

TEST(child_dies)
{
    char err[512] = "";
    CHECK(open_with("die", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "died (signal 9") != NULL);
    CHECK(no_children());
}

TEST(child_hangs_and_is_stopped)
{
    setenv("LOOKOUT_BPF_LOAD_TIMEOUT_MS", "300", 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[512] = "";
    CHECK(open_with("hang", err, sizeof(err)) == NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    unsetenv("LOOKOUT_BPF_LOAD_TIMEOUT_MS");
    CHECK(strstr(err, "did not load within") != NULL);
    CHECK(t1.tv_sec - t0.tv_sec < 30); /* the deadline, not a hang */
    CHECK(no_children());
}

RUN_TESTS()
