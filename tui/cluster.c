/* The cluster view: nodes, pods and stuck rollouts over the whole body,
 * trouble first (like `kubectl get pods -A` sorted by what is wrong), the
 * Warning events of the selected object below, a substring filter, and a
 * describe-level detail on Enter (cluster_detail.c).
 *
 * A cluster can hold 10k+ pods, so a frame walks the tables once to pick
 * out the problem set (no formatting), keeps the healthy objects in table
 * order, and formats only the rows on screen. Of the problem set only the
 * rows on screen are put in order (a partial quicksort): in a mass failure
 * one row per pod is 40k+ problems, and sorting them all every frame
 * cost more than the frame budget.
 *
 * By default the pods of one owner (a Deployment, StatefulSet, Job ...) are
 * one row with counts (cluster_group.c), summed in that same pass: in a
 * mass failure 4,500 crash-looping pods of 3 deployments are 3 rows. Enter
 * opens a group (its pods below it, trouble first); `o` turns grouping off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "ui.h"

/* Problem classes, most urgent first; R_HEALTHY rows are never sorted. */
enum rank {
    R_NODE_DOWN,     /* NotReady */
    R_POD_BROKEN,    /* CrashLoopBackOff, OOMKilled, ImagePullBackOff, Failed ... */
    R_ROLLOUT_STUCK, /* ProgressDeadlineExceeded, Unavailable */
    R_POD_PENDING,   /* Pending past the limit */
    R_NODE_PRESSURE, /* MemoryPressure ..., cordoned */
    R_ROLLING,       /* a rollout under way, a pod not ready yet */
    R_HEALTHY,
};

struct ent {
    enum cl_kind kind;
    enum rank rank;
    const void *obj; /* a table row, or for CL_GROUP a struct cl_group */
    int grp;         /* the group a pod row is listed under, else -1 */
};

/* The rows of the last walk: problems (sorted) then healthy (table order).
 * One screen per process, so file scope. */
static struct ent *ents, *spare, *members; /* members: pods of open groups */
static int ents_alloc, ents_n;
static struct cl_sel drawn;       /* the object under the bar in the last frame */
static struct cl_group drawn_grp; /* when drawn is a group: its owner */
/* ents[0, prob_n) are the problems; of them only [ord_lo, ord_hi) are
 * sure to hold their final rows in order (order_rows). With groups open,
 * the problems are all in order and each open group's pods are a block of
 * rows under it, in order only where a frame showed them (cl_group's
 * ord_lo, ord_hi). */
static int prob_n, ord_lo, ord_hi;
static int drawn_sel = -1;
static bool ungrouped; /* `o`: one row per pod, as before grouping */

void ui_cluster_free(void)
{
    free(ents);
    free(spare);
    free(members);
    ents = spare = members = NULL;
    ents_alloc = ents_n = 0;
    cl_groups_free();
}

