// SPDX-License-Identifier: GPL-2.0
/* OOM and cgroup hooks of Lookout's kernel object: OOM kills (mark_victim)
 * and cgroup mkdir/rmdir, which attribution uses to name new cgroups. */
#include "common.bpf.h"

/* ---- OOM kills ---- */
LO_HOOK(oom, mark_victim, struct task_struct *victim)
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

LO_HOOK(cgroup_mkdir, cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
    return do_cgroup(cgrp, path, 0);
}

LO_HOOK(cgroup_rmdir, cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
    return do_cgroup(cgrp, path, 1);
}
