#include "kube/source.h"
#include "base/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "kube/derive.h"
#include "kube/exec.h"
#include "kube/reflector.h"
#include "kube/services.h"
#include "kube/kubeconfig.h"
#include "core/summary.h"

#define PENDING_RECHECK_MS 30000
#define EXEC_RETRY_MS      30000

struct kube_src {
    struct source *src;
    struct kube_settings set;
    struct kube_conn conn;
    bool conn_loaded;
    struct kube_env env;
    struct kube_reflector refl[KK_COUNT];
    bool started[KK_COUNT];
    struct kube_exec_run *exec;
    bool waiting_first_cred;
    struct loop_timer *notify_timer, *pending_timer, *exec_retry;
    bool auth_ok;
    char auth_err[256];
};

/* ---- config ---- */

static const char *const resource_names[] = {"nodes", "pods", "deployments", "events", NULL};

/* max_pods and its siblings: how many rows each table may hold. */
static void cap_key(char *key, size_t keylen, int kind)
{
    snprintf(key, keylen, "max_%s", resource_names[kind]);
}

static int check_caps(const struct ynode *s, char *err, size_t errlen)
{
    for (int i = 0; i < KK_COUNT; i++) {
        char key[32];
        int64_t v;
        cap_key(key, sizeof(key), i);
        int rc = yget_int(s, key, &v, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 1 && (v < 1 || v > KUBE_MAX_ROWS))
            return yerr(ymap_get(s, key), err, errlen, "%s must be 1..%d", key, KUBE_MAX_ROWS);
    }
    return 0;
}

int kube_check_config(const struct ynode *s, char *err, size_t errlen)
{
    static const char *const keys[] = {
        "enabled",   "kubeconfig",    "context",          "namespace",  "in_cluster",
        "resources", "pending_after", "max_object_bytes", "page_size",  "backoff_max",
        "max_nodes", "max_pods",      "max_deployments",  "max_events", NULL};
    if (s->type != Y_MAP)
        return yerr(s, err, errlen, "kubernetes must be a mapping");
    if (ycheck_keys(s, keys, err, errlen) < 0)
        return -1;
    bool b;
    char str[4096];
    int64_t v;
    if (yget_bool(s, "enabled", &b, err, errlen) < 0 ||
        yget_path(s, "kubeconfig", str, sizeof(str), err, errlen) < 0 ||
        yget_str(s, "context", str, 128, err, errlen) < 0 ||
        yget_str(s, "namespace", str, 64, err, errlen) < 0 ||
        yget_duration(s, "pending_after", &v, err, errlen) < 0 ||
        yget_duration(s, "backoff_max", &v, err, errlen) < 0 ||
        yget_int(s, "max_object_bytes", &v, err, errlen) < 0 ||
        yget_int(s, "page_size", &v, err, errlen) < 0)
        return -1;
    if (yget_int(s, "max_object_bytes", &v, err, errlen) == 1 && (v < 4096 || v > (1ll << 30)))
        return yerr(ymap_get(s, "max_object_bytes"), err, errlen,
                    "max_object_bytes must be between 4096 and 1 GiB");
    if (yget_duration(s, "backoff_max", &v, err, errlen) == 1 && (v < 1000 || v > 600000))
        return yerr(ymap_get(s, "backoff_max"), err, errlen, "backoff_max must be 1s..10m");
    if (yget_int(s, "page_size", &v, err, errlen) == 1 && (v < 1 || v > 10000))
        return yerr(ymap_get(s, "page_size"), err, errlen, "page_size must be 1..10000");
    if (check_caps(s, err, errlen) < 0)
        return -1;
    if (yget_str(s, "in_cluster", str, 16, err, errlen) == 1 && strcmp(str, "auto") != 0 &&
        strcmp(str, "true") != 0 && strcmp(str, "false") != 0)
        return yerr(ymap_get(s, "in_cluster"), err, errlen,
                    "in_cluster must be auto, true or false");
    const struct ynode *res = ymap_get(s, "resources");
    if (res && res->type != Y_SEQ)
        return yerr(res, err, errlen,
                    "resources must be a list (nodes, pods, deployments, events)");
    for (const struct ynode *r = res ? res->child : NULL; r; r = r->next) {
        int i = 0;
        while (resource_names[i] && (r->type != Y_SCALAR || strcmp(r->value, resource_names[i])))
            i++;
        if (!resource_names[i])
            return yerr(r, err, errlen, "unknown resource (nodes, pods, deployments, events)");
    }
    return 0;
}

