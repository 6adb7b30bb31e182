/* `lookout observe` beyond the local kernel: the node agents it streams
 * from with --agent (coverage of the window per agent, losses, the verdict
 * when one is down; with --discover, one per agent pod listed from the
 * config's cluster) and the pods it scopes to with --pod-selector (listed
 * and watched from the config's cluster); see observe.h and
 * docs/devsecops.md. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/discover.h"
#include "agent/server.h"
#include "agent/source.h"
#include "base/secret.h"
#include "base/textsafe.h"
#include "cmd/observe.h"

/* ---- pods by label ---- */

static void pick(struct pods *pp, const struct k8s_pod *p)
{
    for (int i = 0; i < pp->n; i++)
        if (strcmp(pp->p[i].key, p->key) == 0 && strcmp(pp->p[i].uid, p->uid) == 0)
            return;
    if (pp->n == pp->cap) {
        int cap = pp->cap ? pp->cap * 2 : 16;
        struct picked *n = realloc(pp->p, (size_t)cap * sizeof(*n));
        if (!n)
            return;
        pp->p = n;
        pp->cap = cap;
    }
    STR_COPY(pp->p[pp->n].key, p->key);
    STR_COPY(pp->p[pp->n].uid, p->uid);
    pp->n++;
}

static const struct picked *picked_for(const struct pods *pp, const char *pod)
{
    for (int i = 0; i < pp->n; i++)
        if (strcmp(pp->p[i].key, pod) == 0 ||
            (strncmp(pod, "uid:", 4) == 0 && strcmp(pp->p[i].uid, pod + 4) == 0))
            return &pp->p[i];
    return NULL;
}

/* An event of a selected pod gets the pod's name: an agent or the kernel
 * may know the pod only by the UID in its cgroup path. */
bool observe_in_pods(struct observe *ob, struct kevent *k)
{
    struct pods *pp = &ob->pods;
    if (!k->pod[0])
        return false;
    const struct picked *p = picked_for(pp, k->pod);
    if (!p && pp->dirty) {
        struct table *t = engine_table(ob->e, T_PODS);
        for (int i = 0; i < t->count; i++)
            pick(pp, table_row(t, i));
        pp->dirty = false;
        p = picked_for(pp, k->pod);
    }
    if (p)
        STR_COPY(k->pod, p->key);
    return p != NULL;
}

static void on_pods(struct kube_reflector *r, bool health, void *ud)
{
    (void)r;
    (void)health;
    ((struct pods *)ud)->dirty = true;
}

int observe_pods_start(struct observe *ob, struct config *cfg, char *err, size_t errlen)
{
    struct pods *pp = &ob->pods;
    kube_settings_from(&pp->set, config_section(cfg, "kubernetes"));
    STR_COPY(pp->set.namespace, ob->o->ns ? ob->o->ns : "");
    pp->set.namespace_set = true;
    if (kube_settings_connect(&pp->set, &pp->conn, err, errlen) < 0)
        return -1;
    pp->conn_loaded = true;
    pp->env = (struct kube_env){.loop = ob->loop,
                                .http = ob->http,
                                .engine = ob->e,
                                .conn = &pp->conn,
                                .changed = on_pods,
                                .ud = pp};
    kube_reflector_init(&pp->refl, &pp->env, KK_PODS, ob->o->ns ? ob->o->ns : "");
    char *sel = curl_easy_escape(NULL, ob->o->selector, 0);
    int n = snprintf(pp->refl.extra, sizeof(pp->refl.extra), "labelSelector=%s", sel ? sel : "");
    curl_free(sel);
    if (!sel || n < 0 || (size_t)n >= sizeof(pp->refl.extra)) {
        kube_reflector_stop(&pp->refl);
        snprintf(err, errlen, "--pod-selector: too long once URL-encoded");
        return -1;
    }
    kube_reflector_start(&pp->refl);
    pp->started = true;
    return 0;
}

void observe_pods_stop(struct pods *pp)
{
    if (pp->started)
        kube_reflector_stop(&pp->refl);
    if (pp->conn_loaded)
        kube_conn_free(&pp->conn);
    free(pp->p);
}

/* A selector that picked no pod in the whole window observed nothing: a
 * typo must not pass a pipeline as "clean". */
void observe_pods_conclude(struct observe *ob)
{
    struct pods *pp = &ob->pods;
    struct table *t = engine_table(ob->e, T_PODS);
    for (int i = 0; i < t->count; i++)
        pick(pp, table_row(t, i));
    if (pp->n || ob->h.failed)
        return;
    ob->h.failed = true;
    snprintf(ob->h.error, sizeof(ob->h.error), "no pod matched %s%s%s in the window",
             ob->o->selector, ob->o->ns ? " in namespace " : "", ob->o->ns ? ob->o->ns : "");
}

