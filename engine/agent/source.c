/* Console side of node agents: the `agents` section, configured agents as
 * one source each, discovery as one more (agent/discover.c). */
#include "agent/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conn.h"
#include "agent/discover.h"
#include "agent/server.h"
#include "base/buf.h"
#include "base/path.h"
#include "base/secret.h"
#include "base/tls.h"

/* ---- configured agents: one source each ---- */

static int agent_start_source(struct source *s, char *err, size_t errlen)
{
    return agent_conn_start(s->priv, err, errlen);
}

static void agent_stop_source(struct source *s)
{
    agent_conn_free(s->priv, false);
    s->priv = NULL;
}

const struct source_ops agent_source_ops = {
    .kind = "agent",
    .start = agent_start_source,
    .stop = agent_stop_source,
};

/* ---- config ---- */

static int check_agent(const struct ynode *m, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "url", "token_file", TLS_CONFIG_KEYS, NULL};
    if (m->type != Y_MAP)
        return yerr(m, err, errlen, "agents: each entry is a mapping (name, url, ...)");
    if (ycheck_keys(m, keys, err, errlen) < 0)
        return -1;
    char v[512] = "";
    struct tls_opts tls;
    if (yget_str(m, "name", v, sizeof(v), err, errlen) < 0 ||
        yget_str(m, "url", v, sizeof(v), err, errlen) < 0 ||
        yget_path(m, "token_file", v, sizeof(v), err, errlen) < 0 ||
        tls_config_read(m, &tls, err, errlen) < 0)
        return -1;
    v[0] = '\0';
    yget_str(m, "name", v, sizeof(v), err, errlen);
    if (!v[0])
        return yerr(m, err, errlen, "agents: entry without a name");
    if (strlen(v) >= NAME_LEN - 7)
        return yerr(ymap_get(m, "name"), err, errlen, "agents: name longer than %d bytes",
                    NAME_LEN - 8);
    v[0] = '\0';
    yget_str(m, "url", v, sizeof(v), err, errlen);
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return yerr(ymap_get(m, "url") ? ymap_get(m, "url") : m, err, errlen,
                    "agents: url must start with http:// or https://");
    return 0;
}

static int check_static(const struct ynode *section, char *err, size_t errlen)
{
    if (section->type != Y_SEQ)
        return yerr(section, err, errlen, "agents: expected a list of {name, url}");
    for (const struct ynode *m = section->child; m; m = m->next) {
        if (check_agent(m, err, errlen) < 0)
            return -1;
        for (const struct ynode *o = section->child; o != m; o = o->next) {
            const struct ynode *a = ymap_get(m, "name"), *b = ymap_get(o, "name");
            if (a && b && a->value && b->value && strcmp(a->value, b->value) == 0)
                return yerr(a, err, errlen, "agents: name '%s' used twice", a->value);
        }
    }
    return 0;
}

/* kinds/namespaces: a list, or one comma-separated string; joined with
 * commas into out. 0 absent, 1 found, -1 with err. */
static int yget_names(const struct ynode *m, const char *key, char *out, size_t outlen, char *err,
                      size_t errlen)
{
    const struct ynode *n = ymap_get(m, key);
    out[0] = '\0';
    if (!n)
        return 0;
    if (n->type == Y_SCALAR)
        return str_copy(out, outlen, n->value ? n->value : "")
                   ? 1
                   : yerr(n, err, errlen, "agents.filter.%s: too long", key);
    if (n->type != Y_SEQ)
        return yerr(n, err, errlen, "agents.filter.%s: a list of names", key);
    size_t len = 0;
    for (const struct ynode *c = n->child; c; c = c->next) {
        if (c->type != Y_SCALAR || !c->value || strchr(c->value, ','))
            return yerr(c, err, errlen, "agents.filter.%s: a list of names", key);
        int w = snprintf(out + len, outlen - len, "%s%s", len ? "," : "", c->value);
        if (w < 0 || (size_t)w >= outlen - len)
            return yerr(n, err, errlen, "agents.filter.%s: too long", key);
        len += (size_t)w;
    }
    return 1;
}

