/* The correlator's incremental pod counters (aiops/correlate_pods.c): after
 * any sequence of pod upserts, modifications, removals and service changes
 * they equal a full recount of the pods table; a mass failure reads as one
 * incident per service with its counts; a flapping pod is one signal. */
#include <stdlib.h>

#include "aiops/correlate.h"
#include "aiops/correlate_internal.h"
#include "base/buf.h"
#include "core/engine.h"
#include "base/intern.h"
#include "core/schema.h"
#include "test.h"

#define T0 1772460000000LL

static void service(struct engine *e, const char *name, const char *ns, const char *selector)
{
    struct service s = {0};
    STR_COPY(s.name, name);
    STR_COPY(s.namespace, ns);
    STR_COPY(s.selector, selector);
    engine_upsert(e, T_SERVICES, &s);
}

static const char *const problems[] = {
    "", "", "CrashLoopBackOff", "ImagePullBackOff", "Pending", "OOMKilled", "ErrImagePull"};

/* Pod i of a small random cluster: 3 namespaces, 7 deployments, 5 nodes. */
static void random_pod(struct engine *e, int i, unsigned *seed)
{
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    int dep = rand_r(seed) % 7, ns = i % 3;
    char buf[160];
    snprintf(buf, sizeof(buf), "ns-%d", ns);
    p.namespace = intern_str(buf);
    snprintf(p.name, sizeof(p.name), "app-%d-%04d", dep, i);
    snprintf(p.key, sizeof(p.key), "%s/%s", p.namespace, p.name);
    snprintf(buf, sizeof(buf), "app-%d", dep);
    p.deployment = intern_str(buf);
    snprintf(buf, sizeof(buf), "node-%d", rand_r(seed) % 5);
    p.node = intern_str(buf);
    snprintf(buf, sizeof(buf), "app=app-%d,tier=%s", dep, rand_r(seed) % 4 ? "web" : "batch");
    p.labels = intern_str(buf);
    p.problem = intern_str(problems[rand_r(seed) % 7]);
    p.ncontainers = 1;
    if (rand_r(seed) % 5 == 0)
        p.containers[0].last_reason = intern_str("OOMKilled");
    p.restarts = rand_r(seed) % 9;
    engine_upsert(e, T_PODS, &p);
}

static void node(struct engine *e, const char *name, const char *problem)
{
    struct k8s_node n = {0};
    STR_COPY(n.name, name);
    STR_COPY(n.problem, problem);
    engine_upsert(e, T_NODES, &n);
}

TEST(counters_equal_a_full_recount)
{
    static struct engine e;
    engine_init(&e);
    engine_advance(&e, T0);
    struct correlator *c = correlator_new(&e, NULL);
    service(&e, "web", "ns-0", "tier=web");
    service(&e, "batch", "", "tier=batch");
    unsigned seed = 23;
    char err[128] = "";
    int bad = 0;
    for (int step = 0; step < 6000; step++) {
        int i = rand_r(&seed) % 400, op = rand_r(&seed) % 20;
        if (op == 0) {
            /* remove whichever pod i is now (its name carries its deployment) */
            struct table *t = engine_table(&e, T_PODS);
            if (t->count) {
                const struct k8s_pod *p = table_row(t, rand_r(&seed) % t->count);
                char k[sizeof(p->key)];
                STR_COPY(k, p->key);
                engine_remove(&e, T_PODS, k);
            }
        } else if (op == 1 && step % 500 == 1) {
            service(&e, "web", "ns-0", step % 1000 == 1 ? "tier=web,app=app-1" : "tier=web");
        } else {
            random_pod(&e, i, &seed);
        }
        if (step % 250 == 0 && corr_pods_verify(c, err, sizeof(err)) < 0)
            bad++;
    }
    CHECK(corr_pods_verify(c, err, sizeof(err)) == 0);
    CHECK(bad == 0);
    if (bad)
        printf("  first difference: %s\n", err);
    correlator_free(c);
    engine_free(&e);
}

/* 2,000 crashing pods in 3 deployments of one service: one incident, its
 * title and evidence with the counts, every pod a signal once. */
TEST(mass_failure_is_one_incident_with_counts)
{
    static struct engine e;
    engine_init(&e);
    engine_advance(&e, T0);
    struct correlator *c = correlator_new(&e, NULL);
    service(&e, "checkout", "shop", "app=checkout");
    node(&e, "node-1", "");
    for (int round = 0; round < 3; round++) /* crash, heal, crash again: flapping */
        for (int i = 0; i < 3000; i++) {
            struct k8s_pod p;
            schema_zero(&k8s_pod_schema, &p);
            char buf[64];
            p.namespace = intern_str("shop");
            snprintf(p.name, sizeof(p.name), "checkout-%d-%05d", i % 3, i);
            snprintf(p.key, sizeof(p.key), "shop/%s", p.name);
            snprintf(buf, sizeof(buf), "checkout-%d", i % 3);
            p.deployment = intern_str(buf);
            snprintf(buf, sizeof(buf), "node-%d", i % 40);
            p.node = intern_str(buf);
            p.labels = intern_str("app=checkout");
            if (i < 2000 && round != 1)
                p.problem = intern_str("CrashLoopBackOff");
            engine_upsert(&e, T_PODS, &p);
        }
    engine_advance(&e, T0 + 2000);
    struct table *t = engine_table(&e, T_INCIDENTS);
    CHECK(t->count == 1);
    const struct incident *inc = t->count ? table_row(t, 0) : NULL;
    CHECK(inc != NULL);
    if (!inc)
        return;
    CHECK_STR(inc->title, "checkout: 2,000 pods CrashLoopBackOff across 3 deployments");
    CHECK(inc->signals == 2000); /* the flap back is no second signal */
    bool found = false;
    for (int i = 0; i < inc->ncauses; i++)
        found |= strstr(inc->causes[i].evidence, "2,000 of 3,000 pods in CrashLoopBackOff") != NULL;
    CHECK(found);
    CHECK(inc->ntimeline <= INC_TIMELINE);
    const struct svc_pods *s = corr_pods_of(c, "checkout");
    CHECK(s && s->failing == 2000 && s->crash == 2000 && s->owners_failing == 3 &&
          s->nodes_failing == 40);
    correlator_free(c);
    engine_free(&e);
}

/* Past the incidents table's cap (256) an incident is not opened: the
 * summary row says how many, for the header, instead of a silent drop. */
TEST(incident_cap_is_shown)
{
    static struct engine e;
    engine_init(&e);
    engine_advance(&e, T0);
    struct correlator *c = correlator_new(&e, NULL);
    for (int i = 0; i < 300; i++) {
        struct k8s_pod p;
        schema_zero(&k8s_pod_schema, &p);
        char dep[32];
        p.namespace = intern_str("shop");
        snprintf(p.name, sizeof(p.name), "app%d-5d9f8b6c4-x%d", i, i);
        snprintf(p.key, sizeof(p.key), "shop/%s", p.name);
        snprintf(dep, sizeof(dep), "app%d", i);
        p.deployment = intern_str(dep);
        p.problem = intern_str("CrashLoopBackOff");
        engine_upsert(&e, T_PODS, &p);
    }
    engine_advance(&e, T0 + 2000);
    const struct summary *s = engine_get(&e, T_SUMMARY, "summary");
    CHECK(engine_table(&e, T_INCIDENTS)->count == 256);
    CHECK(s && s->incidents_not_opened == 300 - 256);
    correlator_free(c);
    engine_free(&e);
}

RUN_TESTS()
