/* PCRE2 rules for kernel events: load, compile (JIT), match. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "kernel/rules.h"

#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rule_field {
    RF_COMM,
    RF_PATH,
    RF_ARGS,
    RF_UID,
    RF_PID,
    RF_PPID,
    RF_CONTAINER,
    RF_POD,
    RF_NODE,
    RF_SADDR,
    RF_DADDR,
    RF_SPORT,
    RF_DPORT,
    RF_RET,
    RF_COUNT,
};
static const char *const field_names[RF_COUNT] = {
    "comm", "path", "args",  "uid",   "pid",   "ppid",  "container",
    "pod",  "node", "saddr", "daddr", "sport", "dport", "ret",
};

#define RULE_CONDS  8
#define RULE_UNLESS 8
#define RULES_MAX   256

struct cond {
    enum rule_field field;
    pcre2_code *re;
};
/* All conditions must match (AND). */
struct cond_set {
    int n;
    struct cond c[RULE_CONDS];
};
struct rule {
    char name[NAME_LEN];
    char title[96];
    char tags[64];
    enum severity severity;
    uint32_t kinds; /* bit per enum kev_kind */
    bool enabled;
    struct cond_set match;
    int nunless;
    struct cond_set unless[RULE_UNLESS]; /* any one matching cancels the rule */
    uint64_t matches;
};

struct rule_set {
    struct rule *rules;
    int count;
    pcre2_match_data *md;
    bool jit;
};

struct rule_set *rules_new(void)
{
    struct rule_set *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return NULL;
    rs->rules = calloc(RULES_MAX, sizeof(struct rule));
    rs->md = pcre2_match_data_create(1, NULL);
    if (!rs->rules || !rs->md) {
        rules_free(rs);
        return NULL;
    }
    uint32_t jit = 0;
    rs->jit = pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit;
    return rs;
}

static void cond_set_free(struct cond_set *cs)
{
    for (int i = 0; i < cs->n; i++)
        pcre2_code_free(cs->c[i].re);
    cs->n = 0;
}

static void rule_free(struct rule *r)
{
    cond_set_free(&r->match);
    for (int i = 0; i < r->nunless; i++)
        cond_set_free(&r->unless[i]);
    r->nunless = 0;
}

void rules_free(struct rule_set *rs)
{
    if (!rs)
        return;
    for (int i = 0; rs->rules && i < rs->count; i++)
        rule_free(&rs->rules[i]);
    free(rs->rules);
    pcre2_match_data_free(rs->md);
    free(rs);
}

/* ---- compiling ---- */

static int field_by_name(const char *name)
{
    for (int i = 0; i < RF_COUNT; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return -1;
}

static int compile_cond(struct rule_set *rs, const struct ynode *n, struct cond *c, char *err,
                        size_t errlen)
{
    int f = field_by_name(n->key);
    if (f < 0)
        return yerr(n, err, errlen,
                    "unknown field '%s' (comm, path, args, uid, pid, ppid, "
                    "container, pod, node, saddr, daddr, sport, dport, ret)",
                    n->key);
    if (n->type != Y_SCALAR)
        return yerr(n, err, errlen, "field '%s': expected a regex string", n->key);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)n->value, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return yerr(n, err, errlen, "field '%s': bad regex at offset %zu: %s", n->key, (size_t)off,
                    (const char *)msg);
    }
    if (rs->jit)
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* on failure pcre2_match interprets */
    c->field = (enum rule_field)f;
    c->re = re;
    return 0;
}

static int compile_cond_set(struct rule_set *rs, const struct ynode *map, struct cond_set *cs,
                            char *err, size_t errlen)
{
    if (map->type != Y_MAP)
        return yerr(map, err, errlen, "expected a mapping of field: regex");
    for (const struct ynode *n = map->child; n; n = n->next) {
        if (cs->n == RULE_CONDS)
            return yerr(n, err, errlen, "more than %d fields", RULE_CONDS);
        if (compile_cond(rs, n, &cs->c[cs->n], err, errlen) < 0)
            return -1;
        cs->n++;
    }
    return 0;
}

