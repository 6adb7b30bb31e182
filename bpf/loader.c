#include "bpf/loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "bpf/listen_seed.h"
#include "bpf/lookout.skel.h"

#define TRACEFS         "/sys/kernel/tracing"
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT     39
#define MAX_LINKS       64

static const char *const default_watch[] = {
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d/",
    "/etc/pam.conf",
    "/etc/pam.d/",
    "/etc/passwd",
    "/etc/security/",
    "/root/.ssh/",
    "/var/run/secrets/kubernetes.io/",
    "/run/secrets/kubernetes.io/",
    "/proc/*/environ",
};

/* The load, in the child: what libbpf holds while it opens, loads and
 * attaches. Never freed: the child exits once the fds are handed over. */
struct kload {
    struct lookout_bpf *skel;
    struct bpf_link *links[MAX_LINKS];
    int nlinks;
    char hooks[512];
    char failures[512];
};

/* The parent's side: plain fds, the .bss mapped for kind_on[]. */
struct kernel_loader {
    int ring_fd, stats_fd, retrans_fd;
    struct lookout_bpf__bss *bss;
    size_t bss_len;
    int links[MAX_LINKS];
    int nlinks;
    pid_t helper;
    char hooks[512];
    char failures[512];
};

void kernel_options_default(struct kernel_options *o)
{
    memset(o, 0, sizeof(*o));
    o->ring_bytes = KOPT_DEFAULT_RING;
    for (int k = 0; k < LO_KIND_MAX; k++)
        o->kind_on[k] = true;
    for (size_t i = 0; i < sizeof(default_watch) / sizeof(default_watch[0]); i++)
        STR_COPY(o->watch[o->nwatch++], default_watch[i]);
    o->drop_privileges = true;
    o->drain_ms = 100;
}

/* ---- libbpf messages: kept for the error line, never on the terminal ---- */
static char last_libbpf_msg[256];

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char line[256];
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = 0;
    if (line[0])
        STR_COPY(last_libbpf_msg, line);
    if (getenv("LOOKOUT_BPF_DEBUG"))
        fprintf(stderr, "libbpf: %s\n", line);
    return 0;
}

/* ---- privileges and BTF ---- */
static uint64_t cap_effective(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long caps = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    fclose(f);
    return caps;
}

bool kernel_unavailable(char *why, size_t whylen)
{
    uint64_t caps = cap_effective();
    bool has_bpf = (caps >> CAP_BPF_BIT) & 1, has_perfmon = (caps >> CAP_PERFMON_BIT) & 1;
    if (geteuid() != 0 && !(has_bpf && has_perfmon)) {
        snprintf(why, whylen,
                 "kernel events need root or CAP_BPF+CAP_PERFMON; running without them");
        return true;
    }
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        snprintf(why, whylen,
                 "this kernel has no BTF (/sys/kernel/btf/vmlinux); running without kernel "
                 "events");
        return true;
    }
    why[0] = 0;
    return false;
}

/* ---- feature probes ---- */
static bool tracefs_has(const char *event)
{
    char path[256];
    snprintf(path, sizeof(path), TRACEFS "/events/%s", event);
    return access(path, F_OK) == 0;
}

/* Classic tracepoints need tracefs: mount it when it is missing and we may. */
static bool tracefs_ready(void)
{
    if (tracefs_has("syscalls"))
        return true;
    if (access(TRACEFS "/events", F_OK) == 0)
        return false; /* mounted, but no syscall tracepoints in this kernel */
    if (mount("nodev", TRACEFS, "tracefs", 0, NULL) != 0)
        return false;
    return tracefs_has("syscalls");
}

/* LOOKOUT_BPF_FLAVOUR=raw forces raw_tp, =sys_exit the sys_exit fallback:
 * lets the tests load every flavour on one kernel. */
static bool forced(const char *what)
{
    const char *f = getenv("LOOKOUT_BPF_FLAVOUR");
    return f && strstr(f, what);
}

static bool tp_btf_ok(const struct btf *vmlinux, const char *tp)
{
    if (!vmlinux || forced("raw"))
        return false;
    char name[128];
    snprintf(name, sizeof(name), "btf_trace_%s", tp);
    return btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) >= 0;
}

