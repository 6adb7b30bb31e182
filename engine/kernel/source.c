#include "kernel/source.h"

#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/rules.h"
#include "base/buf.h"
#include "base/redact.h"
#include "base/yaml_tree.h"
#include "kernel/config.h"
#include "kernel/proc_table.h"

#include "kernel/ingest.h"

#define STATS_PERIOD_MS    1000
#define DROP_WARN_PCT      10.0
#define DROP_WARN_EVERY_MS 30000
/* A drain slice: records are read for at most this long, then the loop runs
 * (timers, HTTP, signals) and the drain resumes on the next turn. */
#define SLICE_US          5000
#define SLICE_CHECK_EVERY 64 /* records between two looks at the clock */
#define FLUSH_SLICES      100
/* The monotonic-to-wall offset is measured again this often (NTP slews). */
#define CLOCK_RESYNC_MS 60000
/* The screen's ring when the config names none. The data area is mapped
 * twice (wrap-around), so it counts twice in RSS: 8 MiB, the headless
 * default that rides out floods for the agent, is 16 MB of a 24 MB budget.
 * 512 KiB holds some 1500 records between 100 ms drains (and the reader is
 * woken at an eighth of it, sooner); a burst beyond shows as GAP rows. With
 * the event history full (4.4 MB), 1 MiB took the demo to 24 MB. */
#define SCREEN_RING_BYTES (512u << 10)

struct ksrc {
    struct source *src;
    struct engine *e;
    struct loop *loop;
    struct kernel_options opt;
    struct kernel_loader *kl;
    struct ring_buffer *rb;
    int epfd;
    struct loop_timer *timer;
    struct loop_timer *resume; /* the next slice, while the ring holds more */
    int64_t slice_end_us;
    unsigned slice_records;
    bool slice_full;         /* the last slice stopped on its budget */
    int64_t mono_to_wall_ns; /* wall = bpf_ktime_get_ns() + this */
    int64_t clock_synced_mono;
    int64_t last_time;             /* ms, the newest record's own time stamp */
    bool load_pending;             /* start found the kernel usable: start_late loads */
    bool async_load;               /* on the screen: the load is waited for through the loop */
    struct kloader_job *job;       /* the loading child, while it runs */
    struct loop_timer *load_timer; /* its deadline */
    struct kevent_ingest *ki;
    struct proc_table procs;
    struct lo_stats now;    /* last counters read */
    struct lo_stats window; /* counters at the start of the current second */
    int64_t window_mono;
    uint64_t lost_reported; /* ring drops already shown as GAP rows */
    uint64_t delivered;     /* kevents posted */
    uint64_t delivered_window;
    uint64_t gaps;
    int64_t last_warn_mono;
    /* Rates over the last whole second; NaN (null) before the first one
     * ends, and the percentage when nothing passed: never a made-up 0. */
    double drop_pct_1s;                    /* of the events that passed the in-kernel filters */
    uint64_t drops_1s, passed_1s, seen_1s; /* the raw figures behind it */
    double events_per_s;
    char privdrop[128];
};

/* ---- kernel time ---- */
static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: the offset to the wall clock is
 * read between two monotonic reads, so it is off by half that gap at most. */
static void sync_clock(struct ksrc *ks)
{
    int64_t now = loop_mono_ms();
    if (ks->clock_synced_mono && now - ks->clock_synced_mono < CLOCK_RESYNC_MS)
        return;
    int64_t m0 = clock_ns(CLOCK_MONOTONIC), w = clock_ns(CLOCK_REALTIME);
    int64_t m1 = clock_ns(CLOCK_MONOTONIC);
    ks->mono_to_wall_ns = w - (m0 + (m1 - m0) / 2);
    ks->clock_synced_mono = now;
}

static int64_t kernel_time_ms(const struct ksrc *ks, uint64_t ts_ns)
{
    return ((int64_t)ts_ns + ks->mono_to_wall_ns) / 1000000;
}

/* ---- posting ---- */
/* Every event carries its own time: the record's (set in on_record), never
 * the loop's, so a slice read late still lands where it happened. */
static void post(struct ksrc *ks, struct kevent *ev)
{
    if (!ev->time)
        ev->time = ks->last_time ? ks->last_time : loop_wall_ms();
    ks->delivered++;
    if (ks->ki) {
        kevent_ingest_post(ks->ki, ev);
        return;
    }
    engine_kevent(ks->e, ev);
}

