/* A Kubernetes reflector: LIST then WATCH of one resource into its engine
 * table (see reflector.h). */
#include "kube/reflector.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dict.h"
#include "base/secret.h"
#include "base/redact.h"
#include "kube/decode.h"

#define BACKOFF_INITIAL_MS 800
#define BACKOFF_MAX_MS     30000
#define BACKOFF_HEALTHY_MS 120000
#define FORBIDDEN_RETRY_MS 300000
#define SHORT_WATCH_MS     1000
/* An API server answers a watch's head at once and a list's within seconds;
 * a server that has not (stalled, or trickling bytes past the idle timeout)
 * is failing, and the source must say so long before timeoutSeconds + 60 s. */
#define WATCH_HEAD_TIMEOUT_MS 10000
#define LIST_HEAD_TIMEOUT_MS  30000
#define ERRBODY_MAX           16384

const char *const kube_kind_names[KK_COUNT] = {"nodes", "pods", "deployments", "events"};

static const struct {
    const char *group_path; /* before the optional namespaces/NS/ */
    const char *resource;
    enum table_id table;
    bool namespaced;
} kinds[KK_COUNT] = {
    [KK_NODES] = {"/api/v1", "nodes", T_NODES, false},
    [KK_PODS] = {"/api/v1", "pods", T_PODS, true},
    [KK_DEPLOYMENTS] = {"/apis/apps/v1", "deployments", T_DEPLOYMENTS, true},
    [KK_EVENTS] = {"/apis/events.k8s.io/v1", "events", T_K8S_EVENTS, true},
};

/* The fallback for events: the same objects under their older API. */
#define EVENTS_CORE_GROUP "/api/v1"
#define EVENTS_DOWN_BOTH  3u

/* ---- a set of keys seen during one list ---- */

struct kube_seen {
    struct dict keys; /* copies of the keys; no values */
};

static const struct dict_type seen_type = {
    .hash = dict_hash_str, .key_dup = dict_strdup, .key_free = free};

static struct kube_seen *seen_new(void)
{
    struct kube_seen *s = calloc(1, sizeof(*s));
    if (s)
        dict_init(&s->keys, &seen_type, NULL);
    return s;
}

static void seen_free(struct kube_seen *s)
{
    if (!s)
        return;
    dict_free(&s->keys);
    free(s);
}

static bool seen_has(const struct kube_seen *s, const char *key)
{
    return s && dict_find(&s->keys, key);
}

/* Out of memory leaves key unmarked: the list's end then drops its row,
 * and the next relist brings it back. True when key is new to the set. */
static bool seen_add(struct kube_seen *s, const char *key)
{
    bool created = false;
    if (s)
        dict_add(&s->keys, key, &created);
    return created;
}

static bool seen_del(struct kube_seen *s, const char *key)
{
    return s && dict_delete(&s->keys, key);
}

int kube_reflector_unkept(const struct kube_reflector *r)
{
    return r->unkept ? (int)dict_count(&r->unkept->keys) : 0;
}

/* A full table refused key (or took it back): the set of refused keys is
 * what the source's "N of M kept" counts. Returns true when it changed. */
static bool note_kept(struct kube_reflector *r, const char *key, bool kept)
{
    if (kept)
        return seen_del(r->unkept, key);
    if (!r->unkept)
        r->unkept = seen_new();
    bool created = false;
    if (r->unkept)
        dict_add(&r->unkept->keys, key, &created);
    return created;
}

/* After a list: a refused key the list no longer mentions is gone. */
static void unkept_prune(struct kube_reflector *r)
{
    if (!r->unkept)
        return;
    struct dict_iter it;
    dict_iter_init(&r->unkept->keys, &it);
    for (struct dict_entry *e; (e = dict_next(&r->unkept->keys, &it));)
        if (!seen_has(r->seen, e->key))
            dict_iter_delete(&r->unkept->keys, &it);
}

/* ---- objects into the engine ---- */

