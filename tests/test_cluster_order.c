/* The cluster view's row order one row per pod (tui/cluster.c): a frame
 * puts only the rows on screen in order, so the row under the bar must be
 * the one a full sort puts there wherever the bar is, the bar must follow
 * its pod when a change moves it, and a pod that breaks must move up on
 * the next frame. The expected order is computed here on its own: class,
 * most restarts, then key; healthy pods after, in table order. The same
 * for the pods of an open group (grouped by owner, the default), which are
 * also ordered only where a frame shows them: there the healthy ones sort
 * by restarts and key too. */
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "core/schema.h"
#include "test.h"
#include "tui/cluster.h"

#define NPODS 600
#define T0    1772460000000LL

struct want {
    int cls; /* 0 broken, 1 pending, 2 not ready, 3 healthy */
    int restarts;
    int seq; /* insertion order, for the healthy */
    char key[OBJ_LEN + NAME_LEN + 2];
};

static struct want want[NPODS + 1];
static int nwant;
static const char *one_ns; /* every pod in this namespace; NULL: data and shop */

static int by_want(const void *a, const void *b)
{
    const struct want *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    if (x->cls == 3 && !one_ns)
        return x->seq - y->seq;
    if (x->restarts != y->restarts)
        return y->restarts - x->restarts;
    return strcmp(x->key, y->key);
}

static void put_pod(struct engine *e, int i, int cls, int restarts)
{
    static const char *const problem[] = {"CrashLoopBackOff", "Pending", "", ""};
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    p.namespace = intern_str(one_ns ? one_ns : i % 2 ? "shop" : "data");
    snprintf(p.name, sizeof p.name, "cart-%04d", i);
    snprintf(p.key, sizeof p.key, "%s/%s", p.namespace, p.name);
    p.deployment = intern_str("cart");
    p.phase = intern_str(cls == 1 ? "Pending" : "Running");
    p.problem = intern_str(problem[cls]);
    p.ready = cls == 3;
    p.restarts = restarts;
    engine_upsert(e, T_PODS, &p);
    struct want *w = NULL;
    for (int k = 0; k < nwant && !w; k++)
        if (strcmp(want[k].key, p.key) == 0)
            w = &want[k];
    if (!w) {
        w = &want[nwant];
        w->seq = nwant++;
    }
    w->cls = cls;
    w->restarts = restarts;
    snprintf(w->key, sizeof w->key, "%s", p.key);
}

/* A frame with the bar on row sel (or where it was, sel < 0); the key of
 * the pod under it. */
static const char *frame(struct ui *u, int sel)
{
    static struct cl_sel s;
    if (sel >= 0)
        u->cluster_view.sel = sel;
    ui_draw_cluster(u, (struct rect){0, 0, 20, 200});
    return ui_cluster_selected(&s) ? s.key : "";
}

static void expect(struct want *sorted)
{
    memcpy(sorted, want, sizeof want);
    qsort(sorted, (size_t)nwant, sizeof *sorted, by_want);
}

TEST(every_row_is_the_full_sorts_and_the_bar_follows)
{
    static struct app a;
    static struct want sorted[NPODS + 1];
    engine_init(&a.engine);
    engine_advance(&a.engine, T0);
    struct ui u = {0}; /* rows 0: nothing reaches curses */
    u.a = &a;
    unsigned seed = 7;
    /* Insertion order is not name order; few restart values, so most
     * places are decided by the key. */
    for (int n = 0; n < NPODS; n++)
        put_pod(&a.engine, (n * 367) % NPODS, rand_r(&seed) % 4, rand_r(&seed) % 3);
    ui_cluster_toggle_group(&u);
    expect(sorted);
    /* Every row, visited out of order so each frame orders another window. */
    int bad = 0;
    for (int n = 0; n < NPODS; n++) {
        int k = (n * 211) % NPODS;
        bad += strcmp(frame(&u, k), sorted[k].key) != 0;
    }
    CHECK(bad == 0);
    CHECK(u.cluster_view.nrows == NPODS);

    /* The bar on a broken pod; a healthy pod breaks with more restarts than
     * any: on the next frame the bar is still on its pod, a row lower, and
     * the new one is the first row. */
    int at = 0;
    while (sorted[at].cls != 0 || sorted[at].restarts != 0)
        at++;
    at += 3;
    char key[sizeof sorted[0].key];
    snprintf(key, sizeof key, "%s", frame(&u, at));
    CHECK_STR(key, sorted[at].key);
    int healthy = nwant - 1;
    while (sorted[healthy].cls != 3)
        healthy--;
    char broke[sizeof key];
    snprintf(broke, sizeof broke, "%s", sorted[healthy].key);
    put_pod(&a.engine, atoi(broke + strlen(broke) - 4), 0, 9);
    CHECK_STR(frame(&u, -1), key);
    CHECK(u.cluster_view.sel == at + 1);
    CHECK_STR(frame(&u, 0), broke);
    expect(sorted);
    CHECK_STR(sorted[0].key, broke);
    CHECK_STR(frame(&u, nwant - 1), sorted[nwant - 1].key);
    ui_cluster_toggle_group(&u); /* grouped again, for the next test */
    ui_cluster_free();
    engine_free(&a.engine);
}

TEST(an_open_groups_pods_are_in_order_wherever_the_bar_is)
{
    static struct app a;
    static struct want sorted[NPODS + 1];
    nwant = 0;
    one_ns = "shop"; /* one owner, one group: shop/cart */
    engine_init(&a.engine);
    engine_advance(&a.engine, T0);
    struct ui u = {0};
    u.a = &a;
    unsigned seed = 11;
    for (int n = 0; n < NPODS; n++)
        put_pod(&a.engine, (n * 367) % NPODS, rand_r(&seed) % 4, rand_r(&seed) % 3);
    frame(&u, 0);
    CHECK(u.cluster_view.nrows == 1); /* the group row alone */
    CHECK(ui_cluster_enter(&u));      /* opens it */
    frame(&u, 0);
    CHECK(u.cluster_view.nrows == NPODS + 1);
    expect(sorted);
    int bad = 0;
    for (int n = 0; n < NPODS; n++) {
        int k = (n * 211) % NPODS;
        bad += strcmp(frame(&u, 1 + k), sorted[k].key) != 0;
    }
    CHECK(bad == 0);

    /* The bar on a member; a healthy member breaks with more restarts than
     * any: the bar stays on its pod, a row lower; the new one comes first. */
    int at = 5;
    char key[sizeof sorted[0].key], broke[sizeof key];
    snprintf(key, sizeof key, "%s", frame(&u, 1 + at));
    CHECK_STR(key, sorted[at].key);
    int healthy = nwant - 1;
    while (sorted[healthy].cls != 3)
        healthy--;
    snprintf(broke, sizeof broke, "%s", sorted[healthy].key);
    put_pod(&a.engine, atoi(broke + strlen(broke) - 4), 0, 9);
    CHECK_STR(frame(&u, -1), key);
    CHECK(u.cluster_view.sel == 1 + at + 1);
    CHECK_STR(frame(&u, 1), broke);
    expect(sorted);
    CHECK_STR(frame(&u, nwant), sorted[nwant - 1].key);
    one_ns = NULL;
    ui_cluster_free();
    engine_free(&a.engine);
}

RUN_TESTS()