static void post_cgroup(struct ksrc *ks, const struct lo_cgroup *c)
{
    if (ks->ki && c->hierarchy == 0) /* only the cgroup2 hierarchy has our ids */
        kevent_ingest_cgroup(ks->ki, c->id, c->path, c->removed);
}

/* ---- record -> kevent ---- */
static void from_hdr(struct kevent *ev, const struct lo_hdr *h, enum kev_kind kind)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->pid = h->pid;
    ev->ppid = h->ppid;
    ev->uid = h->uid;
    memcpy(ev->comm, h->comm, sizeof(ev->comm) - 1);
    ev->cgroup_id = h->cgroup_id;
}

/* Paths and argv come from any process on the host: through the door. */
static void copy_bounded(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    redact_field(dst, dstlen, src, strnlen(src, srclen));
}

static void open_flags_str(uint64_t f, char *out, size_t outlen)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } bits[] = {
        {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
        {O_TRUNC, "O_TRUNC"},         {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
        {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_CLOEXEC, "O_CLOEXEC"},
        {O_PATH, "O_PATH"},
    };
    int acc = (int)(f & O_ACCMODE);
    snprintf(out, outlen, "%s",
             acc == O_WRONLY ? "O_WRONLY"
             : acc == O_RDWR ? "O_RDWR"
                             : "O_RDONLY");
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        if ((f & bits[i].bit) == bits[i].bit) {
            size_t len = strlen(out);
            snprintf(out + len, outlen - len, "|%s", bits[i].name);
        }
    }
}

static const char *sys_name(uint32_t sys)
{
    static const char *const names[LO_SYS_MAX] = {
        "?",      "open",     "openat",   "openat2",   "creat",     "setuid",
        "setgid", "setreuid", "setregid", "setresuid", "setresgid", "capset",
    };
    return sys < LO_SYS_MAX ? names[sys] : "?";
}

static void on_exec(struct ksrc *ks, const struct lo_exec *r)
{
    struct kevent ev;
    from_hdr(&ev, &r->h, KEV_EXEC);
    copy_bounded(ev.path, sizeof(ev.path), r->filename, sizeof(r->filename));
    /* argv is NUL separated in the kernel: join with spaces, then redact. */
    char joined[sizeof(r->args) + 1];
    size_t n = r->args_len < sizeof(r->args) ? r->args_len : sizeof(r->args);
    for (size_t i = 0; i < n; i++)
        joined[i] = r->args[i] ? r->args[i] : ' ';
    while (n > 0 && joined[n - 1] == ' ')
        n--;
    joined[n] = 0;
    redact_field(ev.args, sizeof(ev.args), joined, n);
    proc_table_exec(&ks->procs, r->h.pid, r->h.ppid, r->h.uid, r->h.comm, r->h.ts_ns);
    post(ks, &ev);
}

static void on_exit_rec(struct ksrc *ks, const struct lo_exit *r)
{
    struct kevent ev;
    from_hdr(&ev, &r->h, KEV_EXIT);
    ev.ret = r->signal ? -r->signal : r->code;
    snprintf(ev.args, sizeof(ev.args), "lifetime_ms=%llu",
             (unsigned long long)(r->lifetime_ns / 1000000));
    proc_table_exit(&ks->procs, r->h.pid);
    post(ks, &ev);
}

static void on_open(struct ksrc *ks, const struct lo_open *r)
{
    struct kevent ev;
    from_hdr(&ev, &r->h, KEV_OPEN);
    copy_bounded(ev.path, sizeof(ev.path), r->path, sizeof(r->path));
    open_flags_str(r->oflags, ev.args, sizeof(ev.args));
    ev.ret = r->ret;
    post(ks, &ev);
}

static void on_priv(struct ksrc *ks, const struct lo_priv *r)
{
    struct kevent ev;
    from_hdr(&ev, &r->h, KEV_PRIV);
    ev.uid = r->old_uid; /* the convention: uid before the call */
    STR_COPY(ev.path, sys_name(r->sys));
    int a0 = (int)r->args[0], a1 = (int)r->args[1], a2 = (int)r->args[2];
    switch (r->sys) {
    case LO_SYS_SETUID:
    case LO_SYS_SETGID:
        snprintf(ev.args, sizeof(ev.args), "%d", a0);
        break;
    case LO_SYS_SETREUID:
    case LO_SYS_SETREGID:
        snprintf(ev.args, sizeof(ev.args), "%d %d", a0, a1);
        break;
    case LO_SYS_SETRESUID:
    case LO_SYS_SETRESGID:
        snprintf(ev.args, sizeof(ev.args), "%d %d %d", a0, a1, a2);
        break;
    default:
        break;
    }
    ev.ret = r->ret;
    if (r->ret == 0)
        proc_table_set_uid(&ks->procs, r->h.pid, r->h.uid);
    post(ks, &ev);
}

