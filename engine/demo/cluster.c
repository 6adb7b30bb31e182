/* The demo's cluster: three nodes, three deployments and their pods, and
 * what the bad checkout rollout does to them (CrashLoopBackOff, OOMKilled,
 * Warning events, an unavailable deployment). */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "demo/internal.h"

static const char *const nodes[] = {"ip-10-0-1-17", "ip-10-0-2-41", "ip-10-0-3-8"};

static const struct {
    const char *namespace, *name, *image_old, *image_new;
    int replicas;
} deployments[] = {
    {"shop", "checkout", "registry.example/shop/checkout:2.4.0",
     "registry.example/shop/checkout:2.4.1", 3},
    {"shop", "payments", "registry.example/shop/payments:5.1.3", NULL, 2},
    {"web", "frontend", "registry.example/web/frontend:11.0.2", NULL, 3},
    /* no Deployment row: a pipeline's bare ReplicaSet, there for the experiment */
    {"shop", "honeypot", "registry.example/sec/honeypot:1.2.0", NULL, 0},
};
#define NDEPLOY  3 /* the ones that exist before the story starts */
#define HONEYPOT 3

/* Pod names end in a hash made from the seed, as a ReplicaSet's would. */
static void pod_name(struct demo *d, char *out, size_t len, const char *deploy, const char *rs)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    char suffix[6];
    for (int i = 0; i < 5; i++)
        suffix[i] = alphabet[demo_rand(d) % (sizeof(alphabet) - 1)];
    suffix[5] = 0;
    snprintf(out, len, "%s-%s-%s", deploy, rs, suffix);
}

static void put_pod(struct demo *d, struct engine *e, int dep, const char *rs, int node,
                    const char *image)
{
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    p.ready = p.simulated = true;
    p.ncontainers = p.containers_total = 1;
    char name[OBJ_LEN], text[TEXT_LEN];
    pod_name(d, name, sizeof(name), deployments[dep].name, rs);
    p.namespace = intern_str(deployments[dep].namespace);
    STR_COPY(p.name, name);
    snprintf(p.key, sizeof(p.key), "%s/%s", p.namespace, p.name);
    snprintf(p.uid, sizeof(p.uid), "%08llx-%04llx-4%03llx-8%03llx-%012llx",
             (unsigned long long)(demo_rand(d) & 0xffffffff),
             (unsigned long long)(demo_rand(d) & 0xffff),
             (unsigned long long)(demo_rand(d) & 0xfff), (unsigned long long)(demo_rand(d) & 0xfff),
             (unsigned long long)(demo_rand(d) & 0xffffffffffffULL));
    p.node = intern_str(nodes[node % 3]);
    p.phase = intern_str("Running");
    p.owner_kind = intern_str("ReplicaSet");
    snprintf(text, sizeof(text), "%s-%s", deployments[dep].name, rs);
    p.owner_name = intern_str(text);
    p.deployment = intern_str(deployments[dep].name);
    snprintf(text, sizeof(text), "app=%s,pod-template-hash=%s", deployments[dep].name, rs);
    p.labels = intern_str(text);
    p.created = e->now;
    struct container_status *c = &p.containers[0];
    c->name = intern_str(deployments[dep].name);
    c->ready = true;
    c->state = intern_str("running");
    c->image = intern_str(image);
    snprintf(c->id, sizeof(c->id), "containerd://%016llx%016llx", (unsigned long long)demo_rand(d),
             (unsigned long long)demo_rand(d));
    engine_upsert(e, T_PODS, &p);
}

static void put_deployment(struct engine *e, int dep, const char *image, int updated, int ready,
                           const char *revision, const char *problem)
{
    struct k8s_deployment k = {.simulated = true, .progressing = !problem[0]};
    STR_COPY(k.namespace, deployments[dep].namespace);
    STR_COPY(k.name, deployments[dep].name);
    snprintf(k.key, sizeof(k.key), "%s/%s", k.namespace, k.name);
    snprintf(k.uid, sizeof(k.uid), "d3f1c0de-0000-4000-8000-00000000000%d", dep);
    k.desired = deployments[dep].replicas;
    k.updated = updated;
    k.ready = ready;
    k.available = ready;
    k.unavailable = k.desired - ready > 0 ? k.desired - ready : 0;
    STR_COPY(k.image, image);
    STR_COPY(k.revision, revision);
    STR_COPY(k.problem, problem);
    k.changed = e->now;
    engine_upsert(e, T_DEPLOYMENTS, &k);
}

static void put_event(struct engine *e, const char *namespace, const char *type, const char *reason,
                      const char *kind, const char *object, const char *message, int count)
{
    struct k8s_event ev = {.count = count, .simulated = true};
    snprintf(ev.key, sizeof(ev.key), "%s/%s.%s", namespace, object, reason);
    struct k8s_event *old = engine_get(e, T_K8S_EVENTS, ev.key);
    ev.first_seen = old ? old->first_seen : e->now;
    ev.last_seen = e->now;
    STR_COPY(ev.namespace, namespace);
    STR_COPY(ev.type, type);
    STR_COPY(ev.reason, reason);
    STR_COPY(ev.object_kind, kind);
    STR_COPY(ev.object_name, object);
    STR_COPY(ev.message, message);
    engine_upsert(e, T_K8S_EVENTS, &ev);
}

