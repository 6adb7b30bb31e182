/* Node agents found through Kubernetes: a pod reflector into a private
 * table, reconciled into one agent connection per node (see discover.h). */
#include "agent/discover.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server.h"
#include "base/path.h"
#include "base/secret.h"
#include "base/tls.h"
#include "kube/kubeconfig.h"
#include "kube/reflector.h"
#include "kube/source.h"

#define DEFAULT_NAMESPACE "lookout"
#define DEFAULT_SELECTOR  "app.kubernetes.io/name=lookout-agent"
#define DEFAULT_PORT      7070

struct found {
    char node[NAME_LEN];
    struct agent_conn *conn;
};

struct discovery {
    struct source *src;
    struct agent_fleet *fleet;
    int nstatic; /* configured agents, counted in the fleet beside ours */
    struct kube_settings set;
    struct agent_discover_settings s;
    /* The pods the reflector keeps live in their own engine: the console's
     * pod table is another reflector's, whose relists would drop ours. */
    struct engine pods;
    struct kube_conn conn;
    bool conn_loaded;
    struct kube_env env;
    struct kube_reflector refl;
    bool refl_started;
    struct loop_timer *reconcile; /* pending: the pods changed */
    struct found *found;
    int nfound, capfound;
};

/* ---- config ---- */

int agent_discover_check(const struct ynode *m, char *err, size_t errlen)
{
    static const char *const keys[] = {"namespace",  "selector",      "port", "scheme",
                                       "token_file", TLS_CONFIG_KEYS, NULL};
    if (m->type != Y_MAP)
        return yerr(m, err, errlen,
                    "agents.discover: expected a mapping (namespace, selector, port, ...)");
    if (ycheck_keys(m, keys, err, errlen) < 0)
        return -1;
    char v[512];
    int64_t port;
    struct tls_opts tls;
    if (yget_str(m, "namespace", v, 64, err, errlen) < 0 ||
        yget_str(m, "selector", v, 256, err, errlen) < 0 ||
        yget_path(m, "token_file", v, sizeof(v), err, errlen) < 0 ||
        tls_config_read(m, &tls, err, errlen) < 0 || yget_int(m, "port", &port, err, errlen) < 0 ||
        yget_str(m, "scheme", v, 8, err, errlen) < 0)
        return -1;
    if (yget_int(m, "port", &port, err, errlen) == 1 && (port < 1 || port > 65535))
        return yerr(ymap_get(m, "port"), err, errlen, "agents.discover.port: 1 to 65535");
    if (yget_str(m, "scheme", v, 8, err, errlen) == 1 && strcmp(v, "http") != 0 &&
        strcmp(v, "https") != 0)
        return yerr(ymap_get(m, "scheme"), err, errlen, "agents.discover.scheme: http or https");
    return 0;
}

int agent_discover_settings(const struct ynode *m, struct agent_discover_settings *d, char *err,
                            size_t errlen)
{
    int64_t port = DEFAULT_PORT;
    char token_file[256] = "", token[256] = "";
    *d = (struct agent_discover_settings){0};
    STR_COPY(d->namespace, DEFAULT_NAMESPACE);
    STR_COPY(d->selector, DEFAULT_SELECTOR);
    yget_str(m, "namespace", d->namespace, sizeof(d->namespace), err, errlen);
    yget_str(m, "selector", d->selector, sizeof(d->selector), err, errlen);
    yget_int(m, "port", &port, err, errlen);
    d->port = (int)port;
    if (tls_config_read(m, &d->tls, err, errlen) < 0)
        return -1;
    STR_COPY(d->scheme, d->tls.ca_file[0] ? "https" : "http");
    yget_str(m, "scheme", d->scheme, sizeof(d->scheme), err, errlen);
    int has_token = yget_path(m, "token_file", token_file, sizeof(token_file), err, errlen);
    if (has_token < 0)
        return -1;
    if (has_token == 1) {
        if (agent_read_token(token_file, token, sizeof(token), err, errlen) < 0)
            return -1;
        snprintf(d->auth, sizeof(d->auth), "Authorization: Bearer %s", token);
        secret_wipe(token, sizeof(token));
    }
    return 0;
}

void *agent_discover_new(const struct ynode *m, const struct config *config,
                         struct agent_fleet *fleet, char *err, size_t errlen)
{
    struct discovery *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (agent_discover_settings(m, &d->s, err, errlen) < 0) {
        secret_wipe(d->s.auth, sizeof(d->s.auth));
        free(d);
        return NULL;
    }
    d->fleet = fleet;
    d->nstatic = fleet->nagents;
    kube_settings_from(&d->set, config_section(config, "kubernetes"));
    STR_COPY(d->set.namespace, d->s.namespace); /* RBAC messages name the right one */
    d->set.namespace_set = true;
    return d;
}

/* ---- reconciling pods into connections ---- */

const struct k8s_pod *agent_discover_pod_for(struct table *t, const char *node)
{
    const struct k8s_pod *best = NULL;
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (p->ready && p->ip[0] && strcmp(p->node, node) == 0 &&
            (!best || p->created > best->created))
            best = p;
    }
    return best;
}

void agent_discover_url(const struct agent_discover_settings *s, const char *ip, char *out,
                        size_t outlen)
{
    bool v6 = strchr(ip, ':') != NULL;
    snprintf(out, outlen, "%s://%s%s%s:%d", s->scheme, v6 ? "[" : "", ip, v6 ? "]" : "", s->port);
}

static int find(const struct discovery *d, const char *node)
{
    for (int i = 0; i < d->nfound; i++)
        if (strcmp(d->found[i].node, node) == 0)
            return i;
    return -1;
}