static void addr_str(uint16_t family, const uint8_t *a, char *out, size_t outlen)
{
    if (!inet_ntop(family == 10 ? AF_INET6 : AF_INET, a, out, (socklen_t)outlen))
        out[0] = 0;
}

static void on_tcp(struct ksrc *ks, const struct lo_tcp *r)
{
    static const enum kev_kind kinds[] = {
        [LO_CONNECT] = KEV_CONNECT,
        [LO_ACCEPT] = KEV_ACCEPT,
        [LO_RESET] = KEV_RESET,
    };
    struct kevent ev;
    from_hdr(&ev, &r->h, kinds[r->h.kind]);
    addr_str(r->family, r->saddr, ev.saddr, sizeof(ev.saddr));
    addr_str(r->family, r->daddr, ev.daddr, sizeof(ev.daddr));
    ev.sport = r->sport;
    ev.dport = r->dport;
    ev.ret = r->ret;
    if (r->h.kind == LO_RESET)
        STR_COPY(ev.args, r->ret ? "sent" : "received");
    post(ks, &ev);
}

static void on_oom(struct ksrc *ks, const struct lo_oom *r)
{
    struct kevent ev;
    from_hdr(&ev, &r->h, KEV_OOM);
    snprintf(ev.args, sizeof(ev.args), "rss_kb=%llu killer=%u",
             (unsigned long long)r->rss_pages * 4, r->killer_pid);
    post(ks, &ev);
}

static void on_throttle(struct ksrc *ks, const struct lo_throttle *r)
{
    struct kevent ev;
    from_hdr(&ev, &r->h, KEV_THROTTLE);
    ev.ret = (int)r->start;
    if (r->start)
        snprintf(ev.args, sizeof(ev.args), "start limit=%u/s", r->limit);
    else
        snprintf(ev.args, sizeof(ev.args), "stop suppressed=%llu",
                 (unsigned long long)r->suppressed);
    post(ks, &ev);
}

/* Returns -1 once the slice's budget is spent: libbpf then stops after this
 * record (it is consumed) and the rest waits for the next slice. */
static int slice_spent(struct ksrc *ks)
{
    if (++ks->slice_records % SLICE_CHECK_EVERY || loop_mono_us() < ks->slice_end_us)
        return 0;
    ks->slice_full = true;
    return -1;
}

static int on_record(void *ctx, void *data, size_t size)
{
    struct ksrc *ks = ctx;
    const struct lo_hdr *h = data;
    if (size < sizeof(*h))
        return slice_spent(ks);
    ks->last_time = kernel_time_ms(ks, h->ts_ns);
#define FITS(T) (size >= sizeof(T))
    switch (h->kind) {
    case LO_EXEC:
        if (FITS(struct lo_exec))
            on_exec(ks, data);
        break;
    case LO_EXIT:
        /* the loading child's own exit: Lookout is never reported */
        if (FITS(struct lo_exit) && h->pid != (uint32_t)kloader_helper_pid(ks->kl))
            on_exit_rec(ks, data);
        break;
    case LO_FORK:
        if (FITS(struct lo_fork)) {
            const struct lo_fork *f = data;
            proc_table_fork(&ks->procs, h->pid, f->child_pid, h->uid, h->comm, h->ts_ns);
        }
        break;
    case LO_OPEN:
        if (FITS(struct lo_open))
            on_open(ks, data);
        break;
    case LO_PRIV:
        if (FITS(struct lo_priv))
            on_priv(ks, data);
        break;
    case LO_CONNECT:
    case LO_ACCEPT:
    case LO_RESET:
        if (FITS(struct lo_tcp))
            on_tcp(ks, data);
        break;
    case LO_OOM:
        if (FITS(struct lo_oom))
            on_oom(ks, data);
        break;
    case LO_THROTTLE:
        if (FITS(struct lo_throttle))
            on_throttle(ks, data);
        break;
    case LO_CGROUP:
        if (FITS(struct lo_cgroup))
            post_cgroup(ks, data);
        break;
    default:
        break;
    }
#undef FITS
    return slice_spent(ks);
}

