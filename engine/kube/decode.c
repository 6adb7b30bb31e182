#include "kube/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "base/redact.h"
#include "kube/derive.h"
#include "base/json_num.h"
#include "base/timeparse.h"

/* ---- small accessors: a missing or mistyped field reads as empty ---- */

static const cJSON *obj_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsObject(v) ? v : NULL;
}

static const char *str_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

static int int_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        return 0;
    return num_to_int(v->valuedouble);
}

static bool bool_at(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

const char *kube_obj_rv(const cJSON *o)
{
    const char *rv = str_at(obj_at(o, "metadata"), "resourceVersion");
    return *rv ? rv : NULL;
}

/* metadata with a name is the least an object must have. */
static const cJSON *need_meta(const cJSON *o, char *err, size_t errlen)
{
    const cJSON *m = cJSON_IsObject(o) ? obj_at(o, "metadata") : NULL;
    if (!m || !*str_at(m, "name")) {
        snprintf(err, errlen, "object without metadata.name");
        return NULL;
    }
    return m;
}

/* Status of the condition of a given type, "" when absent; reason optional. */
static const char *condition(const cJSON *status, const char *type, const char **reason)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions"))
    {
        if (strcmp(str_at(c, "type"), type) == 0) {
            if (reason)
                *reason = str_at(c, "reason");
            return str_at(c, "status");
        }
    }
    if (reason)
        *reason = "";
    return "";
}

/* ---- pods ---- */

/* The pooled copy of src redacted and cut to a char[size] field. */
static const char *redact_ref(const char *src, size_t size)
{
    char cut[TEXT_LEN];
    size_t n = redact_field(cut, size < sizeof(cut) ? size : sizeof(cut), src, strlen(src));
    return intern_get(intern_pool(), cut, n);
}

static void decode_container(const cJSON *cs, struct container_status *c)
{
    const char *empty = intern_str("");
    *c = (struct container_status){.state = empty, .reason = empty, .last_reason = empty};
    c->name = intern_cut(str_at(cs, "name"), NAME_LEN);
    c->image = redact_ref(str_at(cs, "image"), OBJ_LEN);
    STR_COPY(c->id, str_at(cs, "containerID"));
    c->ready = bool_at(cs, "ready");
    c->restarts = int_at(cs, "restartCount");
    const cJSON *st = obj_at(cs, "state");
    static const char *const states[] = {"running", "waiting", "terminated"};
    for (int i = 0; i < 3; i++) {
        const cJSON *s = obj_at(st, states[i]);
        if (s) {
            c->state = intern_str(states[i]);
            c->reason = redact_ref(str_at(s, "reason"), POD_REASON_LEN);
            break;
        }
    }
    const cJSON *last = obj_at(obj_at(cs, "lastState"), "terminated");
    if (last) {
        c->last_reason = redact_ref(str_at(last, "reason"), POD_REASON_LEN);
        c->last_exit_code = int_at(last, "exitCode");
    }
}

/* Every container of the pod, for the derived problem; the row keeps the
 * first POD_CONTAINERS. */
#define SCRATCH_CONTAINERS 64

struct all_containers {
    struct container_status c[SCRATCH_CONTAINERS];
    int n;
};

static int add_containers(struct all_containers *all, struct k8s_pod *p, const cJSON *arr)
{
    int added = 0;
    const cJSON *cs;
    cJSON_ArrayForEach(cs, arr)
    {
        p->containers_total++;
        if (all->n >= SCRATCH_CONTAINERS)
            continue; /* beyond any real pod; restarts below still count it */
        decode_container(cs, &all->c[all->n++]);
        added++;
    }
    return added;
}

static int sum_restarts(const cJSON *arr)
{
    int n = 0;
    const cJSON *cs;
    cJSON_ArrayForEach(cs, arr) n += int_at(cs, "restartCount");
    return n;
}

/* "k=v,k=v" of the labels that fit in a char[outlen]; pod-template-hash is
 * noise for selectors. Each pair is redacted whole before it is measured, so
 * a cut never meets a secret. */