/* Drops connections whose node has no ready pod, follows moved ones. */
static void reconcile_known(struct discovery *d)
{
    char url[600];
    for (int i = d->nfound - 1; i >= 0; i--) {
        const struct k8s_pod *p =
            agent_discover_pod_for(engine_table(&d->pods, T_PODS), d->found[i].node);
        if (!p) {
            agent_conn_free(d->found[i].conn, true);
            d->found[i] = d->found[--d->nfound];
            continue;
        }
        agent_discover_url(&d->s, p->ip, url, sizeof(url));
        if (strcmp(url, agent_conn_url(d->found[i].conn)) != 0)
            agent_conn_retarget(d->found[i].conn, url);
    }
}

static void add_found(struct discovery *d, const struct k8s_pod *p)
{
    char url[600], err[256];
    if (d->nfound == d->capfound) {
        int cap = d->capfound ? d->capfound * 2 : 16;
        struct found *f = realloc(d->found, (size_t)cap * sizeof(*f));
        if (!f)
            return; /* the next change tries again */
        d->found = f;
        d->capfound = cap;
    }
    agent_discover_url(&d->s, p->ip, url, sizeof(url));
    struct agent_conn *c = agent_conn_new(&d->src->ctx, d->fleet, p->node, url, &d->s.tls,
                                          d->s.auth, err, sizeof(err));
    if (!c)
        return;
    struct found *f = &d->found[d->nfound++];
    STR_COPY(f->node, p->node);
    f->conn = c;
    d->fleet->nagents = d->nstatic + d->nfound; /* before it connects: its filter counts it */
    if (agent_conn_start(c, err, sizeof(err)) < 0)
        engine_source_state(d->src->ctx.engine, "agents:discover", "agent", SRC_FAILED, err);
}

static void reconcile(struct discovery *d)
{
    reconcile_known(d);
    struct table *t = engine_table(&d->pods, T_PODS);
    int fresh = 0;
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        fresh += p->ready && p->ip[0] && p->node[0] && find(d, p->node) < 0;
    }
    /* the whole batch counts before the first of it connects */
    d->fleet->nagents = d->nstatic + d->nfound + fresh;
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (p->ready && p->ip[0] && p->node[0] && find(d, p->node) < 0)
            add_found(d, agent_discover_pod_for(t, p->node));
    }
    d->fleet->nagents = d->nstatic + d->nfound;
}

static void report(struct discovery *d)
{
    const struct kube_reflector *r = &d->refl;
    char msg[400];
    if (r->failing || r->phase == KR_FORBIDDEN) {
        snprintf(msg, sizeof(msg), "pods in %s (%s): %s", d->s.namespace, d->s.selector, r->error);
        engine_source_state(d->src->ctx.engine, d->src->name, "agent",
                            r->synced ? SRC_STALE : SRC_FAILED, msg);
    } else if (r->synced) {
        engine_source_state(d->src->ctx.engine, d->src->name, "agent", SRC_SYNCED, NULL);
    }
}

static void on_reconcile(void *ud)
{
    struct discovery *d = ud;
    d->reconcile = NULL;
    reconcile(d);
}

/* Connections are opened and closed from a timer, not here: this runs
 * inside the reflector's transfer, where libcurl refuses to add or remove
 * another one. One pass also serves a whole batch of changes. */
static void on_changed(struct kube_reflector *r, bool health, void *ud)
{
    struct discovery *d = ud;
    (void)r;
    if (health)
        report(d);
    if (d->refl.synced && !d->reconcile) /* a first list in progress is not yet the pods */
        d->reconcile = loop_timer_start(d->src->ctx.loop, 0, on_reconcile, d);
}

/* ---- source ops ---- */

static int discover_start(struct source *s, char *err, size_t errlen)
{
    struct discovery *d = s->priv;
    d->src = s;
    engine_init(&d->pods);
    if (kube_settings_connect(&d->set, &d->conn, err, errlen) < 0)
        return -1;
    d->conn_loaded = true;
    if (d->conn.has_exec) {
        snprintf(err, errlen,
                 "agents.discover: the kubeconfig user runs a credential plugin; "
                 "discovery needs a token, token file or client certificate");
        return -1;
    }
    d->env = (struct kube_env){.loop = s->ctx.loop,
                               .http = s->ctx.http,
                               .engine = &d->pods,
                               .conn = &d->conn,
                               .changed = on_changed,
                               .ud = d};
    kube_reflector_init(&d->refl, &d->env, KK_PODS, d->s.namespace);
    char *sel = curl_easy_escape(NULL, d->s.selector, 0);
    int n = snprintf(d->refl.extra, sizeof(d->refl.extra), "labelSelector=%s", sel ? sel : "");
    curl_free(sel);
    if (!sel || n < 0 || (size_t)n >= sizeof(d->refl.extra)) {
        kube_reflector_stop(&d->refl);
        snprintf(err, errlen, "agents.discover.selector: too long once URL-encoded");
        return -1;
    }
    kube_reflector_start(&d->refl);
    d->refl_started = true;
    return 0;
}

static void discover_stop(struct source *s)
{
    struct discovery *d = s->priv;
    if (!d)
        return;
    if (d->reconcile)
        loop_timer_cancel(d->src->ctx.loop, d->reconcile);
    for (int i = 0; i < d->nfound; i++)
        agent_conn_free(d->found[i].conn, false);
    free(d->found);
    if (d->refl_started)
        kube_reflector_stop(&d->refl);
    if (d->src)
        engine_free(&d->pods);
    if (d->conn_loaded)
        kube_conn_free(&d->conn);
    secret_wipe(d->s.auth, sizeof(d->s.auth));
    free(d);
    s->priv = NULL;
}

const struct source_ops agent_discover_ops = {
    .kind = "agent",
    .start = discover_start,
    .stop = discover_stop,
};
