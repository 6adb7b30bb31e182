/* Interned strings: one immutable copy of each distinct string, so a row can
 * hold a pointer where it held a fixed char array. The cluster's names
 * (namespaces, nodes, owners, images, reasons, phases, label sets) are few
 * beside its pods, and equal strings get equal pointers (a memcmp of two rows
 * still says whether anything changed).
 *
 * Never freed: strings stay for the life of the pool, so a row copied
 * anywhere (a stack copy, a record) never dangles and nothing is counted.
 * The pool is bounded instead: past max_bytes a new string is refused,
 * counted, and stands as INTERN_REFUSED ("?"). What churns per object (pod
 * names, uids, IPs, container ids) stays in the rows, so the pool grows only
 * with new names: rollouts (images, ReplicaSets), Jobs and StatefulSet label
 * sets. docs/kubernetes.md gives the figures. */
#ifndef LOOKOUT_INTERN_H
#define LOOKOUT_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "base/dict.h"

#define INTERN_REFUSED     "?"
#define INTERN_MAX_DEFAULT (64u << 20) /* 64 MiB of strings for the process pool */

struct intern_block;

struct intern {
    struct dict map; /* entries: key = the pooled string, no value */
    struct intern_block *blocks;
    size_t max_bytes; /* pooled bytes (strings and their NULs) allowed */
    size_t bytes;     /* pooled so far */
    uint64_t refused; /* strings turned away at max_bytes */
};

void intern_init(struct intern *in, size_t max_bytes);
void intern_free(struct intern *in);
/* The pooled copy of the first len bytes of s (which need not end there);
 * INTERN_REFUSED when the pool is full, or out of memory. */
const char *intern_get(struct intern *in, const char *s, size_t len);
static inline size_t intern_count(const struct intern *in)
{
    return dict_count(&in->map);
}

/* The process pool (created on first use; one thread) that rows use. */
struct intern *intern_pool(void);
/* s, cut like str_copy into a char[size] field (at most size - 1 bytes),
 * from the process pool; NULL reads as "". */
const char *intern_cut(const char *s, size_t size);
static inline const char *intern_str(const char *s)
{
    return intern_cut(s, (size_t)-1);
}

#endif
