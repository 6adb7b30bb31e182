// SPDX-License-Identifier: GPL-2.0
/* Process lifecycle hooks of Lookout's kernel object: exec, exit and fork
 * (sched_process_*). They also keep the tid -> credentials map that the
 * privilege hooks (files.bpf.c) read as the "before" of a change. */
#include "common.bpf.h"

LO_HOOK(exec, sched_process_exec, struct task_struct *task, pid_t old_pid,
        struct linux_binprm *bprm)
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

/* 6.18 passes a second argument (group_dead): only the task is declared. */
LO_HOOK(exit, sched_process_exit, struct task_struct *p)
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

LO_HOOK(fork, sched_process_fork, struct task_struct *parent, struct task_struct *child)
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