static void set_error(struct kube_reflector *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct kube_reflector *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    r->failing = true;
}

/* Decodes one object; key gets its table key. -1 when malformed. */
static int decode(struct kube_reflector *r, const cJSON *o, void *row, char *key, size_t keylen)
{
    char err[128];
    struct kube_decode_opts opt = {.now = engine_now(r->env->engine),
                                   .pending_limit_ms = r->env->pending_limit_ms};
    int rc = -1;
    switch (r->kind) {
    case KK_NODES:
        rc = kube_decode_node(o, row, err, sizeof(err));
        str_copy(key, keylen, ((struct k8s_node *)row)->name);
        break;
    case KK_PODS:
        rc = kube_decode_pod(o, &opt, row, err, sizeof(err));
        str_copy(key, keylen, ((struct k8s_pod *)row)->key);
        break;
    case KK_DEPLOYMENTS:
        rc = kube_decode_deployment(o, row, err, sizeof(err));
        str_copy(key, keylen, ((struct k8s_deployment *)row)->key);
        break;
    case KK_EVENTS:
        rc = kube_decode_event(o, row, err, sizeof(err));
        str_copy(key, keylen, ((struct k8s_event *)row)->key);
        break;
    default:
        break;
    }
    if (rc < 0) {
        r->decode_errors++;
        snprintf(r->error, sizeof(r->error), "%s: skipped a malformed object (%s); %llu so far",
                 kube_kind_names[r->kind], err, (unsigned long long)r->decode_errors);
    }
    return rc;
}

union any_row {
    struct k8s_node node;
    struct k8s_pod pod;
    struct k8s_deployment deployment;
    struct k8s_event event;
};

/* Upserts (or removes) one object; returns true when the state changed. */
static bool apply(struct kube_reflector *r, const cJSON *o, bool removed, char *key, size_t keylen)
{
    union any_row row;
    if (decode(r, o, &row, key, keylen) < 0)
        return false;
    enum table_id t = kinds[r->kind].table;
    struct engine *e = r->env->engine;
    if (removed) {
        if (note_kept(r, key, true))
            r->unkept_changed = true;
        return engine_remove(e, t, key);
    }
    const void *old = engine_get(e, t, key);
    if (old && memcmp(old, &row, engine_table(e, t)->schema->size) == 0)
        return false; /* nothing new: keep the record and the screen quiet */
    bool kept = engine_upsert(e, t, &row) != NULL;
    if ((kept && r->unkept) || !kept)
        r->unkept_changed |= note_kept(r, key, kept);
    return kept;
}

/* ---- requests ---- */

static void list_page(struct kube_reflector *r);
static void watch_start(struct kube_reflector *r);

static void changed(struct kube_reflector *r, bool health)
{
    if (r->env->changed)
        r->env->changed(r, health, r->env->ud);
}

static void on_timer(void *ud)
{
    struct kube_reflector *r = ud;
    r->timer = NULL;
    if (r->after_wait == KR_WATCHING)
        watch_start(r);
    else
        list_page(r);
}

static void after(struct kube_reflector *r, enum kube_phase next, int64_t delay_ms)
{
    r->after_wait = next;
    r->phase = KR_BACKOFF;
    if (r->timer)
        loop_timer_cancel(r->env->loop, r->timer);
    r->timer = loop_timer_start(r->env->loop, delay_ms, on_timer, r);
}

/* client-go's backoff: 0.8 s doubling to 30 s (backoff_max), up to 100 %
 * jitter on top, back to 0.8 s after 2 minutes healthy. */
static void backoff(struct kube_reflector *r, enum kube_phase next)
{
    int64_t delay = backoff_fail(&r->backoff, loop_mono_ms());
    r->settled = true;
    changed(r, true);
    after(r, next, delay);
}

static void relist_from(struct kube_reflector *r, bool rv_gone)
{
    if (rv_gone)
        r->rv_unavailable = true;
    buf_reset(&r->cont);
    seen_free(r->seen);
    r->seen = NULL;
    r->seen_kept = 0;
}