void kube_settings_from(struct kube_settings *s, const struct ynode *sec)
{
    char err[256], str[16] = "auto";
    memset(s, 0, sizeof(*s));
    s->in_cluster = -1;
    for (int i = 0; i < KK_COUNT; i++)
        s->resources[i] = true;
    s->pending_limit_ms = KUBE_PENDING_LIMIT_MS_DEFAULT;
    if (!sec)
        return;
    yget_path(sec, "kubeconfig", s->kubeconfig, sizeof(s->kubeconfig), err, sizeof(err));
    yget_str(sec, "context", s->context, sizeof(s->context), err, sizeof(err));
    if (yget_str(sec, "namespace", s->namespace, sizeof(s->namespace), err, sizeof(err)) == 1)
        s->namespace_set = true;
    yget_str(sec, "in_cluster", str, sizeof(str), err, sizeof(err));
    s->in_cluster = strcmp(str, "true") == 0 ? 1 : strcmp(str, "false") == 0 ? 0 : -1;
    yget_duration(sec, "pending_after", &s->pending_limit_ms, err, sizeof(err));
    yget_duration(sec, "backoff_max", &s->backoff_max_ms, err, sizeof(err));
    int64_t v;
    if (yget_int(sec, "max_object_bytes", &v, err, sizeof(err)) == 1)
        s->max_object_bytes = (size_t)v;
    if (yget_int(sec, "page_size", &v, err, sizeof(err)) == 1)
        s->page_size = (int)v;
    for (int i = 0; i < KK_COUNT; i++) {
        char key[32];
        cap_key(key, sizeof(key), i);
        if (yget_int(sec, key, &v, err, sizeof(err)) == 1)
            s->max_rows[i] = (int)v;
    }
    const struct ynode *res = ymap_get(sec, "resources");
    if (res) {
        for (int i = 0; i < KK_COUNT; i++)
            s->resources[i] = false;
        for (const struct ynode *r = res->child; r; r = r->next)
            for (int i = 0; i < KK_COUNT; i++)
                if (r->type == Y_SCALAR && strcmp(r->value, resource_names[i]) == 0)
                    s->resources[i] = true;
    }
}

/* ---- health ---- */

void kube_update_summary(struct engine *e, const char *context)
{
    struct summary *row = engine_get(e, T_SUMMARY, "summary");
    if (row && strncmp(row->context, context, sizeof(row->context) - 1) != 0) {
        struct summary s = *row;
        STR_COPY(s.context, context);
        engine_upsert(e, T_SUMMARY, &s);
    }
    summary_refresh(e);
}

static void set_detail(struct kube_src *k, const char *detail)
{
    struct engine *e = k->src->ctx.engine;
    const struct source_info *old = engine_get(e, T_SOURCES, k->src->name);
    if (!old || strncmp(old->detail, detail, sizeof(old->detail) - 1) == 0)
        return;
    struct source_info s = *old;
    STR_COPY(s.detail, detail);
    engine_upsert(e, T_SOURCES, &s);
}

/* "pods: 60,000 of 65,003 kept (max_pods 60,000)"; false when all are kept. */
static bool unkept_text(struct buf *b, const char *kind, const struct table *t, int unkept)
{
    if (!unkept)
        return false;
    buf_printf(b, "%s%s: ", b->len ? "; " : "", kind);
    buf_count(b, t->count);
    buf_puts(b, " of ");
    buf_count(b, (int64_t)t->count + unkept);
    buf_printf(b, " kept (max_%s ", kind);
    buf_count(b, t->max);
    buf_puts(b, ")");
    return true;
}

/* Folds the reflectors' health into the source row: synced when every
 * resource is synced or forbidden, failed while none works. */