static void on_retrans(const struct lo_retrans *r, void *ud)
{
    struct ksrc *ks = ud;
    /* A per-flow count over the last period: it happened up to now. */
    struct kevent ev = {.kind = KEV_RETRANSMIT, .time = loop_wall_ms()};
    ev.pid = r->owner.pid;
    ev.ppid = r->owner.ppid;
    ev.uid = r->owner.uid;
    memcpy(ev.comm, r->owner.comm, sizeof(ev.comm) - 1);
    ev.cgroup_id = r->owner.cgroup_id;
    addr_str(r->family, r->saddr, ev.saddr, sizeof(ev.saddr));
    addr_str(r->family, r->daddr, ev.daddr, sizeof(ev.daddr));
    ev.sport = r->sport;
    ev.dport = r->dport;
    ev.ret = (int)r->count;
    snprintf(ev.args, sizeof(ev.args), "segments=%llu", (unsigned long long)r->count);
    post(ks, &ev);
}

/* ---- counters, drops, GAP rows ---- */
static uint64_t sum(const __u64 *v)
{
    uint64_t s = 0;
    for (int k = 0; k < LO_KIND_MAX; k++)
        s += v[k];
    return s;
}

static void set_detail(struct ksrc *ks)
{
    struct source_info *si = engine_get(ks->e, T_SOURCES, ks->src->name);
    if (!si)
        return;
    struct source_info upd = *si;
    char ring[32], rates[128];
    if (ks->opt.ring_bytes >= (1u << 20))
        snprintf(ring, sizeof(ring), "%u MiB", ks->opt.ring_bytes >> 20);
    else
        snprintf(ring, sizeof(ring), "%u KiB", ks->opt.ring_bytes >> 10);
    if (isnan(ks->events_per_s))
        snprintf(rates, sizeof(rates), "rates after the first second");
    else if (isnan(ks->drop_pct_1s))
        snprintf(rates, sizeof(rates), "%.0f ev/s, drops n/a (nothing passed, %llu seen/s)",
                 ks->events_per_s, (unsigned long long)ks->seen_1s);
    else
        snprintf(rates, sizeof(rates), "%.0f ev/s, drops %.1f%% (%llu of %llu passed, %llu seen/s)",
                 ks->events_per_s, ks->drop_pct_1s, (unsigned long long)ks->drops_1s,
                 (unsigned long long)ks->passed_1s, (unsigned long long)ks->seen_1s);
    snprintf(upd.detail, sizeof(upd.detail), "ring %s, %s%s%s", ring, rates,
             ks->privdrop[0] ? ", " : "", ks->privdrop);
    if (strcmp(upd.detail, si->detail) != 0)
        engine_upsert(ks->e, T_SOURCES, &upd);
}

static void update_kstats(struct ksrc *ks)
{
    struct kstats row = {0};
    struct kstats *old = engine_get(ks->e, T_KSTATS, "kernel");
    if (old)
        row = *old;
    STR_COPY(row.name, "kernel");
    row.lag_p50_ms = row.lag_p99_ms = NAN; /* an agent row's figure (agent/conn.c) */
    for (int k = 0; k <= LO_OOM; k++)
        row.seen[k] = ks->now.seen[k];
    row.seen[KEV_THROTTLE] = ks->now.seen[LO_THROTTLE];
    row.seen[KEV_GAP] = ks->gaps;
    row.ring_drops = sum(ks->now.ring_drop);
    row.filtered = sum(ks->now.filtered);
    row.too_big = sum(ks->now.too_big);
    if (ks->ki)
        row.rule_matches = kevent_ingest_stats(ks->ki)->rule_matches;
    row.drop_pct_1s = ks->drop_pct_1s;
    row.events_per_s = ks->events_per_s;
    row.simulated = false;
    if (!old || memcmp(old, &row, sizeof(row)) != 0)
        engine_upsert(ks->e, T_KSTATS, &row);
}

/* Drops over the current window, in percent of the events that passed the
 * in-kernel filters: what the user asked to see. Unwatched opens are seen
 * and filtered; counting them would dilute a loss of what matters. */
struct window_drops {
    uint64_t drops, passed, seen;
    double pct;
};

