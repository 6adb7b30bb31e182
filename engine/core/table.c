#include "core/table.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* Row by storage index (table_row is by insertion order). */
static void *stored(const struct table *t, int s)
{
    return t->rows + (size_t)s * t->schema->size;
}

static const char *stored_key(const struct table *t, int s)
{
    return schema_key(t->schema, stored(t, s));
}

static void index_rebuild(struct table *t, int nslots)
{
    free(t->slots);
    t->nslots = nslots;
    t->slots = calloc((size_t)nslots, sizeof(int));
    if (!t->slots)
        abort();
    for (int s = 0; s < t->count; s++) {
        uint32_t h = hash_str(stored_key(t, s)) & (uint32_t)(nslots - 1);
        while (t->slots[h])
            h = (h + 1) & (uint32_t)(nslots - 1);
        t->slots[h] = s + 1;
    }
}

void table_init(struct table *t, const struct schema *s, int max)
{
    memset(t, 0, sizeof(*t));
    t->schema = s;
    t->max = max;
    index_rebuild(t, 16);
}

void table_free(struct table *t)
{
    free(t->rows);
    free(t->order);
    free(t->rank);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

static int find_slot(const struct table *t, const char *key)
{
    uint32_t mask = (uint32_t)(t->nslots - 1), h = hash_str(key) & mask;
    while (t->slots[h]) {
        if (strcmp(stored_key(t, t->slots[h] - 1), key) == 0)
            return (int)h;
        h = (h + 1) & mask;
    }
    return -1 - (int)h; /* not found: where it would go */
}

void *table_get(const struct table *t, const char *key)
{
    int h = find_slot(t, key);
    return h >= 0 ? stored(t, t->slots[h] - 1) : NULL;
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
    int h = find_slot(t, key);
    if (h >= 0) {
        void *row = stored(t, t->slots[h] - 1);
        memmove(row, obj, t->schema->size); /* obj may be the row itself */
        return row;
    }
    if (t->count >= t->max) {
        t->dropped++;
        return NULL;
    }
    if (t->count == t->alloc) {
        int n = t->alloc ? t->alloc * 2 : 16;
        t->rows = grow(t->rows, n, t->schema->size);
        t->order = grow(t->order, n, sizeof(int));
        t->rank = grow(t->rank, n, sizeof(int));
        t->alloc = n;
    }
    int s = t->count;
    void *row = stored(t, s);
    memcpy(row, obj, t->schema->size);
    t->order[s] = s;
    t->rank[s] = s;
    t->count++;
    if (t->count * 2 > t->nslots)
        index_rebuild(t, t->nslots * 2);
    else
        t->slots[-1 - h] = t->count;
    return row;
}

/* Empties slot `hole` of the linear-probing index by backward shift: later
 * entries of its cluster that may not skip the hole move into it, so every
 * key stays reachable from its home slot without tombstones or a rehash. */
static void index_delete(struct table *t, int hole)
{
    uint32_t mask = (uint32_t)(t->nslots - 1), i = (uint32_t)hole, j = i;
    t->slots[i] = 0;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->slots[j])
            return;
        uint32_t home = hash_str(stored_key(t, t->slots[j] - 1)) & mask;
        bool reachable = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (reachable)
            continue;
        t->slots[i] = t->slots[j];
        t->slots[j] = 0;
        i = j;
    }
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
    int h = find_slot(t, key); /* key may point into a row: not used after this */
    if (h < 0)
        return false;
    int s = t->slots[h] - 1, last = t->count - 1;
    index_delete(t, h);
    order_delete(t, s);
    if (s != last) { /* the last stored row fills the hole: one row copied */
        int moved = find_slot(t, stored_key(t, last));
        memcpy(stored(t, s), stored(t, last), t->schema->size);
        t->slots[moved] = s + 1;
        t->rank[s] = t->rank[last];
        t->order[t->rank[s]] = s;
    }
    t->count--;
    return true;
}

void table_clear(struct table *t)
{
    t->count = 0;
    memset(t->slots, 0, (size_t)t->nslots * sizeof(int));
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
