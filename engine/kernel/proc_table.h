/* The user-space process table fed by the kernel's fork/exec/exit records
 * (forks are never streamed): pid -> parent, uid, command. Bounded: when
 * full, the oldest slot in the probe run is reused. */
#ifndef LOOKOUT_PROC_TABLE_H
#define LOOKOUT_PROC_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define PROC_TABLE_CAP 8192 /* power of two */

struct proc_entry {
    uint32_t pid; /* 0: free */
    uint32_t ppid;
    uint32_t uid;
    uint64_t start_ns; /* kernel time of the fork or exec that created it */
    char comm[16];
};

struct proc_table {
    struct proc_entry slots[PROC_TABLE_CAP];
    uint32_t count;
};

void proc_table_fork(struct proc_table *t, uint32_t parent, uint32_t child, uint32_t uid,
                     const char *comm, uint64_t ts_ns);
void proc_table_exec(struct proc_table *t, uint32_t pid, uint32_t ppid, uint32_t uid,
                     const char *comm, uint64_t ts_ns);
void proc_table_exit(struct proc_table *t, uint32_t pid);
void proc_table_set_uid(struct proc_table *t, uint32_t pid, uint32_t uid);
/* NULL when the process is not known (started before Lookout). */
const struct proc_entry *proc_table_get(const struct proc_table *t, uint32_t pid);

#endif