/* ---- node agents ---- */

struct remote *observe_remote_of(struct observe *ob, const char *node)
{
    for (int i = 0; i < ob->nremotes; i++)
        if (strcmp(ob->remotes[i].a.name, node) == 0)
            return &ob->remotes[i];
    return NULL;
}

bool observe_remote_streaming(struct observe *ob, const struct remote *r)
{
    const struct source_info *si = engine_get(ob->e, T_SOURCES, r->source);
    return si && si->state == SRC_SYNCED;
}

/* Once per loop turn: who streams, who stopped, and the ring drops their
 * heartbeats report (a connection lost and back within a turn still
 * passes through STALE: its retry waits a second at least). */
void observe_remotes_track(struct observe *ob)
{
    for (int i = 0; i < ob->nremotes && ob->open; i++) {
        struct remote *r = &ob->remotes[i];
        const struct source_info *si = engine_get(ob->e, T_SOURCES, r->source);
        if (si && si->state == SRC_SYNCED) {
            r->ever_synced = true;
        } else if (r->ever_synced || r->synced_at_open || !r->a.error[0]) {
            r->interrupted = r->interrupted || r->ever_synced;
            snprintf(r->a.error, sizeof(r->a.error), "%s",
                     si && si->error[0] ? si->error : "not streaming");
        }
        const struct kstats *k = engine_get(ob->e, T_KSTATS, r->source);
        if (k && !r->have_drops) {
            r->drops0 = k->ring_drops;
            r->have_drops = true;
        }
        if (k && k->ring_drops >= r->drops0)
            r->a.ring_drops = k->ring_drops - r->drops0;
    }
}

/* NAME=URL, or URL named after its host[:port]. */
int observe_agent_name(const char *arg, char *name, size_t namelen, const char **url)
{
    const char *sep = strstr(arg, "://"), *eq = strchr(arg, '=');
    if (!sep)
        return -1;
    if (eq && eq < sep) {
        snprintf(name, namelen, "%.*s", (int)(eq - arg), arg);
        *url = eq + 1;
    } else {
        snprintf(name, namelen, "%.*s", (int)strcspn(sep + 3, "/?#"), sep + 3);
        *url = arg;
    }
    return name[0] && (strncmp(*url, "http://", 7) == 0 || strncmp(*url, "https://", 8) == 0) ? 0
                                                                                              : -1;
}

static int add_remote(struct observe *ob, struct source_set *set, const struct source_ctx *ctx,
                      const char *name, const char *url, const struct tls_opts *tls,
                      const char *auth, char *err, size_t errlen)
{
    if (ob->nremotes == MAX_AGENTS) {
        snprintf(err, errlen, "more than %d agents", MAX_AGENTS);
        return -1;
    }
    struct remote *r = &ob->remotes[ob->nremotes];
    snprintf(r->a.name, sizeof(r->a.name) - 8, "%s", name);
    STR_COPY(r->a.url, url);
    size_t ul = strlen(r->a.url);
    while (ul && r->a.url[ul - 1] == '/')
        r->a.url[--ul] = '\0';
    char node[sizeof(r->a.name)];
    STR_COPY(node, r->a.name); /* a copy: gcc cannot tell the two fields apart */
    snprintf(r->source, sizeof(r->source), "agent:%s", node);
    struct agent_conn *c =
        agent_conn_new(ctx, &ob->fleet, r->a.name, r->a.url, tls, auth, err, errlen);
    if (!c || !source_add(set, &agent_source_ops, r->source, ctx, c)) {
        if (c)
            agent_conn_free(c, false);
        snprintf(err, errlen, "agent %s (%s): cannot add", node, url);
        return -1;
    }
    ob->nremotes++;
    ob->fleet.nagents++;
    return 0;
}

/* A node whose agent pod is not ready: no connection, down from the start
 * (the node is in scope and nothing watches it). */
static int add_unready(struct observe *ob, const char *node, const struct k8s_pod *p, char *err,
                       size_t errlen)
{
    if (ob->nremotes == MAX_AGENTS) {
        snprintf(err, errlen, "more than %d agents", MAX_AGENTS);
        return -1;
    }
    struct remote *r = &ob->remotes[ob->nremotes++];
    snprintf(r->a.name, sizeof(r->a.name) - 8, "%s", node);
    snprintf(r->source, sizeof(r->source), "agent:%s", node);
    char key[sizeof(p->key)]; /* the API server's words, printed */
    ts_sanitize(p->key, strlen(p->key), key, sizeof(key), true);
    snprintf(r->a.url, sizeof(r->a.url), "pod %s", key);
    snprintf(r->a.error, sizeof(r->a.error), "agent pod %s not ready when the window opened", key);
    r->unready = true;
    ob->unready++;
    return 0;
}

