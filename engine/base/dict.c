/* The engine's keyed hash table: open addressing, linear probing, stored
 * hashes, backward-shift deletion (see dict.h for the why). */
#include "base/dict.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

#define DICT_MIN_CAP 16

uint64_t dict_hash_str(const void *key)
{
    return hash_str(key);
}

void *dict_strdup(const void *key)
{
    return strdup(key);
}

/* Fibonacci hashing: the multiply stirs every bit of the hash into the top
 * bits, so integer keys that differ only high up (cgroup ids) or FNV values
 * with weak low bits still spread over the slots. */
static size_t home_of(const struct dict *d, uint64_t h)
{
    return (size_t)((h * 0x9E3779B97F4A7C15ULL) >> d->shift);
}

static uint64_t key_hash(const struct dict *d, const void *key)
{
    uint64_t h = d->type->hash(key);
    return h ? h : 1;
}

static bool holds(const struct dict *d, const struct dict_entry *e, uint64_t h, const void *key)
{
    if (e->hash != h)
        return false;
    if (!d->type->hash)
        return true; /* integer keys: the hash is the key */
    if (d->type->match)
        return d->type->match(d->ctx, key, e);
    return strcmp(e->key, key) == 0;
}

void dict_init(struct dict *d, const struct dict_type *type, void *ctx)
{
    memset(d, 0, sizeof(*d));
    d->type = type;
    d->ctx = ctx;
}

static void release(const struct dict *d, struct dict_entry *e)
{
    if (d->type->key_free)
        d->type->key_free(e->key);
    if (d->type->val_free)
        d->type->val_free(e->val.p);
}

void dict_clear(struct dict *d)
{
    for (size_t i = 0; i < d->cap && d->count; i++)
        if (d->slots[i].hash) {
            release(d, &d->slots[i]);
            d->count--;
        }
    if (d->slots)
        memset(d->slots, 0, d->cap * sizeof(*d->slots));
    d->count = 0;
}

void dict_free(struct dict *d)
{
    dict_clear(d);
    free(d->slots);
    d->slots = NULL;
    d->cap = 0;
}

/* Entry holding key, or NULL; *empty gets the free slot ending the run. */
static struct dict_entry *probe(const struct dict *d, uint64_t h, const void *key, size_t *empty)
{
    size_t mask = d->cap - 1;
    for (size_t i = home_of(d, h);; i = (i + 1) & mask) {
        struct dict_entry *e = &d->slots[i];
        if (!e->hash) {
            *empty = i;
            return NULL;
        }
        if (holds(d, e, h, key))
            return e;
    }
}

static struct dict_entry *lookup(const struct dict *d, uint64_t h, const void *key)
{
    size_t empty;
    return d->cap ? probe(d, h, key, &empty) : NULL;
}

struct dict_entry *dict_find(const struct dict *d, const void *key)
{
    return d->cap ? lookup(d, key_hash(d, key), key) : NULL;
}

struct dict_entry *dict_find_next(const struct dict *d, const void *key,
                                  const struct dict_entry *prev)
{
    size_t mask = d->cap - 1;
    for (size_t i = ((size_t)(prev - d->slots) + 1) & mask; d->slots[i].hash; i = (i + 1) & mask)
        if (holds(d, &d->slots[i], prev->hash, key))
            return &d->slots[i];
    return NULL;
}

/* Doubles the slots (or makes the first 16) and re-places every entry by
 * its stored hash. */
static int grow(struct dict *d)
{
    size_t cap = d->cap ? d->cap * 2 : DICT_MIN_CAP;
    struct dict_entry *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    struct dict bigger = {.type = d->type, .ctx = d->ctx, .slots = slots, .cap = cap};
    bigger.shift = 64;
    for (size_t c = cap; c > 1; c >>= 1)
        bigger.shift--;
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->slots[i].hash)
            continue;
        size_t j = home_of(&bigger, d->slots[i].hash);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
    d->shift = bigger.shift;
    return 0;
}

