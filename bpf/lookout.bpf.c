// SPDX-License-Identifier: GPL-2.0
/* Lookout's kernel object, the part every family shares: the licence, the
 * settings and the maps all hooks write, each defined here once. The hooks
 * live one family per fragment (exec.bpf.c, files.bpf.c, tcp.bpf.c,
 * oom.bpf.c); `bpftool gen object` links the fragments into one lookout.bpf.o,
 * so there is one skeleton and one copy of each map (the fragments see these
 * through the extern declarations in common.bpf.h). Tracepoints only: no
 * kprobes, fentry or LSM on the target kernels. */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Filled by the loader before load. */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 1 << 20;
const volatile __u32 rate_limit = 0;

__u32 kind_on[LO_KIND_MAX] = {};

struct events_map events SEC(".maps");
struct stats_map stats SEC(".maps");
struct cred_known_map cred_known SEC(".maps");
struct rate_map rate SEC(".maps");