static void appendf(char *dst, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(dst);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + len, cap - len, fmt, ap);
    va_end(ap);
}

/* Arguments of a BTF tracepoint (its FUNC_PROTO starts with the context). */
static int tp_btf_nargs(const struct btf *vmlinux, const char *tp)
{
    char name[128];
    snprintf(name, sizeof(name), "btf_trace_%s", tp);
    int id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF);
    const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(vmlinux, id);
    while (t && (btf_is_typedef(t) || btf_is_ptr(t)))
        t = btf__type_by_id(vmlinux, t->type);
    return t && btf_is_func_proto(t) ? btf_vlen(t) - 1 : 0;
}

/* The BTF flavour of tcp_send_reset reads the skb (resets with no socket),
 * which older kernels do not pass: they get the raw flavour, socket only. */
static bool tp_btf_usable(const struct btf *vmlinux, const char *tp)
{
    if (!tp_btf_ok(vmlinux, tp))
        return false;
    return strcmp(tp, "tcp_send_reset") != 0 || tp_btf_nargs(vmlinux, tp) >= 2;
}

/* A hook with a BTF and a raw flavour: keep one, switch the other off. */
static void choose(struct kload *kl, const struct btf *vmlinux, const char *label, const char *tp,
                   struct bpf_program *btf_prog, struct bpf_program *raw_prog, bool wanted)
{
    bool use_btf = tp_btf_usable(vmlinux, tp);
    bpf_program__set_autoload(btf_prog, wanted && use_btf);
    bpf_program__set_autoload(raw_prog, wanted && !use_btf);
    if (wanted)
        appendf(kl->hooks, sizeof(kl->hooks), "%s%s=%s", kl->hooks[0] ? " " : "", label,
                use_btf ? "tp_btf" : "raw_tp");
}

struct sys_hook {
    const char *name;
    int nr; /* -1 when this arch has no such syscall */
    enum lo_sys sys;
};

static int sys_hooks(struct lookout_bpf *s, struct sys_hook *out, struct bpf_program **progs)
{
#ifdef SYS_open
    int nr_open = SYS_open, nr_creat = SYS_creat;
#else
    int nr_open = -1, nr_creat = -1;
#endif
    const struct sys_hook h[] = {
        {"open", nr_open, LO_SYS_OPEN},
        {"openat", SYS_openat, LO_SYS_OPENAT},
        {"openat2", 437, LO_SYS_OPENAT2},
        {"creat", nr_creat, LO_SYS_CREAT},
        {"setuid", SYS_setuid, LO_SYS_SETUID},
        {"setgid", SYS_setgid, LO_SYS_SETGID},
        {"setreuid", SYS_setreuid, LO_SYS_SETREUID},
        {"setregid", SYS_setregid, LO_SYS_SETREGID},
        {"setresuid", SYS_setresuid, LO_SYS_SETRESUID},
        {"setresgid", SYS_setresgid, LO_SYS_SETRESGID},
        {"capset", SYS_capset, LO_SYS_CAPSET},
    };
    struct bpf_program *p[] = {
        s->progs.tp_exit_open,      s->progs.tp_exit_openat,   s->progs.tp_exit_openat2,
        s->progs.tp_exit_creat,     s->progs.tp_exit_setuid,   s->progs.tp_exit_setgid,
        s->progs.tp_exit_setreuid,  s->progs.tp_exit_setregid, s->progs.tp_exit_setresuid,
        s->progs.tp_exit_setresgid, s->progs.tp_exit_capset,
    };
    int n = (int)(sizeof(h) / sizeof(h[0]));
    for (int i = 0; i < n; i++) {
        out[i] = h[i];
        progs[i] = p[i];
    }
    return n;
}

/* Per-syscall tracepoints when tracefs is there (only those syscalls pay),
 * else one sys_exit program that every syscall runs through. */