/* Asks for a fresh credential once; false when there is nothing to refresh. */
static bool try_auth(struct kube_reflector *r, enum kube_phase next)
{
    if (r->req_gen != r->env->conn->cred_gen) {
        /* The credential changed while this request was in flight (another
         * resource refreshed it): retry with the new one, no new refresh. */
        after(r, next, 0);
        return true;
    }
    if (r->auth_retried || !r->env->refresh_auth)
        return false;
    r->auth_retried = true;
    r->after_wait = next;
    r->phase = KR_WAIT_AUTH;
    if (r->env->refresh_auth(r, r->env->ud))
        return true;
    r->phase = KR_IDLE;
    return false;
}

void kube_reflector_auth_done(struct kube_reflector *r, bool ok, const char *err)
{
    if (r->phase != KR_WAIT_AUTH)
        return;
    if (!ok) {
        set_error(r, "%s: cannot refresh credentials: %s", kube_kind_names[r->kind], err);
        backoff(r, r->after_wait);
        return;
    }
    on_timer(r);
}

/* 401/403 and the rest of the HTTP statuses that are not 200. */
static void http_failure(struct kube_reflector *r, const char *verb, long status, const char *body,
                         enum kube_phase retry)
{
    const char *what = kube_kind_names[r->kind];
    if (r->kind == KK_EVENTS && r->events_both)
        what = "events (events.k8s.io/v1 and core/v1)";
    char msg[160] = "";
    cJSON *st = body ? cJSON_Parse(body) : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
    if (cJSON_IsString(m)) {
        msg[0] = ':';
        msg[1] = ' ';
        redact_field(msg + 2, sizeof(msg) - 2, m->valuestring, strlen(m->valuestring));
    }
    cJSON_Delete(st);
    if (status == 401) {
        if (try_auth(r, retry))
            return;
        set_error(r, "401 Unauthorized: cannot %s %s; the credential was refused%s", verb, what,
                  msg);
        backoff(r, retry);
        return;
    }
    if (status == 403) {
        set_error(r, "403 Forbidden: not allowed to %s %s%s%s (RBAC); retrying every 5 min", verb,
                  what, *r->env->conn->namespace ? " in namespace " : " cluster-wide",
                  r->env->conn->namespace);
        r->phase = KR_FORBIDDEN;
        r->settled = true;
        changed(r, true);
        relist_from(r, false);
        after(r, KR_LISTING, FORBIDDEN_RETRY_MS);
        r->phase = KR_FORBIDDEN;
        return;
    }
    set_error(r, "HTTP %ld on %s %s%s", status, verb, what, msg);
    backoff(r, retry);
}

static void headers_for(struct kube_reflector *r, char *auth, size_t authlen, const char **hdrs)
{
    struct kube_conn *c = r->env->conn;
    /* Projected service-account tokens rotate: re-read the file every minute
     * (a small local read), as client-go does, not only after a 401. */
    if (c->token_file[0] && loop_mono_ms() - c->token_read_ms > 60000) {
        char err[256];
        kube_conn_read_token_file(c, err, sizeof(err)); /* on failure the old token stays */
    }
    kube_conn_auth_header(c, auth, authlen);
    r->req_gen = c->cred_gen;
    int n = 0;
    hdrs[n++] = "Accept: application/json";
    if (*auth)
        hdrs[n++] = auth;
    hdrs[n] = NULL;
}

static void configure(CURL *easy, void *ud)
{
    struct kube_reflector *r = ud;
    kube_conn_configure(easy, r->env->conn);
}

static void on_header(const char *name, const char *value, void *ud)
{
    (void)value;
    struct kube_reflector *r = ud;
    long code;
    /* The status line; a proxy's "200 Connection established" comes first. */
    if (strncmp(name, "HTTP/", 5) == 0 && sscanf(name, "HTTP/%*s %ld", &code) == 1)
        r->status = code;
}

