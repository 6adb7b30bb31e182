/* Field descriptors: one declaration per entity type drives its JSON
 * encoding (snapshot, --record), decoding (replay) and documentation.
 *
 * Entities are plain structs with fixed-size fields (no owned pointers), so a
 * table can copy them with memcpy and memory per entity is known up front.
 * An F_SREF field points into the never-freed intern pool: shared, not
 * owned, so a copy stays valid. */
#ifndef LOOKOUT_SCHEMA_H
#define LOOKOUT_SCHEMA_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum field_type {
    F_STR,    /* char[N], truncated on decode */
    F_INT,    /* int */
    F_I64,    /* int64_t */
    F_U64,    /* uint64_t (JSON number; exact up to 2^53) */
    F_DBL,    /* double; NaN/Inf encode as null */
    F_BOOL,   /* bool */
    F_ENUM,   /* int-sized enum, encoded by name */
    F_TIME,   /* int64_t ms since the epoch, encoded as a number of ms */
    F_ARRAY,  /* struct elem[N] with an int count field */
    F_FLOATS, /* float[N] with an int count field */
    F_U64S,   /* uint64_t[N], fixed length N */
    F_SREF,   /* const char * into the intern pool (base/intern.h), never NULL; cut
                 to size - 1 bytes on decode like an F_STR of that size */
    F_COUNT,  /* int count that may be unknown: negative encodes as null, null
                 decodes as -1 (a reader never takes "unknown" for 0) */
    F_TRI,    /* enum tribool: a yes/no that may be unknown, encoded true/false/null */
};

/* A yes/no that may not be known. Unknown is the zero value, so a row that
 * was never filled in, or a record that lacks the field, reads unknown and
 * never "no"; readers compare with TB_YES / TB_NO, never test truth. */
enum tribool { TB_UNKNOWN, TB_NO, TB_YES };

struct schema;

struct field {
    const char *name;
    enum field_type type;
    size_t offset;
    size_t size;                   /* F_STR: bytes; F_ARRAY: element size; F_FLOATS/F_U64S: bytes */
    const char *const *enum_names; /* F_ENUM: names indexed by value */
    int enum_count;
    const struct schema *elem; /* F_ARRAY */
    size_t count_offset;       /* F_ARRAY, F_FLOATS: offset of the int count */
    int cap;                   /* F_ARRAY: number of elements the member holds */
    const char *doc;
};

struct schema {
    const char *name;
    size_t size;
    const struct field *fields;
    int nfields;
    const char *key; /* name of the F_STR field that identifies a row, or NULL */
};

#define FIELD_OF(T, m) offsetof(T, m), sizeof(((T *)0)->m)
#define F_STR_(T, m, d)                                                                            \
    {                                                                                              \
#m, F_STR, FIELD_OF(T, m), .doc = d                                                        \
    }
/* An interned string ref cut like a char[n]; the JSON is the same as F_STR's. */
#define F_SREF_(T, m, n, d)                                                                        \
    {                                                                                              \
#m, F_SREF, offsetof(T, m), n, .doc = d                                                    \
    }
#define F_INT_(T, m, d)                                                                            \
    {                                                                                              \
#m, F_INT, FIELD_OF(T, m), .doc = d                                                        \
    }
#define F_COUNT_(T, m, d)                                                                          \
    {                                                                                              \
#m, F_COUNT, FIELD_OF(T, m), .doc = d                                                      \
    }
#define F_TRI_(T, m, d)                                                                            \
    {                                                                                              \
#m, F_TRI, FIELD_OF(T, m), .doc = d                                                        \
    }
#define F_I64_(T, m, d)                                                                            \
    {                                                                                              \
#m, F_I64, FIELD_OF(T, m), .doc = d                                                        \
    }
#define F_U64_(T, m, d)                                                                            \
    {                                                                                              \
#m, F_U64, FIELD_OF(T, m), .doc = d                                                        \
    }
#define F_DBL_(T, m, d)                                                                            \
    {                                                                                              \
#m, F_DBL, FIELD_OF(T, m), .doc = d                                                        \
    }
#define F_BOOL_(T, m, d)                                                                           \
    {                                                                                              \
#m, F_BOOL, FIELD_OF(T, m), .doc = d                                                       \
    }
#define F_TIME_(T, m, d)                                                                           \
    {                                                                                              \
#m, F_TIME, FIELD_OF(T, m), .doc = d                                                       \
    }
#define F_ENUM_(T, m, names, d)                                                                    \
    {                                                                                              \
#m, F_ENUM, FIELD_OF(T, m),                                                                \
            .enum_names = names, .enum_count = (int)(sizeof(names) / sizeof(names[0])), .doc = d   \
    }
#define F_ARRAY_(T, m, n, sch, d)                                                                  \
    {                                                                                              \
#m, F_ARRAY, offsetof(T, m), sizeof(((T *)0)->m[0]),                                       \
            .elem = &sch, .count_offset = offsetof(T, n),                                          \
            .cap = (int)(sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0])), .doc = d                   \
    }
#define F_FLOATS_(T, m, n, d)                                                                      \
    {                                                                                              \
#m, F_FLOATS, FIELD_OF(T, m), .count_offset = offsetof(T, n), .doc = d                     \
    }
#define F_U64S_(T, m, d)                                                                           \
    {                                                                                              \
#m, F_U64S, FIELD_OF(T, m), .doc = d                                                       \
    }
#define SCHEMA(nm, T, flds, keyname)                                                               \
    {                                                                                              \
        nm, sizeof(T), flds, (int)(sizeof(flds) / sizeof(flds[0])), keyname                        \
    }

/* Zeroes obj with every F_SREF (nested ones too) at the pooled "": how a
 * row with string refs starts, never a bare memset. */
void schema_zero(const struct schema *s, void *obj);
cJSON *schema_to_json(const struct schema *s, const void *obj);
/* Fills obj (schema_zero first) from j. Unknown fields are ignored, wrong types are
 * errors: returns 0, or -1 with a message in err. */
int schema_from_json(const struct schema *s, const cJSON *j, void *obj, char *err, size_t errlen);
/* The value of the key field of obj ("" when the schema has none). */
const char *schema_key(const struct schema *s, const void *obj);
/* Name of an enum value via a field's table, "?" when out of range. */
const char *schema_enum_name(const struct schema *s, const char *field, int value);
/* Markdown table of the fields, recursively, for docs/snapshot.md. */
void schema_print_doc(const struct schema *s, void *file);

#endif