/* ---- agents found through Kubernetes (--discover) ---- */

/* The agent pods, listed once into their own engine: the scope's pods
 * (--pod-selector) live in the observer's. */
struct listing {
    struct agent_discover_settings ds;
    struct kube_settings set;
    struct kube_conn conn;
    bool conn_loaded, started;
    struct kube_env env;
    struct kube_reflector refl;
    struct engine pods;
};

static void on_listed(struct kube_reflector *r, bool health, void *ud)
{
    (void)r;
    (void)health;
    (void)ud; /* the table is read once the list is done */
}

/* Lists the agent pods, waiting at most START_WAIT_MS; -1 with err. */
static int list_agent_pods(struct observe *ob, struct listing *ls, const struct config *cfg,
                           char *err, size_t errlen)
{
    kube_settings_from(&ls->set, config_section(cfg, "kubernetes"));
    STR_COPY(ls->set.namespace, ls->ds.namespace); /* RBAC messages name the right one */
    ls->set.namespace_set = true;
    if (kube_settings_connect(&ls->set, &ls->conn, err, errlen) < 0)
        return -1;
    ls->conn_loaded = true;
    ls->env = (struct kube_env){.loop = ob->loop,
                                .http = ob->http,
                                .engine = &ls->pods,
                                .conn = &ls->conn,
                                .changed = on_listed,
                                .ud = ls};
    kube_reflector_init(&ls->refl, &ls->env, KK_PODS, ls->ds.namespace);
    char *sel = curl_easy_escape(NULL, ls->ds.selector, 0);
    int n = snprintf(ls->refl.extra, sizeof(ls->refl.extra), "labelSelector=%s", sel ? sel : "");
    curl_free(sel);
    if (!sel || n < 0 || (size_t)n >= sizeof(ls->refl.extra)) {
        kube_reflector_stop(&ls->refl);
        snprintf(err, errlen, "agents.discover.selector: too long once URL-encoded");
        return -1;
    }
    kube_reflector_start(&ls->refl);
    ls->started = true;
    const struct kube_reflector *r = &ls->refl;
    int64_t until = loop_mono_ms() + START_WAIT_MS;
    while (!r->synced && !r->failing && r->phase != KR_FORBIDDEN && !loop_stopped(ob->loop) &&
           loop_mono_ms() < until)
        loop_run_once(ob->loop, 100);
    if (r->synced)
        return 0;
    snprintf(err, errlen, "agent pods in %s (%s) not listed: %s", ls->ds.namespace, ls->ds.selector,
             r->error[0] ? r->error : "no answer from the API server");
    return -1;
}

/* One agent per node with an agent pod: its ready pod's, or down. */
static int add_discovered(struct observe *ob, struct listing *ls, struct source_set *set,
                          const struct source_ctx *ctx, char *err, size_t errlen)
{
    struct table *t = engine_table(&ls->pods, T_PODS);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        char node[NAME_LEN - 8], url[600];
        if (!p->node || !p->node[0])
            continue; /* not scheduled: on no node yet */
        ts_sanitize(p->node, strlen(p->node), node, sizeof(node), true);
        if (observe_remote_of(ob, node))
            continue; /* another pod of that node, or --agent names it */
        ob->discovered++;
        const struct k8s_pod *best = agent_discover_pod_for(t, p->node);
        if (!best && add_unready(ob, node, p, err, errlen) < 0)
            return -1;
        if (!best)
            continue;
        char ip[sizeof(best->ip)]; /* printed in the summary */
        ts_sanitize(best->ip, strlen(best->ip), ip, sizeof(ip), true);
        agent_discover_url(&ls->ds, ip, url, sizeof(url));
        if (add_remote(ob, set, ctx, node, url, &ls->ds.tls, ls->ds.auth, err, errlen) < 0)
            return -1;
    }
    if (ob->discovered)
        return 0;
    snprintf(err, errlen, "no agent pod matched %s in namespace %s", ls->ds.selector,
             ls->ds.namespace);
    return -1;
}