/* A new entry for h at a free slot; NULL at max or out of memory. */
static struct dict_entry *place(struct dict *d, uint64_t h, const void *key, size_t empty)
{
    if (d->type->max && d->count >= d->type->max)
        return NULL;
    if ((d->count + 1) * 2 > d->cap) { /* keep runs short: at most half full */
        if (grow(d) < 0)
            return NULL;
        empty = home_of(d, h);
        while (d->slots[empty].hash)
            empty = (empty + 1) & (d->cap - 1);
    }
    void *stored = (void *)key;
    if (d->type->hash && d->type->key_dup && !(stored = d->type->key_dup(key)))
        return NULL;
    struct dict_entry *e = &d->slots[empty];
    *e = (struct dict_entry){.hash = h, .key = d->type->hash ? stored : NULL};
    d->count++;
    return e;
}

static struct dict_entry *add(struct dict *d, uint64_t h, const void *key, bool *created)
{
    size_t empty = 0;
    struct dict_entry *e = d->cap ? probe(d, h, key, &empty) : NULL;
    if (created)
        *created = !e;
    return e ? e : place(d, h, key, empty);
}

struct dict_entry *dict_add(struct dict *d, const void *key, bool *created)
{
    return add(d, key_hash(d, key), key, created);
}

struct dict_entry *dict_insert(struct dict *d, const void *key)
{
    uint64_t h = key_hash(d, key);
    size_t empty = 0;
    if (d->cap) {
        empty = home_of(d, h);
        while (d->slots[empty].hash)
            empty = (empty + 1) & (d->cap - 1);
    }
    return place(d, h, key, empty);
}

/* Empties slot `hole` and shifts back the later entries of its run that
 * may not skip it, so every key stays reachable from its home slot. */
static void remove_at(struct dict *d, size_t hole)
{
    size_t mask = d->cap - 1;
    release(d, &d->slots[hole]);
    d->count--;
    for (size_t j = (hole + 1) & mask; d->slots[j].hash; j = (j + 1) & mask) {
        size_t home = home_of(d, d->slots[j].hash);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        d->slots[hole] = d->slots[j];
        hole = j;
    }
    memset(&d->slots[hole], 0, sizeof(d->slots[hole]));
}

void dict_delete_entry(struct dict *d, struct dict_entry *e)
{
    remove_at(d, (size_t)(e - d->slots));
}

bool dict_delete(struct dict *d, const void *key)
{
    struct dict_entry *e = dict_find(d, key);
    if (e)
        dict_delete_entry(d, e);
    return e != NULL;
}

struct dict_entry *dict_find_u64(const struct dict *d, uint64_t key)
{
    return key ? lookup(d, key, NULL) : NULL;
}

struct dict_entry *dict_add_u64(struct dict *d, uint64_t key, bool *created)
{
    if (!key)
        return NULL;
    return add(d, key, NULL, created);
}

bool dict_delete_u64(struct dict *d, uint64_t key)
{
    struct dict_entry *e = dict_find_u64(d, key);
    if (e)
        dict_delete_entry(d, e);
    return e != NULL;
}

/* Starts just after an empty slot: no probe run crosses the start, so a
 * delete only shifts entries the walk has not reached yet into the slot it
 * is about to look at again. */
void dict_iter_init(const struct dict *d, struct dict_iter *it)
{
    memset(it, 0, sizeof(*it));
    for (size_t i = 0; i < d->cap; i++)
        if (!d->slots[i].hash) {
            it->start = i + 1;
            break;
        }
}

struct dict_entry *dict_next(const struct dict *d, struct dict_iter *it)
{
    while (it->pos < d->cap) {
        size_t i = (it->start + it->pos++) & (d->cap - 1);
        if (d->slots[i].hash) {
            it->at = i;
            return &d->slots[i];
        }
    }
    return NULL;
}

void dict_iter_delete(struct dict *d, struct dict_iter *it)
{
    remove_at(d, it->at);
    it->pos--; /* the slot may now hold a shifted entry not yet visited */
}
