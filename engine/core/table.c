/* The engine's keyed tables of rows and its bounded rings (see table.h). */
#include "core/table.h"

#include <stdlib.h>
#include <string.h>

/* Row by storage index (table_row is by insertion order). */
static void *stored(const struct table *t, int s)
{
    return t->rows + (size_t)s * t->schema->size;
}

static const char *stored_key(const struct table *t, int s)
{
    return schema_key(t->schema, stored(t, s));
}

/* The index keeps no keys: rows move on remove and realloc, so an entry
 * holds the storage index and the key is read from that row. */
static bool index_match(void *ctx, const void *key, const struct dict_entry *e)
{
    return strcmp(stored_key(ctx, (int)e->val.u), key) == 0;
}

static const struct dict_type index_type = {.hash = dict_hash_str, .match = index_match};

void table_init(struct table *t, const struct schema *s, int max)
{
    memset(t, 0, sizeof(*t));
    t->schema = s;
    t->max = max;
    dict_init(&t->index, &index_type, t);
}

void table_free(struct table *t)
{
    free(t->rows);
    free(t->order);
    free(t->rank);
    dict_free(&t->index);
    memset(t, 0, sizeof(*t));
}

void *table_get(const struct table *t, const char *key)
{
    const struct dict_entry *e = dict_find(&t->index, key);
    return e ? stored(t, (int)e->val.u) : NULL;
}

static void *grow(void *p, int n, size_t size)
{
    p = realloc(p, (size_t)n * size);
    if (!p)
        abort();
    return p;
}

void *table_upsert(struct table *t, const void *obj)
{
    const char *key = schema_key(t->schema, obj);
    bool room = t->count < t->max, created = false;
    /* One probe finds the row or reserves its index entry. */
    struct dict_entry *e = room ? dict_add(&t->index, key, &created) : dict_find(&t->index, key);
    if (e && !created) {
        void *row = stored(t, (int)e->val.u);
        int was = t->flag ? t->flag(row) : 0;
        memmove(row, obj, t->schema->size); /* obj may be the row itself */
        if (t->flag)
            t->flagged += t->flag(row) - was;
        return row;
    }
    if (!room) {
        t->dropped++;
        return NULL;
    }
    if (!e)
        abort(); /* out of memory, as for the rows */
    if (t->count == t->alloc) {
        int n = t->alloc ? t->alloc * 2 : 16;
        t->rows = grow(t->rows, n, t->schema->size);
        t->order = grow(t->order, n, sizeof(int));
        t->rank = grow(t->rank, n, sizeof(int));
        t->alloc = n;
    }
    int s = t->count;
    e->key = NULL; /* the key lives in the row, which moves: match reads it there */
    e->val.u = (uint64_t)s;
    void *row = stored(t, s);
    memcpy(row, obj, t->schema->size);
    if (t->flag)
        t->flagged += t->flag(row);
    t->order[s] = s;
    t->rank[s] = s;
    t->count++;
    return row;
}

/* Drops storage row s from the insertion order: ints move, rows do not. */
static void order_delete(struct table *t, int s)
{
    int pos = t->rank[s], last = t->count - 1;
    memmove(t->order + pos, t->order + pos + 1, (size_t)(last - pos) * sizeof(int));
    for (int i = pos; i < last; i++)
        t->rank[t->order[i]] = i;
}

bool table_remove(struct table *t, const char *key)
{
    struct dict_entry *e = dict_find(&t->index, key); /* key may point into a row */
    if (!e)
        return false;
    int s = (int)e->val.u, last = t->count - 1;
    if (t->flag)
        t->flagged -= t->flag(stored(t, s));
    dict_delete_entry(&t->index, e);
    order_delete(t, s);
    if (s != last) { /* the last stored row fills the hole: one row copied */
        struct dict_entry *moved = dict_find(&t->index, stored_key(t, last));
        memcpy(stored(t, s), stored(t, last), t->schema->size);
        moved->val.u = (uint64_t)s;
        t->rank[s] = t->rank[last];
        t->order[t->rank[s]] = s;
    }
    t->count--;
    return true;
}

void table_clear(struct table *t)
{
    t->count = 0;
    t->flagged = 0;
    dict_clear(&t->index);
}

void table_set_flag(struct table *t, bool (*flag)(const void *row))
{
    t->flag = flag;
    t->flagged = 0;
    for (int i = 0; flag && i < t->count; i++)
        t->flagged += flag(table_row(t, i));
}

void ring_init(struct ring *r, const struct schema *s, int cap)
{
    memset(r, 0, sizeof(*r));
    r->schema = s;
    r->cap = cap;
    r->items = calloc((size_t)cap, s->size);
    if (!r->items)
        abort();
}

void ring_free(struct ring *r)
{
    free(r->items);
    memset(r, 0, sizeof(*r));
}

void *ring_push(struct ring *r)
{
    if (r->pushed >= (uint64_t)r->cap)
        r->evicted++;
    void *slot = r->items + (size_t)(r->pushed % (uint64_t)r->cap) * r->schema->size;
    memset(slot, 0, r->schema->size);
    r->pushed++;
    return slot;
}

int ring_count(const struct ring *r)
{
    return r->pushed < (uint64_t)r->cap ? (int)r->pushed : r->cap;
}

void *ring_at(const struct ring *r, int i)
{
    uint64_t first = r->pushed - (uint64_t)ring_count(r);
    return r->items + (size_t)((first + (uint64_t)i) % (uint64_t)r->cap) * r->schema->size;
}

void ring_clear(struct ring *r)
{
    r->pushed = 0;
    r->evicted = 0;
}
