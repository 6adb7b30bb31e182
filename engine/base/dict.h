/* One keyed hash table for the whole engine, parameterised per use by a
 * const struct dict_type of callbacks, the way redis's dict takes a dictType.
 *
 * Design, and why:
 * - Open addressing with linear probing over one array of entries, at most
 *   half full. The hot uses (the engine tables' 10,000+ row index, the
 *   per-event correlation and SLO lookups) probe a run of adjacent entries in
 *   one or two cache lines instead of chasing chain pointers, and nothing is
 *   allocated per insert.
 * - Each entry keeps its full 64-bit hash. A probe compares hashes first and
 *   calls the type's match only on equal ones, so a miss never touches the
 *   key's memory (for the tables, a row far away); growth moves entries
 *   without hashing a key again. Hash 0 marks an empty slot, so string hashes
 *   of 0 are taken as 1.
 * - Deletion shifts the rest of the probe run back (no tombstones): lookups
 *   stay short after many deletes, and iteration may delete the entry it
 *   stands on (dict_iter_delete).
 * - Keys are whatever the type says: strings the dict copies and frees, a
 *   pointer into the value, or nothing at all (a table's entry holds a row
 *   number, and match reads the key from the row through the dict's ctx).
 *   A type without a hash function is keyed by nonzero uint64_t values that
 *   are their own hash (the dict_*_u64 calls).
 * - A type's max bounds the entry count: an insert past it fails, and the
 *   caller decides whether that means drop, count or start over.
 * Entry pointers are valid until the next insert or delete. A caller may
 * set a new entry's key to NULL when its type's match never reads it (the
 * tables: the key lives in a row that moves). */
#ifndef LOOKOUT_DICT_H
#define LOOKOUT_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dict_entry {
    uint64_t hash; /* 0: empty slot */
    void *key;
    union {
        void *p;
        uint64_t u;
    } val;
};

struct dict_type {
    /* Hash of a lookup key. NULL: keys are nonzero uint64_t, use dict_*_u64. */
    uint64_t (*hash)(const void *key);
    /* Does e hold key? Called only on equal hashes. NULL: strcmp with e->key. */
    bool (*match)(void *ctx, const void *key, const struct dict_entry *e);
    /* The key an insert stores. NULL: the pointer as given. */
    void *(*key_dup)(const void *key);
    void (*key_free)(void *key);
    void (*val_free)(void *val); /* on val.p when an entry goes */
    size_t max;                  /* most entries held; 0: unbounded */
};

struct dict {
    const struct dict_type *type;
    void *ctx; /* passed to type->match */
    struct dict_entry *slots;
    size_t cap; /* 0 or a power of two >= 16 */
    size_t count;
    unsigned shift; /* 64 - log2(cap): a hash's top bits pick its home slot */
};

/* FNV-1a of a C string, for string-keyed types. */
uint64_t dict_hash_str(const void *key);
/* strdup for key_dup; NULL when out of memory. */
void *dict_strdup(const void *key);

void dict_init(struct dict *d, const struct dict_type *type, void *ctx);
/* Frees every key and value the type owns, and the slots. */
void dict_free(struct dict *d);
/* Empties the dict (freeing what the type owns), keeping its capacity. */
void dict_clear(struct dict *d);
static inline size_t dict_count(const struct dict *d)
{
    return d->count;
}

struct dict_entry *dict_find(const struct dict *d, const void *key);
/* The next entry after prev that also holds key: walks duplicates that
 * dict_insert put in, in a dict used as a multimap. */
struct dict_entry *dict_find_next(const struct dict *d, const void *key,
                                  const struct dict_entry *prev);
/* The entry of key, inserted (val zero) when missing; *created says which.
 * NULL when the dict is at type->max or out of memory. */
struct dict_entry *dict_add(struct dict *d, const void *key, bool *created);
/* Inserts without looking for key first: the caller knows it is absent, or
 * keeps duplicates on purpose. NULL at type->max or out of memory. */
struct dict_entry *dict_insert(struct dict *d, const void *key);
/* Removes key's entry (the first, in a multimap); false when missing. */
bool dict_delete(struct dict *d, const void *key);
void dict_delete_entry(struct dict *d, struct dict_entry *e);

/* The same for types keyed by nonzero uint64_t (hash NULL). */
struct dict_entry *dict_find_u64(const struct dict *d, uint64_t key);
struct dict_entry *dict_add_u64(struct dict *d, uint64_t key, bool *created);
bool dict_delete_u64(struct dict *d, uint64_t key);

/* Visits every entry once, in no useful order. Between dict_next calls the
 * only change allowed is dict_iter_delete of the entry just returned. */
struct dict_iter {
    size_t start, pos, at;
};
void dict_iter_init(const struct dict *d, struct dict_iter *it);
struct dict_entry *dict_next(const struct dict *d, struct dict_iter *it);
void dict_iter_delete(struct dict *d, struct dict_iter *it);

#endif
