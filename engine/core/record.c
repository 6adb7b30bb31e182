/* Record lines (record.h): written for a --record file and the share tap
 * with one serialisation, the full-state snapshot a record and a viewer's
 * stream start with, and applying a line (replay, --attach). */
#include "core/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "base/json_num.h"

/* Serialises one line, newline included, and hands it to fn. */
static void emit_line(struct engine *e, cJSON *line, record_emit_fn fn, void *ud)
{
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (!text) {
        e->record_errors++;
        return;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* over the NUL: the line goes out whole, in one write */
    fn(text, len + 1, ud);
    free(text);
}

/* A change: one serialisation, for the file and the tap alike. */
static void to_record(const char *text, size_t len, void *ud)
{
    struct engine *e = ud;
    if (e->record && fwrite(text, 1, len, e->record) != len)
        e->record_errors++;
    if (e->record_tap)
        e->record_tap(text, len, e->record_tap_ud);
}

static void write_line(struct engine *e, cJSON *line)
{
    emit_line(e, line, to_record, e);
}

static cJSON *line_head(struct engine *e, const char *op, const char *table)
{
    cJSON *line = cJSON_CreateObject();
    cJSON_AddNumberToObject(line, "t", (double)e->now);
    cJSON_AddStringToObject(line, "op", op);
    cJSON_AddStringToObject(line, "table", table);
    return line;
}

void record_write(struct engine *e, const char *op, const char *table, const struct schema *s,
                  const void *obj)
{
    cJSON *line = line_head(e, op, table);
    cJSON_AddItemToObject(line, "obj", schema_to_json(s, obj));
    write_line(e, line);
}

void record_write_remove(struct engine *e, const char *table, const char *key)
{
    cJSON *line = line_head(e, "remove", table);
    cJSON_AddStringToObject(line, "key", key);
    write_line(e, line);
}

void record_snapshot(struct engine *e, record_emit_fn fn, void *ud)
{
    for (int t = 0; t < T_COUNT; t++) {
        struct table *tab = &e->tables[t];
        for (int i = 0; i < tab->count; i++) {
            cJSON *line = line_head(e, "upsert", table_names[t]);
            cJSON_AddItemToObject(line, "obj", schema_to_json(tab->schema, table_row(tab, i)));
            emit_line(e, line, fn, ud);
        }
    }
    for (int i = 0; i < ring_count(&e->kevents); i++) {
        cJSON *line = line_head(e, "append", "kevents");
        cJSON_AddItemToObject(line, "obj", schema_to_json(&kevent_schema, ring_at(&e->kevents, i)));
        emit_line(e, line, fn, ud);
    }
}

static void emit_to_file(const char *line, size_t len, void *ud)
{
    struct engine *e = ud;
    if (fwrite(line, 1, len, e->record) != len)
        e->record_errors++;
}

int engine_record_open(struct engine *e, const char *path)
{
    engine_record_close(e);
    e->record = fopen(path, "a");
    if (!e->record)
        return -1;
    /* Start from the full current state so a replay needs nothing else. */
    record_snapshot(e, emit_to_file, e);
    return 0;
}

void engine_record_close(struct engine *e)
{
    if (e->record) {
        fclose(e->record);
        e->record = NULL;
    }
}

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

int record_apply_line(struct engine *e, const char *line, size_t len, long long *t_out, char *err,
                      size_t errlen)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    if (!j)
        return fail(err, errlen, "not valid JSON");
    int rc = -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "t");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "op");
    const cJSON *table = cJSON_GetObjectItemCaseSensitive(j, "table");
    if (cJSON_IsNumber(t) && cJSON_IsString(op) && strcmp(op->valuestring, "tick") == 0) {
        *t_out = num_to_i64(t->valuedouble); /* the clock alone (a shared stream's heartbeat) */
        engine_advance(e, *t_out);
        rc = 0;
        goto out;
    }
    if (!cJSON_IsNumber(t) || !cJSON_IsString(op) || !cJSON_IsString(table)) {
        fail(err, errlen, "missing t, op or table");
        goto out;
    }
    int id = engine_table_by_name(table->valuestring);
    if (id < 0) {
        snprintf(err, errlen, "unknown table '%.40s'", table->valuestring);
        goto out;
    }
    *t_out = num_to_i64(t->valuedouble);
    engine_advance(e, num_to_i64(t->valuedouble));
    const struct schema *s = id == T_COUNT ? &kevent_schema : e->tables[id].schema;
    if (strcmp(op->valuestring, "remove") == 0) {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(j, "key");
        if (!cJSON_IsString(key) || id == T_COUNT) {
            fail(err, errlen, "remove needs a key and a keyed table");
            goto out;
        }
        engine_remove(e, (enum table_id)id, key->valuestring);
        rc = 0;
        goto out;
    }
    /* Rows can be large (a copilot answer is 12 KiB): decode on the heap. */
    void *obj = malloc(s->size);
    if (!obj)
        goto out;
    if (schema_from_json(s, cJSON_GetObjectItemCaseSensitive(j, "obj"), obj, err, errlen) == 0) {
        if (strcmp(op->valuestring, "append") == 0 && id == T_COUNT) {
            engine_kevent(e, obj);
            rc = 0;
        } else if (strcmp(op->valuestring, "upsert") == 0 && id != T_COUNT) {
            engine_upsert(e, (enum table_id)id, obj);
            rc = 0;
        } else {
            snprintf(err, errlen, "unknown op '%.20s' for table %s", op->valuestring,
                     table->valuestring);
        }
    }
    free(obj);
out:
    cJSON_Delete(j);
    return rc;
}

/* See record.h. */
int record_load_file(struct engine *e, const char *path, const char *who)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s: %m\n", who, path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int applied = 0, lineno = 0, bad = 0;
    e->replaying = true;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (!n)
            continue;
        char err[200];
        long long t;
        if (record_apply_line(e, line, (size_t)n, &t, err, sizeof(err)) < 0) {
            if (bad++ < 5)
                fprintf(stderr, "%s: %s:%d: %s (skipped)\n", who, path, lineno, err);
            continue;
        }
        applied++;
    }
    free(line);
    fclose(f);
    e->replaying = false;
    if (bad > 5)
        fprintf(stderr, "%s: %s: %d bad lines skipped\n", who, path, bad);
    return applied;
}