static int parse_kinds(const struct ynode *n, uint32_t *kinds, char *err, size_t errlen)
{
    const struct ynode *one = n->type == Y_SEQ ? n->child : n;
    *kinds = 0;
    for (; one; one = n->type == Y_SEQ ? one->next : NULL) {
        if (one->type != Y_SCALAR)
            return yerr(one, err, errlen, "kind: expected a name or a list of names");
        int k;
        for (k = 0; k < KEV_KIND_COUNT && strcmp(kev_kind_names[k], one->value) != 0; k++)
            ;
        if (k == KEV_KIND_COUNT)
            return yerr(one, err, errlen, "unknown kind '%s'", one->value);
        *kinds |= 1u << k;
    }
    if (!*kinds)
        return yerr(n, err, errlen, "kind: empty list");
    return 0;
}

static int parse_tags(const struct ynode *n, char *out, size_t outlen, char *err, size_t errlen)
{
    out[0] = '\0';
    if (n->type == Y_SCALAR) {
        str_copy(out, outlen, n->value);
        return 0;
    }
    if (n->type != Y_SEQ)
        return yerr(n, err, errlen, "tags: expected a list of strings");
    for (const struct ynode *t = n->child; t; t = t->next) {
        if (t->type != Y_SCALAR)
            return yerr(t, err, errlen, "tags: expected a list of strings");
        size_t len = strlen(out);
        snprintf(out + len, outlen - len, "%s%s", len ? "," : "", t->value);
    }
    return 0;
}

static int parse_severity(const struct ynode *n, enum severity *sev, char *err, size_t errlen)
{
    if (n->type == Y_SCALAR)
        for (int i = 0; i < 3; i++)
            if (strcmp(severity_names[i], n->value) == 0) {
                *sev = (enum severity)i;
                return 0;
            }
    return yerr(n, err, errlen, "severity: expected info, warning or critical");
}

static int compile_rule(struct rule_set *rs, const struct ynode *m, struct rule *r, char *err,
                        size_t errlen)
{
    static const char *const keys[] = {"rule",  "title",  "kind",    "severity", "tags",
                                       "match", "unless", "enabled", "desc",     NULL};
    if (m->type != Y_MAP)
        return yerr(m, err, errlen, "expected a rule (a mapping with rule, kind, ...)");
    if (ycheck_keys(m, keys, err, errlen) < 0)
        return -1;
    const struct ynode *n = ymap_get(m, "rule");
    if (!n || n->type != Y_SCALAR || !n->value[0])
        return yerr(m, err, errlen, "rule without a name ('rule: NAME')");
    if (!STR_COPY(r->name, n->value))
        return yerr(n, err, errlen, "rule name longer than %zu bytes", sizeof(r->name) - 1);
    for (int i = 0; i < rs->count; i++)
        if (strcmp(rs->rules[i].name, r->name) == 0)
            return yerr(n, err, errlen, "rule '%s' defined twice", r->name);
    if (yget_str(m, "title", r->title, sizeof(r->title), err, errlen) < 0)
        return -1;
    if (!r->title[0])
        STR_COPY(r->title, r->name);
    if (!(n = ymap_get(m, "kind")))
        return yerr(m, err, errlen, "rule '%s': missing kind", r->name);
    if (parse_kinds(n, &r->kinds, err, errlen) < 0)
        return -1;
    r->severity = SEV_WARNING;
    if ((n = ymap_get(m, "severity")) && parse_severity(n, &r->severity, err, errlen) < 0)
        return -1;
    if ((n = ymap_get(m, "tags")) && parse_tags(n, r->tags, sizeof(r->tags), err, errlen) < 0)
        return -1;
    r->enabled = true;
    if (yget_bool(m, "enabled", &r->enabled, err, errlen) < 0)
        return -1;
    if ((n = ymap_get(m, "match")) && compile_cond_set(rs, n, &r->match, err, errlen) < 0)
        return -1;
    if (!(n = ymap_get(m, "unless")))
        return 0;
    /* unless: one map, or a list of maps (each an AND, any one cancels). */
    const struct ynode *u = n->type == Y_SEQ ? n->child : n;
    for (; u; u = n->type == Y_SEQ ? u->next : NULL) {
        if (r->nunless == RULE_UNLESS)
            return yerr(u, err, errlen, "more than %d unless entries", RULE_UNLESS);
        if (compile_cond_set(rs, u, &r->unless[r->nunless++], err, errlen) < 0)
            return -1;
    }
    return 0;
}

