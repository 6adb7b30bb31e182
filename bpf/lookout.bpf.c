// SPDX-License-Identifier: GPL-2.0
/* Lookout's kernel programs: process, file, privilege, TCP, OOM and cgroup
 * events into one ring buffer. Tracepoints only (no kprobes, fentry or LSM on
 * the target kernels). Most hooks come in a tp_btf and a raw_tp flavour
 * sharing one body; the syscall hooks come as cheap per-syscall tracefs
 * tracepoints with a tp_btf/raw_tp sys_exit fallback. The loader enables one
 * flavour per hook (bpf_program__set_autoload). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "events.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD   0x00200000
#define AF_INET      2
#define AF_INET6     10
#define IPPROTO_TCP  6
#define EPERM        1
#define EACCES       13
#define NSEC_PER_SEC 1000000000ull
#define O_WRONLY     01
#define O_CREAT      0100
#define O_TRUNC      01000
#define AT_FDCWD     -100
#define LO_DEPTH     16 /* directory levels resolved for a relative open */

/* ---- settings, fixed before load ---- */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 1 << 20; /* force a wakeup past this much unread data */
const volatile __u32 rate_limit = 0;         /* events/s per cgroup, 0: off */
const volatile struct lo_glob globs[LO_MAX_GLOBS] = {};
const volatile __u32 nglobs = 0;

/* Per-kind on/off, writable at run time through the .bss map. */
__u32 kind_on[LO_KIND_MAX] = {};

/* ---- maps ---- */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 8 << 20); /* resized by the loader */
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct lo_stats);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 256);
    __type(key, struct lo_watch_key);
    __type(value, struct lo_watch_val);
    __uint(map_flags, BPF_F_NO_PREALLOC);
} watch SEC(".maps");

/* Scratch space for a path (too big for the 512-byte stack). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct lo_watch_key);
} path_buf SEC(".maps");

/* Where a relative path is made absolute (twice the path size: every write
 * at an offset masked below LO_PATH_LEN stays inside). */
struct abs_buf {
    char path[LO_PATH_LEN * 2];
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct abs_buf);
} abs_buf SEC(".maps");

/* Syscall number -> enum lo_sys, for the sys_exit fallback only. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, LO_SYS_TABLE);
    __type(key, __u32);
    __type(value, __u32);
} sys_table SEC(".maps");

/* struct sock * -> owner, filled in process context (connect, accept). */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct lo_owner);
} sk_owner SEC(".maps");

/* Listening port -> owner, filled at listen() time. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, struct lo_owner);
} listen_owner SEC(".maps");

/* struct sock * -> retransmits since user space last drained the flow. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, __u64);
    __type(value, struct lo_retrans);
} retrans SEC(".maps");

/* struct sock * -> time of the last reset event (one per flow per second). */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64);
    __type(value, __u64);
} reset_last SEC(".maps");

/* tid -> credentials last seen (fork, exec, privilege changes): the "before"
 * of a privilege change. A sys_enter hook would give it too, but any sys_enter
 * tracepoint makes the kernel call into the tracing code on every syscall of
 * the host (measured: several percent on a getppid loop). */
struct cred_pair {
    __u32 uid, euid;
};
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct cred_pair);
} cred_known SEC(".maps");

/* cgroup id -> rate window. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64);
    __type(value, struct lo_rate);
} rate SEC(".maps");

/* ---- counters and common filters ---- */
static __always_inline struct lo_stats *stats_get(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&stats, &zero);
}

#define COUNT(field, kind)                                                                         \
    do {                                                                                           \
        struct lo_stats *s_ = stats_get();                                                         \
        if (s_ && (kind) < LO_KIND_MAX)                                                            \
            s_->field[(kind)]++;                                                                   \
    } while (0)

static __always_inline bool kind_enabled(__u32 kind)
{
    return kind < LO_KIND_MAX && kind_on[kind];
}

static __always_inline void cred_note(__u32 tid, struct task_struct *t)
{
    struct cred_pair c = {.uid = BPF_CORE_READ(t, real_cred, uid.val),
                          .euid = BPF_CORE_READ(t, real_cred, euid.val)};
    bpf_map_update_elem(&cred_known, &tid, &c, BPF_ANY);
}

/* Lookout itself and kernel threads are never reported. */
static __always_inline bool skip_current(void)
{
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (tgid == self_tgid)
        return true;
    return bpf_get_current_task_btf()->flags & PF_KTHREAD;
}

static __always_inline void *reserve(__u32 kind, __u64 size)
{
    void *e = bpf_ringbuf_reserve(&events, size, 0);
    if (!e)
        COUNT(ring_drop, kind);
    return e;
}