static const char *join_labels(const cJSON *labels, size_t outlen)
{
    struct buf b = {0}, pair = {0}, red = {0};
    struct redactor *r = redact_default();
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        if (!cJSON_IsString(l) || strcmp(l->string, "pod-template-hash") == 0)
            continue;
        buf_reset(&pair);
        buf_reset(&red);
        buf_printf(&pair, "%s=%s", l->string, l->valuestring);
        if (r)
            redact_text(r, buf_cstr(&pair), pair.len, &red, NULL);
        else
            buf_puts(&red, "<REDACTED:unavailable>");
        if (b.len + red.len + 2 >= outlen)
            continue; /* whole pairs only: a cut label would match wrongly */
        buf_printf(&b, "%s%s", b.len ? "," : "", buf_cstr(&red));
    }
    const char *ref = intern_cut(buf_cstr(&b), outlen);
    buf_free(&b);
    buf_free(&pair);
    buf_free(&red);
    return ref;
}

static void decode_owner(const cJSON *meta, struct k8s_pod *p)
{
    const cJSON *ref;
    cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences"))
    {
        if (!bool_at(ref, "controller"))
            continue;
        p->owner_kind = intern_cut(str_at(ref, "kind"), POD_KIND_LEN);
        p->owner_name = intern_cut(str_at(ref, "name"), OBJ_LEN);
    }
    if (strcmp(p->owner_kind, "ReplicaSet") != 0)
        return;
    /* A Deployment's ReplicaSet is "<deployment>-<pod-template-hash>". */
    const char *hash = str_at(obj_at(meta, "labels"), "pod-template-hash");
    size_t n = strlen(p->owner_name), h = strlen(hash);
    if (h && n > h + 1 && p->owner_name[n - h - 1] == '-' &&
        strcmp(p->owner_name + n - h, hash) == 0)
        p->deployment = intern_get(intern_pool(), p->owner_name, n - h - 1);
}

int kube_decode_pod(const cJSON *o, const struct kube_decode_opts *opt, struct k8s_pod *p,
                    char *err, size_t errlen)
{
    schema_zero(&k8s_pod_schema, p);
    const cJSON *m = need_meta(o, err, errlen);
    if (!m)
        return -1;
    p->namespace = intern_cut(str_at(m, "namespace"), NAME_LEN);
    STR_COPY(p->name, str_at(m, "name"));
    snprintf(p->key, sizeof(p->key), "%s/%s", p->namespace, p->name);
    STR_COPY(p->uid, str_at(m, "uid"));
    p->created = time_rfc3339_or_zero(str_at(m, "creationTimestamp"));
    p->labels = join_labels(obj_at(m, "labels"), TEXT_LEN);
    decode_owner(m, p);
    p->node = intern_cut(str_at(obj_at(o, "spec"), "nodeName"), OBJ_LEN);
    const cJSON *st = obj_at(o, "status");
    p->phase = intern_cut(str_at(st, "phase"), POD_PHASE_LEN);
    STR_COPY(p->ip, str_at(st, "podIP"));
    p->ready = strcmp(condition(st, "Ready", NULL), "True") == 0;
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(st, "initContainerStatuses");
    const cJSON *main = cJSON_GetObjectItemCaseSensitive(st, "containerStatuses");
    static struct all_containers all; /* one thread; 25 KB is too much for the stack */
    all.n = 0;
    int ninit = add_containers(&all, p, init);
    add_containers(&all, p, main);
    p->ncontainers = all.n < POD_CONTAINERS ? all.n : POD_CONTAINERS;
    memcpy(p->containers, all.c, (size_t)p->ncontainers * sizeof(all.c[0]));
    p->restarts = sum_restarts(init) + sum_restarts(main);
    kube_derive_pod(p, all.c, all.n, ninit, opt->now,
                    opt->pending_limit_ms ? opt->pending_limit_ms : KUBE_PENDING_LIMIT_MS_DEFAULT);
    if (strcmp(p->phase, "Failed") == 0 && *str_at(st, "reason"))
        p->problem = redact_ref(str_at(st, "reason"), POD_REASON_LEN); /* Evicted ... */
    return 0;
}

/* ---- nodes ---- */

int kube_decode_node(const cJSON *o, struct k8s_node *n, char *err, size_t errlen)
{
    memset(n, 0, sizeof(*n));
    const cJSON *m = need_meta(o, err, errlen);
    if (!m)
        return -1;
    STR_COPY(n->name, str_at(m, "name"));
    STR_COPY(n->uid, str_at(m, "uid"));
    n->unschedulable = bool_at(obj_at(o, "spec"), "unschedulable");
    const cJSON *st = obj_at(o, "status");
    STR_COPY(n->kubelet_version, str_at(obj_at(st, "nodeInfo"), "kubeletVersion"));
    n->memory_pressure = strcmp(condition(st, "MemoryPressure", NULL), "True") == 0;
    n->disk_pressure = strcmp(condition(st, "DiskPressure", NULL), "True") == 0;
    n->pid_pressure = strcmp(condition(st, "PIDPressure", NULL), "True") == 0;
    kube_derive_node(n, condition(st, "Ready", NULL));
    return 0;
}

