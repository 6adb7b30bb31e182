/* Loads and attaches Lookout's kernel programs (the one object linked from
 * the bpf/ fragments, lookout.bpf.c and one per family of hooks):
 * privilege and BTF checks, feature probes choosing one flavour per hook,
 * settings written to rodata before load, maps filled after load, each
 * program attached on its own so one missing hook does not stop the rest.
 * The load runs in a short-lived child process that hands the fds over (the
 * kernel's BTF, parsed for it, costs ~11 MB for a moment: the child's, not
 * Lookout's); the parent works on those fds alone. */
#ifndef LOOKOUT_KERNEL_LOADER_H
#define LOOKOUT_KERNEL_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/events.h"

#define KOPT_MAX_WATCH    64
#define KOPT_DEFAULT_RING (8u << 20)
/* How long a load may take before the child is stopped (0.5-1 s normally,
 * a few seconds on a loaded machine); LOOKOUT_BPF_LOAD_TIMEOUT_MS sets it. */
#define KLOADER_TIMEOUT_MS 60000

struct kernel_options {
    uint32_t ring_bytes; /* power of two, >= 64 KiB */
    bool kind_on[LO_KIND_MAX];
    int nwatch;
    char watch[KOPT_MAX_WATCH][LO_PATH_LEN]; /* paths, "dir/" entries, "a*b" patterns */
    uint32_t rate_limit;                     /* events/s per cgroup, 0: off */
    bool drop_privileges;                    /* under sudo: become the invoking user after attach */
    int64_t drain_ms;                        /* timer drain period (100-250) */
};

/* Defaults: 8 MiB ring, every kind on, the default watch list. */
void kernel_options_default(struct kernel_options *o);

/* Why kernel events cannot run here ("" when they can): missing privileges
 * or kernel BTF. The source reports this as disabled, not failed. */
bool kernel_unavailable(char *why, size_t whylen);

struct kernel_loader;
struct kloader_job;

/* Forks the child that opens, loads and attaches. NULL with err. */
struct kloader_job *kloader_start(const struct kernel_options *o, char *err, size_t errlen);
/* Readable once the child has exited (a pidfd): then kloader_finish. */
int kloader_job_fd(const struct kloader_job *j);
/* Reaps the child and takes the fds it handed over; frees the job. NULL
 * with err: the child's own reason, or how it died without one. */
struct kernel_loader *kloader_finish(struct kloader_job *j, char *err, size_t errlen);
/* Kills and reaps a child still loading; frees the job. */
void kloader_abort(struct kloader_job *j);
/* kloader_abort, past the deadline: says so in err. */
void kloader_timed_out(struct kloader_job *j, char *err, size_t errlen);
/* KLOADER_TIMEOUT_MS or the environment's. */
int kloader_timeout_ms(void);
/* Start, wait (up to the timeout) and finish, for callers with no loop
 * turning yet. NULL with a one-line reason in err. */
struct kernel_loader *kloader_open(const struct kernel_options *o, char *err, size_t errlen);
void kloader_close(struct kernel_loader *kl);

int kloader_ring_fd(const struct kernel_loader *kl);
/* The child that loaded the programs: its own exit is the one event it
 * leaves behind (self_tgid is the parent's). */
pid_t kloader_helper_pid(const struct kernel_loader *kl);
/* Sums the per-CPU counters. */
int kloader_read_stats(const struct kernel_loader *kl, struct lo_stats *out);
/* Switches one kind on or off at run time. */
void kloader_set_kind(struct kernel_loader *kl, int kind, bool on);
/* Which flavour each hook runs ("exec=tp_btf open=tracepoint ...") and what
 * could not attach. */
const char *kloader_hooks(const struct kernel_loader *kl);
const char *kloader_failures(const struct kernel_loader *kl);
/* Reads and clears the per-flow retransmit counters; fn is called per flow. */
int kloader_drain_retrans(struct kernel_loader *kl,
                          void (*fn)(const struct lo_retrans *r, void *ud), void *ud);

/* Under sudo (SUDO_UID/SUDO_GID set, running as root): switch to the
 * invoking user and clear every capability. Returns 1 when dropped, 0 when
 * there was nothing to do, -1 with err on failure. */
int kernel_drop_privileges(char *err, size_t errlen);
/* Whether kernel_drop_privileges would drop (under sudo, as root). */
bool kernel_privileges_to_drop(void);

#endif