static void choose_syscalls(struct kload *kl, const struct btf *vmlinux,
                            const struct kernel_options *o)
{
    struct lookout_bpf *s = kl->skel;
    struct sys_hook hooks[16];
    struct bpf_program *progs[16];
    int n = sys_hooks(s, hooks, progs);
    bool wanted = o->kind_on[LO_OPEN] || o->kind_on[LO_PRIV];
    bool per_syscall = wanted && !forced("sys_exit") && tracefs_ready();
    for (int i = 0; i < n; i++) {
        char ev[64];
        snprintf(ev, sizeof(ev), "syscalls/sys_exit_%s", hooks[i].name);
        bool is_open = hooks[i].sys <= LO_SYS_CREAT;
        bool kind = is_open ? o->kind_on[LO_OPEN] : o->kind_on[LO_PRIV];
        bpf_program__set_autoload(progs[i], per_syscall && kind && tracefs_has(ev));
    }
    bool fallback = wanted && !per_syscall;
    bool use_btf = tp_btf_ok(vmlinux, "sys_exit");
    bpf_program__set_autoload(s->progs.sys_exit_btf, fallback && use_btf);
    bpf_program__set_autoload(s->progs.sys_exit_raw, fallback && !use_btf);
    if (wanted)
        appendf(kl->hooks, sizeof(kl->hooks), " syscalls=%s",
                per_syscall ? "tracepoint"
                : use_btf   ? "tp_btf/sys_exit"
                            : "raw_tp/sys_exit");
}

static void fill_sys_table(struct kload *kl)
{
    struct sys_hook hooks[16];
    struct bpf_program *progs[16];
    int n = sys_hooks(kl->skel, hooks, progs);
    for (int i = 0; i < n; i++) {
        if (hooks[i].nr < 0 || hooks[i].nr >= LO_SYS_TABLE)
            continue;
        uint32_t key = (uint32_t)hooks[i].nr, val = hooks[i].sys;
        bpf_map__update_elem(kl->skel->maps.sys_table, &key, sizeof(key), &val, sizeof(val),
                             BPF_ANY);
    }
}

/* ---- settings ---- */
static void set_rodata(struct kload *kl, const struct kernel_options *o, pid_t self)
{
    struct lookout_bpf *s = kl->skel;
    s->rodata->self_tgid = (uint32_t)self;
    s->rodata->wakeup_bytes = o->ring_bytes / 8;
    s->rodata->rate_limit = o->rate_limit;
    uint32_t ng = 0;
    for (int i = 0; i < o->nwatch && ng < LO_MAX_GLOBS; i++) {
        const char *star = strchr(o->watch[i], '*');
        if (!star)
            continue;
        struct lo_glob *g = (struct lo_glob *)&s->rodata->globs[ng++];
        size_t plen = (size_t)(star - o->watch[i]), slen = strlen(star + 1);
        memcpy(g->prefix, o->watch[i], plen < LO_GLOB_LEN ? plen : LO_GLOB_LEN);
        memcpy(g->suffix, star + 1, slen < LO_GLOB_LEN ? slen : LO_GLOB_LEN);
        g->plen = plen < LO_GLOB_LEN ? (uint32_t)plen : LO_GLOB_LEN;
        g->slen = slen < LO_GLOB_LEN ? (uint32_t)slen : LO_GLOB_LEN;
    }
    s->rodata->nglobs = ng;
    for (int k = 0; k < LO_KIND_MAX; k++)
        s->bss->kind_on[k] = o->kind_on[k];
}

static int fill_watch(struct kload *kl, const struct kernel_options *o)
{
    for (int i = 0; i < o->nwatch; i++) {
        if (strchr(o->watch[i], '*'))
            continue;
        struct lo_watch_key key = {0};
        struct lo_watch_val val = {.flags = LO_WATCH_EXACT};
        size_t len = strlen(o->watch[i]);
        if (len > 1 && o->watch[i][len - 1] == '/') {
            len--;
            val.flags = LO_WATCH_DIR;
        }
        if (len == 0 || len >= LO_PATH_LEN)
            continue;
        memcpy(key.path, o->watch[i], len);
        key.prefixlen = (uint32_t)len * 8;
        val.len = (uint32_t)len;
        if (bpf_map__update_elem(kl->skel->maps.watch, &key, sizeof(key), &val, sizeof(val),
                                 BPF_ANY) < 0)
            return -1;
    }
    return 0;
}