/* ---- LIST ---- */

static void list_finished(struct kube_reflector *r, const char *rv)
{
    struct table *t = engine_table(r->env->engine, kinds[r->kind].table);
    /* Replace semantics: what the list did not mention is gone. Walk backwards
     * so removals do not skip rows. When every row is one the list kept (the
     * first sync, a relist with nothing gone) there is nothing to find: at
     * 50,000 pods the walk cost 8% of the sync, mostly cache misses. */
    int stale = t->count - (r->seen ? r->seen_kept : 0);
    for (int i = t->count - 1; i >= 0 && stale > 0; i--) {
        const char *key = schema_key(t->schema, table_row(t, i));
        if (!seen_has(r->seen, key)) {
            char k[256];
            STR_COPY(k, key);
            engine_remove(r->env->engine, kinds[r->kind].table, k);
            stale--;
        }
    }
    r->objects = r->seen ? (int)dict_count(&r->seen->keys) : 0;
    unkept_prune(r);
    r->unkept_changed = false; /* the health report below says it */
    relist_from(r, false);
    STR_COPY(r->rv, rv);
    r->rv_unavailable = false;
    r->synced = r->settled = true;
    r->failing = false;
    r->events_down = 0;
    r->events_both = false;
    backoff_ok(&r->backoff, loop_mono_ms());
    r->error[0] = 0;
    r->auth_retried = false;
    changed(r, true);
    watch_start(r);
}

/* One item of a list page, as soon as it has arrived. */
static void list_item(const char *json, size_t len, void *ud)
{
    struct kube_reflector *r = ud;
    cJSON *o = cJSON_ParseWithLength(json, len);
    if (!o) {
        r->decode_errors++;
        return;
    }
    if (!r->seen) {
        r->seen = seen_new();
        r->seen_kept = 0;
    }
    char key[256] = "";
    r->list_changed |= apply(r, o, false, key, sizeof(key));
    if (*key && seen_add(r->seen, key) && engine_get(r->env->engine, kinds[r->kind].table, key))
        r->seen_kept++;
    cJSON_Delete(o);
}

static bool list_data(const char *buf, size_t len, void *ud)
{
    struct kube_reflector *r = ud;
    if (r->status != 200) {
        if (r->errbody.len + len <= ERRBODY_MAX)
            buf_append(&r->errbody, buf, len);
        return true;
    }
    r->list_changed = false;
    bool go_on = kube_list_feed(&r->list, buf, len, list_item, r);
    if (r->list_changed)
        changed(r, false); /* rows paint as they arrive */
    return go_on;
}

/* The page is complete: its resourceVersion and continue token. */
static void list_end(struct kube_reflector *r)
{
    const char *what = kube_kind_names[r->kind];
    /* one count for lists and watches, shown in the source's detail */
    r->lines.split.oversized += r->list.oversized;
    r->oversized = r->lines.split.oversized;
    const char *rest = kube_list_finish(&r->list);
    cJSON *root = rest ? cJSON_Parse(rest) : NULL;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
    if (!cJSON_IsString(rv)) {
        set_error(r, "list %s: the answer is not a list (%s)", what,
                  r->list.error[0] ? r->list.error : "no metadata.resourceVersion");
        cJSON_Delete(root);
        relist_from(r, false);
        backoff(r, KR_LISTING);
        return;
    }
    const cJSON *cont = cJSON_GetObjectItemCaseSensitive(meta, "continue");
    bool more = r->paged && cJSON_IsString(cont) && *cont->valuestring;
    buf_reset(&r->cont);
    if (more)
        buf_puts(&r->cont, cont->valuestring);
    char rvs[128];
    STR_COPY(rvs, rv->valuestring);
    cJSON_Delete(root);
    if (more)
        list_page(r);
    else
        list_finished(r, rvs);
}

