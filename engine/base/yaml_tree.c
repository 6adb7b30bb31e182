#include "base/yaml_tree.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/buf.h"

#define MAX_DEPTH     64
#define MAX_YAML_FILE (16u << 20)

struct builder {
    const char *file;
    struct ynode *stack[MAX_DEPTH];
    struct ynode *last_child[MAX_DEPTH];
    int depth;
    char *pending_key; /* a map's key waiting for its value */
    int pending_key_line;
};

static struct ynode *node_new(enum ynode_type type, int line, const char *file)
{
    struct ynode *n = calloc(1, sizeof(*n));
    if (!n)
        abort();
    n->type = type;
    n->line = line;
    n->file = file;
    return n;
}

void ytree_free(struct ynode *n)
{
    while (n) {
        struct ynode *next = n->next;
        ytree_free(n->child);
        free(n->key);
        free(n->value);
        if (!n->key && n->file && n->type != Y_SCALAR && n->line == 0)
            free((char *)n->file); /* the synthetic root owns the name */
        free(n);
        n = next;
    }
}

/* Adds n under the current container; returns -1 for a map key (stored, not added). */
static int attach(struct builder *b, struct ynode *n, char *scalar_text, char *err, size_t errlen)
{
    struct ynode *parent = b->stack[b->depth - 1];
    if (parent->type == Y_MAP && !b->pending_key) {
        if (n->type != Y_SCALAR) {
            snprintf(err, errlen, "%s:%d: complex map keys are not supported", b->file, n->line);
            free(n);
            return -2;
        }
        b->pending_key = scalar_text;
        b->pending_key_line = n->line;
        free(n);
        return -1;
    }
    if (parent->type == Y_MAP) {
        n->key = b->pending_key;
        b->pending_key = NULL;
    }
    if (b->last_child[b->depth - 1])
        b->last_child[b->depth - 1]->next = n;
    else
        parent->child = n;
    b->last_child[b->depth - 1] = n;
    return 0;
}

static struct ynode *parse(const char *text, size_t len, const char *name, bool all, char *err,
                           size_t errlen)
{
    yaml_parser_t p;
    yaml_event_t ev;
    if (!yaml_parser_initialize(&p)) {
        snprintf(err, errlen, "%s: cannot start the YAML parser", name);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    char *file = strdup(name);
    struct ynode *docs = node_new(Y_SEQ, 0, file); /* line 0 marks the owner of file */
    struct ynode *last_doc = NULL;
    struct builder b = {.file = file};
    bool done = false, failed = false;
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            snprintf(err, errlen, "%s:%zu: %s%s%s", name, p.problem_mark.line + 1,
                     p.problem ? p.problem : "syntax error", p.context ? " " : "",
                     p.context ? p.context : "");
            failed = true;
            break;
        }
        int line = (int)ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            b.depth = 0;
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (!all)
                done = true;
            break;
        case YAML_ALIAS_EVENT:
            snprintf(err, errlen, "%s:%d: YAML aliases are not supported", name, line);
            failed = done = true;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            enum ynode_type t = ev.type == YAML_SCALAR_EVENT          ? Y_SCALAR
                                : ev.type == YAML_MAPPING_START_EVENT ? Y_MAP
                                                                      : Y_SEQ;
            struct ynode *n = node_new(t, line, file);
            char *scalar = NULL;
            if (t == Y_SCALAR) {
                scalar = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
                n->quoted = ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                            ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
            }
            if (b.depth == 0) { /* a document root */
                if (last_doc)
                    last_doc->next = n;
                else
                    docs->child = n;
                last_doc = n;
                n->value = scalar;
            } else {
                int rc = attach(&b, n, scalar, err, errlen);
                if (rc == -2) {
                    free(scalar);
                    failed = done = true;
                    break;
                }
                if (rc == -1)
                    break; /* it was a key */
                n->value = scalar;
            }
            if (t != Y_SCALAR) {
                if (b.depth >= MAX_DEPTH) {
                    snprintf(err, errlen, "%s:%d: nesting deeper than %d", name, line, MAX_DEPTH);
                    failed = done = true;
                    break;
                }
                b.stack[b.depth] = n;
                b.last_child[b.depth] = NULL;
                b.depth++;
            }
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            b.depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    free(b.pending_key);
    yaml_parser_delete(&p);
    if (failed) {
        ytree_free(docs);
        return NULL;
    }
    return docs;
}

struct ynode *ytree_load_all(const char *text, size_t len, const char *name, char *err,
                             size_t errlen)
{
    return parse(text, len, name, true, err, errlen);
}

struct ynode *ytree_load_string(const char *text, size_t len, const char *name, char *err,
                                size_t errlen)
{
    struct ynode *docs = parse(text, len, name, false, err, errlen);
    if (!docs)
        return NULL;
    struct ynode *root = docs->child;
    if (!root || (root->type == Y_SCALAR && (!root->value || !*root->value))) {
        ytree_free(root);
        root = node_new(Y_MAP, 1, docs->file);
    } else if (root->type != Y_MAP) {
        snprintf(err, errlen, "%s:%d: expected a mapping at the top level", name, root->line);
        ytree_free(docs);
        return NULL;
    }
    /* Hand the file name to a wrapper that owns it: keep docs as the owner. */
    docs->child = root;
    root->next = NULL;
    return docs;
}