static void report(struct kube_src *k)
{
    bool all_settled = true, any_synced = false, all_ok = true, any_started = false;
    bool partial = false;
    struct buf errs = {0}, detail = {0};
    uint64_t bad = 0, big = 0;
    if (k->conn.warning[0])
        buf_printf(&detail, "%s; ", k->conn.warning);
    for (int i = 0; i < KK_COUNT; i++) {
        struct kube_reflector *r = &k->refl[i];
        if (!k->started[i])
            continue;
        any_started = true;
        all_settled &= r->settled;
        any_synced |= r->synced;
        /* a resource whose watch or relist keeps failing is stale, not synced */
        all_ok &= (r->synced && !r->failing) || r->phase == KR_FORBIDDEN;
        bad += r->decode_errors;
        big += r->oversized;
        if (r->error[0] && (r->failing || r->phase == KR_FORBIDDEN))
            buf_printf(&errs, "%s%s", errs.len ? "; " : "", r->error);
        const struct table *t = engine_table(k->src->ctx.engine, (enum table_id)(T_NODES + i));
        buf_printf(&detail, "%s%s %d", i ? " · " : "", kube_kind_names[i], t->count);
        partial |= unkept_text(&errs, kube_kind_names[i], t, kube_reflector_unkept(r));
    }
    const struct kube_reflector *ev = &k->refl[KK_EVENTS];
    if (k->started[KK_EVENTS] && ev->synced && ev->phase != KR_FORBIDDEN)
        buf_printf(&detail, " · events: %s%s%s%s", kube_events_api(ev), *ev->events_why ? " (" : "",
                   ev->events_why, *ev->events_why ? ")" : "");
    if (bad || big)
        buf_printf(&detail, " · skipped %llu malformed, %llu oversized", (unsigned long long)bad,
                   (unsigned long long)big);
    enum source_state st = !all_settled || !any_started ? SRC_STARTING
                           : all_ok && partial          ? SRC_PARTIAL
                           : all_ok                     ? SRC_SYNCED
                           : any_synced                 ? SRC_STALE
                                                        : SRC_FAILED;
    if (!k->auth_ok && k->auth_err[0]) {
        st = any_synced ? SRC_STALE : SRC_FAILED;
        buf_printf(&errs, "%s%s", errs.len ? "; " : "", k->auth_err);
    }
    /* The insecure warning must stay visible in the header's error slot too. */
    if (!errs.len && k->conn.warning[0])
        buf_puts(&errs, k->conn.warning);
    engine_source_state(k->src->ctx.engine, k->src->name, "kubernetes", st, buf_cstr(&errs));
    set_detail(k, buf_cstr(&detail));
    buf_free(&errs);
    buf_free(&detail);
}

static void on_changed(struct kube_reflector *r, bool health, void *ud)
{
    struct kube_src *k = ud;
    if (health) {
        report(k); /* first: the summary reads the source's new state */
        if (r->synced && r->kind != KK_EVENTS)
            kube_update_summary(k->src->ctx.engine, k->conn.context);
    }
}

/* ---- credentials ---- */

static void start_reflectors(struct kube_src *k)
{
    for (int i = 0; i < KK_COUNT; i++)
        if (k->set.resources[i] && !k->started[i]) {
            if (k->set.max_rows[i])
                engine_table(k->src->ctx.engine, (enum table_id)(T_NODES + i))->max =
                    k->set.max_rows[i];
            k->started[i] = true;
            kube_reflector_start(&k->refl[i]);
        }
}

static void notify_auth(void *ud)
{
    struct kube_src *k = ud;
    k->notify_timer = NULL;
    for (int i = 0; i < KK_COUNT; i++)
        if (k->started[i] && k->refl[i].phase == KR_WAIT_AUTH)
            kube_reflector_auth_done(&k->refl[i], k->auth_ok, k->auth_err);
}

static void schedule_notify(struct kube_src *k)
{
    if (!k->notify_timer)
        k->notify_timer = loop_timer_start(k->src->ctx.loop, 0, notify_auth, k);
}

static void start_exec(struct kube_src *k);

static void retry_exec(void *ud)
{
    struct kube_src *k = ud;
    k->exec_retry = NULL;
    start_exec(k);
}

static void exec_done(int ok, const char *err, void *ud)
{
    struct kube_src *k = ud;
    k->exec = NULL;
    k->auth_ok = ok;
    STR_COPY(k->auth_err, ok ? "" : err);
    if (k->waiting_first_cred) {
        if (ok) {
            k->waiting_first_cred = false;
            start_reflectors(k);
        } else {
            k->exec_retry = loop_timer_start(k->src->ctx.loop, EXEC_RETRY_MS, retry_exec, k);
        }
        report(k);
        return;
    }
    report(k);
    schedule_notify(k);
}

static void start_exec(struct kube_src *k)
{
    if (k->exec)
        return;
    char err[256];
    k->exec = kube_exec_start(k->src->ctx.loop, &k->conn, 0, exec_done, k, err, sizeof(err));
    if (!k->exec)
        exec_done(0, err, k);
}