/* The URL path of r's resource, in its namespace when it has one. */
static void set_path(struct kube_reflector *r)
{
    const char *group = kinds[r->kind].group_path;
    if (r->kind == KK_EVENTS && r->events_core)
        group = EVENTS_CORE_GROUP;
    if (kinds[r->kind].namespaced && *r->ns)
        snprintf(r->path, sizeof(r->path), "%s/namespaces/%s/%s", group, r->ns,
                 kinds[r->kind].resource);
    else
        snprintf(r->path, sizeof(r->path), "%s/%s", group, kinds[r->kind].resource);
}

const char *kube_events_api(const struct kube_reflector *r)
{
    return r->events_core ? "core/v1" : "events.k8s.io/v1";
}

/* Events: a list refused (403) or unknown (404) under one API moves to the
 * other at once. When both refused in this round, false: the failure is
 * reported as usual, and the next round starts again from events.k8s.io/v1
 * (RBAC may have been granted meanwhile). */
static bool events_switch(struct kube_reflector *r, long status)
{
    if (r->kind != KK_EVENTS)
        return false;
    r->events_down |= r->events_core ? 2u : 1u;
    if (r->events_down == EVENTS_DOWN_BOTH) {
        r->events_down = 0;
        r->events_both = true;
        r->events_core = false;
        r->events_why[0] = 0;
        set_path(r);
        return false;
    }
    snprintf(r->events_why, sizeof(r->events_why), "%s %s",
             r->events_core ? "core/v1" : "events.k8s.io", status == 403 ? "forbidden" : "absent");
    r->events_core = !r->events_core;
    set_path(r);
    relist_from(r, false);
    return true;
}

static bool too_large_rv(const char *body)
{
    return body && strcasestr(body, "too large resource version");
}

static void list_done(const struct http_result *res, void *ud)
{
    struct kube_reflector *r = ud;
    r->req = NULL;
    const char *body = buf_cstr(&r->errbody);
    if (r->list.error[0]) {
        set_error(r, "list %s: the answer is not a list (%s)", kube_kind_names[r->kind],
                  r->list.error);
        relist_from(r, false);
        backoff(r, KR_LISTING);
    } else if (res->curl_code != CURLE_OK) {
        set_error(r, "list %s: %s", kube_kind_names[r->kind], res->error);
        relist_from(r, false);
        backoff(r, KR_LISTING);
    } else if (res->status == 410 || (res->status == 504 && too_large_rv(body))) {
        /* Expired RV or continue token: list again at once, from "". A 410
         * to a list that already was from "" is a broken server: back off. */
        bool from_scratch = r->rv_unavailable && !r->cont.len;
        relist_from(r, true);
        if (from_scratch) {
            set_error(r, "list %s: HTTP %ld even from resourceVersion \"\"",
                      kube_kind_names[r->kind], res->status);
            backoff(r, KR_LISTING);
        } else {
            list_page(r);
        }
    } else if ((res->status == 403 || res->status == 404) && events_switch(r, res->status)) {
        list_page(r);
    } else if (res->status != 200) {
        relist_from(r, false);
        http_failure(r, "list", res->status, body, KR_LISTING);
    } else {
        list_end(r);
    }
}

static void escape_into(struct buf *b, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    buf_puts(b, e ? e : "");
    curl_free(e);
}

static bool needs_auth_first(struct kube_reflector *r, enum kube_phase next)
{
    /* An exec credential about to expire is refreshed before use. */
    struct kube_conn *c = r->env->conn;
    if (!c->has_exec || !c->cred_expiry_ms || loop_wall_ms() + 30000 < c->cred_expiry_ms)
        return false;
    r->after_wait = next;
    r->phase = KR_WAIT_AUTH;
    if (r->env->refresh_auth && r->env->refresh_auth(r, r->env->ud))
        return true;
    r->phase = KR_IDLE;
    return false;
}

