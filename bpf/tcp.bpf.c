// SPDX-License-Identifier: GPL-2.0
/* TCP hooks of Lookout's kernel object: connect and accept results from
 * socket state changes, resets sent and received, retransmits counted per
 * flow. Softirq context does not know the owning process, so the owner is
 * remembered per socket and per listening port in process context. */
#include "common.bpf.h"

#define AF_INET     2
#define AF_INET6    10
#define IPPROTO_TCP 6

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

/* lo_flow_key -> retransmits since user space last drained the flow. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, struct lo_flow_key);
    __type(value, struct lo_retrans);
} retrans SEC(".maps");

/* lo_flow_key -> time of the last reset event (one per flow per second). */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, struct lo_flow_key);
    __type(value, __u64);
} reset_last SEC(".maps");

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

LO_HOOK(set_state, inet_sock_set_state, const struct sock *sk, const int old, const int new)
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

/* At most one event per flow per second: per socket and port pair, or per
 * port pair for resets sent without a socket. */
static __always_inline bool reset_admit(const struct sock *sk, const struct flow *f)
{
    struct lo_flow_key key = {.sk = (__u64)sk, .sport = f->sport, .dport = f->dport};
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
        if (!reset_admit(NULL, &f)) {
            COUNT(filtered, LO_RESET);
            return 0;
        }
        emit_tcp(LO_RESET, &o, &f, sent, 1);
        return 0;
    }
    COUNT(seen, LO_RESET);
    if (!read_flow(sk, &f))
        return 0;
    if (!reset_admit(sk, &f)) {
        COUNT(filtered, LO_RESET);
        return 0;
    }
    __u64 key = (__u64)sk;
    struct lo_owner *known = bpf_map_lookup_elem(&sk_owner, &key);
    if (known)
        o = *known;
    emit_tcp(LO_RESET, &o, &f, sent, 1);
    return 0;
}

/* The skb argument (since 6.x) is read only through BTF; only the socket is
 * declared, so that the raw flavour loads on older kernels too. */
LO_HOOK(send_reset, tcp_send_reset, const struct sock *sk)
{
    return do_reset(sk, btf ? (const struct sk_buff *)ctx[1] : NULL, 1);
}

LO_HOOK(receive_reset, tcp_receive_reset, const struct sock *sk)
{
    return do_reset(sk, NULL, 0);
}

/* Counted per flow here; user space reads and clears the map each second. */
LO_HOOK(retransmit, tcp_retransmit_skb, const struct sock *sk)
{
    if (!sk || !kind_enabled(LO_RETRANSMIT))
        return 0;
    COUNT(seen, LO_RETRANSMIT);
    struct flow f;
    if (!read_flow(sk, &f))
        return 0;
    struct lo_flow_key key = {.sk = (__u64)sk, .sport = f.sport, .dport = f.dport};
    struct lo_retrans *r = bpf_map_lookup_elem(&retrans, &key);
    if (r) {
        __sync_fetch_and_add(&r->count, 1);
        return 0;
    }
    struct lo_retrans fresh = {.count = 1};
    __u64 owner_key = (__u64)sk;
    struct lo_owner *o = bpf_map_lookup_elem(&sk_owner, &owner_key);
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
