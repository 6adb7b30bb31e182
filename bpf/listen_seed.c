/* Listeners that existed before Lookout: their owners are not in the
 * kernel's listen_owner map (filled at listen() time), so accepts on them
 * would go unattributed. Seed the map once from /proc/net/tcp{,6} (LISTEN
 * sockets by inode) and /proc/PID/fd (inode -> process). */
#include "bpf/listen_seed.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/events.h"

#define MAX_LISTENERS    1024
#define TCP_LISTEN_STATE 0x0A

struct listener {
    unsigned long inode;
    uint32_t port;
};

static int read_listeners(const char *file, struct listener *out, int n, int cap)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return n;
    char line[512];
    if (!fgets(line, sizeof(line), f)) { /* header */
        fclose(f);
        return n;
    }
    while (n < cap && fgets(line, sizeof(line), f)) {
        char local[128];
        unsigned port, state;
        unsigned long inode;
        /* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode */
        if (sscanf(line, " %*d: %127[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u %*u %lu", local, &port,
                   &state, &inode) == 4 &&
            state == TCP_LISTEN_STATE && inode)
            out[n++] = (struct listener){.inode = inode, .port = port};
    }
    fclose(f);
    return n;
}

static void cgroup2_root(char *out, size_t outlen)
{
    snprintf(out, outlen, "/sys/fs/cgroup");
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        char mnt[512];
        const char *sep = strstr(line, " - cgroup2 ");
        if (sep && sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
            snprintf(out, outlen, "%s", mnt);
            break;
        }
    }
    fclose(f);
}

static void fill_owner(uint32_t pid, const char *cgroot, struct lo_owner *o)
{
    char path[512], line[512];
    memset(o, 0, sizeof(*o));
    o->pid = o->tid = pid;
    o->loginuid = (uint32_t)-1;
    snprintf(path, sizeof(path), "/proc/%u/status", pid);
    FILE *f = fopen(path, "r");
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            unsigned a, b;
            if (sscanf(line, "Uid: %u %u", &a, &b) == 2) {
                o->uid = a;
                o->euid = b;
            } else if (sscanf(line, "PPid: %u", &a) == 1) {
                o->ppid = a;
            } else if (strncmp(line, "Name:", 5) == 0) {
                char *v = line + 5;
                v += strspn(v, " \t");
                v[strcspn(v, "\n")] = 0;
                snprintf(o->comm, sizeof(o->comm), "%s", v);
            }
        }
        fclose(f);
    }
    snprintf(path, sizeof(path), "/proc/%u/loginuid", pid);
    f = fopen(path, "r");
    if (f) {
        unsigned v;
        if (fscanf(f, "%u", &v) == 1)
            o->loginuid = v;
        fclose(f);
    }
    snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
    f = fopen(path, "r");
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, "0::", 3) != 0)
                continue;
            line[strcspn(line, "\n")] = 0;
            char cg[1024];
            struct stat st;
            snprintf(cg, sizeof(cg), "%s%s", cgroot, line + 3);
            if (stat(cg, &st) == 0)
                o->cgroup_id = st.st_ino; /* a cgroup2 id is its kernfs inode */
        }
        fclose(f);
    }
}

/* The listener owning inode among ls, or -1. */
static int find_inode(const struct listener *ls, int n, unsigned long inode)
{
    for (int i = 0; i < n; i++)
        if (ls[i].inode == inode)
            return i;
    return -1;
}

static void scan_fds(uint32_t pid, const struct listener *ls, int n, bool *done, int map_fd,
                     const char *cgroot)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char link[320], target[64];
        snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len <= 0)
            continue;
        target[len] = 0;
        unsigned long inode;
        if (sscanf(target, "socket:[%lu]", &inode) != 1)
            continue;
        int i = find_inode(ls, n, inode);
        if (i < 0 || done[i])
            continue;
        done[i] = true;
        struct lo_owner o;
        fill_owner(pid, cgroot, &o);
        uint32_t port = ls[i].port;
        /* NOEXIST: a listen() seen since attach is fresher than this scan. */
        bpf_map_update_elem(map_fd, &port, &o, BPF_NOEXIST);
    }
    closedir(d);
}

int listen_seed(int map_fd)
{
    struct listener *ls = calloc(MAX_LISTENERS, sizeof(*ls));
    bool *done = calloc(MAX_LISTENERS, sizeof(*done));
    if (!ls || !done) {
        free(ls);
        free(done);
        return -1;
    }
    int n = read_listeners("/proc/net/tcp", ls, 0, MAX_LISTENERS);
    n = read_listeners("/proc/net/tcp6", ls, n, MAX_LISTENERS);
    char cgroot[512];
    cgroup2_root(cgroot, sizeof(cgroot));
    uint32_t self = (uint32_t)getpid();
    DIR *proc = n ? opendir("/proc") : NULL;
    struct dirent *de;
    while (proc && (de = readdir(proc))) {
        char *end;
        unsigned long pid = strtoul(de->d_name, &end, 10);
        if (*end || !pid || pid == self)
            continue;
        scan_fds((uint32_t)pid, ls, n, done, map_fd, cgroot);
    }
    if (proc)
        closedir(proc);
    int seeded = 0;
    for (int i = 0; i < n; i++)
        seeded += done[i];
    free(ls);
    free(done);
    return seeded;
}