/* No wakeup per record (one wakeup per record slows the producer several
 * times over); force one only when the ring is over 1/8 full. The loader
 * also drains on a timer. */
static __always_inline void submit(void *e)
{
    __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    bpf_ringbuf_submit(e, avail >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline __u64 task_cgroup_id(struct task_struct *t)
{
    return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

static __always_inline void fill_task(struct lo_hdr *h, struct task_struct *t, __u32 kind)
{
    h->ts_ns = bpf_ktime_get_ns();
    h->kind = kind;
    h->pid = BPF_CORE_READ(t, tgid);
    h->tid = BPF_CORE_READ(t, pid);
    h->ppid = BPF_CORE_READ(t, real_parent, tgid);
    h->uid = BPF_CORE_READ(t, real_cred, uid.val);
    h->euid = BPF_CORE_READ(t, real_cred, euid.val);
    h->loginuid = BPF_CORE_READ(t, loginuid.val);
    h->cgroup_id = task_cgroup_id(t);
    h->flags = 0;
    BPF_CORE_READ_STR_INTO(&h->comm, t, comm);
}

static __always_inline void fill_current(struct lo_hdr *h, __u32 kind)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    fill_task(h, t, kind);
    h->cgroup_id = bpf_get_current_cgroup_id();
}

static __always_inline void fill_owner(struct lo_owner *o)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    o->cgroup_id = bpf_get_current_cgroup_id();
    o->pid = BPF_CORE_READ(t, tgid);
    o->tid = BPF_CORE_READ(t, pid);
    o->ppid = BPF_CORE_READ(t, real_parent, tgid);
    o->uid = BPF_CORE_READ(t, real_cred, uid.val);
    o->euid = BPF_CORE_READ(t, real_cred, euid.val);
    o->loginuid = BPF_CORE_READ(t, loginuid.val);
    bpf_get_current_comm(&o->comm, sizeof(o->comm));
}

static __always_inline void hdr_from_owner(struct lo_hdr *h, const struct lo_owner *o, __u32 kind)
{
    h->ts_ns = bpf_ktime_get_ns();
    h->kind = kind;
    h->cgroup_id = o->cgroup_id;
    h->pid = o->pid;
    h->tid = o->tid;
    h->ppid = o->ppid;
    h->uid = o->uid;
    h->euid = o->euid;
    h->loginuid = o->loginuid;
    h->flags = 0;
    __builtin_memcpy(h->comm, o->comm, sizeof(h->comm));
}

/* ---- per-cgroup rate limit (sliding one-second window) ---- */
static __always_inline void emit_throttle(__u64 cgid, __u32 start, __u64 suppressed)
{
    if (!kind_enabled(LO_THROTTLE))
        return;
    COUNT(seen, LO_THROTTLE);
    struct lo_throttle *e = reserve(LO_THROTTLE, sizeof(*e));
    if (!e)
        return;
    fill_current(&e->h, LO_THROTTLE);
    e->h.cgroup_id = cgid;
    e->start = start;
    e->limit = rate_limit;
    e->suppressed = suppressed;
    submit(e);
}

/* True when the event may go out; counts it as filtered otherwise. */
static __always_inline bool rate_admit(__u64 cgid, __u32 kind)
{
    if (!rate_limit)
        return true;
    __u64 now = bpf_ktime_get_ns();
    struct lo_rate *r = bpf_map_lookup_elem(&rate, &cgid);
    if (!r) {
        struct lo_rate fresh = {.win_start = now};
        bpf_map_update_elem(&rate, &cgid, &fresh, BPF_NOEXIST);
        r = bpf_map_lookup_elem(&rate, &cgid);
        if (!r)
            return true;
    }
    if (now - r->win_start >= NSEC_PER_SEC) {
        if (r->throttled) {
            emit_throttle(cgid, 0, r->suppressed);
            r->throttled = 0;
            r->suppressed = 0;
        }
        r->win_start = now;
        r->count = 0;
    }
    if (__sync_fetch_and_add(&r->count, 1) < rate_limit)
        return true;
    __sync_fetch_and_add(&r->suppressed, 1);
    COUNT(filtered, kind);
    if (!r->throttled) {
        r->throttled = 1;
        emit_throttle(cgid, 1, 0);
    }
    return false;
}

/* ---- process lifecycle ---- */
static __always_inline int do_exec(struct task_struct *task, struct linux_binprm *bprm)
{
    if (kind_enabled(LO_PRIV)) /* a set-uid binary changes them here */
        cred_note(BPF_CORE_READ(task, pid), task);
    if (!kind_enabled(LO_EXEC) || skip_current())
        return 0;
    COUNT(seen, LO_EXEC);
    __u64 cgid = bpf_get_current_cgroup_id();
    if (!rate_admit(cgid, LO_EXEC))
        return 0;
    struct lo_exec *e = reserve(LO_EXEC, sizeof(*e));
    if (!e)
        return 0;
    fill_current(&e->h, LO_EXEC);
    long n =
        bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
    if (n < 0)
        e->filename[0] = 0;
    else if (n == sizeof(e->filename))
        e->h.flags |= LO_F_TRUNCATED;

    struct mm_struct *mm = BPF_CORE_READ(task, mm);
    unsigned long start = BPF_CORE_READ(mm, arg_start);
    unsigned long end = BPF_CORE_READ(mm, arg_end);
    __u64 len = end > start ? end - start : 0;
    if (len > LO_ARGS_LEN) {
        len = LO_ARGS_LEN;
        e->h.flags |= LO_F_TRUNCATED;
    }
    e->args_len = 0;
    if (len && bpf_probe_read_user(e->args, len & (LO_ARGS_LEN * 2 - 1), (void *)start) == 0)
        e->args_len = len;
    if (e->h.flags & LO_F_TRUNCATED)
        COUNT(too_big, LO_EXEC);
    submit(e);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    return do_exec(p, bprm);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    return do_exec(p, bprm);
}

static __always_inline int do_exit(struct task_struct *p)
{
    if (kind_enabled(LO_PRIV)) {
        __u32 tid = BPF_CORE_READ(p, pid);
        bpf_map_delete_elem(&cred_known, &tid);
    }
    if (!kind_enabled(LO_EXIT))
        return 0;
    /* The process ends when its leader does; threads are not reported. */
    if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid) || skip_current())
        return 0;
    COUNT(seen, LO_EXIT);
    __u64 cgid = bpf_get_current_cgroup_id();
    if (!rate_admit(cgid, LO_EXIT))
        return 0;
    struct lo_exit *e = reserve(LO_EXIT, sizeof(*e));
    if (!e)
        return 0;
    fill_current(&e->h, LO_EXIT);
    int code = BPF_CORE_READ(p, exit_code);
    e->code = (code >> 8) & 0xff;
    e->signal = code & 0x7f;
    e->lifetime_ns = e->h.ts_ns - BPF_CORE_READ(p, start_time);
    submit(e);
    return 0;
}

