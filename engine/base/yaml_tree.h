/* YAML documents as a small tree with line numbers (libyaml underneath), so
 * every consumer (config, kubeconfig, Sloth/OpenSLO specs, rule files) can
 * report "file:line: message" for what is wrong. */
#ifndef LOOKOUT_YAML_TREE_H
#define LOOKOUT_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ynode_type { Y_SCALAR, Y_MAP, Y_SEQ };

struct ynode {
    enum ynode_type type;
    int line;            /* 1-based */
    const char *file;    /* shared with the root */
    char *key;           /* when a child of a map */
    char *value;         /* Y_SCALAR */
    bool quoted;         /* scalar was quoted: never a number/bool/null */
    struct ynode *child; /* first child (Y_MAP, Y_SEQ) */
    struct ynode *next;  /* next sibling */
};

/* Loads the first document; NULL with "file:line: message" in err. An empty
 * document gives an empty map. */
struct ynode *ytree_load_file(const char *path, char *err, size_t errlen);
struct ynode *ytree_load_string(const char *text, size_t len, const char *name, char *err,
                                size_t errlen);
/* Every document of a multi-document stream, as a Y_SEQ of roots. */
struct ynode *ytree_load_all(const char *text, size_t len, const char *name, char *err,
                             size_t errlen);
void ytree_free(struct ynode *root);
/* The top-level mapping of a document returned by ytree_load_file/string. */
const struct ynode *ytree_root(const struct ynode *doc);

const struct ynode *ymap_get(const struct ynode *map, const char *key);
int yseq_len(const struct ynode *seq);
/* "file:line: " + message into err; always returns -1 for `return yerr(...)`. */
int yerr(const struct ynode *n, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Fails on the first key of map not in allowed (NULL-terminated). */
int ycheck_keys(const struct ynode *map, const char *const *allowed, char *err, size_t errlen);

/* Typed getters: 1 found, 0 absent (out untouched), -1 wrong type (err set). */
int yget_str(const struct ynode *map, const char *key, char *out, size_t outlen, char *err,
             size_t errlen);
int yget_double(const struct ynode *map, const char *key, double *out, char *err, size_t errlen);
int yget_int(const struct ynode *map, const char *key, int64_t *out, char *err, size_t errlen);
int yget_bool(const struct ynode *map, const char *key, bool *out, char *err, size_t errlen);
/* Durations as Prometheus writes them: 30d, 5m, 1h30m, 250ms. */
int yget_duration(const struct ynode *map, const char *key, int64_t *ms, char *err, size_t errlen);
int parse_duration_ms(const char *s, int64_t *ms);

#endif