static bool known_name(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static int check_kinds(const struct ynode *m, const char *kinds, char *err, size_t errlen)
{
    char copy[256], *save = NULL;
    STR_COPY(copy, kinds);
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save))
        if (!known_name(k, kev_kind_names, KEV_KIND_COUNT))
            return yerr(ymap_get(m, "kinds"), err, errlen,
                        "agents.filter.kinds: unknown kind '%s' (exec, exit, open, priv, connect, "
                        "accept, reset, retransmit, oom, gap, throttle)",
                        k);
    return 0;
}

/* agents.filter as the /events query it asks for; 0 or -1 with err. */
static int filter_query(const struct ynode *m, char *out, size_t outlen, char *err, size_t errlen)
{
    static const char *const keys[] = {"min_severity", "kinds",    "namespaces",
                                       "rules_only",   "max_rate", NULL};
    if (m->type != Y_MAP)
        return yerr(m, err, errlen, "agents.filter: expected a mapping (min_severity, kinds, ...)");
    if (ycheck_keys(m, keys, err, errlen) < 0)
        return -1;
    char sev[16] = "", kinds[256], ns[256];
    bool rules_only = false;
    int64_t rate = 0;
    if (yget_str(m, "min_severity", sev, sizeof(sev), err, errlen) < 0 ||
        yget_names(m, "kinds", kinds, sizeof(kinds), err, errlen) < 0 ||
        yget_names(m, "namespaces", ns, sizeof(ns), err, errlen) < 0 ||
        yget_bool(m, "rules_only", &rules_only, err, errlen) < 0 ||
        yget_int(m, "max_rate", &rate, err, errlen) < 0 || check_kinds(m, kinds, err, errlen) < 0)
        return -1;
    if (sev[0] && !known_name(sev, severity_names, 3))
        return yerr(ymap_get(m, "min_severity"), err, errlen,
                    "agents.filter.min_severity: info, warning or critical");
    if (rate < 0 || rate > 1000000)
        return yerr(ymap_get(m, "max_rate"), err, errlen,
                    "agents.filter.max_rate: events per second, 0 (no cap) to 1000000");
    struct buf q = {0};
    if (sev[0])
        buf_printf(&q, "&min_severity=%s", sev);
    if (kinds[0])
        buf_printf(&q, "&kinds=%s", kinds);
    if (ns[0])
        buf_printf(&q, "&namespaces=%s", ns);
    if (rules_only)
        buf_puts(&q, "&rules_only=1");
    if (rate)
        buf_printf(&q, "&max_rate=%lld", (long long)rate);
    bool fits = str_copy(out, outlen, q.len ? q.data + 1 : "");
    buf_free(&q);
    return fits ? 0 : yerr(m, err, errlen, "agents.filter: too long");
}

/* `agents` is the list of configured agents, or a mapping: static (that
 * list), discover, filter. */
int agents_config_check(const struct ynode *section, char *err, size_t errlen)
{
    static const char *const keys[] = {"static", "discover", "filter", NULL};
    if (section->type == Y_SEQ)
        return check_static(section, err, errlen);
    if (section->type != Y_MAP)
        return yerr(section, err, errlen,
                    "agents: expected a list of {name, url}, or a mapping (static, discover, "
                    "filter)");
    if (ycheck_keys(section, keys, err, errlen) < 0)
        return -1;
    const struct ynode *st = ymap_get(section, "static"), *d = ymap_get(section, "discover");
    const struct ynode *f = ymap_get(section, "filter");
    char q[512];
    if ((st && check_static(st, err, errlen) < 0) ||
        (d && agent_discover_check(d, err, errlen) < 0) ||
        (f && filter_query(f, q, sizeof(q), err, errlen) < 0))
        return -1;
    return 0;
}