/* ---- deployments ---- */

static int64_t latest_condition_update(const cJSON *status)
{
    int64_t latest = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions"))
    {
        int64_t t = time_rfc3339_or_zero(str_at(c, "lastUpdateTime"));
        if (t > latest)
            latest = t;
    }
    return latest;
}

int kube_decode_deployment(const cJSON *o, struct k8s_deployment *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    const cJSON *m = need_meta(o, err, errlen);
    if (!m)
        return -1;
    STR_COPY(d->namespace, str_at(m, "namespace"));
    STR_COPY(d->name, str_at(m, "name"));
    snprintf(d->key, sizeof(d->key), "%s/%s", d->namespace, d->name);
    STR_COPY(d->uid, str_at(m, "uid"));
    STR_COPY(d->revision, str_at(obj_at(m, "annotations"), "deployment.kubernetes.io/revision"));
    const cJSON *spec = obj_at(o, "spec");
    const cJSON *replicas = cJSON_GetObjectItemCaseSensitive(spec, "replicas");
    d->desired = cJSON_IsNumber(replicas) ? int_at(spec, "replicas") : 1; /* API default */
    const cJSON *tpl = obj_at(obj_at(spec, "template"), "spec");
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(tpl, "containers"), 0);
    REDACT_COPY(d->image, str_at(first, "image"));
    const cJSON *st = obj_at(o, "status");
    d->updated = int_at(st, "updatedReplicas");
    d->ready = int_at(st, "readyReplicas");
    d->available = int_at(st, "availableReplicas");
    d->unavailable = int_at(st, "unavailableReplicas");
    d->changed = latest_condition_update(st);
    const char *preason;
    const char *pstatus = condition(st, "Progressing", &preason);
    kube_derive_deployment(d, condition(st, "Available", NULL), pstatus, preason);
    return 0;
}

/* ---- events (core/v1, or events.k8s.io/v1 field names) ---- */

int kube_decode_event(const cJSON *o, struct k8s_event *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    const cJSON *m = need_meta(o, err, errlen);
    if (!m)
        return -1;
    STR_COPY(ev->namespace, str_at(m, "namespace"));
    const char *uid = str_at(m, "uid");
    snprintf(ev->key, sizeof(ev->key), "%s/%s", ev->namespace, *uid ? uid : str_at(m, "name"));
    STR_COPY(ev->type, str_at(o, "type"));
    REDACT_COPY(ev->reason, str_at(o, "reason"));
    const char *msg = str_at(o, "message");
    REDACT_COPY(ev->message, *msg ? msg : str_at(o, "note"));
    const cJSON *obj = obj_at(o, "involvedObject");
    if (!obj)
        obj = obj_at(o, "regarding");
    STR_COPY(ev->object_kind, str_at(obj, "kind"));
    REDACT_COPY(ev->object_name, str_at(obj, "name"));
    const cJSON *series = obj_at(o, "series");
    ev->count = int_at(o, "count");
    if (!ev->count)
        ev->count = series ? int_at(series, "count") : int_at(o, "deprecatedCount");
    if (!ev->count)
        ev->count = 1;
    /* events.k8s.io/v1 keeps an event recorded through core/v1 (most of
     * them still are) under deprecated* names, with eventTime null */
    ev->first_seen = time_rfc3339_or_zero(str_at(o, "firstTimestamp"));
    if (!ev->first_seen)
        ev->first_seen = time_rfc3339_or_zero(str_at(o, "deprecatedFirstTimestamp"));
    if (!ev->first_seen)
        ev->first_seen = time_rfc3339_or_zero(str_at(o, "eventTime"));
    ev->last_seen = time_rfc3339_or_zero(str_at(o, "lastTimestamp"));
    if (!ev->last_seen && series)
        ev->last_seen = time_rfc3339_or_zero(str_at(series, "lastObservedTime"));
    if (!ev->last_seen)
        ev->last_seen = time_rfc3339_or_zero(str_at(o, "deprecatedLastTimestamp"));
    if (!ev->last_seen)
        ev->last_seen = ev->first_seen;
    return 0;
}