static const struct ynode *rule_list(const struct ynode *doc)
{
    if (doc && doc->type == Y_MAP) {
        const struct ynode *l = ymap_get(doc, "rules");
        return l ? l : doc;
    }
    return doc;
}

int rules_load_string(struct rule_set *rs, const char *text, size_t len, const char *name,
                      struct buf *warnings, char *err, size_t errlen)
{
    struct ynode *doc = ytree_load_string(text, len, name, err, errlen);
    if (!doc)
        return -1;
    const struct ynode *list = rule_list(ytree_root(doc));
    int added = 0;
    if (list->type != Y_SEQ) {
        if (list->type != Y_MAP || list->child) {
            yerr(list, err, errlen, "expected a list of rules");
            ytree_free(doc);
            return -1;
        }
        ytree_free(doc);
        return 0; /* empty document */
    }
    for (const struct ynode *m = list->child; m; m = m->next) {
        char msg[512];
        if (rs->count == RULES_MAX) {
            yerr(m, msg, sizeof(msg), "more than %d rules: the rest are ignored", RULES_MAX);
            buf_printf(warnings, "%s\n", msg);
            break;
        }
        struct rule *r = &rs->rules[rs->count];
        memset(r, 0, sizeof(*r));
        if (compile_rule(rs, m, r, msg, sizeof(msg)) < 0) {
            rule_free(r);
            buf_printf(warnings, "%s (rule skipped)\n", msg);
            continue;
        }
        rs->count++;
        added++;
    }
    ytree_free(doc);
    return added;
}

