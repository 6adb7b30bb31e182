// SPDX-License-Identifier: GPL-2.0
/* File and privilege hooks of Lookout's kernel object: opens of watched paths
 * and set*id/capset calls, seen at syscall exit. Per-syscall tracefs
 * tracepoints when tracefs is there (only those syscalls pay), else one
 * sys_exit program in a tp_btf and a raw_tp flavour. */
#include "common.bpf.h"

#define EPERM    1
#define EACCES   13
#define O_WRONLY 01
#define O_CREAT  0100
#define O_TRUNC  01000
#define AT_FDCWD -100
#define LO_DEPTH 16 /* directory levels resolved for a relative open */

/* Watch patterns with one '*', filled by the loader before load. */
const volatile struct lo_glob globs[LO_MAX_GLOBS] = {};
const volatile __u32 nglobs = 0;

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

/* The raw argument is an untrusted pointer: the raw flavour takes the task's
 * own registers instead. */
LO_HOOK(sys_exit, sys_exit, struct pt_regs *regs, long ret)
{
    return do_raw_sys_exit(btf ? regs : current_regs(), ret);
}