static bool refresh_auth(struct kube_reflector *r, void *ud)
{
    (void)r;
    struct kube_src *k = ud;
    if (k->conn.has_exec) {
        start_exec(k);
        return true;
    }
    if (k->conn.token_file[0]) {
        /* Projected tokens rotate: the file may hold a newer one. A small
         * local read, so it is done here rather than through the loop. */
        k->auth_ok = kube_conn_read_token_file(&k->conn, k->auth_err, sizeof(k->auth_err)) == 0;
        if (k->auth_ok)
            k->auth_err[0] = 0;
        schedule_notify(k);
        return true;
    }
    return false;
}

/* ---- pending pods: "too long" needs time to pass, not an event ---- */

static void recheck_pending(void *ud)
{
    struct kube_src *k = ud;
    struct engine *e = k->src->ctx.engine;
    struct table *t = engine_table(e, T_PODS);
    for (int i = 0; i < t->count; i++) {
        struct k8s_pod p = *(const struct k8s_pod *)table_row(t, i);
        if (kube_recheck_pending(&p, engine_now(e), k->set.pending_limit_ms))
            engine_upsert(e, T_PODS, &p);
    }
    k->pending_timer = loop_timer_start(k->src->ctx.loop, PENDING_RECHECK_MS, recheck_pending, k);
}

/* ---- source ops ---- */

int kube_settings_connect(const struct kube_settings *s, struct kube_conn *c, char *err,
                          size_t errlen)
{
    const char *ns = s->namespace_set ? s->namespace : NULL;
    const char *ctx = s->context[0] ? s->context : NULL;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    bool have_kubeconfig = s->kubeconfig[0] || kubeconfig_present();
    bool in_cluster =
        s->in_cluster == 1 || (s->in_cluster == -1 && !have_kubeconfig && !ctx && host && *host);
    if (in_cluster)
        return kube_incluster_load(c, getenv("LOOKOUT_SA_DIR"), ns, err, errlen);
    return kubeconfig_load(c, s->kubeconfig[0] ? s->kubeconfig : NULL, ctx, ns, err, errlen);
}

static int load_conn(struct kube_src *k, char *err, size_t errlen)
{
    return kube_settings_connect(&k->set, &k->conn, err, errlen);
}

static void source_name(char *out, size_t outlen, const char *context);

static int kube_start(struct source *s, char *err, size_t errlen)
{
    struct kube_src *k = s->priv;
    k->src = s;
    if (load_conn(k, err, errlen) < 0)
        return -1;
    k->conn_loaded = true;
    char name[64];
    source_name(name, sizeof(name), k->conn.context);
    if (strcmp(name, s->name) != 0) { /* "kube:current" becomes the real context */
        engine_remove(s->ctx.engine, T_SOURCES, s->name);
        STR_COPY(s->name, name);
    }
    k->auth_ok = true;
    k->env = (struct kube_env){.loop = s->ctx.loop,
                               .http = s->ctx.http,
                               .engine = s->ctx.engine,
                               .conn = &k->conn,
                               .pending_limit_ms = k->set.pending_limit_ms,
                               .line_cap = k->set.max_object_bytes,
                               .page_size = k->set.page_size,
                               .backoff_max_ms = k->set.backoff_max_ms,
                               .refresh_auth = refresh_auth,
                               .changed = on_changed,
                               .ud = k};
    for (int i = 0; i < KK_COUNT; i++)
        kube_reflector_init(&k->refl[i], &k->env, (enum kube_kind)i, k->conn.namespace);
    kube_update_summary(s->ctx.engine, k->conn.context);
    if (k->conn.warning[0])
        fprintf(stderr, "lookout: WARNING: %s\n", k->conn.warning);
    k->pending_timer = loop_timer_start(s->ctx.loop, PENDING_RECHECK_MS, recheck_pending, k);
    report(k);
    if (k->conn.has_exec && kube_exec_needs_refresh(&k->conn, loop_wall_ms())) {
        k->waiting_first_cred = true;
        start_exec(k);
        return 0;
    }
    start_reflectors(k);
    return 0;
}