int rules_load_file(struct rule_set *rs, const char *path, struct buf *warnings, char *err,
                    size_t errlen)
{
    size_t len;
    char *text = read_file(path, 4 << 20, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int n = rules_load_string(rs, text, len, path, warnings, err, errlen);
    free(text);
    return n;
}

int rules_load_default(struct rule_set *rs, struct buf *warnings)
{
    char err[256];
    int n = rules_load_string(rs, rules_default_yaml, strlen(rules_default_yaml), "<default rules>",
                              warnings, err, sizeof(err));
    if (n < 0)
        buf_printf(warnings, "%s\n", err);
    return n;
}

bool rules_disable(struct rule_set *rs, const char *name)
{
    for (int i = 0; i < rs->count; i++)
        if (strcmp(rs->rules[i].name, name) == 0) {
            rs->rules[i].enabled = false;
            return true;
        }
    return false;
}

/* ---- matching ---- */

/* The field's text: strings as they are, numbers in decimal. */
static const char *field_text(const struct kevent *ev, enum rule_field f, char *tmp, size_t tmplen)
{
    switch (f) {
    case RF_COMM:
        return ev->comm;
    case RF_PATH:
        return ev->path;
    case RF_ARGS:
        return ev->args;
    case RF_CONTAINER:
        return ev->container;
    case RF_POD:
        return ev->pod;
    case RF_NODE:
        return ev->node;
    case RF_SADDR:
        return ev->saddr;
    case RF_DADDR:
        return ev->daddr;
    case RF_UID:
        snprintf(tmp, tmplen, "%" PRIu32, ev->uid);
        return tmp;
    case RF_PID:
        snprintf(tmp, tmplen, "%" PRIu32, ev->pid);
        return tmp;
    case RF_PPID:
        snprintf(tmp, tmplen, "%" PRIu32, ev->ppid);
        return tmp;
    case RF_SPORT:
        snprintf(tmp, tmplen, "%d", ev->sport);
        return tmp;
    case RF_DPORT:
        snprintf(tmp, tmplen, "%d", ev->dport);
        return tmp;
    case RF_RET:
        snprintf(tmp, tmplen, "%d", ev->ret);
        return tmp;
    case RF_COUNT:
        break;
    }
    return "";
}

static bool cond_matches(struct rule_set *rs, const struct cond *c, const struct kevent *ev)
{
    char tmp[24];
    const char *s = field_text(ev, c->field, tmp, sizeof(tmp));
    /* Fixed-size fields may lack a NUL if a producer filled them whole. */
    size_t cap = c->field == RF_COMM   ? sizeof(ev->comm)
                 : c->field == RF_PATH ? sizeof(ev->path)
                 : c->field == RF_ARGS ? sizeof(ev->args)
                                       : strlen(s) + 1;
    size_t len = strnlen(s, cap);
    int rc = rs->jit ? pcre2_jit_match(c->re, (PCRE2_SPTR)s, len, 0, 0, rs->md, NULL)
                     : PCRE2_ERROR_JIT_BADOPTION;
    if (rc == PCRE2_ERROR_JIT_BADOPTION) /* not JIT-compiled: interpret */
        rc = pcre2_match(c->re, (PCRE2_SPTR)s, len, 0, 0, rs->md, NULL);
    return rc >= 0;
}

static bool set_matches(struct rule_set *rs, const struct cond_set *cs, const struct kevent *ev)
{
    for (int i = 0; i < cs->n; i++)
        if (!cond_matches(rs, &cs->c[i], ev))
            return false;
    return true;
}

static bool rule_matches(struct rule_set *rs, const struct rule *r, const struct kevent *ev)
{
    if (!r->enabled || (unsigned)ev->kind >= KEV_KIND_COUNT || !(r->kinds & (1u << ev->kind)))
        return false;
    if (!set_matches(rs, &r->match, ev))
        return false;
    for (int i = 0; i < r->nunless; i++)
        if (set_matches(rs, &r->unless[i], ev))
            return false;
    return true;
}

int rules_match_all(struct rule_set *rs, const struct kevent *ev, int *out, int max)
{
    int n = 0;
    for (int i = 0; i < rs->count && n < max; i++)
        if (rule_matches(rs, &rs->rules[i], ev))
            out[n++] = i;
    return n;
}

int rules_apply(struct rule_set *rs, struct kevent *ev)
{
    int best = -1;
    for (int i = 0; i < rs->count; i++) {
        if (best >= 0 && rs->rules[i].severity <= rs->rules[best].severity)
            continue;
        if (rule_matches(rs, &rs->rules[i], ev))
            best = i;
    }
    if (best < 0)
        return -1;
    struct rule *r = &rs->rules[best];
    r->matches++;
    STR_COPY(ev->rule, r->name);
    STR_COPY(ev->title, r->title);
    if (r->severity > ev->severity)
        ev->severity = r->severity;
    return best;
}

int rules_count(const struct rule_set *rs)
{
    return rs->count;
}

bool rules_info(const struct rule_set *rs, int i, struct rule_info *out)
{
    if (i < 0 || i >= rs->count)
        return false;
    const struct rule *r = &rs->rules[i];
    out->name = r->name;
    out->title = r->title;
    out->tags = r->tags;
    out->severity = r->severity;
    out->matches = r->matches;
    return true;
}

bool rules_jit(const struct rule_set *rs)
{
    return rs->jit;
}

/* ---- config section `rules` ---- */

static int check_string_list(const struct ynode *n, char *err, size_t errlen)
{
    if (n->type != Y_SEQ)
        return yerr(n, err, errlen, "%s: expected a list of strings", n->key);
    for (const struct ynode *i = n->child; i; i = i->next)
        if (i->type != Y_SCALAR || !i->value[0])
            return yerr(i, err, errlen, "%s: expected a non-empty string", n->key);
    return 0;
}

int rules_config_check(const struct ynode *section, char *err, size_t errlen)
{
    static const char *const keys[] = {"default", "files", "disable", NULL};
    if (section->type != Y_MAP)
        return yerr(section, err, errlen, "rules: expected a mapping (default, files, disable)");
    if (ycheck_keys(section, keys, err, errlen) < 0)
        return -1;
    bool b;
    if (yget_bool(section, "default", &b, err, errlen) < 0)
        return -1;
    const struct ynode *n;
    if ((n = ymap_get(section, "files")) && check_string_list(n, err, errlen) < 0)
        return -1;
    if ((n = ymap_get(section, "disable")) && check_string_list(n, err, errlen) < 0)
        return -1;
    return 0;
}