void demo_cluster_init(struct demo *d, struct engine *e)
{
    for (int i = 0; i < 3; i++) {
        struct k8s_node n = {.ready = true, .simulated = true};
        STR_COPY(n.name, nodes[i]);
        snprintf(n.uid, sizeof(n.uid), "6e0de000-0000-4000-8000-00000000000%d", i);
        STR_COPY(n.kubelet_version, "v1.30.4");
        engine_upsert(e, T_NODES, &n);
    }
    for (int dep = 0; dep < NDEPLOY; dep++) {
        put_deployment(e, dep, deployments[dep].image_old, deployments[dep].replicas,
                       deployments[dep].replicas, "7", "");
        for (int r = 0; r < deployments[dep].replicas; r++)
            put_pod(d, e, dep,
                    dep == 0   ? "6b8d7c9f54"
                    : dep == 1 ? "5f7c9d8b66"
                               : "84c6f9d7b5",
                    r + dep, deployments[dep].image_old);
    }
}

/* The pods of the new ReplicaSet, found by owner. */
static struct k8s_pod *new_checkout_pod(struct engine *e, int which)
{
    struct table *t = engine_table(e, T_PODS);
    int seen = 0;
    for (int i = 0; i < t->count; i++) {
        struct k8s_pod *p = table_row(t, i);
        if (strcmp(p->owner_name, "checkout-7d9f8c6b4d") == 0 && seen++ == which)
            return p;
    }
    return NULL;
}

static void crash(struct engine *e, int which, const char *reason, int exit_code, int restarts)
{
    struct k8s_pod *row = new_checkout_pod(e, which);
    if (!row)
        return;
    struct k8s_pod p = *row;
    struct container_status *c = &p.containers[0];
    p.ready = false;
    c->ready = false;
    c->restarts = restarts;
    p.restarts = restarts;
    c->state = intern_str("waiting");
    c->reason = intern_str("CrashLoopBackOff");
    c->last_reason = intern_str(reason);
    c->last_exit_code = exit_code;
    p.problem = intern_str(strcmp(reason, "OOMKilled") == 0 ? "OOMKilled" : "CrashLoopBackOff");
    engine_upsert(e, T_PODS, &p);
}

/* The honeypot draws its name from its own stream, so the rest of the
 * story's randomness (pod names, traffic noise) is what it was without it. */
static void honeypot(struct demo *d, struct engine *e, int64_t s)
{
    struct demo shadow = *d;
    shadow.rng = (d->opt.seed ^ 0x68796e6579706f74ULL) * 0x9E3779B97F4A7C15ULL | 1;
    if (s == BEAT_HONEYPOT_UP)
        put_pod(&shadow, e, HONEYPOT, "5c9d8f7b6", 2, deployments[HONEYPOT].image_old);
    struct table *t = engine_table(e, T_PODS);
    for (int i = 0; s == BEAT_HONEYPOT_GONE && i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (strcmp(p->deployment, "honeypot") == 0) {
            char key[sizeof(p->key)];
            STR_COPY(key, p->key);
            engine_remove(e, T_PODS, key);
            break;
        }
    }
}

void demo_cluster_step(struct demo *d, struct engine *e, int64_t s)
{
    if (s == BEAT_HONEYPOT_UP || s == BEAT_HONEYPOT_GONE)
        honeypot(d, e, s);
    if (s == BEAT_DEPLOY_DONE) {
        put_deployment(e, 0, deployments[0].image_new, 2, 3, "8", "");
        put_pod(d, e, 0, "7d9f8c6b4d", 1, deployments[0].image_new);
        put_pod(d, e, 0, "7d9f8c6b4d", 2, deployments[0].image_new);
        put_event(e, "shop", "Normal", "ScalingReplicaSet", "Deployment", "checkout",
                  "Scaled up replica set checkout-7d9f8c6b4d to 2", 1);
    }
    if (s == BEAT_ERRORS_START + 6)
        put_event(e, "shop", "Warning", "Unhealthy", "Pod", "checkout-7d9f8c6b4d",
                  "Readiness probe failed: HTTP probe failed with statuscode: 503", 3);
    if (s >= BEAT_CRASHLOOP && (s - BEAT_CRASHLOOP) % 15 == 0) {
        int restarts = 1 + (int)(s - BEAT_CRASHLOOP) / 15;
        crash(e, 0, "Error", 1, restarts);
        struct k8s_pod *p = new_checkout_pod(e, 0);
        char msg[TEXT_LEN];
        snprintf(msg, sizeof(msg), "Back-off restarting failed container checkout in pod %s",
                 p ? p->name : "checkout");
        put_event(e, "shop", "Warning", "BackOff", "Pod", p ? p->name : "checkout", msg, restarts);
        put_deployment(e, 0, deployments[0].image_new, 2, 1, "8", "");
    }
    if (s == BEAT_OOMKILL) {
        crash(e, 1, "OOMKilled", 137, 1);
        struct k8s_pod *p = new_checkout_pod(e, 1);
        put_event(e, "shop", "Warning", "OOMKilling", "Node", p ? p->node : "node",
                  "Memory cgroup out of memory: Killed process 48213 (checkout) "
                  "total-vm:2874520kB, anon-rss:1048576kB",
                  1);
    }
    if (s == 100)
        put_deployment(e, 0, deployments[0].image_new, 2, 1, "8", "ProgressDeadlineExceeded");
}