static int discover_remotes(struct observe *ob, struct source_set *set,
                            const struct source_ctx *ctx, char *err, size_t errlen)
{
    const struct ynode *sec = config_section(ctx->config, "agents");
    const struct ynode *m = sec && sec->type == Y_MAP ? ymap_get(sec, "discover") : NULL;
    struct listing *ls = calloc(1, sizeof(*ls));
    if (!ls || !m) {
        free(ls);
        snprintf(err, errlen, "%s", m ? "out of memory" : "--discover: no agents.discover");
        return -1;
    }
    engine_init(&ls->pods);
    int rc = agent_discover_settings(m, &ls->ds, err, errlen);
    if (rc == 0)
        rc = list_agent_pods(ob, ls, ctx->config, err, errlen);
    if (rc == 0)
        rc = add_discovered(ob, ls, set, ctx, err, errlen);
    if (ls->started)
        kube_reflector_stop(&ls->refl);
    if (ls->conn_loaded)
        kube_conn_free(&ls->conn);
    engine_free(&ls->pods);
    secret_wipe(ls->ds.auth, sizeof(ls->ds.auth));
    free(ls);
    return rc;
}

/* Every agent asks for the scope's namespace when there is one, so the
 * agent filters at the source; labels are matched here (an agent knows no
 * labels, and may know a pod only by its UID, which a namespace filter
 * would drop). */
int observe_remotes_start(struct observe *ob, struct source_set *set, const struct source_ctx *ctx,
                          char *err, size_t errlen)
{
    char token[256] = "", auth[300] = "";
    if (ob->o->token_file) {
        if (agent_read_token(ob->o->token_file, token, sizeof(token), err, errlen) < 0)
            return -1;
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        secret_wipe(token, sizeof(token));
    }
    ob->fleet.filter_set = true;
    if (ob->o->ns && !ob->o->selector)
        snprintf(ob->fleet.filter, sizeof(ob->fleet.filter), "namespaces=%s", ob->o->ns);
    int rc = 0;
    for (int i = 0; i < ob->o->nagents && rc == 0; i++) {
        char name[NAME_LEN - 8];
        const char *url = ob->o->agents[i];
        observe_agent_name(ob->o->agents[i], name, sizeof(name), &url); /* checked by parse */
        rc = add_remote(ob, set, ctx, name, url, NULL, auth, err, errlen);
    }
    secret_wipe(auth, sizeof(auth));
    if (rc == 0 && ob->o->discover)
        rc = discover_remotes(ob, set, ctx, err, errlen);
    return rc;
}

void observe_remotes_open(struct observe *ob)
{
    for (int i = 0; i < ob->nremotes; i++) {
        struct remote *r = &ob->remotes[i];
        if (r->unready)
            continue; /* its reason is set */
        r->synced_at_open = r->ever_synced = observe_remote_streaming(ob, r);
        if (!r->synced_at_open) {
            const struct source_info *si = engine_get(ob->e, T_SOURCES, r->source);
            snprintf(r->a.error, sizeof(r->a.error), "%s",
                     si && si->error[0] ? si->error : "not streaming when the window opened");
        }
    }
}

/* The header's agents and status: every agent down is a failed
 * observation; one down of several leaves part of the scope unseen. */
void observe_remotes_conclude(struct observe *ob)
{
    int down = 0, gaps = 0;
    char why[sizeof(ob->h.error)] = "";
    size_t wl = 0;
    for (int i = 0; i < ob->nremotes; i++) {
        struct remote *r = &ob->remotes[i];
        bool whole = r->synced_at_open && !r->interrupted;
        STR_COPY(r->a.state, whole ? "observed" : r->ever_synced ? "partial" : "down");
        if (whole)
            r->a.error[0] = '\0';
        if (r->a.ring_drops > r->a.lost)
            ob->h.lost += r->a.ring_drops - r->a.lost; /* not yet reported as a gap row */
        down += !r->ever_synced;
        gaps += !whole;
        if (!whole && wl < sizeof(why) - 1) {
            int w = snprintf(why + wl, sizeof(why) - wl, "%s%s %s: %s", wl ? "; " : "", r->a.name,
                             r->a.state, r->a.error[0] ? r->a.error : "?");
            wl = w > 0 ? wl + (size_t)w : wl;
        }
        ob->agents[i] = r->a;
    }
    ob->h.agents = ob->agents;
    ob->h.nagents = ob->nremotes;
    if (!gaps)
        return;
    ob->h.failed = down == ob->nremotes;
    ob->h.partial = !ob->h.failed;
    snprintf(ob->h.error, sizeof(ob->h.error), "%s%s", ob->h.failed ? "every agent down: " : "",
             why);
}
