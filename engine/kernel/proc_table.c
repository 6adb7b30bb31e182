#include "kernel/proc_table.h"

#include <string.h>

#define PROBE_MAX 16

static void set_comm(struct proc_entry *e, const char *comm)
{
    memset(e->comm, 0, sizeof(e->comm));
    memcpy(e->comm, comm, strnlen(comm, sizeof(e->comm) - 1));
}

static uint32_t slot_of(uint32_t pid)
{
    return (pid * 2654435761u) & (PROC_TABLE_CAP - 1);
}

static struct proc_entry *find(const struct proc_table *t, uint32_t pid)
{
    uint32_t h = slot_of(pid);
    for (int i = 0; i < PROBE_MAX; i++) {
        const struct proc_entry *e = &t->slots[(h + (uint32_t)i) & (PROC_TABLE_CAP - 1)];
        if (e->pid == pid)
            return (struct proc_entry *)e;
    }
    return NULL;
}

/* A free slot in the probe run, or the oldest one there. */
static struct proc_entry *claim(struct proc_table *t, uint32_t pid)
{
    struct proc_entry *e = find(t, pid);
    if (e)
        return e;
    uint32_t h = slot_of(pid);
    struct proc_entry *oldest = NULL;
    for (int i = 0; i < PROBE_MAX; i++) {
        struct proc_entry *c = &t->slots[(h + (uint32_t)i) & (PROC_TABLE_CAP - 1)];
        if (!c->pid) {
            t->count++;
            return c;
        }
        if (!oldest || c->start_ns < oldest->start_ns)
            oldest = c;
    }
    return oldest;
}

void proc_table_fork(struct proc_table *t, uint32_t parent, uint32_t child, uint32_t uid,
                     const char *comm, uint64_t ts_ns)
{
    struct proc_entry *e = claim(t, child);
    *e = (struct proc_entry){.pid = child, .ppid = parent, .uid = uid, .start_ns = ts_ns};
    set_comm(e, comm);
}

void proc_table_exec(struct proc_table *t, uint32_t pid, uint32_t ppid, uint32_t uid,
                     const char *comm, uint64_t ts_ns)
{
    struct proc_entry *e = find(t, pid);
    if (!e) {
        e = claim(t, pid);
        *e = (struct proc_entry){.pid = pid, .start_ns = ts_ns};
    }
    e->ppid = ppid;
    e->uid = uid;
    set_comm(e, comm);
}

void proc_table_exit(struct proc_table *t, uint32_t pid)
{
    struct proc_entry *e = find(t, pid);
    if (e) {
        memset(e, 0, sizeof(*e));
        t->count--;
    }
}

void proc_table_set_uid(struct proc_table *t, uint32_t pid, uint32_t uid)
{
    struct proc_entry *e = find(t, pid);
    if (e)
        e->uid = uid;
}

const struct proc_entry *proc_table_get(const struct proc_table *t, uint32_t pid)
{
    return pid ? find(t, pid) : NULL;
}