static void list_page(struct kube_reflector *r)
{
    if (needs_auth_first(r, KR_LISTING))
        return;
    struct buf q = {0};
    buf_printf(&q, "%s?", r->path);
    if (r->cont.len) {
        buf_printf(&q, "limit=%d&continue=", r->env->page_size ? r->env->page_size : 500);
        escape_into(&q, r->cont.data);
    } else {
        /* First list from the watch cache ("0"); after an expired RV from
         * etcd (""); otherwise "not older than" the RV we had. Paging only
         * for "" and "0", as client-go does. */
        const char *rv = r->rv_unavailable ? "" : *r->rv ? r->rv : "0";
        r->paged = !*rv || strcmp(rv, "0") == 0;
        if (r->paged)
            buf_printf(&q, "limit=%d&", r->env->page_size ? r->env->page_size : 500);
        buf_puts(&q, "resourceVersion=");
        escape_into(&q, rv);
        r->lists++;
    }
    if (*r->extra)
        buf_printf(&q, "&%s", r->extra);
    struct buf url = {0};
    kube_conn_url(r->env->conn, buf_cstr(&q), &url);
    char auth[8300];
    const char *hdrs[4];
    headers_for(r, auth, sizeof(auth), hdrs);
    struct http_opts o = {.url = buf_cstr(&url),
                          .headers = hdrs,
                          .timeout_ms = 120000,
                          .head_timeout_ms = LIST_HEAD_TIMEOUT_MS,
                          .configure = configure,
                          .on_header = on_header,
                          .on_data = list_data,
                          .on_done = list_done,
                          .ud = r};
    r->phase = KR_LISTING;
    r->status = 0;
    buf_reset(&r->errbody);
    kube_list_free(&r->list);
    kube_list_init(&r->list, r->lines.split.max);
    r->req = http_start(r->env->http, &o);
    secret_wipe(auth, sizeof(auth));
    buf_free(&q);
    buf_free(&url);
    if (!r->req) {
        set_error(r, "list %s: cannot start the request", kube_kind_names[r->kind]);
        backoff(r, KR_LISTING);
    }
}

/* ---- WATCH ---- */

static int status_code(const cJSON *obj, char *msg, size_t msglen)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "message");
    const char *s = cJSON_IsString(m) ? m->valuestring : "";
    redact_field(msg, msglen, s, strlen(s));
    return cJSON_IsNumber(code) ? code->valueint : 500;
}

static bool on_line(const char *line, size_t len, void *ud)
{
    struct kube_reflector *r = ud;
    cJSON *ev = cJSON_ParseWithLength(line, len);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
    if (!cJSON_IsString(type) || !cJSON_IsObject(obj)) {
        r->decode_errors++;
        snprintf(r->error, sizeof(r->error), "%s: skipped a malformed watch event; %llu so far",
                 kube_kind_names[r->kind], (unsigned long long)r->decode_errors);
        cJSON_Delete(ev);
        return true; /* the stream goes on */
    }
    const char *t = type->valuestring;
    if (strcmp(t, "ERROR") == 0) {
        char msg[200];
        r->stream_error = status_code(obj, msg, sizeof(msg));
        if (r->stream_error != 410)
            set_error(r, "watch %s: %s (%d)", kube_kind_names[r->kind], msg, r->stream_error);
        cJSON_Delete(ev);
        return false; /* the server ends the watch after an ERROR anyway */
    }
    char key[256] = "";
    bool is_bookmark = strcmp(t, "BOOKMARK") == 0;
    if (strcmp(t, "ADDED") == 0 || strcmp(t, "MODIFIED") == 0 || strcmp(t, "DELETED") == 0)
        r->changed_batch |= apply(r, obj, t[0] == 'D', key, sizeof(key));
    else if (!is_bookmark)
        r->decode_errors++;
    const char *rv = kube_obj_rv(obj);
    if (rv)
        STR_COPY(r->rv, rv);
    r->watch_events++;
    r->events++;
    cJSON_Delete(ev);
    return true;
}

