/* What every fragment of Lookout's kernel object shares: the settings and
 * maps defined once in lookout.bpf.c (declared extern here, so that BPF static
 * linking joins the fragments into one object with one copy of each), the
 * helpers every family uses (counters, filters, ring reserve/submit, task
 * headers, the per-cgroup rate limit), and LO_HOOK, which writes a hook's
 * tp_btf and raw_tp programs from one body. */
#ifndef LOOKOUT_BPF_COMMON_BPF_H
#define LOOKOUT_BPF_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "events.h"

#define PF_KTHREAD   0x00200000
#define NSEC_PER_SEC 1000000000ull

/* ---- settings, fixed before load ---- */
extern const volatile __u32 self_tgid;
extern const volatile __u64 wakeup_bytes; /* force a wakeup past this much unread data */
extern const volatile __u32 rate_limit;   /* events/s per cgroup, 0: off */

/* Per-kind on/off, writable at run time through the .bss map. */
extern __u32 kind_on[LO_KIND_MAX];

/* ---- maps every family writes ---- */
struct events_map {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 8 << 20); /* resized by the loader */
};
extern struct events_map events SEC(".maps");

struct stats_map {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct lo_stats);
};
extern struct stats_map stats SEC(".maps");

/* tid -> credentials last seen (fork, exec, privilege changes): the "before"
 * of a privilege change. A sys_enter hook would give it too, but any sys_enter
 * tracepoint makes the kernel call into the tracing code on every syscall of
 * the host (measured: several percent on a getppid loop). */
struct cred_pair {
    __u32 uid, euid;
};
struct cred_known_map {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct cred_pair);
};
extern struct cred_known_map cred_known SEC(".maps");

/* cgroup id -> rate window. */
struct rate_map {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64);
    __type(value, struct lo_rate);
};
extern struct rate_map rate SEC(".maps");

/* ---- one hook, two flavours ----
 * LO_HOOK(name, tp, args...) { body } defines name_btf on tp_btf/<tp> and
 * name_raw on raw_tp/<tp>, the names the loader switches between, and the
 * body they both run (the arguments are cast from ctx as BPF_PROG does).
 * Written once, the flavours cannot drift apart. The body also sees ctx and
 * `btf`, a constant after inlining, for what only the BTF flavour may read:
 * a raw_tp program that reads past the arguments an older kernel passes does
 * not attach there. (clang-format would fold the _Pragma lines.) */
/* clang-format off */
#define LO_HOOK_FLAVOUR(name, flavour, sec, is_btf, args...)                                       \
    SEC(sec)                                                                                       \
    int name##_##flavour(unsigned long long *ctx)                                                  \
    {                                                                                              \
        _Pragma("GCC diagnostic push")                                                             \
        _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                                     \
        return name##_body(is_btf, ___bpf_ctx_cast(args));                                         \
        _Pragma("GCC diagnostic pop")                                                              \
    }

#define LO_HOOK(name, tp, args...)                                                                 \
    static __always_inline int name##_body(bool btf, unsigned long long *ctx, ##args);             \
    LO_HOOK_FLAVOUR(name, btf, "tp_btf/" #tp, true, args)                                          \
    LO_HOOK_FLAVOUR(name, raw, "raw_tp/" #tp, false, args)                                         \
    static __always_inline int name##_body(bool btf, unsigned long long *ctx, ##args)
/* clang-format on */

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

#endif