static struct window_drops window_drops(const struct ksrc *ks)
{
    struct window_drops w;
    w.seen = sum(ks->now.seen) - sum(ks->window.seen);
    uint64_t filtered = sum(ks->now.filtered) - sum(ks->window.filtered);
    w.passed = w.seen > filtered ? w.seen - filtered : 0;
    w.drops = sum(ks->now.ring_drop) - sum(ks->window.ring_drop);
    if (w.passed < w.drops) /* per-CPU counters read mid-update */
        w.passed = w.drops;
    w.pct = w.passed ? 100.0 * (double)w.drops / (double)w.passed : NAN; /* 0 of 0: no ratio */
    return w;
}

/* A GAP row right after the last events read before the loss. */
static void report_gap(struct ksrc *ks)
{
    uint64_t drops = sum(ks->now.ring_drop);
    if (drops <= ks->lost_reported)
        return;
    struct kevent ev = {.kind = KEV_GAP, .lost = drops - ks->lost_reported};
    ks->lost_reported = drops;
    ks->gaps++;
    struct window_drops w = window_drops(ks);
    int64_t now = loop_mono_ms();
    if (w.pct > DROP_WARN_PCT &&
        (!ks->last_warn_mono || now - ks->last_warn_mono >= DROP_WARN_EVERY_MS)) {
        ks->last_warn_mono = now;
        ev.severity = SEV_WARNING;
        snprintf(ev.title, sizeof(ev.title),
                 "kernel events dropped: %.0f%% of %llu watched (%llu lost, %llu seen), ring "
                 "full",
                 w.pct, (unsigned long long)w.passed, (unsigned long long)w.drops,
                 (unsigned long long)w.seen);
    } else {
        snprintf(ev.title, sizeof(ev.title), "%llu kernel events lost (ring full)",
                 (unsigned long long)ev.lost);
    }
    STR_COPY(ev.comm, "-");
    post(ks, &ev);
}

static void close_window(struct ksrc *ks, int64_t now, int64_t span)
{
    struct window_drops w = window_drops(ks);
    ks->drop_pct_1s = w.pct;
    ks->drops_1s = w.drops;
    ks->passed_1s = w.passed;
    ks->seen_1s = w.seen;
    ks->events_per_s = (double)(ks->delivered - ks->delivered_window) * 1000.0 / (double)span;
    ks->window = ks->now;
    ks->window_mono = now;
    ks->delivered_window = ks->delivered;
}

/* Every second the rates and the counters go out; force (a flush) sends the
 * counters now but leaves the rates to a whole window: a rate over a part of
 * a second, or over the time since boot, would be a made-up figure. */
static void roll_window(struct ksrc *ks, bool force)
{
    int64_t now = loop_mono_ms();
    int64_t span = now - ks->window_mono;
    if (span >= STATS_PERIOD_MS)
        close_window(ks, now, span);
    else if (!force)
        return;
    kloader_drain_retrans(ks->kl, on_retrans, ks);
    update_kstats(ks);
    set_detail(ks);
}

/* One slice of records (libbpf 1.1 has no ring_buffer__consume_n: the
 * callback stops it), then the counters. True when the budget ran out,
 * i.e. the ring may hold more. */
static bool drain_slice(struct ksrc *ks)
{
    sync_clock(ks);
    ks->slice_full = false;
    ks->slice_records = 0;
    ks->slice_end_us = loop_mono_us() + SLICE_US;
    ring_buffer__consume(ks->rb);
    if (kloader_read_stats(ks->kl, &ks->now) == 0)
        report_gap(ks);
    roll_window(ks, false);
    return ks->slice_full;
}

static void on_resume(void *ud);

/* A slice, and the next one on the very next loop turn (a zero timeout)
 * while the ring is not empty: a flood never holds the loop. */
static void drain(struct ksrc *ks)
{
    if (drain_slice(ks) && !ks->resume)
        ks->resume = loop_timer_start(ks->loop, 0, on_resume, ks);
}

static void on_resume(void *ud)
{
    struct ksrc *ks = ud;
    ks->resume = NULL;
    drain(ks);
}

/* The ring's fd stays readable while it holds records: one slice per turn,
 * the pending resume being that slice. */
static void on_ready(int fd, int events, void *ud)
{
    struct ksrc *ks = ud;
    (void)fd;
    (void)events;
    if (!ks->resume)
        drain(ks);
}