static bool watch_data(const char *buf, size_t len, void *ud)
{
    struct kube_reflector *r = ud;
    if (r->status != 200) {
        if (r->errbody.len + len <= ERRBODY_MAX)
            buf_append(&r->errbody, buf, len);
        return true;
    }
    r->auth_retried = false; /* this credential works: a later 401 may refresh again */
    backoff_ok(&r->backoff, loop_mono_ms()); /* a watch that streams is healthy */
    r->changed_batch = false;
    uint64_t before = r->lines.split.oversized, bad_before = r->decode_errors;
    bool go_on = ndjson_feed(&r->lines, buf, len) == 0;
    if (r->lines.split.oversized != before) {
        r->oversized = r->lines.split.oversized;
        snprintf(r->error, sizeof(r->error), "%s: skipped an object over %zu bytes; %llu so far",
                 kube_kind_names[r->kind], r->lines.split.max, (unsigned long long)r->oversized);
    }
    if (r->changed_batch)
        changed(r, false);
    if (r->failing && r->watch_events > 0 && !r->stream_error) {
        /* events flow again: the failure that led here is over */
        r->failing = false;
        r->error[0] = 0;
        changed(r, true);
    }
    bool unkept = r->unkept_changed;
    r->unkept_changed = false;
    if (r->lines.split.oversized != before || r->decode_errors != bad_before || unkept)
        changed(r, true); /* the counts are shown with the source */
    return go_on;
}

static bool transport_retry_watch(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
        return true;
    default:
        return false;
    }
}

static bool stream_cut(CURLcode c)
{
    return c == CURLE_PARTIAL_FILE || c == CURLE_RECV_ERROR || c == CURLE_GOT_NOTHING;
}

static void watch_done(const struct http_result *res, void *ud)
{
    struct kube_reflector *r = ud;
    r->req = NULL;
    int64_t lasted = loop_mono_ms() - r->watch_started;
    const char *what = kube_kind_names[r->kind];
    if (r->stream_error == 410 || res->status == 410) {
        /* Expired: list again "not older than" our RV (client-go keeps it
         * for this list; only a 410 on the list itself drops to ""). */
        set_error(r, "watch %s: resourceVersion expired (410), re-listing", what);
        /* Routine on a live cluster, so not stale; unless it comes while
         * the source is already backing off: then the re-list waits. */
        bool calm = backoff_calm(&r->backoff, loop_mono_ms());
        r->failing = !calm;
        relist_from(r, false);
        backoff(r, KR_LISTING);
    } else if (r->stream_error) {
        relist_from(r, false);
        backoff(r, KR_LISTING);
    } else if (res->status && res->status != 200) {
        bool soft = res->status == 429 || res->status == 503;
        http_failure(r, "watch", res->status, buf_cstr(&r->errbody),
                     soft || res->status == 401 ? KR_WATCHING : KR_LISTING);
    } else if (res->curl_code != CURLE_OK && transport_retry_watch(res->curl_code)) {
        set_error(r, "watch %s: %s", what, res->error);
        backoff(r, KR_WATCHING);
    } else if (res->curl_code != CURLE_OK && !stream_cut(res->curl_code)) {
        set_error(r, "watch %s: %s", what, res->error);
        relist_from(r, false);
        backoff(r, KR_LISTING);
    } else if (r->watch_events == 0 &&
               r->lines.split.oversized + r->decode_errors > r->watch_skipped_at) {
        /* only objects that could not be used: the stream is not healthy,
         * and resuming at once would read the same garbage in a hot loop */
        set_error(r, "watch %s: nothing usable in the stream (%llu objects skipped)", what,
                  (unsigned long long)(r->lines.split.oversized + r->decode_errors -
                                       r->watch_skipped_at));
        relist_from(r, false);
        backoff(r, KR_LISTING);
    } else if (lasted < SHORT_WATCH_MS && r->watch_events == 0) {
        set_error(r, "watch %s: very short watch (closed within 1 s, no events)", what);
        relist_from(r, false);
        backoff(r, KR_LISTING);
    } else {
        /* Clean timeout or EOF, or the server dropped us mid-stream after
         * a healthy stretch: resume from the last RV at once. */
        if (r->failing) {
            r->failing = false;
            r->error[0] = 0;
            changed(r, true);
        }
        watch_start(r);
    }
}

