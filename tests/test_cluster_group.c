/* The cluster view's grouping by owner (tui/cluster_group.c): which pods
 * share a row, what the row counts, and how its summary shortens to a
 * narrow screen without losing the pod count. */
#include "base/intern.h"
#include "test.h"
#include "tui/cluster.h"

enum { BROKEN = 1, HEALTHY = 6 };

static struct k8s_pod pod(const char *ns, const char *deploy, const char *node, const char *problem)
{
    struct k8s_pod p = {0};
    p.namespace = intern_str(ns);
    p.owner_kind = intern_str(deploy[0] ? "ReplicaSet" : "");
    p.owner_name = intern_str(deploy[0] ? "x-5d8f7c9b6a" : "");
    p.deployment = intern_str(deploy);
    p.node = intern_str(node);
    p.problem = intern_str(problem);
    p.phase = intern_str("Running");
    p.ready = !problem[0];
    return p;
}

static int add(const struct k8s_pod *p)
{
    bool healthy = !p->problem[0];
    return cl_group_add(p, healthy ? HEALTHY : BROKEN, healthy, p->problem);
}

TEST(one_group_per_namespace_and_owner)
{
    cl_groups_begin();
    struct k8s_pod a = pod("shop", "cart", "n1", "CrashLoopBackOff");
    struct k8s_pod b = pod("shop", "cart", "n2", "CrashLoopBackOff");
    struct k8s_pod c = pod("shop", "cart", "n2", "Pending");
    struct k8s_pod d = pod("data", "cart", "n1", "");
    struct k8s_pod bare = pod("shop", "", "n1", "OOMKilled");
    int g = add(&a);
    CHECK(g >= 0);
    CHECK(add(&b) == g && add(&c) == g);
    int other = add(&d);
    CHECK(other >= 0 && other != g); /* same name, other namespace */
    CHECK(add(&bare) == -1);
    CHECK(cl_groups_count() == 2);
    const struct cl_group *cart = cl_group_at(g);
    CHECK(cart->pods == 3 && cart->broken == 3 && cart->ready == 0);
    CHECK(cart->nodes == 2);
    CHECK(cart->worst == BROKEN);
    CHECK_STR(cl_group_kind_short(cart), "deploy");
    const struct cl_group *data = cl_group_at(other);
    CHECK(data->pods == 1 && data->broken == 0 && data->ready == 1 && data->worst == HEALTHY);
}

TEST(refused_owner_is_no_group)
{
    cl_groups_begin();
    struct k8s_pod p = pod("shop", "", "n1", "Pending");
    p.owner_kind = intern_str("StatefulSet");
    p.owner_name = INTERN_REFUSED;
    CHECK(add(&p) == -1);
    p.owner_name = intern_str("db");
    int g = add(&p);
    CHECK(g >= 0);
    CHECK_STR(cl_group_kind_short(cl_group_at(g)), "sts");
}

TEST(summary_cuts_detail_never_the_count)
{
    struct ui u = {.utf8 = false};
    cl_groups_begin();
    int g = -1;
    for (int i = 0; i < 4500; i++) {
        struct k8s_pod p = pod("shop", "cart", i % 3 ? "n1" : "n2",
                               i < 4312   ? "CrashLoopBackOff"
                               : i < 4400 ? "Pending"
                                          : "OOMKilled");
        g = add(&p);
    }
    const struct cl_group *grp = cl_group_at(g);
    char s[512];
    cl_group_summary(&u, grp, 200, s, sizeof s);
    CHECK_STR(s,
              "4,500 pods: 4,312 CrashLoopBackOff, 100 OOMKilled, 88 Pending; 0 ready; on 2 nodes");
    cl_group_summary(&u, grp, 60, s, sizeof s);
    CHECK_STR(s, "4,500 pods: 4,312 CrashLoopBackOff, 100 OOMKilled, +88 more");
    cl_group_summary(&u, grp, 46, s, sizeof s);
    CHECK_STR(s, "4,500 pods: 4,312 CrashLoopBackOff, +188 more");
    cl_group_summary(&u, grp, 40, s, sizeof s);
    CHECK_STR(s, "4,500 pods: +4,500 more");
    cl_group_summary(&u, grp, 8, s, sizeof s);
    CHECK(strncmp(s, "4,500 pods", 10) == 0);
}

TEST(healthy_summary_and_open_groups)
{
    struct ui u = {.utf8 = true};
    cl_groups_begin();
    struct k8s_pod p = pod("shop", "front", "n1", "");
    int g = add(&p);
    add(&p);
    char s[256];
    cl_group_summary(&u, cl_group_at(g), 80, s, sizeof s);
    CHECK_STR(s, "2 pods, all ready");
    CHECK(!cl_group_at(g)->expanded);
    CHECK(cl_group_toggle(cl_group_at(g)));
    cl_groups_begin(); /* the next frame finds it open */
    g = add(&p);
    CHECK(cl_group_at(g)->expanded);
    CHECK(!cl_group_toggle(cl_group_at(g)));
    cl_groups_begin();
    CHECK(!cl_group_at(add(&p))->expanded);
    cl_groups_free();
}

RUN_TESTS()