static void kube_stop(struct source *s)
{
    struct kube_src *k = s->priv;
    if (!k)
        return;
    struct loop *l = s->ctx.loop;
    for (int i = 0; i < KK_COUNT; i++)
        if (k->conn_loaded)
            kube_reflector_stop(&k->refl[i]);
    if (k->exec)
        kube_exec_cancel(k->exec);
    if (k->notify_timer)
        loop_timer_cancel(l, k->notify_timer);
    if (k->pending_timer)
        loop_timer_cancel(l, k->pending_timer);
    if (k->exec_retry)
        loop_timer_cancel(l, k->exec_retry);
    if (k->conn_loaded)
        kube_conn_free(&k->conn);
    free(k);
    s->priv = NULL;
}

const struct source_ops kube_source_ops = {"kubernetes", kube_start, kube_stop};

void *kube_source_new(const struct kube_settings *s)
{
    struct kube_src *k = calloc(1, sizeof(*k));
    if (k)
        k->set = *s;
    return k;
}

/* ---- wiring ---- */

static bool wanted(const struct run_options *opt, const struct ynode *sec)
{
    if (opt->demo)
        return false; /* the demo never talks to a real cluster */
    if (sec) {
        bool enabled = true;
        char err[128];
        yget_bool(sec, "enabled", &enabled, err, sizeof(err));
        return enabled;
    }
    /* Not on KUBERNETES_SERVICE_HOST alone: CI jobs run in pods too, and a
     * tool must not start reading a cluster because of where it runs. */
    const char *kc = getenv("KUBECONFIG");
    return opt->kube_context || (kc && *kc);
}

static void source_name(char *out, size_t outlen, const char *context)
{
    snprintf(out, outlen, "kube:%.58s", *context ? context : "current");
}

static int kube_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    (void)state;
    kube_services_load(ctx->engine, ctx->config);
    const struct ynode *sec = config_section(ctx->config, "kubernetes");
    if (!wanted(ctx->opt, sec))
        return 0;
    struct kube_settings set;
    kube_settings_from(&set, sec);
    if (ctx->opt->kube_context)
        STR_COPY(set.context, ctx->opt->kube_context);
    if (ctx->opt->kube_namespace) {
        STR_COPY(set.namespace, ctx->opt->kube_namespace);
        set.namespace_set = true;
    }
    char name[64];
    source_name(name, sizeof(name), set.context);
    void *priv = kube_source_new(&set);
    if (!priv || !source_add(ctx->sources, &kube_source_ops, name, ctx->src, priv)) {
        free(priv);
        snprintf(err, errlen, "cannot add the kubernetes source (too many sources)");
        return -1;
    }
    return 0;
}

static const struct module_section kube_sections[] = {
    {"kubernetes", kube_check_config},
    {"services", kube_check_services},
    {NULL, NULL},
};

const struct module kube_module = {
    .name = "kube",
    .sections = kube_sections,
    .flags = MODULE_LIVE,
    .setup = kube_setup,
};

static void drop_rows(struct engine *e)
{
    static const enum table_id ts[] = {T_K8S_EVENTS, T_DEPLOYMENTS, T_PODS, T_NODES};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        struct table *t = engine_table(e, ts[i]);
        while (t->count > 0) { /* from the end: O(1) each, no order array to shift */
            char key[256];
            STR_COPY(key, schema_key(t->schema, table_row(t, t->count - 1)));
            engine_remove(e, ts[i], key);
        }
    }
}

int kube_switch_context(struct source_set *sources, const char *context, char *err, size_t errlen)
{
    struct source *s = NULL;
    for (int i = 0; i < sources->count; i++)
        if (sources->items[i].ops == &kube_source_ops)
            s = &sources->items[i];
    if (!s) {
        snprintf(err, errlen, "no kubernetes source: start lookout with --context NAME");
        return -1;
    }
    struct kube_settings set = ((struct kube_src *)s->priv)->set;
    STR_COPY(set.context, context);
    /* Check the new context before tearing the old one down. */
    struct kube_src probe = {.set = set};
    if (load_conn(&probe, err, errlen) < 0)
        return -1;
    kube_conn_free(&probe.conn);
    char oldname[64];
    STR_COPY(oldname, s->name);
    s->ops->stop(s);
    drop_rows(s->ctx.engine);
    engine_remove(s->ctx.engine, T_SOURCES, oldname);
    source_name(s->name, sizeof(s->name), context);
    s->priv = kube_source_new(&set);
    engine_source_state(s->ctx.engine, s->name, s->kind, SRC_STARTING, NULL);
    if (s->ops->start(s, err, errlen) < 0) {
        engine_source_state(s->ctx.engine, s->name, s->kind, SRC_FAILED, err);
        return -1;
    }
    return 0;
}
