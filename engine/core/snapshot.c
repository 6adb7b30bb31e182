#include "core/snapshot.h"

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

int snapshot_print(struct engine *e, FILE *out)
{
    cJSON *root = snapshot_build(e);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    int rc = fputs(text, out) == EOF || fputc('\n', out) == EOF ? -1 : 0;
    free(text);
    return rc;
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
