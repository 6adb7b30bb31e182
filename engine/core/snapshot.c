/* The --once --json document: every table, the kernel event ring and the
 * drop counters. snapshot_build makes a tree (tests, comparisons);
 * snapshot_print streams the same document for peak memory. */
#include "core/snapshot.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/engine.h"

#ifndef LOOKOUT_VERSION
#define LOOKOUT_VERSION "dev"
#endif

static cJSON *table_json(struct table *t)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < t->count; i++)
        cJSON_AddItemToArray(arr, schema_to_json(t->schema, table_row(t, i)));
    return arr;
}

static cJSON *drops_json(struct engine *e)
{
    cJSON *d = cJSON_CreateObject();
    for (int t = 0; t < T_COUNT; t++)
        cJSON_AddNumberToObject(d, table_names[t], (double)e->tables[t].dropped);
    cJSON_AddNumberToObject(d, "kevents_evicted", (double)e->kevents.evicted);
    return d;
}

/* Any simulated source makes the whole snapshot simulated. */
static bool snapshot_simulated(struct engine *e)
{
    struct table *t = &e->tables[T_SOURCES];
    for (int i = 0; i < t->count; i++)
        if (((const struct source_info *)table_row(t, i))->simulated)
            return true;
    return e->simulated;
}

cJSON *snapshot_build(struct engine *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "lookout", LOOKOUT_VERSION);
    cJSON_AddNumberToObject(root, "time", (double)e->now);
    cJSON_AddBoolToObject(root, "simulated", snapshot_simulated(e));
    for (int t = 0; t < T_COUNT; t++) {
        if (t == T_SUMMARY) {
            struct table *s = &e->tables[t];
            cJSON_AddItemToObject(root, "summary", schema_to_json(s->schema, table_row(s, 0)));
            continue;
        }
        cJSON_AddItemToObject(root, table_names[t], table_json(&e->tables[t]));
    }
    cJSON *kev = cJSON_CreateArray();
    for (int i = 0; i < ring_count(&e->kevents); i++)
        cJSON_AddItemToArray(kev, schema_to_json(&kevent_schema, ring_at(&e->kevents, i)));
    cJSON_AddItemToObject(root, "kevents", kev);
    cJSON_AddNumberToObject(root, "kevents_total", (double)e->kevents.pushed);
    cJSON_AddItemToObject(root, "dropped", drops_json(e));
    return root;
}

/* ---- streamed: one row at a time, so 50k pods never sit in memory twice ---- */

/* Writes item compact and frees it; false on a write or memory error. */
static bool put_item(FILE *out, cJSON *item)
{
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    bool ok = text && fputs(text, out) != EOF;
    free(text);
    return ok;
}

/* ` "name": ` then the item; names are schema names, plain ASCII. */
static bool put_member(FILE *out, const char *name, cJSON *item, bool first)
{
    fprintf(out, "%s\n  \"%s\": ", first ? "" : ",", name);
    return put_item(out, item);
}

static bool put_rows(FILE *out, const char *name, const struct schema *s, int n,
                     const void *(*row)(const void *, int), const void *src)
{
    bool ok = fprintf(out, ",\n  \"%s\": [", name) > 0;
    for (int i = 0; ok && i < n; i++) {
        fputs(i ? ",\n    " : "\n    ", out);
        ok = put_item(out, schema_to_json(s, row(src, i)));
    }
    return ok && fputs(n ? "\n  ]" : "]", out) != EOF;
}

static const void *table_at(const void *t, int i)
{
    return table_row(t, i);
}

static const void *ring_item(const void *r, int i)
{
    return ring_at((struct ring *)r, i);
}

int snapshot_print(struct engine *e, FILE *out)
{
    bool ok = fputc('{', out) != EOF &&
              put_member(out, "lookout", cJSON_CreateString(LOOKOUT_VERSION), true) &&
              put_member(out, "time", cJSON_CreateNumber((double)e->now), false) &&
              put_member(out, "simulated", cJSON_CreateBool(snapshot_simulated(e)), false);
    for (int t = 0; ok && t < T_COUNT; t++) {
        struct table *tb = &e->tables[t];
        if (t == T_SUMMARY)
            ok = put_member(out, "summary", schema_to_json(tb->schema, table_row(tb, 0)), false);
        else
            ok = put_rows(out, table_names[t], tb->schema, tb->count, table_at, tb);
    }
    ok = ok &&
         put_rows(out, "kevents", &kevent_schema, ring_count(&e->kevents), ring_item, &e->kevents);
    ok = ok &&
         put_member(out, "kevents_total", cJSON_CreateNumber((double)e->kevents.pushed), false) &&
         put_member(out, "dropped", drops_json(e), false) && fputs("\n}\n", out) != EOF;
    return ok && fflush(out) == 0 ? 0 : -1;
}

void snapshot_print_doc(FILE *out)
{
    /* Walk a fresh engine's tables, so a new table is documented by itself. */
    static struct engine e;
    engine_init(&e);
    for (int t = 0; t < T_COUNT; t++) {
        fprintf(out, "\n## `%s` (at most %d rows)\n", table_names[t], e.tables[t].max);
        schema_print_doc(e.tables[t].schema, out);
    }
    fprintf(out, "\n## `kevents` (the newest %d)\n", KEVENT_RING_CAP);
    schema_print_doc(&kevent_schema, out);
    engine_free(&e);
}
