#include "kube/services.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"

/* Finds key's value in "k=v,k=v"; NULL when absent. */
static const char *label_value(const char *labels, const char *key, size_t keylen, size_t *vlen)
{
    const char *p = labels;
    while (*p) {
        const char *eq = strchr(p, '='), *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        if (eq && eq < end && (size_t)(eq - p) == keylen && strncmp(p, key, keylen) == 0) {
            *vlen = (size_t)(end - eq - 1);
            return eq + 1;
        }
        p = comma ? comma + 1 : end;
    }
    return NULL;
}

/* One term "k=v" / "k!=v" / "k" / "!k"; returns whether labels satisfy it. */
static bool term_match(const char *t, size_t len, const char *labels)
{
    bool neg_exist = len && t[0] == '!' && !memchr(t, '=', len);
    const char *op = NULL;
    size_t oplen = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '!' && i + 1 < len && t[i + 1] == '=') {
            op = t + i, oplen = 2;
            break;
        }
        if (t[i] == '=') {
            op = t + i, oplen = (i + 1 < len && t[i + 1] == '=') ? 2 : 1;
            break;
        }
    }
    size_t vlen;
    if (!op) {
        const char *k = neg_exist ? t + 1 : t;
        size_t klen = neg_exist ? len - 1 : len;
        bool has = label_value(labels, k, klen, &vlen) != NULL;
        return neg_exist ? !has : has;
    }
    const char *v = label_value(labels, t, (size_t)(op - t), &vlen);
    const char *want = op + oplen;
    size_t wlen = len - (size_t)(want - t);
    bool eq = v && vlen == wlen && strncmp(v, want, wlen) == 0;
    return op[0] == '!' ? !eq : eq;
}

static bool key_ok(const char *k, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/'))
            return false;
    }
    return true;
}

bool kube_selector_valid(const char *sel, char *err, size_t errlen)
{
    if (!*sel) {
        snprintf(err, errlen, "empty selector");
        return false;
    }
    for (const char *p = sel; *p;) {
        size_t len = strcspn(p, ",");
        const char *t = p;
        size_t klen = strcspn(t, "=!");
        if (t[0] == '!') {
            t++;
            klen = len - 1;
        } else if (klen > len) {
            klen = len;
        }
        if (!key_ok(t, klen) || strstr(p, " in ") || strchr(p, '(')) {
            snprintf(err, errlen,
                     "selector '%.60s': use k=v, k!=v, k or !k joined by commas "
                     "(set-based 'in' is not supported)",
                     sel);
            return false;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return true;
}

bool kube_selector_match(const char *sel, const char *labels)
{
    if (!*sel)
        return false;
    for (const char *p = sel; *p;) {
        size_t len = strcspn(p, ",");
        if (!term_match(p, len, labels))
            return false;
        p += len;
        if (*p == ',')
            p++;
    }
    return true;
}

int kube_check_services(const struct ynode *s, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "namespace", "selector", "description", NULL};
    if (s->type != Y_SEQ)
        return yerr(s, err, errlen, "services must be a list of {name, namespace, selector}");
    for (const struct ynode *e = s->child; e; e = e->next) {
        if (e->type != Y_MAP)
            return yerr(e, err, errlen, "a service must be a mapping {name, namespace, selector}");
        if (ycheck_keys(e, keys, err, errlen) < 0)
            return -1;
        char name[NAME_LEN] = "", ns[NAME_LEN], sel[TEXT_LEN] = "", why[160];
        if (yget_str(e, "name", name, sizeof(name), err, errlen) < 0 ||
            yget_str(e, "namespace", ns, sizeof(ns), err, errlen) < 0 ||
            yget_str(e, "selector", sel, sizeof(sel), err, errlen) < 0)
            return -1;
        if (!*name)
            return yerr(e, err, errlen, "a service needs a name");
        if (*sel && !kube_selector_valid(sel, why, sizeof(why)))
            return yerr(ymap_get(e, "selector"), err, errlen, "%s", why);
        for (const struct ynode *o = s->child; o != e; o = o->next) {
            const struct ynode *on = ymap_get(o, "name");
            if (on && on->type == Y_SCALAR && strcmp(on->value, name) == 0)
                return yerr(e, err, errlen, "service '%s' is defined twice", name);
        }
    }
    return 0;
}

void kube_services_load(struct engine *e, const struct config *c)
{
    const struct ynode *s = config_section(c, "services");
    char err[256];
    for (const struct ynode *n = s && s->type == Y_SEQ ? s->child : NULL; n; n = n->next) {
        struct service row = {.request_rate = NAN, .error_ratio = NAN};
        char name[NAME_LEN] = "";
        if (yget_str(n, "name", name, sizeof(name), err, sizeof(err)) != 1)
            continue;
        const struct service *old = engine_get(e, T_SERVICES, name);
        if (old)
            row = *old;
        STR_COPY(row.name, name);
        yget_str(n, "namespace", row.namespace, sizeof(row.namespace), err, sizeof(err));
        yget_str(n, "selector", row.selector, sizeof(row.selector), err, sizeof(err));
        if (!old || memcmp(old, &row, sizeof(row)) != 0)
            engine_upsert(e, T_SERVICES, &row);
    }
}

int kube_service_pods(struct engine *e, const char *service, kube_pod_fn fn, void *ud)
{
    const struct service *s = engine_get(e, T_SERVICES, service);
    if (!s || !*s->selector)
        return -1;
    struct table *t = engine_table(e, T_PODS);
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (*s->namespace && strcmp(p->namespace, s->namespace) != 0)
            continue;
        if (!kube_selector_match(s->selector, p->labels))
            continue;
        n++;
        if (fn)
            fn(p, ud);
    }
    return n;
}
