/* engine/core/table.c against a reference model: random upserts, removes and
 * clears, checked after every step for count, insertion order, contents,
 * lookups, the cap and its dropped counter, and the index's own invariants. */
#include <stdint.h>

#include "base/buf.h"
#include "core/model.h"
#include "core/table.h"
#include "test.h"

#define KEYS 400

/* The reference: rows in insertion order, as plain arrays. */
struct model {
    int key[KEYS]; /* key number of the i-th row */
    int value[KEYS];
    int count;
    uint64_t dropped;
};

static uint64_t rng;
static int random_below(int n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (int)((rng >> 33) % (uint64_t)n);
}

static void key_name(char *out, size_t len, int k)
{
    /* Varied lengths and shared prefixes, like real object names. */
    snprintf(out, len, "%s-%d%s", k % 3 ? "node" : "ip-10-0-1", k, k % 5 ? "" : ".ec2.internal");
}

static void make_node(struct k8s_node *n, int k, int value)
{
    memset(n, 0, sizeof(*n));
    key_name(n->name, sizeof(n->name), k);
    snprintf(n->uid, sizeof(n->uid), "v%d", value);
    n->ready = value % 2;
}

static int model_find(const struct model *m, int k)
{
    for (int i = 0; i < m->count; i++)
        if (m->key[i] == k)
            return i;
    return -1;
}

static void model_upsert(struct model *m, int k, int value, int max)
{
    int i = model_find(m, k);
    if (i >= 0) {
        m->value[i] = value;
    } else if (m->count >= max) {
        m->dropped++;
    } else {
        m->key[m->count] = k;
        m->value[m->count++] = value;
    }
}

static bool model_remove(struct model *m, int k)
{
    int i = model_find(m, k);
    if (i < 0)
        return false;
    memmove(m->key + i, m->key + i + 1, (size_t)(m->count - i - 1) * sizeof(int));
    memmove(m->value + i, m->value + i + 1, (size_t)(m->count - i - 1) * sizeof(int));
    m->count--;
    return true;
}

/* Every index entry names a live row reachable from its key's home slot,
 * and each live row has exactly one entry. Returns false on the first fault. */
static bool index_sound(const struct table *t)
{
    int used = 0;
    for (size_t h = 0; h < t->index.cap; h++) {
        if (!t->index.slots[h].hash)
            continue;
        used++;
        int s = (int)t->index.slots[h].val.u;
        if (s < 0 || s >= t->count)
            return false; /* stale: points past the live rows */
        const char *key = schema_key(t->schema, t->rows + (size_t)s * t->schema->size);
        void *row = table_get(t, key);
        if (row != t->rows + (size_t)s * t->schema->size)
            return false; /* unreachable or a duplicate */
    }
    for (int i = 0; i < t->count; i++)
        if (t->order[i] < 0 || t->order[i] >= t->count || t->rank[t->order[i]] != i)
            return false;
    return used == t->count;
}

/* The keys a run draws from (key numbers for key_name). */
struct pool {
    int key[KEYS];
    int n;
};

static bool matches(const struct table *t, const struct model *m, const struct pool *p)
{
    if (t->count != m->count || t->dropped != m->dropped || !index_sound(t))
        return false;
    char name[64], uid[16];
    for (int i = 0; i < m->count; i++) {
        const struct k8s_node *row = table_row(t, i);
        key_name(name, sizeof(name), m->key[i]);
        snprintf(uid, sizeof(uid), "v%d", m->value[i]);
        if (strcmp(row->name, name) || strcmp(row->uid, uid) || row->ready != m->value[i] % 2)
            return false; /* wrong order or wrong contents */
        if (table_get(t, name) != row)
            return false;
    }
    for (int i = 0; i < p->n; i++) {
        key_name(name, sizeof(name), p->key[i]);
        if ((table_get(t, name) != NULL) != (model_find(m, p->key[i]) >= 0))
            return false; /* a removed key still found, or a live one lost */
    }
    return true;
}

/* One random run over the pool's keys: removes weigh `remove_pct` of the
 * steps. The full check runs every step while the table is small, else every
 * 16th step (it costs a lookup per key), and at the end. */
static void random_run(uint64_t seed, const struct pool *p, int max, int steps, int remove_pct)
{
    static struct model m;
    memset(&m, 0, sizeof(m));
    rng = seed;
    struct table t;
    table_init(&t, &k8s_node_schema, max);
    struct k8s_node n;
    char name[64];
    int bad_step = -1;
    for (int step = 0; step < steps && bad_step < 0; step++) {
        int k = p->key[random_below(p->n)], op = random_below(100);
        if (op < remove_pct) {
            key_name(name, sizeof(name), k);
            if (table_remove(&t, name) != model_remove(&m, k))
                bad_step = step;
        } else if (op == 99 && random_below(20) == 0) {
            table_clear(&t);
            m.count = 0;
        } else {
            int value = random_below(1000);
            make_node(&n, k, value);
            void *row = table_upsert(&t, &n);
            bool stored = model_find(&m, k) >= 0 || m.count < max;
            model_upsert(&m, k, value, max);
            if ((row != NULL) != stored)
                bad_step = step;
        }
        bool full = m.count <= 16 || step % 16 == 0 || step == steps - 1;
        if (bad_step < 0 && t.count != m.count)
            bad_step = step;
        if (bad_step < 0 && full && !matches(&t, &m, p))
            bad_step = step;
    }
    if (bad_step >= 0)
        fprintf(stderr, "  seed %llu max %d: first mismatch at step %d\n", (unsigned long long)seed,
                max, bad_step);
    CHECK(bad_step < 0);
    table_free(&t);
}

static const struct pool *first_keys(int n)
{
    static struct pool p;
    for (int i = 0; i < n; i++)
        p.key[i] = i;
    p.n = n;
    return &p;
}