/* ---- attach ---- */
static void attach_all(struct kload *kl)
{
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, kl->skel->obj)
    {
        if (!bpf_program__autoload(prog) || kl->nlinks >= MAX_LINKS)
            continue;
        struct bpf_link *link = bpf_program__attach(prog);
        if (!link) {
            appendf(kl->failures, sizeof(kl->failures), "%s%s (%s)", kl->failures[0] ? ", " : "",
                    bpf_program__name(prog), strerror(errno));
            continue;
        }
        kl->links[kl->nlinks++] = link;
    }
}

/* The whole libbpf side, in the child. No clean-up on failure: the child
 * exits, and the kernel drops what it held. */
static int load(struct kload *kl, const struct kernel_options *o, pid_t self, char *err,
                size_t errlen)
{
    libbpf_set_print(libbpf_quiet);
    kl->skel = lookout_bpf__open();
    if (!kl->skel) {
        snprintf(err, errlen, "cannot open the BPF object: %s", last_libbpf_msg);
        return -1;
    }
    struct lookout_bpf *s = kl->skel;
    bpf_map__set_max_entries(s->maps.events, o->ring_bytes);
    set_rodata(kl, o, self);

    /* Parsed once here for the probes, once more by libbpf for CO-RE: the
     * child's memory, gone with it. */
    struct btf *vmlinux = btf__load_vmlinux_btf();
    if (libbpf_get_error(vmlinux))
        vmlinux = NULL;
    const bool *on = o->kind_on;
    choose(kl, vmlinux, "exec", "sched_process_exec", s->progs.exec_btf, s->progs.exec_raw,
           on[LO_EXEC]);
    choose(kl, vmlinux, "exit", "sched_process_exit", s->progs.exit_btf, s->progs.exit_raw,
           on[LO_EXIT]);
    choose(kl, vmlinux, "fork", "sched_process_fork", s->progs.fork_btf, s->progs.fork_raw,
           on[LO_FORK]);
    choose(kl, vmlinux, "tcp", "inet_sock_set_state", s->progs.set_state_btf,
           s->progs.set_state_raw,
           on[LO_CONNECT] || on[LO_ACCEPT] || on[LO_RESET] || on[LO_RETRANSMIT]);
    choose(kl, vmlinux, "reset_tx", "tcp_send_reset", s->progs.send_reset_btf,
           s->progs.send_reset_raw, on[LO_RESET]);
    choose(kl, vmlinux, "reset_rx", "tcp_receive_reset", s->progs.receive_reset_btf,
           s->progs.receive_reset_raw, on[LO_RESET]);
    choose(kl, vmlinux, "retransmit", "tcp_retransmit_skb", s->progs.retransmit_btf,
           s->progs.retransmit_raw, on[LO_RETRANSMIT]);
    choose(kl, vmlinux, "oom", "mark_victim", s->progs.oom_btf, s->progs.oom_raw, on[LO_OOM]);
    choose(kl, vmlinux, "cgroup_mkdir", "cgroup_mkdir", s->progs.cgroup_mkdir_btf,
           s->progs.cgroup_mkdir_raw, on[LO_CGROUP]);
    choose(kl, vmlinux, "cgroup_rmdir", "cgroup_rmdir", s->progs.cgroup_rmdir_btf,
           s->progs.cgroup_rmdir_raw, on[LO_CGROUP]);
    choose_syscalls(kl, vmlinux, o);
    btf__free(vmlinux);

    if (lookout_bpf__load(s) != 0) {
        snprintf(err, errlen, "cannot load the BPF programs: %s", last_libbpf_msg);
        return -1;
    }
    fill_sys_table(kl);
    if (fill_watch(kl, o) < 0) {
        snprintf(err, errlen, "cannot fill the watch list: %s", strerror(errno));
        return -1;
    }
    attach_all(kl);
    if (o->kind_on[LO_ACCEPT] || o->kind_on[LO_RESET] || o->kind_on[LO_RETRANSMIT])
        listen_seed(bpf_map__fd(s->maps.listen_owner));
    if (kl->nlinks == 0) {
        snprintf(err, errlen, "no kernel hook could attach: %s", kl->failures);
        return -1;
    }
    return 0;
}

/* ---- the loading child and the hand-over ----
 * libbpf 1.1 reads the kernel's BTF whole (5.4 MB here) and copies it for
 * CO-RE: some 11 MB for a moment, on top of everything else. A short-lived
 * child does the load and hands over only the fds the parent uses (the
 * ring, the counters, the retransmit flows, the .bss with kind_on[], and a
 * link per attached program, which keeps it attached), so that peak never
 * reaches the parent. */