static void on_timer(void *ud)
{
    struct ksrc *ks = ud;
    ks->timer = loop_timer_start(ks->loop, ks->opt.drain_ms, on_timer, ks);
    if (!ks->resume)
        drain(ks);
}

void kernel_source_flush(struct source *s)
{
    struct ksrc *ks = s->priv;
    if (!ks || !ks->kl)
        return;
    /* What is in the ring now, not a flood that goes on: at most ~0.5 s. */
    for (int i = 0; i < FLUSH_SLICES && drain_slice(ks); i++)
        ;
    roll_window(ks, true);
}

/* ---- source ---- */
static void drop_privileges(struct ksrc *ks)
{
    if (!ks->opt.drop_privileges)
        return;
    char err[160];
    int r = kernel_drop_privileges(err, sizeof(err));
    if (r > 0)
        snprintf(ks->privdrop, sizeof(ks->privdrop), "privileges dropped (uid %u, no caps)",
                 (unsigned)getuid());
    else if (r < 0)
        STR_COPY(ks->privdrop, err);
}

/* Starts draining the programs the child loaded and attached. */
static int kernel_attached(struct ksrc *ks, char *err, size_t errlen)
{
    struct source *s = ks->src;
    char ierr[256] = "";
    ks->ki = kevent_ingest_new(ks->e, s->ctx.config, ierr, sizeof(ierr));
    ks->rb = ring_buffer__new(kloader_ring_fd(ks->kl), on_record, ks, NULL);
    if (!ks->rb) {
        snprintf(err, errlen, "cannot map the kernel ring buffer");
        return -1;
    }
    ks->epfd = ring_buffer__epoll_fd(ks->rb);
    if (loop_watch_fd(ks->loop, ks->epfd, LOOP_READ, on_ready, ks) < 0) {
        snprintf(err, errlen, "cannot watch the kernel ring buffer");
        return -1;
    }
    ks->timer = loop_timer_start(ks->loop, ks->opt.drain_ms, on_timer, ks);
    ks->window_mono = loop_mono_ms();
    sync_clock(ks);
    drop_privileges(ks);
    const char *failed = kloader_failures(ks->kl);
    char msg[TEXT_LEN] = "";
    if (failed[0])
        snprintf(msg, sizeof(msg), "could not attach: %s", failed);
    engine_source_state(ks->e, s->name, s->kind, SRC_SYNCED, NULL);
    if (msg[0]) /* the rest works: say once what does not */
        engine_source_state(ks->e, s->name, s->kind, SRC_SYNCED, msg);
    update_kstats(ks);
    set_detail(ks);
    return 0;
}

/* The loading child is done, one way or the other. */
static void load_done(struct ksrc *ks)
{
    loop_unwatch_fd(ks->loop, kloader_job_fd(ks->job));
    if (ks->load_timer)
        loop_timer_cancel(ks->loop, ks->load_timer);
    ks->load_timer = NULL;
}

static void load_failed(struct ksrc *ks, const char *err)
{
    engine_source_state(ks->e, ks->src->name, ks->src->kind, SRC_FAILED,
                        err[0] ? err : "cannot load the kernel programs");
}

static void on_child_exit(int fd, int events, void *ud)
{
    struct ksrc *ks = ud;
    (void)fd;
    (void)events;
    char err[256] = "";
    load_done(ks);
    ks->kl = kloader_finish(ks->job, err, sizeof(err));
    ks->job = NULL;
    if (!ks->kl || kernel_attached(ks, err, sizeof(err)) < 0)
        load_failed(ks, err);
}

static void on_load_timeout(void *ud)
{
    struct ksrc *ks = ud;
    ks->load_timer = NULL;
    load_done(ks);
    char err[256];
    kloader_timed_out(ks->job, err, sizeof(err));
    ks->job = NULL;
    load_failed(ks, err);
}

/* The load (0.5-1 s of BTF parsing and verification) runs in a child. On
 * the screen the loop waits for it (the child's pidfd, a deadline); for the
 * headless commands, which need the events from the first moment, here.
 * Here too when privileges are dropped after it: the sources after this one
 * start once it returns, and must start as the invoking user (a kubeconfig
 * credential plugin never runs as root). */
