/* The shared hash (FNV-1a) and keyed hash table (base/dict): known FNV
 * vectors, then the dict against a plain array model under random
 * insert/delete/lookup with growth, forced collisions, multimap walks,
 * integer keys, the max bound, and deleting while iterating. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dict.h"
#include "base/hash.h"
#include "test.h"

TEST(fnv1a_vectors)
{
    /* Published FNV-1a 64 test vectors. */
    CHECK(hash_str("") == 0xcbf29ce484222325ULL);
    CHECK(hash_str("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(hash_str("foobar") == 0x85944171f73967e8ULL);
    CHECK(hash_fnv1a("foobar", 6, HASH_FNV_OFFSET) == hash_str("foobar"));
    /* Continuing over a second piece equals hashing the whole. */
    CHECK(hash_fnv1a("bar", 3, hash_fnv1a("foo", 3, HASH_FNV_OFFSET)) == hash_str("foobar"));
    CHECK(hash_str("ns/a") != hash_str("ns/b"));
}

static const struct dict_type str_type = {
    .hash = dict_hash_str,
    .key_dup = dict_strdup,
    .key_free = free,
};

/* Every key lands in one of four hashes: long shared probe runs. */
static uint64_t weak_hash(const void *key)
{
    return 1 + strlen(key) % 4;
}
static const struct dict_type weak_type = {
    .hash = weak_hash,
    .key_dup = dict_strdup,
    .key_free = free,
};

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define MODEL_KEYS 3000

/* Random ops against a model; every key's presence and value checked at the end. */
static void random_against_model(const struct dict_type *type, int ops, int keys)
{
    static bool present[MODEL_KEYS];
    static uint64_t value[MODEL_KEYS];
    memset(present, 0, sizeof(present));
    struct dict d;
    dict_init(&d, type, NULL);
    size_t count = 0;
    int mismatches = 0;
    for (int op = 0; op < ops; op++) {
        int k = (int)(next_random() % (uint64_t)keys);
        char key[32];
        snprintf(key, sizeof(key), "ns-%d/pod-%d", k % 7, k);
        int what = (int)(next_random() % 10);
        if (what < 5) {
            bool created;
            struct dict_entry *e = dict_add(&d, key, &created);
            mismatches += !e || created == present[k];
            if (e)
                e->val.u = value[k] = (uint64_t)op;
            count += !present[k];
            present[k] = true;
        } else if (what < 8) {
            mismatches += dict_delete(&d, key) != present[k];
            count -= present[k];
            present[k] = false;
        } else {
            struct dict_entry *e = dict_find(&d, key);
            mismatches += (e != NULL) != present[k] || (e && e->val.u != value[k]);
        }
        mismatches += dict_count(&d) != count;
    }
    CHECK(mismatches == 0);
    for (int k = 0; k < keys; k++) {
        char key[32];
        snprintf(key, sizeof(key), "ns-%d/pod-%d", k % 7, k);
        struct dict_entry *e = dict_find(&d, key);
        mismatches += (e != NULL) != present[k] || (e && e->val.u != value[k]);
    }
    CHECK(mismatches == 0);
    size_t seen = 0;
    struct dict_iter it;
    dict_iter_init(&d, &it);
    for (struct dict_entry *e; (e = dict_next(&d, &it));)
        seen++;
    CHECK(seen == count);
    dict_free(&d);
}

TEST(random_ops_match_a_model)
{
    random_against_model(&str_type, 200000, MODEL_KEYS);
}

TEST(random_ops_with_colliding_hashes)
{
    random_against_model(&weak_type, 20000, 300);
}

TEST(grows_and_keeps_every_key)
{
    struct dict d;
    dict_init(&d, &str_type, NULL);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        CHECK(dict_insert(&d, key) != NULL);
    }
    CHECK(dict_count(&d) == 10000);
    CHECK(d.cap >= 20000); /* at most half full */
    int missing = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        missing += dict_find(&d, key) == NULL;
    }
    CHECK(missing == 0);
    CHECK(dict_find(&d, "k10000") == NULL);
    dict_clear(&d);
    CHECK(dict_count(&d) == 0);
    CHECK(dict_find(&d, "k1") == NULL);
    dict_free(&d);
}