/* The fds in the message, in this order; the links follow. */
enum { FD_RING, FD_STATS, FD_RETRANS, FD_BSS, FD_FIXED };
#define MAX_FDS (FD_FIXED + MAX_LINKS)

struct kload_reply {
    int32_t ok; /* 0 loaded, -1 failed: err says why */
    int32_t nlinks;
    uint32_t bss_len;
    char err[256];
    char hooks[512];
    char failures[512];
};

struct kloader_job {
    pid_t pid;
    int pidfd; /* readable once the child has exited */
    int sock;
};

/* LOOKOUT_BPF_CHILD=fail|die|hang makes the child misbehave, for the
 * tests of what the parent does then. */
static void child_test_hook(struct kload_reply *rep)
{
    const char *how = getenv("LOOKOUT_BPF_CHILD");
    if (!how)
        return;
    if (!strcmp(how, "die"))
        raise(SIGKILL);
    while (!strcmp(how, "hang"))
        pause();
    if (!strcmp(how, "fail")) {
        rep->ok = -1;
        snprintf(rep->err, sizeof(rep->err), "load failure forced by LOOKOUT_BPF_CHILD=fail");
    }
}

static int child_fds(struct kload *kl, struct kload_reply *rep, int *fds)
{
    struct lookout_bpf *s = kl->skel;
    fds[FD_RING] = bpf_map__fd(s->maps.events);
    fds[FD_STATS] = bpf_map__fd(s->maps.stats);
    fds[FD_RETRANS] = bpf_map__fd(s->maps.retrans);
    fds[FD_BSS] = bpf_map__fd(s->maps.bss);
    rep->bss_len = (uint32_t)bpf_map__value_size(s->maps.bss);
    for (int i = 0; i < kl->nlinks; i++)
        fds[FD_FIXED + i] = bpf_link__fd(kl->links[i]);
    rep->nlinks = kl->nlinks;
    STR_COPY(rep->hooks, kl->hooks);
    STR_COPY(rep->failures, kl->failures);
    return FD_FIXED + kl->nlinks;
}

static void send_reply(int sock, const struct kload_reply *rep, const int *fds, int nfds)
{
    struct iovec iov = {.iov_base = (void *)rep, .iov_len = sizeof(*rep)};
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* The child: load, answer, _exit (no atexit handlers, no stdio flush: the
 * terminal and every other resource belong to the parent). */
static _Noreturn void child_main(int sock, const struct kernel_options *o, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    /* The parent's sockets and files are not the child's to hold open. */
    close_range(3, (unsigned)sock - 1, 0);
    close_range((unsigned)sock + 1, ~0u, 0);
    static struct kload kl;
    static struct kload_reply rep;
    int fds[MAX_FDS], nfds = 0;
    child_test_hook(&rep);
    if (rep.ok == 0)
        rep.ok = load(&kl, o, parent, rep.err, sizeof(rep.err));
    if (rep.ok == 0)
        nfds = child_fds(&kl, &rep, fds);
    send_reply(sock, &rep, fds, nfds);
    _exit(0);
}

struct kloader_job *kloader_start(const struct kernel_options *o, char *err, size_t errlen)
{
    struct kloader_job *j = calloc(1, sizeof(*j));
    int sv[2];
    if (!j || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, errlen, "cannot start loading the kernel programs: %s", strerror(errno));
        free(j);
        return NULL;
    }
    pid_t self = getpid();
    j->pid = fork();
    if (j->pid == 0) {
        close(sv[0]);
        child_main(sv[1], o, self);
    }
    close(sv[1]);
    j->sock = sv[0];
    j->pidfd = j->pid > 0 ? pidfd_open(j->pid, 0) : -1;
    if (j->pidfd < 0) {
        snprintf(err, errlen, "cannot start the process loading the kernel programs: %s",
                 strerror(errno));
        if (j->pid > 0) {
            kill(j->pid, SIGKILL);
            waitpid(j->pid, NULL, 0);
        }
        close(j->sock);
        free(j);
        return NULL;
    }
    return j;
}

