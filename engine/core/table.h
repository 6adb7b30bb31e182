/* A keyed table of fixed-size rows with a hash index, and a bounded ring.
 * Rows are copied in (memcpy): entities own no pointers. */
#ifndef LOOKOUT_TABLE_H
#define LOOKOUT_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/dict.h"
#include "core/schema.h"

/* Rows are stored packed in any order; `order` lists them in insertion order,
 * so a remove moves one row and count - i ints, never the rows after it.
 * `index` maps a key to its storage row; it points back at the table, so a
 * table stays where table_init put it. */
struct table {
    const struct schema *schema;
    char *rows; /* count rows of schema->size bytes, storage order */
    int *order; /* order[i]: storage index of the i-th row in insertion order */
    int *rank;  /* rank[s]: position in order of storage row s */
    int count;
    int alloc;
    int max; /* documented cap; an insert past it is dropped */
    uint64_t dropped;
    struct dict index; /* entries hold a storage index in val.u, no key */
    /* A count kept on every change, so a once-a-second figure over a big
     * table (failing pods of 50,000) costs nothing: the rows for which
     * flag is true. flag NULL: not kept. */
    bool (*flag)(const void *row);
    int flagged;
};

void table_init(struct table *t, const struct schema *s, int max);
void table_free(struct table *t);
/* Inserts or replaces the row with obj's key; returns the row or NULL when full. */
void *table_upsert(struct table *t, const void *obj);
void *table_get(const struct table *t, const char *key);
/* Removes the row with key; the others keep their relative order. Pointers to
 * rows are invalid after a remove (as after an insert). */
bool table_remove(struct table *t, const char *key);
void table_clear(struct table *t);
/* Keeps t->flagged as the number of rows for which flag is true (counted
 * once now, then on every upsert and remove). */
void table_set_flag(struct table *t, bool (*flag)(const void *row));
/* The i-th row in insertion order, 0 <= i < count. */
static inline void *table_row(const struct table *t, int i)
{
    return t->rows + (size_t)t->order[i] * t->schema->size;
}

/* Ring of the newest `cap` items; older ones are overwritten and counted. */
struct ring {
    const struct schema *schema;
    char *items;
    int cap;
    uint64_t pushed;  /* total ever pushed */
    uint64_t evicted; /* overwritten before anyone could keep them */
};

void ring_init(struct ring *r, const struct schema *s, int cap);
void ring_free(struct ring *r);
/* Slot for the next item (zeroed); the oldest is evicted when full. */
void *ring_push(struct ring *r);
int ring_count(const struct ring *r);
/* i = 0 is the oldest kept item. */
void *ring_at(const struct ring *r, int i);
void ring_clear(struct ring *r);

#endif