/* 6.18 passes a second argument (group_dead): only the task is declared. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *p)
{
    return do_exit(p);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *p)
{
    return do_exit(p);
}

static __always_inline int do_fork(struct task_struct *parent, struct task_struct *child)
{
    __u32 child_pid = BPF_CORE_READ(child, pid);
    if (kind_enabled(LO_PRIV)) /* every new thread starts with its creator's */
        cred_note(child_pid, child);
    if (!kind_enabled(LO_FORK))
        return 0;
    if (child_pid != BPF_CORE_READ(child, tgid) || skip_current())
        return 0; /* a new thread, not a process */
    COUNT(seen, LO_FORK);
    struct lo_fork *e = reserve(LO_FORK, sizeof(*e));
    if (!e)
        return 0;
    fill_current(&e->h, LO_FORK);
    e->child_pid = child_pid;
    submit(e);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
    return do_fork(parent, child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
    return do_fork(parent, child);
}

/* ---- sensitive opens ---- */
static __always_inline bool glob_match(const struct lo_watch_key *k, __u32 len)
{
    for (int g = 0; g < LO_MAX_GLOBS; g++) {
        if (g >= nglobs)
            break;
        __u32 plen = globs[g].plen, slen = globs[g].slen;
        if (plen > LO_GLOB_LEN || slen > LO_GLOB_LEN || len <= plen + slen)
            continue;
        bool ok = true;
        for (int i = 0; i < LO_GLOB_LEN && ok; i++) {
            if (i >= plen)
                break;
            if (k->path[i] != globs[g].prefix[i])
                ok = false;
        }
        for (int i = 0; i < LO_GLOB_LEN && ok; i++) {
            if (i >= slen)
                break;
            if (k->path[(len - slen + i) & (LO_PATH_LEN - 1)] != globs[g].suffix[i])
                ok = false;
        }
        if (ok)
            return true;
    }
    return false;
}

/* Exact entries match only themselves; directory entries match what is
 * below them. The trie returns the longest entry that is a prefix. */