int kloader_job_fd(const struct kloader_job *j)
{
    return j->pidfd;
}

static void job_free(struct kloader_job *j)
{
    close(j->pidfd);
    close(j->sock);
    free(j);
}

void kloader_abort(struct kloader_job *j)
{
    if (!j)
        return;
    kill(j->pid, SIGKILL);
    while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    job_free(j);
}

void kloader_timed_out(struct kloader_job *j, char *err, size_t errlen)
{
    kloader_abort(j);
    snprintf(err, errlen, "the kernel programs did not load within %.1f s (loading stopped)",
             kloader_timeout_ms() / 1000.0);
}

/* How the child ended without an answer. */
static void describe_death(int status, char *err, size_t errlen)
{
    if (WIFSIGNALED(status))
        snprintf(err, errlen, "the process loading the kernel programs died (signal %d, %s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(err, errlen,
                 "the process loading the kernel programs exited (status %d) without an answer",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* The reply and its fds; -1 when there is none (the child died first). */
static int recv_reply(int sock, struct kload_reply *rep, int *fds, int *nfds)
{
    struct iovec iov = {.iov_base = rep, .iov_len = sizeof(*rep)};
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf)};
    ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    *nfds = 0;
    for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds + *nfds, CMSG_DATA(c), sizeof(int) * (size_t)k);
        *nfds += k;
    }
    return n == (ssize_t)sizeof(*rep) ? 0 : -1;
}

