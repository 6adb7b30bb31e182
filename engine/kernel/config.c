#include "kernel/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"

const char *const lo_kind_names[LO_KIND_MAX] = {
    "exec",  "exit",       "open", "priv", "connect",  "accept",
    "reset", "retransmit", "oom",  "fork", "throttle", "cgroup",
};

int64_t parse_size_bytes(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    double mult = 1;
    if (!*end || !strcasecmp(end, "b"))
        mult = 1;
    else if (!strcasecmp(end, "k") || !strcasecmp(end, "kib") || !strcasecmp(end, "kb"))
        mult = 1024;
    else if (!strcasecmp(end, "m") || !strcasecmp(end, "mib") || !strcasecmp(end, "mb"))
        mult = 1024.0 * 1024;
    else if (!strcasecmp(end, "g") || !strcasecmp(end, "gib") || !strcasecmp(end, "gb"))
        mult = 1024.0 * 1024 * 1024;
    else
        return -1;
    return (int64_t)(v * mult);
}

uint32_t ring_size_round(int64_t bytes)
{
    uint64_t size = 4096;
    while ((int64_t)size < bytes && size < (1ull << 30))
        size <<= 1;
    return (uint32_t)size;
}

static int kind_index(const char *name)
{
    for (int k = 0; k < LO_KIND_MAX; k++)
        if (!strcmp(lo_kind_names[k], name))
            return k;
    return -1;
}

static int check_watch_list(const struct ynode *list, char *err, size_t errlen)
{
    if (list->type != Y_SEQ)
        return yerr(list, err, errlen, "%s: expected a list of paths", list->key);
    int globs = 0;
    for (const struct ynode *n = list->child; n; n = n->next) {
        if (n->type != Y_SCALAR || !n->value || n->value[0] != '/')
            return yerr(n, err, errlen, "watch entries are absolute paths");
        if (strlen(n->value) >= LO_PATH_LEN)
            return yerr(n, err, errlen, "watch path longer than %d bytes", LO_PATH_LEN - 1);
        const char *star = strchr(n->value, '*');
        if (star) {
            if (strchr(star + 1, '*'))
                return yerr(n, err, errlen, "a watch pattern may hold one '*'");
            if ((size_t)(star - n->value) > LO_GLOB_LEN || strlen(star + 1) > LO_GLOB_LEN)
                return yerr(n, err, errlen, "watch pattern parts are limited to %d bytes",
                            LO_GLOB_LEN);
            if (++globs > LO_MAX_GLOBS)
                return yerr(n, err, errlen, "at most %d watch patterns", LO_MAX_GLOBS);
        }
    }
    return 0;
}

/* Applies (and validates) the section to o; shared by check and load. */
static int apply(const struct ynode *s, struct kernel_options *o, bool *enabled, char *err,
                 size_t errlen)
{
    static const char *const keys[] = {"enabled",    "ring_size",       "drain_interval",
                                       "rate_limit", "drop_privileges", "kinds",
                                       "watch",      "watch_extra",     NULL};
    if (s->type != Y_MAP)
        return yerr(s, err, errlen, "kernel: expected a mapping");
    if (ycheck_keys(s, keys, err, errlen) < 0)
        return -1;
    if (yget_bool(s, "enabled", enabled, err, errlen) < 0 ||
        yget_bool(s, "drop_privileges", &o->drop_privileges, err, errlen) < 0)
        return -1;
    const struct ynode *n = ymap_get(s, "ring_size");
    if (n) {
        int64_t bytes = n->type == Y_SCALAR && n->value ? parse_size_bytes(n->value) : -1;
        if (bytes < 4096 || bytes > (1ll << 30))
            return yerr(n, err, errlen, "ring_size: a size from 4KiB to 1GiB, e.g. 8MiB");
        o->ring_bytes = ring_size_round(bytes);
    }
    int64_t ms = 0;
    int r = yget_duration(s, "drain_interval", &ms, err, errlen);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (ms < 10 || ms > 1000)
            return yerr(ymap_get(s, "drain_interval"), err, errlen,
                        "drain_interval: between 10ms and 1s (100ms-250ms advised)");
        o->drain_ms = ms;
    }
    int64_t limit = 0;
    r = yget_int(s, "rate_limit", &limit, err, errlen);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (limit < 0 || limit > 10000000)
            return yerr(ymap_get(s, "rate_limit"), err, errlen,
                        "rate_limit: events per second per cgroup, 0 for none");
        o->rate_limit = (uint32_t)limit;
    }
    const struct ynode *kinds = ymap_get(s, "kinds");
    if (kinds) {
        if (kinds->type != Y_MAP)
            return yerr(kinds, err, errlen, "kinds: expected a mapping of kind: true|false");
        for (const struct ynode *k = kinds->child; k; k = k->next) {
            int idx = kind_index(k->key);
            if (idx < 0)
                return yerr(k, err, errlen,
                            "kinds: unknown kind '%s' (exec, exit, open, priv, connect, accept, "
                            "reset, retransmit, oom, fork, throttle, cgroup)",
                            k->key);
            if (yget_bool(kinds, k->key, &o->kind_on[idx], err, errlen) < 0)
                return -1;
        }
    }
    const struct ynode *w = ymap_get(s, "watch");
    if (w) {
        if (check_watch_list(w, err, errlen) < 0)
            return -1;
        o->nwatch = 0;
    }
    const struct ynode *extra = ymap_get(s, "watch_extra");
    if (extra && check_watch_list(extra, err, errlen) < 0)
        return -1;
    const struct ynode *lists[] = {w, extra};
    for (int i = 0; i < 2; i++) {
        for (const struct ynode *p = lists[i] ? lists[i]->child : NULL; p; p = p->next) {
            if (o->nwatch >= KOPT_MAX_WATCH)
                return yerr(p, err, errlen, "at most %d watch entries", KOPT_MAX_WATCH);
            STR_COPY(o->watch[o->nwatch++], p->value);
        }
    }
    int globs = 0;
    for (int i = 0; i < o->nwatch; i++)
        globs += strchr(o->watch[i], '*') != NULL;
    if (globs > LO_MAX_GLOBS)
        return yerr(s, err, errlen, "at most %d watch patterns in total", LO_MAX_GLOBS);
    return 0;
}

int kernel_config_check(const struct ynode *section, char *err, size_t errlen)
{
    struct kernel_options o;
    bool enabled = true;
    kernel_options_default(&o);
    return apply(section, &o, &enabled, err, errlen);
}

int kernel_options_from_config(const struct config *c, struct kernel_options *o, bool *enabled,
                               char *err, size_t errlen)
{
    kernel_options_default(o);
    *enabled = true;
    const struct ynode *s = c ? config_section(c, "kernel") : NULL;
    return s ? apply(s, o, enabled, err, errlen) : 0;
}
