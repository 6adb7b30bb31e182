/* Interned strings in a bounded, never-freed pool (see intern.h). */
#include "base/intern.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

/* Strings are packed into 64 KiB blocks; one longer than a quarter block
 * gets a block of its own, so a block wastes little at its end. */
#define BLOCK_BYTES (64u << 10)

struct intern_block {
    struct intern_block *next;
    size_t used, size;
    char data[];
};

/* A lookup key: the bytes need not be NUL-terminated where they end. */
struct lookup {
    const char *s;
    size_t len;
};

static uint64_t lookup_hash(const void *key)
{
    const struct lookup *k = key;
    return hash_fnv1a(k->s, k->len, HASH_FNV_OFFSET);
}

static bool lookup_match(void *ctx, const void *key, const struct dict_entry *e)
{
    (void)ctx;
    const struct lookup *k = key;
    const char *have = e->key;
    return memcmp(have, k->s, k->len) == 0 && have[k->len] == 0;
}

static const struct dict_type intern_type = {.hash = lookup_hash, .match = lookup_match};

void intern_init(struct intern *in, size_t max_bytes)
{
    memset(in, 0, sizeof(*in));
    in->max_bytes = max_bytes;
    dict_init(&in->map, &intern_type, in);
}

void intern_free(struct intern *in)
{
    dict_free(&in->map);
    for (struct intern_block *b = in->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    memset(in, 0, sizeof(*in));
}

/* Room for n bytes: the current block, a new one, or NULL. */
static char *reserve(struct intern *in, size_t n)
{
    struct intern_block *b = in->blocks;
    if (!b || b->size - b->used < n) {
        size_t size = n > BLOCK_BYTES / 4 ? n : BLOCK_BYTES;
        struct intern_block *nb = malloc(sizeof(*nb) + size);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->size = size;
        if (n > BLOCK_BYTES / 4 && b) { /* a big one goes second: keep filling b */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            in->blocks = nb;
        }
        b = nb;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

const char *intern_get(struct intern *in, const char *s, size_t len)
{
    struct lookup k = {s, len};
    struct dict_entry *e = dict_find(&in->map, &k);
    if (e)
        return e->key;
    char *p = in->bytes + len + 1 <= in->max_bytes ? reserve(in, len + 1) : NULL;
    bool created = false;
    e = p ? dict_add(&in->map, &k, &created) : NULL;
    if (!e) {
        in->refused++;
        return INTERN_REFUSED;
    }
    memcpy(p, s, len);
    p[len] = 0;
    e->key = p;
    in->bytes += len + 1;
    return p;
}

static struct intern pool;
static bool pool_ready;

struct intern *intern_pool(void)
{
    if (!pool_ready) {
        intern_init(&pool, INTERN_MAX_DEFAULT);
        pool_ready = true;
    }
    return &pool;
}

const char *intern_cut(const char *s, size_t size)
{
    if (!s || !size)
        s = "";
    size_t n = strlen(s);
    if (size && n >= size)
        n = size - 1;
    return intern_get(intern_pool(), s, n);
}
