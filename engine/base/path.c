/* Config path expansion; see path.h. */
#include "base/path.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/yaml_tree.h"

/* The XDG base directories and where the spec puts them when unset. */
static const struct {
    const char *name, *fallback; /* fallback under $HOME; NULL: must be set */
} known[] = {
    {"HOME", NULL},
    {"XDG_CONFIG_HOME", ".config"},
    {"XDG_STATE_HOME", ".local/state"},
    {"XDG_DATA_HOME", ".local/share"},
    {"XDG_CACHE_HOME", ".cache"},
    {"XDG_RUNTIME_DIR", NULL},
};

static const char *home_dir(void)
{
    const char *h = getenv("HOME");
    return h && *h ? h : NULL;
}

/* The value of variable name (len bytes) into b; -1 with err. */
static int put_var(struct buf *b, const char *name, size_t len, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strlen(known[i].name) != len || strncmp(known[i].name, name, len) != 0)
            continue;
        const char *v = getenv(known[i].name);
        if (v && *v) {
            buf_puts(b, v);
            return 0;
        }
        const char *h = home_dir();
        if (known[i].fallback && h) {
            buf_printf(b, "%s/%s", h, known[i].fallback);
            return 0;
        }
        snprintf(err, errlen, "$%.*s is not set", (int)len, name);
        return -1;
    }
    snprintf(err, errlen, "$%.*s: only $HOME and the XDG base directories are expanded in paths",
             (int)len, name);
    return -1;
}

int path_expand(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    struct buf b = {0};
    const char *p = in;
    int rc = 0;
    if (p[0] == '~') {
        if (p[1] && p[1] != '/') {
            snprintf(err, errlen, "%.100s: ~user is not expanded; write the full path", in);
            return -1;
        }
        if (!home_dir()) {
            snprintf(err, errlen, "%.100s: ~ needs $HOME", in);
            return -1;
        }
        buf_puts(&b, home_dir());
        p++;
    }
    while (rc == 0 && *p) {
        if (*p != '$') {
            buf_append(&b, p++, 1);
            continue;
        }
        bool brace = p[1] == '{';
        const char *name = p + 1 + brace, *end = name;
        while ((*end >= 'A' && *end <= 'Z') || (*end >= '0' && *end <= '9') || *end == '_')
            end++;
        if (end == name || (brace && *end != '}')) {
            snprintf(err, errlen, "%.100s: a $ that is not $NAME or ${NAME}", in);
            rc = -1;
            break;
        }
        rc = put_var(&b, name, (size_t)(end - name), err, errlen);
        p = end + brace;
    }
    if (rc == 0 && b.len + 1 > outlen) {
        snprintf(err, errlen, "%.100s: longer than %zu bytes once expanded", in, outlen - 1);
        rc = -1;
    }
    if (rc == 0)
        memcpy(out, b.len ? buf_cstr(&b) : "", b.len + 1);
    buf_free(&b);
    return rc;
}

int yget_path(const struct ynode *map, const char *key, char *out, size_t outlen, char *err,
              size_t errlen)
{
    char raw[4096];
    int rc = yget_str(map, key, raw, sizeof(raw), err, errlen);
    if (rc != 1)
        return rc;
    char why[256];
    if (path_expand(raw, out, outlen, why, sizeof(why)) < 0)
        return yerr(ymap_get(map, key), err, errlen, "%s: %s", key, why);
    return 1;
}
