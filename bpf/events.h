/* Record layout shared by the kernel programs (the bpf/ fragments) and the loader
 * (kernel/source.c), in the style of bcc's libbpf-tools: plain fixed-width
 * types, no kernel headers, one struct per record kind, each starting with
 * struct lo_hdr so user space can dispatch on hdr.kind and check the size. */
#ifndef LOOKOUT_BPF_EVENTS_H
#define LOOKOUT_BPF_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LO_COMM_LEN  16
#define LO_PATH_LEN  256 /* also the LPM key size: the kernel's maximum */
#define LO_ARGS_LEN  128
#define LO_GLOB_LEN  32
#define LO_MAX_GLOBS 4
#define LO_SYS_TABLE 512 /* syscall numbers the sys_exit fallback can look up */

/* Record kinds. The first nine have the same values as enum kev_kind. */
enum lo_kind {
    LO_EXEC,
    LO_EXIT,
    LO_OPEN,
    LO_PRIV,
    LO_CONNECT,
    LO_ACCEPT,
    LO_RESET,
    LO_RETRANSMIT,
    LO_OOM,
    LO_FORK,     /* process table only, never streamed */
    LO_THROTTLE, /* == KEV_THROTTLE */
    LO_CGROUP,   /* cgroup mkdir/rmdir, for attribution */
    LO_KIND_MAX,
};

/* Syscalls the file/privilege programs care about, arch independent. */
enum lo_sys {
    LO_SYS_NONE,
    LO_SYS_OPEN,
    LO_SYS_OPENAT,
    LO_SYS_OPENAT2,
    LO_SYS_CREAT,
    LO_SYS_SETUID,
    LO_SYS_SETGID,
    LO_SYS_SETREUID,
    LO_SYS_SETREGID,
    LO_SYS_SETRESUID,
    LO_SYS_SETRESGID,
    LO_SYS_CAPSET,
    LO_SYS_MAX,
};

struct lo_hdr {
    __u64 ts_ns;     /* bpf_ktime_get_ns(): ordering only */
    __u64 cgroup_id; /* cgroup v2 id of the task the record is about */
    __u32 kind;      /* enum lo_kind */
    __u32 pid;       /* tgid */
    __u32 tid;
    __u32 ppid;
    __u32 uid;
    __u32 euid;
    __u32 loginuid;
    __u32 flags; /* LO_F_* */
    char comm[LO_COMM_LEN];
};

#define LO_F_TRUNCATED 1u /* a string or the argument list was cut */

struct lo_exec {
    struct lo_hdr h;
    __u32 args_len; /* bytes of args used, NUL separated */
    __u32 pad;
    char filename[LO_PATH_LEN];
    char args[LO_ARGS_LEN];
};

struct lo_exit {
    struct lo_hdr h;
    __s32 code;   /* exit status (0-255) */
    __s32 signal; /* terminating signal, 0 when none */
    __u64 lifetime_ns;
};

struct lo_fork {
    struct lo_hdr h; /* the parent */
    __u32 child_pid;
    __u32 pad;
};

struct lo_open {
    struct lo_hdr h;
    __s32 ret;    /* fd or -errno */
    __u32 sys;    /* enum lo_sys */
    __u64 oflags; /* open flags */
    char path[LO_PATH_LEN];
};

struct lo_priv {
    struct lo_hdr h; /* uid/euid: credentials after the call */
    __s32 ret;
    __u32 sys; /* enum lo_sys */
    __u32 gid;
    __u32 egid;
    __u32 old_uid; /* before the call (last seen at fork/exec/priv), or uid when unknown */
    __u32 old_euid;
    __u64 args[3];
};

/* connect, accept, reset, retransmit: local (s*) and remote (d*) ends. */
struct lo_tcp {
    struct lo_hdr h;
    __u16 family; /* AF_INET or AF_INET6 */
    __u16 sport;
    __u16 dport;
    __u16 pad;
    __u8 saddr[16];
    __u8 daddr[16];
    __s32 ret;   /* connect: 0 or -errno; reset: 1 sent, 0 received */
    __u32 count; /* retransmit: segments in the last period */
};

struct lo_oom {
    struct lo_hdr h; /* the victim */
    __u32 killer_pid;
    __u32 pad;
    __u64 rss_pages;
};

struct lo_cgroup {
    struct lo_hdr h;
    __u64 id;
    __u32 hierarchy; /* 0: the cgroup v2 hierarchy */
    __u32 removed;
    char path[LO_PATH_LEN];
};

struct lo_throttle {
    struct lo_hdr h; /* cgroup_id is the throttled cgroup */
    __u32 start;     /* 1: throttling starts, 0: it stopped */
    __u32 limit;     /* events/s */
    __u64 suppressed;
};

/* Per-CPU counters (one PERCPU_ARRAY entry). */
struct lo_stats {
    __u64 seen[LO_KIND_MAX];      /* passed the on/off switch, before any filter */
    __u64 filtered[LO_KIND_MAX];  /* dropped by an in-kernel filter or the rate limit */
    __u64 ring_drop[LO_KIND_MAX]; /* bpf_ringbuf_reserve failed: the ring was full */
    __u64 too_big[LO_KIND_MAX];   /* delivered but cut to fit its record */
};

/* The watch list: an LPM trie keyed by path. */
struct lo_watch_key {
    __u32 prefixlen; /* bits */
    char path[LO_PATH_LEN];
};
#define LO_WATCH_EXACT 1u /* only this path */
#define LO_WATCH_DIR   2u /* this path and everything below it */
struct lo_watch_val {
    __u32 len; /* bytes of the entry */
    __u32 flags;
};

/* "prefix*suffix" patterns such as /proc/ * /environ (one component). */
struct lo_glob {
    char prefix[LO_GLOB_LEN];
    char suffix[LO_GLOB_LEN];
    __u32 plen;
    __u32 slen;
};

/* Socket owner recorded in process context, read in softirq context. */
struct lo_owner {
    __u64 cgroup_id;
    __u32 pid;
    __u32 tid;
    __u32 ppid;
    __u32 uid;
    __u32 euid;
    __u32 loginuid;
    char comm[LO_COMM_LEN];
};

/* A flow in the kernel's per-flow maps (retransmit counts, the reset
 * limit): the socket and its port pair. The kernel reuses a freed socket's
 * memory for the next one at once (TCP sockets are SLAB_TYPESAFE_BY_RCU), so
 * the address alone would take a new connection for the one it replaced:
 * 60 connections reset in a row once gave one reset event each way. sk is 0
 * for a reset sent with no socket. */
struct lo_flow_key {
    __u64 sk;
    __u16 sport;
    __u16 dport;
    __u32 pad;
};

/* Retransmits counted per flow in the kernel, drained by user space. */
struct lo_retrans {
    struct lo_owner owner;
    __u16 family;
    __u16 sport;
    __u16 dport;
    __u16 pad;
    __u8 saddr[16];
    __u8 daddr[16];
    __u64 count;
};

struct lo_rate {
    __u64 win_start;
    __u64 count;
    __u64 suppressed;
    __u32 throttled;
    __u32 pad;
};

#endif
