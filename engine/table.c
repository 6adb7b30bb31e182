#include "table.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static const char *row_key(const struct table *t, int i)
{
    return schema_key(t->schema, table_row(t, i));
}

static void index_rebuild(struct table *t, int nslots)
{
    free(t->slots);
    t->nslots = nslots;
    t->slots = calloc((size_t)nslots, sizeof(int));
    if (!t->slots)
        abort();
    for (int i = 0; i < t->count; i++) {
        uint32_t h = hash_str(row_key(t, i)) & (uint32_t)(nslots - 1);
        while (t->slots[h])
            h = (h + 1) & (uint32_t)(nslots - 1);
        t->slots[h] = i + 1;
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
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

static int find_slot(const struct table *t, const char *key)
{
    uint32_t mask = (uint32_t)(t->nslots - 1), h = hash_str(key) & mask;
    while (t->slots[h]) {
        if (strcmp(row_key(t, t->slots[h] - 1), key) == 0)
            return (int)h;
        h = (h + 1) & mask;
    }
    return -1 - (int)h; /* not found: where it would go */
}

void *table_get(const struct table *t, const char *key)
{
    int s = find_slot(t, key);
    return s >= 0 ? table_row(t, t->slots[s] - 1) : NULL;
}

void *table_upsert(struct table *t, const void *obj)
{
    const char *key = schema_key(t->schema, obj);
    int s = find_slot(t, key);
    if (s >= 0) {
        void *row = table_row(t, t->slots[s] - 1);
        memmove(row, obj, t->schema->size);
        return row;
    }
    if (t->count >= t->max) {
        t->dropped++;
        return NULL;
    }
    if (t->count == t->alloc) {
        int n = t->alloc ? t->alloc * 2 : 16;
        char *rows = realloc(t->rows, (size_t)n * t->schema->size);
        if (!rows)
            abort();
        t->rows = rows;
        t->alloc = n;
    }
    void *row = table_row(t, t->count);
    memcpy(row, obj, t->schema->size);
    t->count++;
    if (t->count * 2 > t->nslots)
        index_rebuild(t, t->nslots * 2);
    else
        t->slots[-1 - s] = t->count;
    return row;
}

bool table_remove(struct table *t, const char *key)
{
    if (find_slot(t, key) < 0)
        return false;
    char k[512];
    strncpy(k, key, sizeof(k) - 1);
    k[sizeof(k) - 1] = 0;
    /* Keep insertion order (panels and the snapshot rely on a stable order). */
    int i = t->slots[find_slot(t, k)] - 1;
    memmove(table_row(t, i), table_row(t, i + 1), (size_t)(t->count - i - 1) * t->schema->size);
    t->count--;
    index_rebuild(t, t->nslots);
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