static struct agent_conn *static_conn(const struct module_ctx *ctx, struct agent_fleet *fleet,
                                      const struct ynode *m, char *err, size_t errlen)
{
    char node[NAME_LEN] = "", url[512] = "", token_file[256] = "";
    char token[256] = "", auth[300] = "";
    static struct tls_opts tls; /* large; copied by agent_conn_new */
    yget_str(m, "name", node, sizeof(node), err, errlen);
    yget_str(m, "url", url, sizeof(url), err, errlen);
    int has_token = yget_path(m, "token_file", token_file, sizeof(token_file), err, errlen);
    if (tls_config_read(m, &tls, err, errlen) < 0 || has_token < 0)
        return NULL;
    size_t ul = strlen(url);
    while (ul && url[ul - 1] == '/')
        url[--ul] = '\0';
    if (has_token == 1) {
        if (agent_read_token(token_file, token, sizeof(token), err, errlen) < 0)
            return NULL;
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        secret_wipe(token, sizeof(token));
    }
    struct agent_conn *c = agent_conn_new(ctx->src, fleet, node, url, &tls, auth, err, errlen);
    secret_wipe(auth, sizeof(auth));
    return c;
}

static int add_static(const struct module_ctx *ctx, struct agent_fleet *fleet,
                      const struct ynode *list, char *err, size_t errlen)
{
    for (const struct ynode *m = list->child; m; m = m->next) {
        struct agent_conn *c = static_conn(ctx, fleet, m, err, errlen);
        if (!c)
            return -1;
        char node[NAME_LEN] = "", name[NAME_LEN + 8];
        yget_str(m, "name", node, sizeof(node), err, errlen);
        snprintf(name, sizeof(name), "agent:%s", node);
        if (!source_add(ctx->sources, &agent_source_ops, name, ctx->src, c)) {
            agent_conn_free(c, false);
            snprintf(err, errlen, "too many sources");
            return -1;
        }
        fleet->nagents++;
    }
    return 0;
}

static int add_discovery(const struct module_ctx *ctx, struct agent_fleet *fleet,
                         const struct ynode *m, char *err, size_t errlen)
{
    void *d = agent_discover_new(m, ctx->config, fleet, err, errlen);
    if (!d)
        return -1;
    if (!source_add(ctx->sources, &agent_discover_ops, "agents:discover", ctx->src, d)) {
        snprintf(err, errlen, "too many sources");
        struct source tmp = {.priv = d};
        agent_discover_ops.stop(&tmp);
        return -1;
    }
    return 0;
}

static int agents_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    const struct ynode *sec = config_section(ctx->config, "agents");
    if (!sec || (ctx->opt->demo && !ctx->opt->host_kernel))
        return 0; /* other nodes' real events join the demo only with --host-kernel */
    struct agent_fleet *fleet = calloc(1, sizeof(*fleet));
    if (!fleet) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *state = fleet;
    const struct ynode *list = sec->type == Y_SEQ ? sec : ymap_get(sec, "static");
    const struct ynode *disc = sec->type == Y_MAP ? ymap_get(sec, "discover") : NULL;
    const struct ynode *filter = sec->type == Y_MAP ? ymap_get(sec, "filter") : NULL;
    if (filter && filter_query(filter, fleet->filter, sizeof(fleet->filter), err, errlen) < 0)
        return -1;
    fleet->filter_set = filter != NULL;
    if (list && add_static(ctx, fleet, list, err, errlen) < 0)
        return -1;
    return disc ? add_discovery(ctx, fleet, disc, err, errlen) : 0;
}

static void agents_teardown(void *state)
{
    free(state);
}

static const struct module_section agents_sections[] = {
    {"agents", agents_config_check},
    {NULL, NULL},
};

const struct module agents_module = {
    .name = "agents",
    .sections = agents_sections,
    .flags = MODULE_LIVE,
    .setup = agents_setup,
    .teardown = agents_teardown,
};