static __always_inline bool watched(struct lo_watch_key *k, __u32 len)
{
    if (k->path[0] != '/')
        return false; /* relative paths are not resolved in the kernel */
    k->prefixlen = (len > LO_PATH_LEN ? LO_PATH_LEN : len) * 8;
    struct lo_watch_val *v = bpf_map_lookup_elem(&watch, k);
    if (v) {
        if (v->len == len)
            return true;
        if ((v->flags & LO_WATCH_DIR) && v->len < len && k->path[v->len & (LO_PATH_LEN - 1)] == '/')
            return true;
    }
    return glob_match(k, len);
}

/* The directory a relative path starts from: the cwd, or the dirfd's file. */
static __always_inline bool start_dir(int dirfd, struct path *dir)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    if (dirfd == AT_FDCWD) {
        BPF_CORE_READ_INTO(dir, t, fs, pwd);
        return dir->dentry != NULL;
    }
    struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
    if (dirfd < 0 || !fdt || (unsigned int)dirfd >= BPF_CORE_READ(fdt, max_fds))
        return false;
    struct file **fds = BPF_CORE_READ(fdt, fd);
    struct file *f = NULL;
    bpf_probe_read_kernel(&f, sizeof(f), fds + dirfd);
    if (!f)
        return false;
    BPF_CORE_READ_INTO(dir, f, f_path);
    return dir->dentry != NULL;
}

/* Makes k->path (relative, length len) absolute: the directory's dentry
 * chain up to the task's root (crossing mounts), then the path, at most
 * LO_DEPTH levels. Leading "./" and "../" are folded in (not ones inside the
 * path, nor symlinks: the path is the one asked for, not the one opened). Read
 * at syscall exit: a rename or chdir by another thread in between can make
 * it differ from what was opened. */
static __always_inline bool make_absolute(struct lo_watch_key *k, int dirfd, __u32 *len)
{
    struct path dir, root;
    if (!start_dir(dirfd, &dir))
        return false;
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    BPF_CORE_READ_INTO(&root, t, fs, root);
    __u32 zero = 0;
    struct abs_buf *b = bpf_map_lookup_elem(&abs_buf, &zero);
    if (!b)
        return false;
    struct dentry *names[LO_DEPTH];
    int n = 0;
    struct dentry *d = dir.dentry;
    struct vfsmount *vm = dir.mnt;
    bool top = false;
#pragma unroll
    for (int i = 0; i < LO_DEPTH + 4; i++) {
        if (d == root.dentry && vm == root.mnt) {
            top = true;
            break;
        }
        struct dentry *parent = BPF_CORE_READ(d, d_parent);
        if (d == parent) { /* the root of a mount: continue in its parent */
            struct mount *m = (void *)vm - bpf_core_field_offset(struct mount, mnt);
            struct mount *up = BPF_CORE_READ(m, mnt_parent);
            if (up == m) {
                top = true;
                break;
            }
            d = BPF_CORE_READ(m, mnt_mountpoint);
            vm = (void *)up + bpf_core_field_offset(struct mount, mnt);
            continue;
        }
        if (n >= LO_DEPTH)
            break;
        names[n & (LO_DEPTH - 1)] = d;
        n++;
        d = parent;
    }
    if (!top)
        return false;
    /* Leading "./" and "../" (one level up each), up to 6 of them. */
    __u32 skip = 0;
    int ups = 0;
#pragma unroll
    for (int i = 0; i < 6; i++) {
        char c0 = k->path[skip & (LO_PATH_LEN - 1)], c1 = k->path[(skip + 1) & (LO_PATH_LEN - 1)];
        char c2 = k->path[(skip + 2) & (LO_PATH_LEN - 1)];
        if (c0 == '.' && c1 == '/') {
            skip += 2;
        } else if (c0 == '.' && c1 == '.' && c2 == '/') {
            skip += 3;
            ups++;
        }
    }
    __u32 off = 0;
#pragma unroll
    for (int i = LO_DEPTH - 1; i >= 0; i--) {
        if (i >= n || i < ups)
            continue;
        const unsigned char *name = BPF_CORE_READ(names[i], d_name.name);
        b->path[off & (LO_PATH_LEN - 1)] = '/';
        off++;
        long r = bpf_probe_read_kernel_str(&b->path[off & (LO_PATH_LEN - 1)], LO_PATH_LEN, name);
        if (r < 1)
            return false;
        off += r - 1;
        if (off >= LO_PATH_LEN)
            return false;
    }
    b->path[off & (LO_PATH_LEN - 1)] = '/';
    off++;
    long r = bpf_probe_read_kernel_str(&b->path[off & (LO_PATH_LEN - 1)], LO_PATH_LEN,
                                       &k->path[skip & (LO_PATH_LEN - 1)]);
    if (r < 1 || off + r - 1 >= LO_PATH_LEN)
        return false;
    *len = off + r - 1;
    bpf_probe_read_kernel(k->path, LO_PATH_LEN, b->path);
    return true;
}

