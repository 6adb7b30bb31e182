#include "core/schema.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "base/redact.h"
#include "base/json_num.h"

static void *at(const void *obj, size_t off)
{
    return (char *)obj + off;
}

/* The longest F_SREF a record may fill (the pod's labels, TEXT_LEN). */
#define SREF_MAX 1024

void schema_zero(const struct schema *s, void *obj)
{
    memset(obj, 0, s->size);
    const char *empty = intern_str("");
    for (int i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        if (f->type == F_SREF)
            *(const char **)at(obj, f->offset) = empty;
        else if (f->type == F_ARRAY)
            for (int k = 0; k < f->cap; k++)
                schema_zero(f->elem, (char *)at(obj, f->offset) + (size_t)k * f->size);
    }
}

static cJSON *number_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *field_to_json(const struct field *f, const void *obj)
{
    const void *p = at(obj, f->offset);
    switch (f->type) {
    case F_STR:
        return cJSON_CreateString((const char *)p);
    case F_SREF: {
        const char *ref = *(const char *const *)p;
        return cJSON_CreateString(ref ? ref : "");
    }
    case F_INT:
        return cJSON_CreateNumber(*(const int *)p);
    case F_COUNT:
        return *(const int *)p < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(*(const int *)p);
    case F_I64:
    case F_TIME:
        return cJSON_CreateNumber((double)*(const int64_t *)p);
    case F_U64:
        return cJSON_CreateNumber((double)*(const uint64_t *)p);
    case F_DBL:
        return number_or_null(*(const double *)p);
    case F_BOOL:
        return cJSON_CreateBool(*(const bool *)p);
    case F_TRI: {
        enum tribool t = *(const enum tribool *)p;
        return t == TB_YES  ? cJSON_CreateTrue()
               : t == TB_NO ? cJSON_CreateFalse()
                            : cJSON_CreateNull();
    }
    case F_ENUM: {
        int v = *(const int *)p;
        return cJSON_CreateString(v >= 0 && v < f->enum_count ? f->enum_names[v] : "?");
    }
    case F_ARRAY: {
        int n = *(const int *)at(obj, f->count_offset);
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(arr,
                                 schema_to_json(f->elem, (const char *)p + (size_t)i * f->size));
        return arr;
    }
    case F_FLOATS: {
        int n = *(const int *)at(obj, f->count_offset);
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, number_or_null(((const float *)p)[i]));
        return arr;
    }
    case F_U64S: {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < f->size / sizeof(uint64_t); i++)
            cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)((const uint64_t *)p)[i]));
        return arr;
    }
    }
    return cJSON_CreateNull();
}

cJSON *schema_to_json(const struct schema *s, const void *obj)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < s->nfields; i++)
        cJSON_AddItemToObject(o, s->fields[i].name, field_to_json(&s->fields[i], obj));
    return o;
}

static int type_error(const struct field *f, const char *want, char *err, size_t errlen)
{
    snprintf(err, errlen, "field '%s': expected %s", f->name, want);
    return -1;
}

static double json_number(const cJSON *v)
{
    return cJSON_IsNull(v) ? NAN : v->valuedouble;
}