struct ynode *ytree_load_file(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = read_file(path, MAX_YAML_FILE, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct ynode *doc = ytree_load_string(text, len, path, err, errlen);
    free(text);
    return doc;
}

const struct ynode *ytree_root(const struct ynode *doc)
{
    return doc && doc->type == Y_SEQ && doc->line == 0 ? doc->child : doc;
}

const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
    if (!map)
        return NULL;
    if (map->type == Y_SEQ && map->line == 0) /* a loaded document: look in its root */
        map = map->child;
    if (!map || map->type != Y_MAP)
        return NULL;
    for (const struct ynode *c = map->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

int yseq_len(const struct ynode *seq)
{
    int n = 0;
    for (const struct ynode *c = seq ? seq->child : NULL; c; c = c->next)
        n++;
    return n;
}

int yerr(const struct ynode *n, char *err, size_t errlen, const char *fmt, ...)
{
    int off = snprintf(err, errlen, "%s:%d: ", n && n->file ? n->file : "?", n ? n->line : 0);
    if (off < 0 || (size_t)off >= errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
    va_end(ap);
    return -1;
}

int ycheck_keys(const struct ynode *map, const char *const *allowed, char *err, size_t errlen)
{
    if (map && map->type == Y_SEQ && map->line == 0)
        map = map->child;
    if (!map)
        return 0;
    if (map->type != Y_MAP)
        return yerr(map, err, errlen, "expected a mapping");
    for (const struct ynode *c = map->child; c; c = c->next) {
        bool ok = false;
        for (int i = 0; allowed[i] && !ok; i++)
            ok = strcmp(c->key, allowed[i]) == 0;
        if (!ok)
            return yerr(c, err, errlen, "unknown key '%s'", c->key);
    }
    return 0;
}

static const struct ynode *scalar_or_err(const struct ynode *map, const char *key, int *rc,
                                         char *err, size_t errlen)
{
    const struct ynode *n = ymap_get(map, key);
    *rc = 0;
    if (!n)
        return NULL;
    if (n->type != Y_SCALAR) {
        *rc = yerr(n, err, errlen, "'%s' must be a single value", key);
        return NULL;
    }
    *rc = 1;
    return n;
}

int yget_str(const struct ynode *map, const char *key, char *out, size_t outlen, char *err,
             size_t errlen)
{
    int rc;
    const struct ynode *n = scalar_or_err(map, key, &rc, err, errlen);
    if (rc != 1)
        return rc;
    if (!str_copy(out, outlen, n->value))
        return yerr(n, err, errlen, "'%s' is longer than %zu characters", key, outlen - 1);
    return 1;
}

int yget_double(const struct ynode *map, const char *key, double *out, char *err, size_t errlen)
{
    int rc;
    const struct ynode *n = scalar_or_err(map, key, &rc, err, errlen);
    if (rc != 1)
        return rc;
    char *end;
    errno = 0;
    double v = strtod(n->value, &end);
    if (n->quoted || end == n->value || *end || errno)
        return yerr(n, err, errlen, "'%s' must be a number, not '%.40s'", key, n->value);
    *out = v;
    return 1;
}

int yget_int(const struct ynode *map, const char *key, int64_t *out, char *err, size_t errlen)
{
    int rc;
    const struct ynode *n = scalar_or_err(map, key, &rc, err, errlen);
    if (rc != 1)
        return rc;
    char *end;
    errno = 0;
    long long v = strtoll(n->value, &end, 10);
    if (n->quoted || end == n->value || *end || errno)
        return yerr(n, err, errlen, "'%s' must be a whole number, not '%.40s'", key, n->value);
    *out = v;
    return 1;
}

int yget_bool(const struct ynode *map, const char *key, bool *out, char *err, size_t errlen)
{
    int rc;
    const struct ynode *n = scalar_or_err(map, key, &rc, err, errlen);
    if (rc != 1)
        return rc;
    if (!n->quoted && (!strcmp(n->value, "true") || !strcmp(n->value, "yes"))) {
        *out = true;
        return 1;
    }
    if (!n->quoted && (!strcmp(n->value, "false") || !strcmp(n->value, "no"))) {
        *out = false;
        return 1;
    }
    return yerr(n, err, errlen, "'%s' must be true or false, not '%.40s'", key, n->value);
}

int parse_duration_ms(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1},         {"s", 1000},        {"m", 60000},        {"h", 3600000},
                 {"d", 86400000LL}, {"w", 604800000LL}, {"y", 31536000000LL}};
    int64_t total = 0;
    if (!*s)
        return -1;
    while (*s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || errno || v < 0)
            return -1;
        s = end;
        size_t best = 0;
        int64_t mult = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(s, units[i].unit, n) == 0 && n > best) {
                best = n;
                mult = units[i].ms;
            }
        }
        if (!best)
            return -1;
        /* Past ~292 million years an int64 of ms overflows: not a duration. */
        if (v > (INT64_MAX - total) / mult)
            return -1;
        total += v * mult;
        s += best;
    }
    *ms = total;
    return 0;
}

int yget_duration(const struct ynode *map, const char *key, int64_t *ms, char *err, size_t errlen)
{
    int rc;
    const struct ynode *n = scalar_or_err(map, key, &rc, err, errlen);
    if (rc != 1)
        return rc;
    if (parse_duration_ms(n->value, ms) < 0)
        return yerr(n, err, errlen, "'%s' must be a duration like 30s, 5m, 1h or 30d, not '%.40s'",
                    key, n->value);
    return 1;
}