/* A trusted pointer: the syscall arguments are then plain loads, not one
 * probe-read helper call each (measured: ~10 ns less per open). */
static __always_inline struct pt_regs *current_regs(void)
{
    return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* Kernel threads make no syscalls: only Lookout itself is skipped here. */
static __always_inline bool is_self(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

/* regs NULL: the current task's, read only once the cheap filters passed
 * (every open of the host runs this). */
static __always_inline int do_open(struct pt_regs *regs, __u32 sys, long ret)
{
    if (!kind_enabled(LO_OPEN) || is_self())
        return 0;
    COUNT(seen, LO_OPEN);
    /* Failed opens matter only when access was refused. */
    if (ret < 0 && ret != -EACCES && ret != -EPERM) {
        COUNT(filtered, LO_OPEN);
        return 0;
    }
    if (!regs)
        regs = current_regs();
    const char *upath;
    __u64 oflags;
    if (sys == LO_SYS_OPEN || sys == LO_SYS_CREAT) {
        upath = (const char *)PT_REGS_PARM1_SYSCALL(regs);
        oflags = sys == LO_SYS_CREAT ? O_CREAT | O_WRONLY | O_TRUNC : PT_REGS_PARM2_SYSCALL(regs);
    } else {
        upath = (const char *)PT_REGS_PARM2_SYSCALL(regs);
        oflags = 0;
        if (sys == LO_SYS_OPENAT)
            oflags = PT_REGS_PARM3_SYSCALL(regs);
        else
            bpf_probe_read_user(&oflags, sizeof(oflags), (void *)PT_REGS_PARM3_SYSCALL(regs));
    }
    __u32 zero = 0;
    struct lo_watch_key *k = bpf_map_lookup_elem(&path_buf, &zero);
    if (!k)
        return 0;
    long n = bpf_probe_read_user_str(k->path, sizeof(k->path), upath);
    __u32 len = n > 1 ? (__u32)(n - 1) : 0;
    if (len && k->path[0] != '/' && n < (long)sizeof(k->path)) {
        int dirfd =
            sys == LO_SYS_OPEN || sys == LO_SYS_CREAT ? AT_FDCWD : (int)PT_REGS_PARM1_SYSCALL(regs);
        if (make_absolute(k, dirfd, &len))
            n = len + 1;
    }
    if (!len || !watched(k, len)) {
        COUNT(filtered, LO_OPEN);
        return 0;
    }
    __u64 cgid = bpf_get_current_cgroup_id();
    if (!rate_admit(cgid, LO_OPEN))
        return 0;
    struct lo_open *e = reserve(LO_OPEN, sizeof(*e));
    if (!e)
        return 0;
    fill_current(&e->h, LO_OPEN);
    e->ret = ret;
    e->sys = sys;
    e->oflags = oflags;
    bpf_probe_read_kernel(e->path, sizeof(e->path), k->path);
    if (n == sizeof(k->path)) {
        e->h.flags |= LO_F_TRUNCATED;
        COUNT(too_big, LO_OPEN);
    }
    submit(e);
    return 0;
}

/* ---- privilege changes ---- */
static __always_inline int do_priv(struct pt_regs *regs, __u32 sys, long ret)
{
    if (!kind_enabled(LO_PRIV) || is_self())
        return 0;
    if (!regs)
        regs = current_regs();
    COUNT(seen, LO_PRIV);
    __u64 cgid = bpf_get_current_cgroup_id();
    if (!rate_admit(cgid, LO_PRIV))
        return 0;
    struct lo_priv *e = reserve(LO_PRIV, sizeof(*e));
    if (!e)
        return 0;
    fill_current(&e->h, LO_PRIV);
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    e->gid = BPF_CORE_READ(t, real_cred, gid.val);
    e->egid = BPF_CORE_READ(t, real_cred, egid.val);
    e->ret = ret;
    e->sys = sys;
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct cred_pair *before = bpf_map_lookup_elem(&cred_known, &tid);
    e->old_uid = before ? before->uid : e->h.uid;
    e->old_euid = before ? before->euid : e->h.euid;
    cred_note(tid, t);
    e->args[0] = PT_REGS_PARM1_SYSCALL(regs);
    e->args[1] = PT_REGS_PARM2_SYSCALL(regs);
    e->args[2] = PT_REGS_PARM3_SYSCALL(regs);
    submit(e);
    return 0;
}

static __always_inline int do_sys_exit(__u32 sys, long ret, struct pt_regs *regs)
{
    if (sys >= LO_SYS_OPEN && sys <= LO_SYS_CREAT)
        return do_open(regs, sys, ret);
    if (sys >= LO_SYS_SETUID && sys < LO_SYS_MAX)
        return do_priv(regs, sys, ret);
    return 0;
}

/* Per-syscall tracepoints: only these syscalls pay for the hook. */
#define SYS_TP(name, sys)                                                                          \
    SEC("tracepoint/syscalls/sys_exit_" #name)                                                     \
    int tp_exit_##name(struct syscall_trace_exit *ctx)                                             \
    {                                                                                              \
        return do_sys_exit(sys, ctx->ret, NULL);                                                   \
    }

SYS_TP(open, LO_SYS_OPEN)
SYS_TP(openat, LO_SYS_OPENAT)
SYS_TP(openat2, LO_SYS_OPENAT2)
SYS_TP(creat, LO_SYS_CREAT)
SYS_TP(setuid, LO_SYS_SETUID)
SYS_TP(setgid, LO_SYS_SETGID)
SYS_TP(setreuid, LO_SYS_SETREUID)
SYS_TP(setregid, LO_SYS_SETREGID)
SYS_TP(setresuid, LO_SYS_SETRESUID)
SYS_TP(setresgid, LO_SYS_SETRESGID)
SYS_TP(capset, LO_SYS_CAPSET)

/* Fallback without tracefs: every syscall of the host runs this, so the
 * first thing it does is the table lookup. */
static __always_inline int do_raw_sys_exit(struct pt_regs *regs, long ret)
{
    __u32 nr = BPF_CORE_READ(regs, orig_ax);
    if (nr >= LO_SYS_TABLE)
        return 0;
    __u32 *sys = bpf_map_lookup_elem(&sys_table, &nr);
    if (!sys || !*sys)
        return 0;
    return do_sys_exit(*sys, ret, regs);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
    return do_raw_sys_exit(regs, ret);
}

/* The raw argument is an untrusted pointer: take the task's own registers. */
SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
    (void)regs;
    return do_raw_sys_exit(current_regs(), ret);
}

/* ---- TCP ---- */
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT    2
#define TCP_SYN_RECV    3
#define TCP_CLOSE       7
#define TCP_LISTEN      10

struct flow {
    __u16 family, sport, dport;
    __u8 saddr[16], daddr[16];
};

static __always_inline bool read_flow(const struct sock *sk, struct flow *f)
{
    __builtin_memset(f, 0, sizeof(*f));
    f->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    f->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    if (!f->sport) /* the port is released at close, before an abortive reset */
        f->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
    f->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (f->family == AF_INET) {
        bpf_core_read(f->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
        bpf_core_read(f->daddr, 4, &sk->__sk_common.skc_daddr);
    } else if (f->family == AF_INET6) {
        bpf_core_read(f->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
        bpf_core_read(f->daddr, 16, &sk->__sk_common.skc_v6_daddr);
    } else {
        return false;
    }
    return true;
}

static __always_inline void emit_tcp(__u32 kind, const struct lo_owner *o, const struct flow *f,
                                     int ret, __u32 count)
{
    struct lo_tcp *e = reserve(kind, sizeof(*e));
    if (!e)
        return;
    hdr_from_owner(&e->h, o, kind);
    e->family = f->family;
    e->sport = f->sport;
    e->dport = f->dport;
    e->pad = 0;
    __builtin_memcpy(e->saddr, f->saddr, 16);
    __builtin_memcpy(e->daddr, f->daddr, 16);
    e->ret = ret;
    e->count = count;
    submit(e);
}

static __always_inline bool tcp_any_enabled(void)
{
    return kind_enabled(LO_CONNECT) || kind_enabled(LO_ACCEPT) || kind_enabled(LO_RESET) ||
           kind_enabled(LO_RETRANSMIT);
}

static __always_inline int do_set_state(const struct sock *sk, int old, int new)
{
    if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || !tcp_any_enabled())
        return 0;
    __u64 key = (__u64)sk;
    struct flow f;
    if (!read_flow(sk, &f))
        return 0;

    /* Process context: remember who owns the socket, for every TCP kind. */
    if (new == TCP_SYN_SENT || new == TCP_LISTEN) {
        if (skip_current())
            return 0;
        struct lo_owner o = {};
        fill_owner(&o);
        if (new == TCP_LISTEN) {
            __u32 port = f.sport;
            bpf_map_update_elem(&listen_owner, &port, &o, BPF_ANY);
        } else {
            bpf_map_update_elem(&sk_owner, &key, &o, BPF_ANY);
        }
        return 0;
    }
    /* Connect result: the ports are only known once SYN_SENT is left. */
    if (old == TCP_SYN_SENT) {
        struct lo_owner *o = bpf_map_lookup_elem(&sk_owner, &key);
        if (!o || !kind_enabled(LO_CONNECT))
            return 0;
        struct lo_owner copy = *o;
        COUNT(seen, LO_CONNECT);
        if (!rate_admit(copy.cgroup_id, LO_CONNECT))
            return 0;
        int err = 0;
        if (new != TCP_ESTABLISHED) {
            err = -BPF_CORE_READ(sk, sk_err);
            if (!err)
                err = -1;
        }
        emit_tcp(LO_CONNECT, &copy, &f, err, 0);
        return 0;
    }
    /* Accept: softirq context, the current task is unrelated. */
    if (old == TCP_SYN_RECV && new == TCP_ESTABLISHED) {
        __u32 port = f.sport;
        struct lo_owner *lo = bpf_map_lookup_elem(&listen_owner, &port);
        if (!lo) { /* Lookout's own listener, or one it could not attribute */
            if (kind_enabled(LO_ACCEPT)) {
                COUNT(seen, LO_ACCEPT);
                COUNT(filtered, LO_ACCEPT);
            }
            return 0;
        }
        struct lo_owner copy = *lo;
        bpf_map_update_elem(&sk_owner, &key, &copy, BPF_ANY);
        if (!kind_enabled(LO_ACCEPT))
            return 0;
        COUNT(seen, LO_ACCEPT);
        if (!rate_admit(copy.cgroup_id, LO_ACCEPT))
            return 0;
        emit_tcp(LO_ACCEPT, &copy, &f, 0, 0);
        return 0;
    }
    /* sk_owner entries stay after close (a reset is sent after the state
     * change; LRU eviction and reuse at SYN_SENT/accept replace them). */
    if (new == TCP_CLOSE && old == TCP_LISTEN) {
        __u32 port = f.sport;
        bpf_map_delete_elem(&listen_owner, &port);
    }
    return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state_btf, const struct sock *sk, const int old, const int new)
{
    return do_set_state(sk, old, new);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(set_state_raw, const struct sock *sk, const int old, const int new)
{
    return do_set_state(sk, old, new);
}

/* A reset with no socket (the answer to a segment for a closed port): the
 * flow comes from the segment it answers, with the directions swapped. */
static __always_inline bool flow_from_skb(const struct sk_buff *skb, struct flow *f)
{
    __builtin_memset(f, 0, sizeof(*f));
    unsigned char *head = BPF_CORE_READ(skb, head);
    __u16 nh = BPF_CORE_READ(skb, network_header), th = BPF_CORE_READ(skb, transport_header);
    __u8 version = 0;
    bpf_probe_read_kernel(&version, 1, head + nh);
    struct tcphdr t;
    if (bpf_probe_read_kernel(&t, sizeof(t), head + th) < 0)
        return false;
    f->sport = bpf_ntohs(t.dest);
    f->dport = bpf_ntohs(t.source);
    if (version >> 4 == 4) {
        struct iphdr ip;
        if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) < 0)
            return false;
        f->family = AF_INET;
        __builtin_memcpy(f->saddr, &ip.daddr, 4);
        __builtin_memcpy(f->daddr, &ip.saddr, 4);
        return true;
    }
    if (version >> 4 == 6) {
        struct ipv6hdr ip;
        if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) < 0)
            return false;
        f->family = AF_INET6;
        __builtin_memcpy(f->saddr, &ip.daddr, 16);
        __builtin_memcpy(f->daddr, &ip.saddr, 16);
        return true;
    }
    return false;
}