static bool has(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

static bool pod_matches(const struct k8s_pod *p, const char *f)
{
    if (!*f || has(p->namespace, f) || has(p->name, f) || has(p->node, f) || has(p->problem, f) ||
        has(p->phase, f) || has(p->owner_name, f))
        return true;
    for (int i = 0; i < p->ncontainers && i < POD_CONTAINERS; i++)
        if (has(p->containers[i].reason, f) || has(p->containers[i].last_reason, f))
            return true;
    return false;
}

static bool node_matches(const struct k8s_node *n, const char *f)
{
    return !*f || has(n->name, f) || has(n->problem, f) || (n->unschedulable && has("cordoned", f));
}

static bool deploy_matches(const struct k8s_deployment *d, const char *f)
{
    return !*f || has(d->namespace, f) || has(d->name, f) || has(d->problem, f);
}

static enum rank pod_rank(const struct k8s_pod *p)
{
    if (p->problem[0])
        return strcmp(p->problem, "Pending") == 0 ? R_POD_PENDING : R_POD_BROKEN;
    bool done = strcmp(p->phase, "Succeeded") == 0;
    return p->ready || done ? R_HEALTHY : R_ROLLING;
}

static enum rank node_rank(const struct k8s_node *n)
{
    if (!n->ready)
        return R_NODE_DOWN;
    return n->problem[0] || n->unschedulable ? R_NODE_PRESSURE : R_HEALTHY;
}

/* Deployments are rows only while something is wrong or rolling: the
 * healthy ones are their pods. */
static enum rank deploy_rank(const struct k8s_deployment *d)
{
    if (d->problem[0])
        return R_ROLLOUT_STUCK;
    return d->updated < d->desired || d->ready < d->desired ? R_ROLLING : R_HEALTHY;
}

static int restarts_of(const struct ent *e)
{
    return e->kind == CL_POD ? ((const struct k8s_pod *)e->obj)->restarts : 0;
}

/* Within a class a group with more broken pods goes first, and any group
 * before a lone row of the same class. */
static int broken_of(const struct ent *e)
{
    return e->kind == CL_GROUP ? ((const struct cl_group *)e->obj)->broken : 0;
}

static const char *pod_status(const struct k8s_pod *p)
{
    if (p->problem[0])
        return p->problem;
    if (!p->ready && strcmp(p->phase, "Running") == 0)
        return "Running, not ready";
    return p->phase[0] ? p->phase : "Unknown";
}

const char *cl_key(enum cl_kind kind, const void *obj)
{
    switch (kind) {
    case CL_NODE:
        return ((const struct k8s_node *)obj)->name;
    case CL_DEPLOY:
        return ((const struct k8s_deployment *)obj)->key;
    case CL_GROUP:
        return ((const struct cl_group *)obj)->name;
    default:
        return ((const struct k8s_pod *)obj)->key;
    }
}

static int by_trouble(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    int bx = broken_of(x), by = broken_of(y);
    if (bx != by)
        return bx > by ? -1 : 1;
    if ((x->kind == CL_GROUP) != (y->kind == CL_GROUP))
        return x->kind == CL_GROUP ? -1 : 1;
    int rx = restarts_of(x), ry = restarts_of(y);
    if (rx != ry)
        return rx > ry ? -1 : 1;
    int k = strcmp(cl_key(x->kind, x->obj), cl_key(y->kind, y->obj));
    if (k)
        return k;
    /* Equal names (two owners "cart" in two namespaces): the walk's order,
     * the kinds' and the groups' creation, so no tie is left to the sort. */
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->grp < y->grp ? -1 : x->grp > y->grp;
}

static void swap_ent(struct ent *a, int i, int j)
{
    struct ent t = a[i];
    a[i] = a[j];
    a[j] = t;
}

/* Splits a[l, r) around the median of its first, middle and last rows (a
 * sorted run, the usual table order of same-status pods, stays balanced);
 * returns where the pivot landed: its final place within a[l, r). */
static int split(struct ent *a, int l, int r)
{
    int m = l + (r - l) / 2;
    if (by_trouble(&a[m], &a[l]) < 0)
        swap_ent(a, m, l);
    if (by_trouble(&a[r - 1], &a[l]) < 0)
        swap_ent(a, r - 1, l);
    if (by_trouble(&a[m], &a[r - 1]) < 0)
        swap_ent(a, m, r - 1);
    int i = l;
    for (int j = l; j < r - 1; j++)
        if (by_trouble(&a[j], &a[r - 1]) < 0)
            swap_ent(a, i++, j);
    swap_ent(a, i, r - 1);
    return i;
}

/* Puts in a[lo, hi) the rows a full sort of a[l, r) would put there, in
 * order, and leaves the rest unordered: expected O(r - l) comparisons plus
 * the sort of the window, against a full sort's O(n log n). */
static void sort_window(struct ent *a, int l, int r, int lo, int hi)
{
    while (r - l > 16 && lo < r && hi > l && !(lo <= l && r <= hi)) {
        int p = split(a, l, r);
        bool left = lo<p, right = hi> p + 1;
        /* Both sides in the window: recurse into the smaller, so the
         * depth stays logarithmic whatever the pivots. */
        if (left && right && p - l > r - p - 1) {
            sort_window(a, p + 1, r, lo, hi);
            r = p;
        } else if (left && right) {
            sort_window(a, l, p, lo, hi);
            l = p + 1;
        } else if (right) {
            l = p + 1;
        } else {
            r = p; /* only the left, or the window was the pivot alone */
        }
    }
    if (r - l > 1 && lo < r && hi > l)
        qsort(a + l, (size_t)(r - l), sizeof *a, by_trouble);
}

/* Puts in order the rows of open groups' blocks that fall in [lo, hi). */
static void order_members(int lo, int hi)
{
    for (int i = 0; i < cl_groups_count(); i++) {
        struct cl_group *g = cl_group_at(i);
        if (!g->expanded || g->first < 0 || !g->nmembers)
            continue;
        int b = g->first, e = b + g->nmembers;
        int l = lo > b ? lo : b, h = hi < e ? hi : e;
        if (l >= h || (g->ord_lo <= l && h <= g->ord_hi))
            continue;
        sort_window(ents, b, e, l, h);
        g->ord_lo = l;
        g->ord_hi = h;
    }
}

/* Makes ents[lo, hi) final: the problems among them in order (the
 * healthy rows after them are in table order already), and the open
 * groups' pods among them. */
static void order_rows(int lo, int hi)
{
    order_members(lo, hi);
    if (hi > prob_n)
        hi = prob_n;
    if (lo < 0)
        lo = 0;
    if (lo >= hi || (ord_lo <= lo && hi <= ord_hi))
        return;
    sort_window(ents, 0, prob_n, lo, hi);
    ord_lo = lo;
    ord_hi = hi;
}

/* Where row i goes in the full order of rows [l, r): how many precede it. */
static int final_place(int i, int l, int r)
{
    int place = l;
    for (int j = l; j < r; j++)
        place += j != i && by_trouble(&ents[j], &ents[i]) < 0;
    return place;
}

/* Row i's final place: itself if it is sure to be there, else counted
 * within the rows it is ordered among (its group's block, or the problems). */
static int placed_row(int i)
{
    const struct ent *e = &ents[i];
    if (e->kind == CL_POD && e->grp >= 0) {
        const struct cl_group *g = cl_group_at(e->grp);
        bool in_order = g->ord_lo <= i && i < g->ord_hi;
        return in_order ? i : final_place(i, g->first, g->first + g->nmembers);
    }
    bool placed = i >= prob_n || (ord_lo <= i && i < ord_hi);
    return placed ? i : final_place(i, 0, prob_n);
}

static bool grow_one(struct ent **arr, int n)
{
    struct ent *p = realloc(*arr, (size_t)n * sizeof *p);
    if (!p)
        return false;
    *arr = p;
    return true;
}

/* The rows, the scratch list the open groups are spliced through, and the
 * open groups' pods: each holds at most every object once. */
static bool grow(int need)
{
    if (need <= ents_alloc)
        return true;
    int n = ents_alloc ? ents_alloc : 256;
    while (n < need)
        n *= 2;
    if (!grow_one(&ents, n) || !grow_one(&spare, n) || !grow_one(&members, n))
        return false;
    ents_alloc = n;
    return true;
}

/* Counts for the title line, over everything (not only what matches);
 * matched counts objects that match, not rows. */
struct counts {
    int nodes, nodes_ready, pods, pods_failing, deploys, stuck, matched;
};

/* The pods of each open group go right under its row: one counting pass
 * puts them in a block per group (in table order); order_rows sorts a
 * block only where a frame shows it, so an open group of 25,000
 * crash-looping pods costs no full sort a frame. */
static int splice_members(int n, int nm)
{
    if (!nm)
        return n;
    for (int i = 0; i < cl_groups_count(); i++) {
        struct cl_group *g = cl_group_at(i);
        g->first = -1;
        g->nmembers = 0;
    }
    for (int i = 0; i < nm; i++)
        cl_group_at(members[i].grp)->nmembers++;
    int o = 0;
    for (int i = 0; i < n; i++) {
        spare[o++] = ents[i];
        struct cl_group *g = ents[i].kind == CL_GROUP ? cl_group_at(ents[i].grp) : NULL;
        if (!g || !g->expanded)
            continue;
        g->first = g->ord_lo = g->ord_hi = o;
        o += g->nmembers;
        g->nmembers = 0; /* counts again as the block fills */
    }
    for (int i = 0; i < nm; i++) {
        struct cl_group *g = cl_group_at(members[i].grp);
        if (g->first >= 0) /* its group has a row (always: it holds this pod) */
            spare[g->first + g->nmembers++] = members[i];
    }
    struct ent *t = ents;
    ents = spare;
    spare = t;
    return o;
}

/* One pass over nodes, deployments and pods: problems to the front of
 * ents, healthy ones after them in table order. The problems are sorted
 * here only when open groups splice their pods in (their places depend on
 * the whole order); else order_rows sorts what the frame shows. */
static int walk(struct ui *u, const char *f, struct counts *c)
{
    struct engine *e = &u->a->engine;
    struct table *tn = engine_table(e, T_NODES), *td = engine_table(e, T_DEPLOYMENTS),
                 *tp = engine_table(e, T_PODS);
    memset(c, 0, sizeof *c);
    prob_n = ord_lo = ord_hi = 0;
    if (!grow(tn->count + td->count + tp->count + 1))
        return 0;
    int np = 0, nh = 0, nh_nodes = 0, nm = 0, hg = 0, total = tn->count + td->count + tp->count;
    cl_groups_begin();
    /* Healthy rows fill ents from the back, then move behind the problems. */
    struct ent *back = ents + total;
    for (int i = 0; i < tn->count; i++) {
        const struct k8s_node *n = table_row(tn, i);
        enum rank r = node_rank(n);
        c->nodes++;
        c->nodes_ready += n->ready;
        if (!node_matches(n, f))
            continue;
        c->matched++;
        if (r == R_HEALTHY)
            back[-++nh] = (struct ent){CL_NODE, r, n, -1};
        else
            ents[np++] = (struct ent){CL_NODE, r, n, -1};
    }
    nh_nodes = nh;
    for (int i = 0; i < td->count; i++) {
        const struct k8s_deployment *d = table_row(td, i);
        enum rank r = deploy_rank(d);
        c->deploys++;
        c->stuck += r == R_ROLLOUT_STUCK;
        if (r != R_HEALTHY && deploy_matches(d, f)) {
            c->matched++;
            ents[np++] = (struct ent){CL_DEPLOY, r, d, -1};
        }
    }
    for (int i = 0; i < tp->count; i++) {
        const struct k8s_pod *p = table_row(tp, i);
        enum rank r = pod_rank(p);
        c->pods++;
        c->pods_failing += p->problem[0] != 0;
        if (!pod_matches(p, f))
            continue;
        c->matched++;
        int g = ungrouped ? -1 : cl_group_add(p, r, r == R_HEALTHY, pod_status(p));
        if (g >= 0) {
            if (cl_group_at(g)->expanded)
                members[nm++] = (struct ent){CL_POD, r, p, g};
        } else if (r == R_HEALTHY) {
            back[-++nh] = (struct ent){CL_POD, r, p, -1};
        } else {
            ents[np++] = (struct ent){CL_POD, r, p, -1};
        }
    }
    /* Each group has a pod that is no row, so the rows still fit in total. */
    for (int i = 0; i < cl_groups_count(); i++) {
        const struct cl_group *g = cl_group_at(i);
        if (g->worst == R_HEALTHY)
            hg++;
        else
            ents[np++] = (struct ent){CL_GROUP, (enum rank)g->worst, g, i};
    }
    prob_n = np;
    ord_lo = ord_hi = 0;
    if (nm) {
        qsort(ents, (size_t)np, sizeof *ents, by_trouble);
        ord_hi = np;
    }
    /* back[-1] is the first healthy row seen: move them behind the
     * problems (the ranges may overlap), then reverse into table order. */
    memmove(ents + np, back - nh, (size_t)nh * sizeof *ents);
    for (int i = 0, j = np + nh - 1; i < nh / 2; i++, j--) {
        struct ent t = ents[np + i];
        ents[np + i] = ents[j];
        ents[j] = t;
    }
    /* Healthy owners after the healthy nodes, before the lone healthy pods. */
    struct ent *at = ents + np + nh_nodes;
    memmove(at + hg, at, (size_t)(nh - nh_nodes) * sizeof *ents);
    for (int i = 0; hg && i < cl_groups_count(); i++) {
        const struct cl_group *g = cl_group_at(i);
        if (g->worst == R_HEALTHY)
            *at++ = (struct ent){CL_GROUP, R_HEALTHY, g, i};
    }
    return splice_members(np + nh + hg, nm);
}

/* ---- the rows ---- */

enum col { C_KIND, C_NS, C_NAME, C_STATUS, C_READY, C_RESTARTS, C_AGE, C_NODE, C_LAST, C_COUNT };
static const char *const col_title[C_COUNT] = {
    "KIND", "NAMESPACE", "NAME", "STATUS", "READY", "RESTARTS", "AGE", "NODE", "LAST TERMINATION"};
/* Dropped first when the width is short: highest number first. */
static const int col_drop[C_COUNT] = {
    [C_KIND] = 6,     [C_NS] = 7,  [C_NAME] = 0, [C_STATUS] = 0, [C_READY] = 8,
    [C_RESTARTS] = 2, [C_AGE] = 3, [C_NODE] = 4, [C_LAST] = 5};
static const int col_max[C_COUNT] = {6, 16, 48, 24, 5, 8, 4, 24, 32};

struct cells {
    char s[C_COUNT][160];
};

/* "OOMKilled (exit 137)" of the first container that terminated before. */
static void last_termination(const struct k8s_pod *p, char *out, size_t outlen)
{
    out[0] = 0;
    for (int i = 0; i < p->ncontainers && i < POD_CONTAINERS; i++) {
        const struct container_status *c = &p->containers[i];
        if (c->last_reason[0]) {
            snprintf(out, outlen, "%s (exit %d)", c->last_reason, c->last_exit_code);
            return;
        }
    }
}

static void pod_cells(struct ui *u, const struct k8s_pod *p, struct cells *c)
{
    int ready = 0;
    for (int i = 0; i < p->ncontainers && i < POD_CONTAINERS; i++)
        ready += p->containers[i].ready;
    snprintf(c->s[C_KIND], sizeof c->s[0], "pod");
    snprintf(c->s[C_NS], sizeof c->s[0], "%s", p->namespace);
    snprintf(c->s[C_NAME], sizeof c->s[0], "%s", p->name);
    snprintf(c->s[C_STATUS], sizeof c->s[0], "%s", pod_status(p));
    snprintf(c->s[C_READY], sizeof c->s[0], "%d/%d", ready, p->ncontainers);
    snprintf(c->s[C_RESTARTS], sizeof c->s[0], "%d", p->restarts);
    ui_fmt_age(c->s[C_AGE], sizeof c->s[0],
               p->created ? engine_now(&u->a->engine) - p->created : -1);
    snprintf(c->s[C_NODE], sizeof c->s[0], "%s", p->node[0] ? p->node : "<none>");
    last_termination(p, c->s[C_LAST], sizeof c->s[0]);
}

static void node_cells(const struct k8s_node *n, struct cells *c)
{
    snprintf(c->s[C_KIND], sizeof c->s[0], "node");
    snprintf(c->s[C_NAME], sizeof c->s[0], "%s", n->name);
    snprintf(c->s[C_STATUS], sizeof c->s[0], "%s%s", n->problem[0] ? n->problem : "Ready",
             n->unschedulable ? ",Cordoned" : "");
    snprintf(c->s[C_READY], sizeof c->s[0], "%s", n->ready ? "yes" : "no");
}

static void deploy_cells(struct ui *u, const struct k8s_deployment *d, struct cells *c)
{
    snprintf(c->s[C_KIND], sizeof c->s[0], "deploy");
    snprintf(c->s[C_NS], sizeof c->s[0], "%s", d->namespace);
    snprintf(c->s[C_NAME], sizeof c->s[0], "%s", d->name);
    snprintf(c->s[C_STATUS], sizeof c->s[0], "%s", d->problem[0] ? d->problem : "RollingOut");
    snprintf(c->s[C_READY], sizeof c->s[0], "%d/%d", d->ready, d->desired);
    ui_fmt_age(c->s[C_AGE], sizeof c->s[0],
               d->changed ? engine_now(&u->a->engine) - d->changed : -1);
}

/* A group's STATUS cell holds only its pod count, what the column must fit;
 * the row draws the whole summary from there to the edge (draw_group). */
static void group_cells(const struct cl_group *g, struct cells *c)
{
    snprintf(c->s[C_KIND], sizeof c->s[0], "%s", cl_group_kind_short(g));
    snprintf(c->s[C_NS], sizeof c->s[0], "%s", g->ns);
    snprintf(c->s[C_NAME], sizeof c->s[0], "%s", g->name);
    snprintf(c->s[C_STATUS], sizeof c->s[0], "%d pods", g->pods);
}

/* The open/closed mark of a group and the indent of its pods, before the
 * name; returns the bytes it added. */
static size_t mark_name(const struct ent *e, bool utf8, struct cells *c)
{
    const char *mark;
    if (e->kind == CL_GROUP) {
        bool open = ((const struct cl_group *)e->obj)->expanded;
        mark = utf8 ? (open ? "▾ " : "▸ ") : (open ? "- " : "+ ");
    } else if (e->grp >= 0) {
        mark = "  ";
    } else {
        return 0;
    }
    char name[sizeof c->s[0]];
    snprintf(name, sizeof name, "%s%s", mark, c->s[C_NAME]);
    memcpy(c->s[C_NAME], name, sizeof name);
    return strlen(mark);
}

static void ent_cells(struct ui *u, const struct ent *e, struct cells *c)
{
    memset(c, 0, sizeof *c);
    if (e->kind == CL_POD)
        pod_cells(u, e->obj, c);
    else if (e->kind == CL_NODE)
        node_cells(e->obj, c);
    else if (e->kind == CL_GROUP)
        group_cells(e->obj, c);
    else
        deploy_cells(u, e->obj, c);
}

/* Without the KIND column a node, deployment or group says what it is in
 * its name, as `kubectl get all` does (pods, the most rows, go bare). */
static void kind_into_name(struct cells *c, size_t mark)
{
    if (strcmp(c->s[C_KIND], "pod") == 0)
        return;
    char name[sizeof c->s[0]];
    snprintf(name, sizeof name, "%.*s%s/%s", (int)mark, c->s[C_NAME], c->s[C_KIND],
             c->s[C_NAME] + mark);
    memcpy(c->s[C_NAME], name, sizeof name);
}

/* Without the NAMESPACE column, a name that another row on screen has in
 * another namespace ("cart" in shop and in staging) gets its namespace in
 * front, "shop/cart": the two rows must not read alike. After the tree mark
 * (at[i] bytes), which then covers the prefix, so a kind goes after it:
 * "shop/deploy/cart". Rows on screen only: at most a few hundred compares. */
static void ns_into_names(struct cells *rows, size_t *at, int n)
{
    static bool twin[256];
    for (int i = 0; i < n; i++) {
        twin[i] = false;
        for (int j = 0; j < n && !twin[i] && rows[i].s[C_NS][0]; j++)
            twin[i] = j != i && rows[j].s[C_NS][0] &&
                      strcmp(rows[i].s[C_NAME] + at[i], rows[j].s[C_NAME] + at[j]) == 0 &&
                      strcmp(rows[i].s[C_NS], rows[j].s[C_NS]) != 0;
    }
    for (int i = 0; i < n; i++) {
        if (!twin[i])
            continue;
        struct cells *c = &rows[i];
        char name[sizeof c->s[0]];
        int len = snprintf(name, sizeof name, "%.*s%s/%s", (int)at[i], c->s[C_NAME], c->s[C_NS],
                           c->s[C_NAME] + at[i]);
        memcpy(c->s[C_NAME], name, sizeof name);
        size_t grown = strlen(c->s[C_NS]) + 1;
        at[i] = len > 0 && (size_t)len < sizeof name ? at[i] + grown : at[i];
    }
}

static enum ui_role ent_role(const struct ent *e)
{
    switch (e->rank) {
    case R_NODE_DOWN:
    case R_POD_BROKEN:
    case R_ROLLOUT_STUCK:
        return ROLE_CRIT;
    case R_POD_PENDING:
    case R_NODE_PRESSURE:
        return ROLE_WARN;
    case R_ROLLING:
        return ROLE_INFO;
    default:
        return ROLE_OK;
    }
}

/* Column widths from the rows on screen only; the least useful columns go
 * while the total is wider than w. */
static void fit_cols(struct ui *u, const struct cells *rows, int n, int w, int *cw)
{
    for (int k = 0; k < C_COUNT; k++) {
        char tmp[200];
        cw[k] = ui_clip(u, col_title[k], 40, tmp, sizeof tmp);
        for (int i = 0; i < n; i++) {
            int c = ui_clip(u, rows[i].s[k], col_max[k], tmp, sizeof tmp);
            cw[k] = c > cw[k] ? c : cw[k];
        }
        cw[k] = cw[k] > col_max[k] ? col_max[k] : cw[k];
    }
    cw[C_LAST] = 16; /* takes what is left, at least its title's first word */
    for (int drop = 8; drop >= 1; drop--) {
        int total = 0;
        for (int k = 0; k < C_COUNT; k++)
            total += cw[k] ? cw[k] + 2 : 0;
        if (total <= w)
            break;
        for (int k = 0; k < C_COUNT; k++)
            if (col_drop[k] == drop)
                cw[k] = 0;
    }
}

static void draw_cells(struct ui *u, int y, struct rect r, const int *cw, const struct cells *c,
                       enum ui_role base, enum ui_role status)
{
    int x = r.x + 1, end = r.x + r.w;
    for (int k = 0; k < C_COUNT && x < end; k++) {
        if (!cw[k])
            continue;
        int w = k == C_LAST ? end - x : cw[k];
        ui_text(u, y, x, w, k == C_STATUS ? status : base, c->s[k]);
        x += cw[k] + 2;
    }
}

/* A group row: kind, namespace and name in their columns, then its summary
 * from the STATUS column to the edge (the per-pod columns mean nothing for
 * a group), cut to fit: reasons go before the count does. */
static void draw_group(struct ui *u, int y, struct rect r, const int *cw, const struct cells *c,
                       const struct cl_group *g, enum ui_role base, enum ui_role status)
{
    int head[C_COUNT] = {0}, x = r.x + 1, end = r.x + r.w;
    for (int k = 0; k < C_STATUS; k++) {
        head[k] = cw[k];
        x += cw[k] ? cw[k] + 2 : 0;
    }
    draw_cells(u, y, r, head, c, base, status);
    if (x >= end)
        return;
    char text[512];
    cl_group_summary(u, g, end - x, text, sizeof text);
    ui_text(u, y, x, end - x, status, text);
}

/* ---- the view ---- */

static void draw_title(struct ui *u, struct rect r, const struct counts *c, const char *filter)
{
    ui_fill(u, r.y, r.x, r.w, ROLE_TITLE_FOCUS);
    char text[512];
    int o = snprintf(text, sizeof text, " Cluster ");
    if (*filter) /* before the counts: on a narrow screen it is what was just typed */
        o += snprintf(text + o, sizeof text - (size_t)o, " /%s/ %d match ", filter, c->matched);
    /* Empty tables from a cluster nobody has heard from are not "0 failing":
     * "?" as in the header (core/summary.c decides) */
    const struct summary *sm = engine_get(&u->a->engine, T_SUMMARY, "summary");
    if (!sm || sm->cluster != CLUSTER_KNOWN)
        snprintf(text + o, sizeof text - (size_t)o, " nodes ?  pods ?  deployments ?");
    else
        snprintf(text + o, sizeof text - (size_t)o,
                 " nodes %d/%d ready  pods %d, %d failing  deployments %d, %d stuck",
                 c->nodes_ready, c->nodes, c->pods, c->pods_failing, c->deploys, c->stuck);
    int x = r.x + ui_text(u, r.y, r.x, r.w, ROLE_TITLE_FOCUS, text);
    const char *hint = ungrouped ? " Enter describe  o group  / filter  c or Esc back "
                                 : " Enter open  o ungroup  / filter  c or Esc back ";
    char tmp[64];
    int hw = ui_clip(u, hint, 60, tmp, sizeof tmp);
    if (r.x + r.w - x > hw + 1)
        ui_text(u, r.y, r.x + r.w - hw, hw, ROLE_TITLE_FOCUS, hint);
}

/* What is below the screen, by kind (one pass over the rows below, no
 * more than the walk costs). */
static void trailer(struct ui *u, int y, struct rect r, int end, int n)
{
    if (end >= n)
        return;
    int problems = 0, nodes = 0, groups = 0, pods = 0;
    for (int i = end; i < n; i++) {
        if (ents[i].rank != R_HEALTHY)
            problems++;
        else if (ents[i].kind == CL_NODE)
            nodes++;
        else if (ents[i].kind == CL_GROUP)
            groups++;
        else
            pods++;
    }
    char text[200];
    int o = 0;
    if (problems > 0)
        o += snprintf(text + o, sizeof text - (size_t)o, "+%d with problems ", problems);
    if (nodes > 0)
        o += snprintf(text + o, sizeof text - (size_t)o, "+%d healthy nodes ", nodes);
    if (groups > 0)
        o += snprintf(text + o, sizeof text - (size_t)o, "+%d healthy owners ", groups);
    if (pods > 0)
        o += snprintf(text + o, sizeof text - (size_t)o, "+%d healthy pods ", pods);
    snprintf(text + o, sizeof text - (size_t)o, "below (j/PgDn scrolls, / filters)");
    ui_text(u, y, r.x + 1, r.w - 2, ROLE_DIM, text);
}

/* Keeps the bar on the same object while rows move under it (a pod turns
 * healthy, another breaks), unless a key moved it since the last frame. */
static void follow_selection(struct panel_view *v, int n)
{
    if (v->sel != drawn_sel || !drawn.key[0])
        return;
    for (int i = 0; i < n; i++) {
        if (ents[i].kind != drawn.kind)
            continue;
        if (drawn.kind == CL_GROUP ? cl_group_same(ents[i].obj, &drawn_grp)
                                   : strcmp(cl_key(ents[i].kind, ents[i].obj), drawn.key) == 0) {
            v->sel = placed_row(i);
            return;
        }
    }
}

/* The object under the bar, by identity, for the frames and keys to come. */
static void remember_selection(const struct panel_view *v, int n)
{
    drawn_sel = v->sel;
    drawn.key[0] = 0;
    if (v->sel < 0 || v->sel >= n)
        return;
    const struct ent *e = &ents[v->sel];
    drawn.kind = e->kind;
    if (e->kind == CL_GROUP) {
        drawn_grp = *(const struct cl_group *)e->obj;
        snprintf(drawn.key, sizeof drawn.key, "%s/%s", drawn_grp.ns, drawn_grp.name);
    } else {
        snprintf(drawn.key, sizeof drawn.key, "%s", cl_key(e->kind, e->obj));
    }
}

void ui_draw_cluster(struct ui *u, struct rect r)
{
    struct panel_view *v = &u->cluster_view;
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    struct counts c;
    int n = walk(u, v->filter, &c);
    ents_n = 0; /* until this frame's rows are final */
    draw_title(u, r, &c, v->filter);
    if (r.h < 3)
        return;
    v->nrows = n;
    if (c.nodes + c.pods + c.deploys == 0) {
        ui_text(u, r.y + 2, r.x + 1, r.w - 2, ROLE_DIM,
                "no cluster data: the Kubernetes source is off or has not synced "
                "(docs/kubernetes.md)");
        drawn.key[0] = 0;
        return;
    }
    int ev_h = r.h >= 14 ? (r.h / 4 < 8 ? r.h / 4 : 8) : 0;
    int list_h = r.h - 2 - ev_h - 1; /* title, column heads, events, trailer */
    if (list_h < 1)
        list_h = 1;
    follow_selection(v, n);
    ui_view_clamp(v, list_h);
    order_rows(v->top, v->top + list_h);
    v->body_h = list_h;
    v->row_y0 = r.y + 2;
    static struct cells rows[256];
    int shown = 0;
    static size_t marks[256];
    for (; shown < list_h && shown < 256 && v->top + shown < n; shown++) {
        ent_cells(u, &ents[v->top + shown], &rows[shown]);
        marks[shown] = mark_name(&ents[v->top + shown], u->utf8, &rows[shown]);
    }
    int cw[C_COUNT];
    fit_cols(u, rows, shown, r.w - 1, cw);
    /* a dropped column's words go into the name; each longer name can drop
     * the other column, hence two rounds */
    bool ns_in = false, kind_in = false;
    for (int round = 0; round < 2; round++) {
        if (!cw[C_NS] && !ns_in) {
            ns_into_names(rows, marks, shown);
            ns_in = true;
            fit_cols(u, rows, shown, r.w - 1, cw);
        }
        if (!cw[C_KIND] && !kind_in) {
            for (int i = 0; i < shown; i++)
                kind_into_name(&rows[i], marks[i]);
            kind_in = true;
            fit_cols(u, rows, shown, r.w - 1, cw);
        }
    }
    if (ns_in)
        cw[C_NS] = 0;
    if (kind_in)
        cw[C_KIND] = 0;
    struct cells heads;
    for (int k = 0; k < C_COUNT; k++)
        snprintf(heads.s[k], sizeof heads.s[k], "%s", col_title[k]);
    draw_cells(u, r.y + 1, r, cw, &heads, ROLE_DIM, ROLE_DIM);
    for (int i = 0; i < shown; i++) {
        const struct ent *e = &ents[v->top + i];
        bool sel = v->top + i == v->sel;
        if (sel)
            ui_fill(u, r.y + 2 + i, r.x, r.w, ROLE_SELECT);
        enum ui_role base = sel ? ROLE_SELECT : ROLE_TEXT, status = sel ? ROLE_SELECT : ent_role(e);
        if (e->kind == CL_GROUP)
            draw_group(u, r.y + 2 + i, r, cw, &rows[i], e->obj, base, status);
        else
            draw_cells(u, r.y + 2 + i, r, cw, &rows[i], base, status);
    }
    if (n == 0)
        ui_textf(u, r.y + 2, r.x + 1, r.w - 2, ROLE_DIM,
                 "nothing matches /%s/ (/ then Enter clears)", v->filter);
    trailer(u, r.y + 2 + list_h, r, v->top + shown, n);
    remember_selection(v, n);
    ents_n = n;
    /* The events right under the list: a short list leaves them more rows. */
    int ev_y = r.y + 2 + (shown < list_h ? shown + (n == 0) : list_h + 1) + 1;
    if (ev_h && ev_y < r.y + r.h)
        cl_draw_events(u, (struct rect){ev_y, r.x, r.y + r.h - ev_y, r.w}, &drawn, &drawn_grp);
}

bool ui_cluster_selected(struct cl_sel *out)
{
    if (!drawn.key[0])
        return false;
    *out = drawn;
    return true;
}

const struct cl_group *cl_selected_group(void)
{
    return drawn.key[0] && drawn.kind == CL_GROUP ? &drawn_grp : NULL;
}

/* The row under the bar now (a key may have moved it since the frame):
 * the last frame's groups stay valid until the next walk. */
bool ui_cluster_enter(struct ui *u)
{
    const struct panel_view *v = &u->cluster_view;
    if (v->sel < 0 || v->sel >= ents_n)
        return false;
    order_rows(v->sel, v->sel + 1);
    if (ents[v->sel].kind != CL_GROUP)
        return false;
    const struct cl_group *g = ents[v->sel].obj;
    bool open = cl_group_toggle(g);
    ui_message(u, "cluster: %s/%s %s", g->ns, g->name, open ? "opened" : "closed");
    return true;
}

void ui_cluster_toggle_group(struct ui *u)
{
    ungrouped = !ungrouped;
    ui_message(u, "cluster: %s", ungrouped ? "one row per pod" : "pods grouped by owner");
}