TEST(multimap_walks_every_duplicate)
{
    static const struct dict_type multi = {.hash = dict_hash_str};
    struct dict d;
    dict_init(&d, &multi, NULL);
    int a = 1, b = 2, c = 3;
    dict_insert(&d, "errors")->val.p = &a;
    dict_insert(&d, "total")->val.p = &b;
    dict_insert(&d, "errors")->val.p = &c;
    int sum = 0, n = 0;
    for (struct dict_entry *e = dict_find(&d, "errors"); e; e = dict_find_next(&d, "errors", e)) {
        sum += *(int *)e->val.p;
        n++;
    }
    CHECK(n == 2);
    CHECK(sum == 4);
    CHECK(dict_delete(&d, "errors"));
    CHECK(dict_find(&d, "errors") != NULL);
    CHECK(dict_find_next(&d, "errors", dict_find(&d, "errors")) == NULL);
    dict_free(&d);
}

TEST(integer_keys)
{
    static const struct dict_type u64_type = {0};
    struct dict d;
    dict_init(&d, &u64_type, NULL);
    bool created;
    CHECK(dict_add_u64(&d, 0, &created) == NULL); /* 0 marks empty slots */
    /* Ids that differ only in high bits must still spread and be found. */
    for (uint64_t i = 1; i <= 5000; i++)
        dict_add_u64(&d, i << 40, &created)->val.u = i;
    CHECK(dict_count(&d) == 5000);
    CHECK(dict_find_u64(&d, 77ULL << 40) && dict_find_u64(&d, 77ULL << 40)->val.u == 77);
    CHECK(dict_add_u64(&d, 77ULL << 40, &created) && !created);
    CHECK(dict_delete_u64(&d, 77ULL << 40));
    CHECK(!dict_delete_u64(&d, 77ULL << 40));
    CHECK(dict_find_u64(&d, 77ULL << 40) == NULL);
    CHECK(dict_find_u64(&d, 78ULL << 40) != NULL);
    dict_free(&d);
}

TEST(max_bounds_the_count)
{
    static const struct dict_type capped = {
        .hash = dict_hash_str, .key_dup = dict_strdup, .key_free = free, .max = 3};
    struct dict d;
    dict_init(&d, &capped, NULL);
    bool created;
    CHECK(dict_add(&d, "a", &created) && created);
    CHECK(dict_add(&d, "b", &created));
    CHECK(dict_add(&d, "c", &created));
    CHECK(dict_add(&d, "d", &created) == NULL);
    CHECK(dict_add(&d, "a", &created) && !created); /* existing keys still found */
    CHECK(dict_count(&d) == 3);
    dict_delete(&d, "b");
    CHECK(dict_add(&d, "d", &created) && created);
    dict_free(&d);
}

static int freed_vals;
static void count_free(void *v)
{
    freed_vals++;
    free(v);
}

TEST(delete_while_iterating_visits_each_once)
{
    static const struct dict_type owned = {
        .hash = weak_hash, .key_dup = dict_strdup, .key_free = free, .val_free = count_free};
    struct dict d;
    dict_init(&d, &owned, NULL);
    char key[32];
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "%0*d", 1 + i % 9, i);
        struct dict_entry *e = dict_insert(&d, key);
        e->val.p = malloc(sizeof(int));
        *(int *)e->val.p = i;
    }
    static int visits[500];
    memset(visits, 0, sizeof(visits));
    freed_vals = 0;
    struct dict_iter it;
    dict_iter_init(&d, &it);
    for (struct dict_entry *e; (e = dict_next(&d, &it));) {
        int v = *(int *)e->val.p;
        visits[v]++;
        if (v % 3 != 0)
            dict_iter_delete(&d, &it);
    }
    int wrong = 0;
    for (int i = 0; i < 500; i++)
        wrong += visits[i] != 1;
    CHECK(wrong == 0);
    CHECK(freed_vals == 500 - 167);
    CHECK(dict_count(&d) == 167);
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "%0*d", 1 + i % 9, i);
        wrong += (dict_find(&d, key) != NULL) != (i % 3 == 0);
    }
    CHECK(wrong == 0);
    dict_free(&d);
    CHECK(freed_vals == 500);
}

/* A type whose entries hold no key, only a row number: match reads the key
 * from the caller's rows through ctx, as the engine tables do. */
static bool row_match(void *ctx, const void *key, const struct dict_entry *e)
{
    char(*rows)[8] = ctx;
    return strcmp(rows[e->val.u], key) == 0;
}

TEST(keys_living_outside_the_dict)
{
    static const struct dict_type rows_type = {.hash = dict_hash_str, .match = row_match};
    static char rows[3][8] = {"x", "y", "z"};
    struct dict d;
    dict_init(&d, &rows_type, rows);
    for (int i = 0; i < 3; i++)
        dict_insert(&d, rows[i])->val.u = (uint64_t)i;
    CHECK(dict_find(&d, "y") && dict_find(&d, "y")->val.u == 1);
    CHECK(dict_find(&d, "w") == NULL);
    dict_free(&d);
}

RUN_TESTS()