/* At most one event per flow per second: per socket, or per port pair for
 * resets sent without one. */
static __always_inline bool reset_admit(__u64 key)
{
    __u64 now = bpf_ktime_get_ns();
    __u64 *last = bpf_map_lookup_elem(&reset_last, &key);
    if (last && now - *last < NSEC_PER_SEC)
        return false;
    bpf_map_update_elem(&reset_last, &key, &now, BPF_ANY);
    return true;
}

static __always_inline int do_reset(const struct sock *sk, const struct sk_buff *skb, int sent)
{
    if (!kind_enabled(LO_RESET))
        return 0;
    struct flow f;
    struct lo_owner o = {};
    if (!sk) { /* nobody owns it: reported with pid 0 */
        if (!skb)
            return 0;
        COUNT(seen, LO_RESET);
        if (!flow_from_skb(skb, &f))
            return 0;
        __u64 key = 1ull << 63 | (__u64)f.sport << 16 | f.dport;
        if (!reset_admit(key)) {
            COUNT(filtered, LO_RESET);
            return 0;
        }
        emit_tcp(LO_RESET, &o, &f, sent, 1);
        return 0;
    }
    COUNT(seen, LO_RESET);
    __u64 key = (__u64)sk;
    if (!reset_admit(key)) {
        COUNT(filtered, LO_RESET);
        return 0;
    }
    if (!read_flow(sk, &f))
        return 0;
    struct lo_owner *known = bpf_map_lookup_elem(&sk_owner, &key);
    if (known)
        o = *known;
    emit_tcp(LO_RESET, &o, &f, sent, 1);
    return 0;
}