static int kernel_load(struct ksrc *ks, char *err, size_t errlen)
{
    if (!ks->async_load || (ks->opt.drop_privileges && kernel_privileges_to_drop())) {
        ks->kl = kloader_open(&ks->opt, err, errlen);
        return ks->kl ? kernel_attached(ks, err, errlen) : -1;
    }
    ks->job = kloader_start(&ks->opt, err, errlen);
    if (!ks->job)
        return -1;
    if (loop_watch_fd(ks->loop, kloader_job_fd(ks->job), LOOP_READ, on_child_exit, ks) < 0) {
        kloader_abort(ks->job);
        ks->job = NULL;
        snprintf(err, errlen, "cannot wait for the kernel programs to load");
        return -1;
    }
    ks->load_timer = loop_timer_start(ks->loop, kloader_timeout_ms(), on_load_timeout, ks);
    return 0;
}

/* Only what is quick: the BPF load is start_late. */
static int kernel_start(struct source *s, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct ksrc *ks = s->priv;
    ks->src = s;
    ks->e = s->ctx.engine;
    ks->loop = s->ctx.loop;
    char why[256];
    if (kernel_unavailable(why, sizeof(why))) {
        engine_source_state(ks->e, s->name, s->kind, SRC_DISABLED, why);
        return 0;
    }
    ks->load_pending = true; /* the source stays starting until the load */
    return 0;
}

/* On the screen this runs after the first frame, which says "loading kernel
 * programs" until the child is done; a failure shows as a failed start. */
static int kernel_start_late(struct source *s, char *err, size_t errlen)
{
    struct ksrc *ks = s->priv;
    if (!ks->load_pending)
        return 0;
    ks->load_pending = false;
    return kernel_load(ks, err, errlen);
}

static void kernel_stop(struct source *s)
{
    struct ksrc *ks = s->priv;
    if (!ks)
        return;
    if (ks->timer)
        loop_timer_cancel(ks->loop, ks->timer);
    if (ks->resume)
        loop_timer_cancel(ks->loop, ks->resume);
    if (ks->job) {
        load_done(ks);
        kloader_abort(ks->job);
    }
    if (ks->rb) {
        loop_unwatch_fd(ks->loop, ks->epfd);
        ring_buffer__free(ks->rb);
    }
    kloader_close(ks->kl);
    kevent_ingest_free(ks->ki);
    free(ks);
    s->priv = NULL;
}

const struct source_ops kernel_source_ops = {
    .kind = "kernel",
    .start = kernel_start,
    .start_late = kernel_start_late,
    .stop = kernel_stop,
};

void *kernel_source_new(const struct kernel_options *o)
{
    struct ksrc *ks = calloc(1, sizeof(*ks));
    if (ks) {
        ks->opt = *o;
        ks->drop_pct_1s = ks->events_per_s = NAN;
    }
    return ks;
}

/* Whether the config sets kernel.ring_size (then it holds on the screen too). */
static bool screen_ring_configured(const struct config *c)
{
    const struct ynode *k = c ? config_section(c, "kernel") : NULL;
    return k && ymap_get(k, "ring_size");
}

int kernel_source_add(const struct module_ctx *ctx, char *err, size_t errlen)
{
    if (ctx->opt->no_kernel || ctx->opt->replay_path)
        return 0;
    /* The demo's story is simulated, its kernel too: real host events (tens
     * a second on a busy host) would bury its beats unless asked for. */
    if (ctx->opt->demo && !ctx->opt->host_kernel)
        return 0;
    struct kernel_options o;
    bool enabled = true;
    if (kernel_options_from_config(ctx->config, &o, &enabled, err, errlen) < 0)
        return -1;
    if (!enabled)
        return 0;
    if (ctx->opt->screen && !screen_ring_configured(ctx->config))
        o.ring_bytes = SCREEN_RING_BYTES;
    struct ksrc *priv = kernel_source_new(&o);
    if (priv)
        priv->async_load = ctx->opt->screen;
    if (!priv || !source_add(ctx->sources, &kernel_source_ops, "kernel", ctx->src, priv)) {
        free(priv);
        snprintf(err, errlen, "cannot create the kernel source");
        return -1;
    }
    return 0;
}

static int kernel_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    (void)state;
    return kernel_source_add(ctx, err, errlen);
}

static const struct module_section kernel_sections[] = {
    {"kernel", kernel_config_check},
    {"rules", rules_config_check},
    {NULL, NULL},
};

const struct module kernel_module = {
    .name = "kernel",
    .sections = kernel_sections,
    .flags = MODULE_LIVE,
    .setup = kernel_setup,
};