static void watch_start(struct kube_reflector *r)
{
    if (needs_auth_first(r, KR_WATCHING))
        return;
    struct buf q = {0};
    buf_printf(&q, "%s?watch=1&resourceVersion=", r->path);
    escape_into(&q, r->rv);
    /* Random 300..599 s so a fleet of clients does not re-watch in step. */
    int timeout_s = 300 + (int)(drand48() * 300);
    buf_printf(&q, "&allowWatchBookmarks=true&timeoutSeconds=%d", timeout_s);
    if (*r->extra)
        buf_printf(&q, "&%s", r->extra);
    struct buf url = {0};
    kube_conn_url(r->env->conn, buf_cstr(&q), &url);
    char auth[8300];
    const char *hdrs[4];
    headers_for(r, auth, sizeof(auth), hdrs);
    struct http_opts o = {.url = buf_cstr(&url),
                          .headers = hdrs,
                          .idle_timeout_ms = (int64_t)(timeout_s + 60) * 1000,
                          .head_timeout_ms = WATCH_HEAD_TIMEOUT_MS,
                          .configure = configure,
                          .on_header = on_header,
                          .on_data = watch_data,
                          .on_done = watch_done,
                          .ud = r};
    ndjson_reset(&r->lines);
    buf_reset(&r->errbody);
    r->status = 0;
    r->stream_error = 0;
    r->watch_events = 0;
    r->watch_skipped_at = r->lines.split.oversized + r->decode_errors;
    r->watch_started = loop_mono_ms();
    r->phase = KR_WATCHING;
    r->watches++;
    r->req = http_start(r->env->http, &o);
    secret_wipe(auth, sizeof(auth));
    buf_free(&q);
    buf_free(&url);
    if (!r->req) {
        set_error(r, "watch %s: cannot start the request", kube_kind_names[r->kind]);
        backoff(r, KR_WATCHING);
    }
}

/* ---- lifecycle ---- */

void kube_reflector_init(struct kube_reflector *r, const struct kube_env *env, enum kube_kind k,
                         const char *namespace)
{
    memset(r, 0, sizeof(*r));
    r->env = env;
    r->kind = k;
    STR_COPY(r->ns, namespace ? namespace : "");
    set_path(r);
    if (k == KK_EVENTS) /* Warning events only: Normal ones are most of the volume */
        STR_COPY(r->extra, "fieldSelector=type%3DWarning");
    ndjson_init(&r->lines, on_line, r);
    r->lines.split.max = env->line_cap ? env->line_cap : KUBE_LINE_CAP_DEFAULT;
    r->lines.split.skip_long = true;
    struct backoff_policy bp = {
        .base_ms = BACKOFF_INITIAL_MS,
        .cap_ms = env->backoff_max_ms ? env->backoff_max_ms : BACKOFF_MAX_MS,
        .factor = 2,
        .jitter = 1,
        .healthy_ms = BACKOFF_HEALTHY_MS,
    };
    backoff_init(&r->backoff, &bp, 0);
}

void kube_reflector_start(struct kube_reflector *r)
{
    list_page(r);
}

void kube_reflector_stop(struct kube_reflector *r)
{
    if (r->req)
        http_cancel(r->env->http, r->req);
    r->req = NULL;
    if (r->timer)
        loop_timer_cancel(r->env->loop, r->timer);
    r->timer = NULL;
    relist_from(r, false);
    seen_free(r->unkept);
    r->unkept = NULL;
    buf_free(&r->cont);
    buf_free(&r->errbody);
    ndjson_free(&r->lines);
    kube_list_free(&r->list);
    r->phase = KR_IDLE;
}