/* The skb argument (since 6.x) is read only through BTF; the raw flavour
 * declares the socket alone so that it loads on older kernels too. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_btf, const struct sock *sk, const struct sk_buff *skb)
{
    return do_reset(sk, skb, 1);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(send_reset_raw, const struct sock *sk)
{
    return do_reset(sk, NULL, 1);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset_btf, const struct sock *sk)
{
    return do_reset(sk, NULL, 0);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(receive_reset_raw, const struct sock *sk)
{
    return do_reset(sk, NULL, 0);
}

/* Counted per flow here; user space reads and clears the map each second. */
static __always_inline int do_retransmit(const struct sock *sk)
{
    if (!sk || !kind_enabled(LO_RETRANSMIT))
        return 0;
    COUNT(seen, LO_RETRANSMIT);
    __u64 key = (__u64)sk;
    struct lo_retrans *r = bpf_map_lookup_elem(&retrans, &key);
    if (r) {
        __sync_fetch_and_add(&r->count, 1);
        return 0;
    }
    struct flow f;
    if (!read_flow(sk, &f))
        return 0;
    struct lo_retrans fresh = {.count = 1};
    struct lo_owner *o = bpf_map_lookup_elem(&sk_owner, &key);
    if (o)
        fresh.owner = *o;
    fresh.family = f.family;
    fresh.sport = f.sport;
    fresh.dport = f.dport;
    __builtin_memcpy(fresh.saddr, f.saddr, 16);
    __builtin_memcpy(fresh.daddr, f.daddr, 16);
    bpf_map_update_elem(&retrans, &key, &fresh, BPF_NOEXIST);
    return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit_btf, const struct sock *sk)
{
    return do_retransmit(sk);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(retransmit_raw, const struct sock *sk)
{
    return do_retransmit(sk);
}

/* ---- OOM kills ---- */
static __always_inline int do_oom(struct task_struct *victim)
{
    if (!kind_enabled(LO_OOM))
        return 0;
    COUNT(seen, LO_OOM);
    struct lo_oom *e = reserve(LO_OOM, sizeof(*e));
    if (!e)
        return 0;
    fill_task(&e->h, victim, LO_OOM); /* the victim's own cgroup */
    e->killer_pid = bpf_get_current_pid_tgid() >> 32;
    e->pad = 0;
    struct mm_struct *mm = BPF_CORE_READ(victim, mm);
    e->rss_pages = 0;
    if (mm) {
        e->rss_pages = BPF_CORE_READ(mm, rss_stat[0].count) + BPF_CORE_READ(mm, rss_stat[1].count) +
                       BPF_CORE_READ(mm, rss_stat[3].count);
    }
    submit(e);
    return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(oom_btf, struct task_struct *victim)
{
    return do_oom(victim);
}

SEC("raw_tp/mark_victim")
int BPF_PROG(oom_raw, struct task_struct *victim)
{
    return do_oom(victim);
}

/* ---- cgroup churn (attribution) ---- */
static __always_inline int do_cgroup(struct cgroup *cgrp, const char *path, __u32 removed)
{
    if (!kind_enabled(LO_CGROUP))
        return 0;
    COUNT(seen, LO_CGROUP);
    struct lo_cgroup *e = reserve(LO_CGROUP, sizeof(*e));
    if (!e)
        return 0;
    fill_current(&e->h, LO_CGROUP);
    e->id = BPF_CORE_READ(cgrp, kn, id);
    e->hierarchy = BPF_CORE_READ(cgrp, root, hierarchy_id);
    e->removed = removed;
    if (bpf_probe_read_kernel_str(e->path, sizeof(e->path), path) < 0)
        e->path[0] = 0;
    submit(e);
    return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir_btf, struct cgroup *cgrp, const char *path)
{
    return do_cgroup(cgrp, path, 0);
}

SEC("raw_tp/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir_raw, struct cgroup *cgrp, const char *path)
{
    return do_cgroup(cgrp, path, 0);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir_btf, struct cgroup *cgrp, const char *path)
{
    return do_cgroup(cgrp, path, 1);
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir_raw, struct cgroup *cgrp, const char *path)
{
    return do_cgroup(cgrp, path, 1);
}