static void close_fds(const int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* The parent's loader on the fds received; the .bss fd is mapped, then
 * closed (the mapping keeps the map). */
static struct kernel_loader *adopt(const struct kload_reply *rep, const int *fds, pid_t helper,
                                   char *err, size_t errlen)
{
    struct kernel_loader *kl = calloc(1, sizeof(*kl));
    void *bss = MAP_FAILED;
    if (kl && rep->bss_len >= sizeof(struct lookout_bpf__bss))
        bss = mmap(NULL, rep->bss_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[FD_BSS], 0);
    close(fds[FD_BSS]);
    if (!kl || bss == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the kernel programs' settings: %s", strerror(errno));
        close_fds(fds, FD_BSS);
        close_fds(fds + FD_FIXED, rep->nlinks);
        free(kl);
        return NULL;
    }
    kl->ring_fd = fds[FD_RING];
    kl->stats_fd = fds[FD_STATS];
    kl->retrans_fd = fds[FD_RETRANS];
    kl->bss = bss;
    kl->bss_len = rep->bss_len;
    kl->nlinks = rep->nlinks;
    memcpy(kl->links, fds + FD_FIXED, sizeof(int) * (size_t)rep->nlinks);
    kl->helper = helper;
    STR_COPY(kl->hooks, rep->hooks);
    STR_COPY(kl->failures, rep->failures);
    return kl;
}

struct kernel_loader *kloader_finish(struct kloader_job *j, char *err, size_t errlen)
{
    int status = 0;
    pid_t pid = j->pid;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    struct kload_reply rep = {0};
    int fds[MAX_FDS], nfds;
    int got = recv_reply(j->sock, &rep, fds, &nfds);
    job_free(j);
    if (got < 0) {
        close_fds(fds, nfds);
        describe_death(status, err, errlen);
        return NULL;
    }
    rep.err[sizeof(rep.err) - 1] = rep.hooks[sizeof(rep.hooks) - 1] = 0;
    rep.failures[sizeof(rep.failures) - 1] = 0;
    if (rep.ok != 0 || rep.nlinks < 0 || rep.nlinks > MAX_LINKS || nfds != FD_FIXED + rep.nlinks) {
        close_fds(fds, nfds);
        snprintf(err, errlen, "%s",
                 rep.ok != 0 ? rep.err : "the kernel programs' fds did not arrive whole");
        return NULL;
    }
    return adopt(&rep, fds, pid, err, errlen);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kloader_timeout_ms(void)
{
    const char *t = getenv("LOOKOUT_BPF_LOAD_TIMEOUT_MS");
    int ms = t ? atoi(t) : 0;
    return ms > 0 ? ms : KLOADER_TIMEOUT_MS;
}

struct kernel_loader *kloader_open(const struct kernel_options *o, char *err, size_t errlen)
{
    struct kloader_job *j = kloader_start(o, err, errlen);
    if (!j)
        return NULL;
    struct pollfd p = {.fd = j->pidfd, .events = POLLIN};
    int64_t deadline = mono_ms() + kloader_timeout_ms();
    int r;
    do {
        int64_t left = deadline - mono_ms();
        r = poll(&p, 1, left > 0 ? (int)left : 0);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        kloader_timed_out(j, err, errlen);
        return NULL;
    }
    return kloader_finish(j, err, errlen);
}

void kloader_close(struct kernel_loader *kl)
{
    if (!kl)
        return;
    close_fds(kl->links, kl->nlinks);
    munmap(kl->bss, kl->bss_len);
    close(kl->ring_fd);
    close(kl->stats_fd);
    close(kl->retrans_fd);
    free(kl);
}

int kloader_ring_fd(const struct kernel_loader *kl)
{
    return kl->ring_fd;
}

pid_t kloader_helper_pid(const struct kernel_loader *kl)
{
    return kl->helper;
}

int kloader_read_stats(const struct kernel_loader *kl, struct lo_stats *out)
{
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0)
        return -1;
    struct lo_stats *per = calloc((size_t)ncpu, sizeof(*per));
    if (!per)
        return -1;
    uint32_t zero = 0;
    int rc = bpf_map_lookup_elem(kl->stats_fd, &zero, per);
    memset(out, 0, sizeof(*out));
    for (int c = 0; rc == 0 && c < ncpu; c++) {
        for (int k = 0; k < LO_KIND_MAX; k++) {
            out->seen[k] += per[c].seen[k];
            out->filtered[k] += per[c].filtered[k];
            out->ring_drop[k] += per[c].ring_drop[k];
            out->too_big[k] += per[c].too_big[k];
        }
    }
    free(per);
    return rc;
}

void kloader_set_kind(struct kernel_loader *kl, int kind, bool on)
{
    if (kind >= 0 && kind < LO_KIND_MAX)
        kl->bss->kind_on[kind] = on;
}

const char *kloader_hooks(const struct kernel_loader *kl)
{
    return kl->hooks;
}

const char *kloader_failures(const struct kernel_loader *kl)
{
    return kl->failures;
}

int kloader_drain_retrans(struct kernel_loader *kl,
                          void (*fn)(const struct lo_retrans *r, void *ud), void *ud)
{
    int fd = kl->retrans_fd;
    struct lo_flow_key keys[256];
    int n = 0;
    struct lo_flow_key key, next;
    void *prev = NULL;
    while (n < 256 && bpf_map_get_next_key(fd, prev, &next) == 0) {
        keys[n++] = next;
        key = next;
        prev = &key;
    }
    for (int i = 0; i < n; i++) {
        struct lo_retrans r;
        if (bpf_map_lookup_elem(fd, &keys[i], &r) == 0) {
            bpf_map_delete_elem(fd, &keys[i]);
            fn(&r, ud);
        }
    }
    return n;
}

/* ---- least privilege ---- */
/* The invoking user under sudo, as root; false when there is none. */
static bool sudo_ids(unsigned long *uid, unsigned long *gid)
{
    const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
    if (geteuid() != 0 || !su || !sg)
        return false;
    char *end;
    *uid = strtoul(su, &end, 10);
    if (*end || *uid == 0)
        return false;
    *gid = strtoul(sg, &end, 10);
    return *end == 0;
}

bool kernel_privileges_to_drop(void)
{
    unsigned long uid, gid;
    return sudo_ids(&uid, &gid);
}

int kernel_drop_privileges(char *err, size_t errlen)
{
    unsigned long uid, gid;
    if (!sudo_ids(&uid, &gid))
        return 0;
    /* setgroups first, while still root; setresuid to a non-zero uid then
     * clears the permitted and effective capability sets. */
    if (setgroups(0, NULL) != 0 || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0 ||
        setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) {
        snprintf(err, errlen, "cannot drop privileges to uid %lu: %s", uid, strerror(errno));
        return -1;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (cap_effective() != 0) {
        snprintf(err, errlen, "capabilities remain after dropping to uid %lu", uid);
        return -1;
    }
    return 1;
}