TEST(table_random_matches_model)
{
    for (uint64_t seed = 1; seed <= 6; seed++)
        random_run(seed, first_keys(KEYS), KEYS, 3000, 30);
}

TEST(table_random_at_cap_counts_drops)
{
    /* A cap under the key space: inserts past it are refused and counted,
     * updates of kept rows still land, removes make room again. */
    for (uint64_t seed = 11; seed <= 14; seed++)
        random_run(seed, first_keys(KEYS), 50, 3000, 25);
}

TEST(table_remove_heavy_keeps_order)
{
    for (uint64_t seed = 21; seed <= 24; seed++)
        random_run(seed, first_keys(KEYS), KEYS, 3000, 60);
}

/* Index slot where key number k lands alone in an empty 16-slot index. */
static int home_slot(struct table *t, int k)
{
    struct k8s_node n;
    make_node(&n, k, 0);
    table_clear(t);
    table_upsert(t, &n);
    int home = -1;
    for (size_t h = 0; h < t->index.cap; h++)
        if (t->index.slots[h].hash)
            home = (int)h;
    table_clear(t);
    return home;
}

TEST(table_small_index_wraps_around)
{
    /* At most 8 rows keep the index at 16 slots. Keys whose home is one of the
     * last three slots or the first make clusters that wrap past the end: the
     * case backward-shift deletion gets wrong most easily. */
    struct table t;
    table_init(&t, &k8s_node_schema, 8);
    static struct pool p;
    int per_home[16] = {0};
    for (int k = 0; k < 2000 && p.n < 12; k++) {
        int h = home_slot(&t, k);
        if ((h >= 13 || h == 0) && per_home[h] < 3) {
            per_home[h]++;
            p.key[p.n++] = k;
        }
    }
    CHECK(p.n == 12 && t.index.cap == 16);
    table_free(&t);
    for (uint64_t seed = 31; seed <= 50; seed++)
        random_run(seed, &p, 8, 1000, 45);
    for (uint64_t seed = 51; seed <= 60; seed++)
        random_run(seed, first_keys(40), 8, 1000, 45);
}

TEST(table_remove_with_key_inside_the_row)
{
    /* Callers pass a row's own key field; the removal must not read it after
     * rows move. */
    struct table t;
    table_init(&t, &k8s_node_schema, 100);
    struct k8s_node n;
    for (int k = 0; k < 10; k++) {
        make_node(&n, k, k);
        table_upsert(&t, &n);
    }
    const struct k8s_node *first = table_row(&t, 0);
    CHECK(table_remove(&t, first->name));
    const struct k8s_node *last = table_row(&t, t.count - 1);
    CHECK(table_remove(&t, last->name));
    CHECK(t.count == 8);
    char name[64];
    for (int i = 0; i < t.count; i++) {
        key_name(name, sizeof(name), i + 1);
        CHECK_STR(((const struct k8s_node *)table_row(&t, i))->name, name);
        CHECK(table_get(&t, name) == table_row(&t, i));
    }
    CHECK(index_sound(&t));
    table_free(&t);
}

TEST(table_upsert_of_its_own_row)
{
    struct table t;
    table_init(&t, &k8s_node_schema, 100);
    struct k8s_node n;
    for (int k = 0; k < 5; k++) {
        make_node(&n, k, k);
        table_upsert(&t, &n);
    }
    CHECK(table_remove(&t, "ip-10-0-1-0.ec2.internal"));
    struct k8s_node *row = table_row(&t, 1);
    CHECK(table_upsert(&t, row) == row);
    CHECK_STR(((const struct k8s_node *)table_row(&t, 1))->name, "node-2");
    CHECK(t.count == 4 && index_sound(&t));
    table_free(&t);
}

TEST(table_emptied_and_refilled)
{
    struct table t;
    table_init(&t, &k8s_node_schema, 1000);
    struct k8s_node n;
    char name[64];
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 300; k++) {
            make_node(&n, k, round);
            table_upsert(&t, &n);
        }
        for (int k = 299; k >= 0; k -= 2) { /* every other row, from the end */
            key_name(name, sizeof(name), k);
            CHECK(table_remove(&t, name));
        }
        CHECK(!table_remove(&t, name));
        for (int k = 0; k < 300; k += 2) {
            key_name(name, sizeof(name), k);
            CHECK(table_remove(&t, name));
        }
        CHECK(t.count == 0 && index_sound(&t));
    }
    table_free(&t);
}

static bool node_ready(const void *row)
{
    return ((const struct k8s_node *)row)->ready;
}

/* The kept count (table_set_flag) equals a recount after every change:
 * inserts, updates that flip the flag either way, removes, a clear. */
TEST(table_flag_count_equals_recount)
{
    struct table t;
    table_init(&t, &k8s_node_schema, 400);
    rng = 42;
    struct k8s_node n;
    for (int k = 0; k < 50; k++) { /* rows before the flag: counted once */
        make_node(&n, k, random_below(1000));
        table_upsert(&t, &n);
    }
    table_set_flag(&t, node_ready);
    bool ok = true;
    for (int step = 0; step < 20000 && ok; step++) {
        int k = random_below(300);
        char key[64];
        key_name(key, sizeof(key), k);
        if (random_below(100) < 30) {
            table_remove(&t, key);
        } else {
            make_node(&n, k, random_below(1000));
            table_upsert(&t, &n);
        }
        if (step == 10000)
            table_clear(&t);
        int want = 0;
        for (int i = 0; i < t.count; i++)
            want += node_ready(table_row(&t, i));
        ok = want == t.flagged;
    }
    CHECK(ok);
    CHECK(t.flagged > 0);
    table_free(&t);
}

RUN_TESTS()