static int field_from_json(const struct field *f, const cJSON *v, void *obj, char *err,
                           size_t errlen)
{
    void *p = at(obj, f->offset);
    bool num_ok = cJSON_IsNumber(v);
    switch (f->type) {
    case F_STR:
        if (!cJSON_IsString(v))
            return type_error(f, "a string", err, errlen);
        /* A record or snapshot may come from elsewhere: it is untrusted. */
        redact_field(p, f->size, v->valuestring, strlen(v->valuestring));
        return 0;
    case F_SREF: {
        if (!cJSON_IsString(v))
            return type_error(f, "a string", err, errlen);
        char cut[SREF_MAX];
        size_t n = redact_field(cut, f->size < sizeof(cut) ? f->size : sizeof(cut), v->valuestring,
                                strlen(v->valuestring));
        *(const char **)p = intern_get(intern_pool(), cut, n);
        return 0;
    }
    case F_INT:
        if (!num_ok)
            return type_error(f, "a number", err, errlen);
        *(int *)p = num_to_int(v->valuedouble);
        return 0;
    case F_COUNT:
        if (!num_ok && !cJSON_IsNull(v))
            return type_error(f, "a number or null", err, errlen);
        *(int *)p = num_ok ? num_to_int(v->valuedouble) : -1;
        return 0;
    case F_I64:
    case F_TIME:
        if (!num_ok)
            return type_error(f, "a number", err, errlen);
        *(int64_t *)p = num_to_i64(v->valuedouble);
        return 0;
    case F_U64:
        if (!num_ok)
            return type_error(f, "a number", err, errlen);
        *(uint64_t *)p = num_to_u64(v->valuedouble);
        return 0;
    case F_DBL:
        if (!num_ok && !cJSON_IsNull(v))
            return type_error(f, "a number or null", err, errlen);
        *(double *)p = json_number(v);
        return 0;
    case F_BOOL:
        if (!cJSON_IsBool(v))
            return type_error(f, "true or false", err, errlen);
        *(bool *)p = cJSON_IsTrue(v);
        return 0;
    case F_TRI:
        if (!cJSON_IsBool(v) && !cJSON_IsNull(v))
            return type_error(f, "true, false or null", err, errlen);
        *(enum tribool *)p = cJSON_IsNull(v) ? TB_UNKNOWN : cJSON_IsTrue(v) ? TB_YES : TB_NO;
        return 0;
    case F_ENUM:
        if (!cJSON_IsString(v))
            return type_error(f, "a string", err, errlen);
        for (int i = 0; i < f->enum_count; i++) {
            if (strcmp(f->enum_names[i], v->valuestring) == 0) {
                *(int *)p = i;
                return 0;
            }
        }
        snprintf(err, errlen, "field '%s': unknown value '%.40s'", f->name, v->valuestring);
        return -1;
    case F_ARRAY: {
        if (!cJSON_IsArray(v))
            return type_error(f, "an array", err, errlen);
        int n = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, v)
        {
            if (n >= f->cap)
                break; /* the cap is documented; extra elements are dropped */
            if (schema_from_json(f->elem, item, (char *)p + (size_t)n * f->size, err, errlen) < 0)
                return -1;
            n++;
        }
        *(int *)at(obj, f->count_offset) = n;
        return 0;
    }
    case F_FLOATS: {
        if (!cJSON_IsArray(v))
            return type_error(f, "an array", err, errlen);
        int n = 0, cap = (int)(f->size / sizeof(float));
        const cJSON *item;
        cJSON_ArrayForEach(item, v)
        {
            if (n >= cap)
                break;
            ((float *)p)[n++] = (float)json_number(item);
        }
        *(int *)at(obj, f->count_offset) = n;
        return 0;
    }
    case F_U64S: {
        if (!cJSON_IsArray(v))
            return type_error(f, "an array", err, errlen);
        size_t n = 0, cap = f->size / sizeof(uint64_t);
        const cJSON *item;
        cJSON_ArrayForEach(item, v)
        {
            if (n >= cap)
                break;
            ((uint64_t *)p)[n++] = num_to_u64(item->valuedouble);
        }
        return 0;
    }
    }
    return 0;
}

int schema_from_json(const struct schema *s, const cJSON *j, void *obj, char *err, size_t errlen)
{
    schema_zero(s, obj);
    if (!cJSON_IsObject(j)) {
        snprintf(err, errlen, "%s: expected an object", s->name);
        return -1;
    }
    for (int i = 0; i < s->nfields; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, s->fields[i].name);
        if (!v)
            continue; /* missing fields stay zero: older records still load */
        if (field_from_json(&s->fields[i], v, obj, err, errlen) < 0)
            return -1;
    }
    return 0;
}

const char *schema_key(const struct schema *s, const void *obj)
{
    if (!s->key)
        return "";
    for (int i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, s->key) == 0)
            return (const char *)at(obj, s->fields[i].offset);
    return "";
}

const char *schema_enum_name(const struct schema *s, const char *field, int value)
{
    for (int i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        if (f->type == F_ENUM && strcmp(f->name, field) == 0)
            return value >= 0 && value < f->enum_count ? f->enum_names[value] : "?";
    }
    return "?";
}

static const char *type_doc(const struct field *f)
{
    static const char *names[] = {
        "string", "int",   "int64",    "uint64",   "number or null", "bool",        "enum",
        "ms",     "array", "number[]", "number[]", "string",         "int or null", "bool or null"};
    return names[f->type];
}

void schema_print_doc(const struct schema *s, void *file)
{
    FILE *out = file;
    fprintf(out, "\n### `%s`\n\n| field | type | meaning |\n|---|---|---|\n", s->name);
    for (int i = 0; i < s->nfields; i++) {
        const struct field *f = &s->fields[i];
        fprintf(out, "| `%s` | %s", f->name, type_doc(f));
        if (f->type == F_ENUM) {
            fprintf(out, ":");
            for (int k = 0; k < f->enum_count; k++)
                fprintf(out, "%s`%s`", k ? " " : " ", f->enum_names[k]);
        }
        if (f->type == F_ARRAY)
            fprintf(out, " of `%s` (at most %d)", f->elem->name, f->cap);
        fprintf(out, " | %s |\n", f->doc ? f->doc : "");
    }
    for (int i = 0; i < s->nfields; i++)
        if (s->fields[i].type == F_ARRAY)
            schema_print_doc(s->fields[i].elem, file);
}
