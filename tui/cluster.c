/* The cluster view: nodes, pods and stuck rollouts over the whole body,
 * trouble first (like `kubectl get pods -A` sorted by what is wrong), the
 * Warning events of the selected object below, a substring filter, and a
 * describe-level detail on Enter (cluster_detail.c).
 *
 * A cluster can hold 10k+ pods, so a frame walks the tables once to pick
 * out the problem set (no formatting), sorts only that set, keeps the
 * healthy objects in table order, and formats only the rows on screen. */
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
    const void *obj;
};

/* The rows of the last walk: problems (sorted) then healthy (table order).
 * One screen per process, so file scope. */
static struct ent *ents;
static int ents_alloc;
static struct cl_sel drawn; /* the object under the bar in the last frame */
static int drawn_sel = -1;

void ui_cluster_free(void)
{
    free(ents);
    ents = NULL;
    ents_alloc = 0;
}

static bool has(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

static bool pod_matches(const struct k8s_pod *p, const char *f)
{
    if (!*f || has(p->namespace, f) || has(p->name, f) || has(p->node, f) || has(p->problem, f) ||
        has(p->phase, f))
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

const char *cl_key(enum cl_kind kind, const void *obj)
{
    switch (kind) {
    case CL_NODE:
        return ((const struct k8s_node *)obj)->name;
    case CL_DEPLOY:
        return ((const struct k8s_deployment *)obj)->key;
    default:
        return ((const struct k8s_pod *)obj)->key;
    }
}

static int by_trouble(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    int rx = restarts_of(x), ry = restarts_of(y);
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return strcmp(cl_key(x->kind, x->obj), cl_key(y->kind, y->obj));
}

static bool grow(int need)
{
    if (need <= ents_alloc)
        return true;
    int n = ents_alloc ? ents_alloc : 256;
    while (n < need)
        n *= 2;
    struct ent *p = realloc(ents, (size_t)n * sizeof *p);
    if (!p)
        return false;
    ents = p;
    ents_alloc = n;
    return true;
}

/* Counts for the title line, over everything (not only what matches). */
struct counts {
    int nodes, nodes_ready, pods, pods_failing, deploys, stuck, matched, problems, healthy_nodes;
};

/* One pass over nodes, deployments and pods: problems to the front of
 * ents, healthy ones after them in table order; only the problems sorted. */
static int walk(struct ui *u, const char *f, struct counts *c)
{
    struct engine *e = &u->a->engine;
    struct table *tn = engine_table(e, T_NODES), *td = engine_table(e, T_DEPLOYMENTS),
                 *tp = engine_table(e, T_PODS);
    memset(c, 0, sizeof *c);
    if (!grow(tn->count + td->count + tp->count + 1))
        return 0;
    int np = 0, nh = 0, total = tn->count + td->count + tp->count;
    /* Healthy rows fill ents from the back, then move behind the problems. */
    struct ent *back = ents + total;
    for (int i = 0; i < tn->count; i++) {
        const struct k8s_node *n = table_row(tn, i);
        enum rank r = node_rank(n);
        c->nodes++;
        c->nodes_ready += n->ready;
        if (!node_matches(n, f))
            continue;
        if (r == R_HEALTHY)
            back[-++nh] = (struct ent){CL_NODE, r, n};
        else
            ents[np++] = (struct ent){CL_NODE, r, n};
    }
    for (int i = 0; i < td->count; i++) {
        const struct k8s_deployment *d = table_row(td, i);
        enum rank r = deploy_rank(d);
        c->deploys++;
        c->stuck += r == R_ROLLOUT_STUCK;
        if (r != R_HEALTHY && deploy_matches(d, f))
            ents[np++] = (struct ent){CL_DEPLOY, r, d};
    }
    for (int i = 0; i < tp->count; i++) {
        const struct k8s_pod *p = table_row(tp, i);
        enum rank r = pod_rank(p);
        c->pods++;
        c->pods_failing += p->problem[0] != 0;
        if (!pod_matches(p, f))
            continue;
        if (r == R_HEALTHY)
            back[-++nh] = (struct ent){CL_POD, r, p};
        else
            ents[np++] = (struct ent){CL_POD, r, p};
    }
    c->healthy_nodes = 0;
    for (int i = 0; i < nh; i++)
        c->healthy_nodes += back[-1 - i].kind == CL_NODE;
    qsort(ents, (size_t)np, sizeof *ents, by_trouble);
    /* back[-1] is the first healthy row seen: move them behind the
     * problems (the ranges may overlap), then reverse into table order. */
    memmove(ents + np, back - nh, (size_t)nh * sizeof *ents);
    for (int i = 0, j = np + nh - 1; i < nh / 2; i++, j--) {
        struct ent t = ents[np + i];
        ents[np + i] = ents[j];
        ents[j] = t;
    }
    c->problems = np;
    c->matched = np + nh;
    return np + nh;
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

static const char *pod_status(const struct k8s_pod *p)
{
    if (p->problem[0])
        return p->problem;
    if (!p->ready && strcmp(p->phase, "Running") == 0)
        return "Running, not ready";
    return p->phase[0] ? p->phase : "Unknown";
}

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

static void ent_cells(struct ui *u, const struct ent *e, struct cells *c)
{
    memset(c, 0, sizeof *c);
    if (e->kind == CL_POD)
        pod_cells(u, e->obj, c);
    else if (e->kind == CL_NODE)
        node_cells(e->obj, c);
    else
        deploy_cells(u, e->obj, c);
}

/* Without the KIND column a node or deployment says what it is in its
 * name, as `kubectl get all` does (pods, the most rows, go bare). */
static void kind_into_name(struct cells *c)
{
    if (strcmp(c->s[C_KIND], "pod") == 0)
        return;
    char name[sizeof c->s[0]];
    snprintf(name, sizeof name, "%s/%s", c->s[C_KIND], c->s[C_NAME]);
    memcpy(c->s[C_NAME], name, sizeof name);
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

/* ---- events of the selected object ---- */

/* Whether an event is about the object: the pod itself, its ReplicaSet or
 * Deployment, or the node it runs on (an OOM kill is reported on the node). */
bool cl_event_about(const struct k8s_event *ev, const struct cl_sel *s, const void *obj)
{
    if (s->kind == CL_NODE)
        return strcmp(ev->object_kind, "Node") == 0 &&
               strcmp(ev->object_name, ((const struct k8s_node *)obj)->name) == 0;
    if (s->kind == CL_DEPLOY) {
        const struct k8s_deployment *d = obj;
        size_t n = strlen(d->name);
        return strcmp(ev->namespace, d->namespace) == 0 &&
               strncmp(ev->object_name, d->name, n) == 0 &&
               (ev->object_name[n] == 0 || ev->object_name[n] == '-');
    }
    const struct k8s_pod *p = obj;
    if (strcmp(ev->object_kind, "Node") == 0)
        return p->node[0] && strcmp(ev->object_name, p->node) == 0;
    if (strcmp(ev->namespace, p->namespace) != 0)
        return false;
    return strcmp(ev->object_name, p->name) == 0 ||
           (p->owner_name[0] && strcmp(ev->object_name, p->owner_name) == 0) ||
           (p->deployment[0] && strcmp(ev->object_kind, "Deployment") == 0 &&
            strcmp(ev->object_name, p->deployment) == 0);
}

const void *cl_lookup(struct ui *u, const struct cl_sel *s)
{
    static const int table_of[] = {
        [CL_NODE] = T_NODES, [CL_DEPLOY] = T_DEPLOYMENTS, [CL_POD] = T_PODS};
    if (!s->key[0])
        return NULL;
    return engine_get(&u->a->engine, table_of[s->kind], s->key);
}

static void draw_events(struct ui *u, struct rect r)
{
    ui_fill(u, r.y, r.x, r.w, ROLE_TITLE);
    const void *obj = cl_lookup(u, &drawn);
    if (!obj) {
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_TITLE, "Warning events: nothing selected");
        return;
    }
    static const char *const kind_name[] = {
        [CL_NODE] = "node", [CL_DEPLOY] = "deployment", [CL_POD] = "pod"};
    struct table *t = engine_table(&u->a->engine, T_K8S_EVENTS);
    int64_t now = engine_now(&u->a->engine);
    int y = r.y + 1, n = 0;
    for (int i = t->count - 1; i >= 0; i--) { /* newest first */
        const struct k8s_event *ev = table_row(t, i);
        if (strcmp(ev->type, "Warning") != 0 || !cl_event_about(ev, &drawn, obj))
            continue;
        n++;
        if (y >= r.y + r.h)
            continue;
        char age[16];
        ui_fmt_age(age, sizeof age, ev->last_seen ? now - ev->last_seen : -1);
        int x = r.x + 1;
        x += ui_textf(u, y, x, 6, ROLE_DIM, "%4s  ", age);
        x += ui_textf(u, y, x, r.x + r.w - x, ROLE_WARN, "%s x%d ", ev->reason, ev->count);
        ui_textf(u, y, x, r.x + r.w - x, ROLE_TEXT, "%s %s: %s", ev->object_kind, ev->object_name,
                 ev->message);
        y++;
    }
    ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_TITLE, "Warning events of %s %s: %d%s",
             kind_name[drawn.kind], drawn.key, n, n ? "" : " (none)");
}

/* ---- the view ---- */

static void draw_title(struct ui *u, struct rect r, const struct counts *c, const char *filter)
{
    ui_fill(u, r.y, r.x, r.w, ROLE_TITLE_FOCUS);
    char text[512];
    int o = snprintf(text, sizeof text, " Cluster ");
    if (*filter) /* before the counts: on a narrow screen it is what was just typed */
        o += snprintf(text + o, sizeof text - (size_t)o, " /%s/ %d match ", filter, c->matched);
    snprintf(text + o, sizeof text - (size_t)o,
             " nodes %d/%d ready  pods %d, %d failing  deployments %d, %d stuck", c->nodes_ready,
             c->nodes, c->pods, c->pods_failing, c->deploys, c->stuck);
    int x = r.x + ui_text(u, r.y, r.x, r.w, ROLE_TITLE_FOCUS, text);
    const char *hint = " Enter describe  / filter  c or Esc back ";
    char tmp[64];
    int hw = ui_clip(u, hint, 60, tmp, sizeof tmp);
    if (r.x + r.w - x > hw + 1)
        ui_text(u, r.y, r.x + r.w - hw, hw, ROLE_TITLE_FOCUS, hint);
}

/* What is below the screen: healthy rows are nodes, then pods. */
static void trailer(struct ui *u, int y, struct rect r, const struct counts *c, int end, int n)
{
    if (end >= n)
        return;
    int pods_from = c->problems + c->healthy_nodes;
    int pods = n - (end > pods_from ? end : pods_from);
    int nodes = pods_from - (end > c->problems ? end : c->problems);
    int problems = c->problems - end;
    char text[200];
    int o = 0;
    if (problems > 0)
        o += snprintf(text + o, sizeof text - (size_t)o, "+%d with problems ", problems);
    if (nodes > 0)
        o += snprintf(text + o, sizeof text - (size_t)o, "+%d healthy nodes ", nodes);
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
    for (int i = 0; i < n; i++)
        if (ents[i].kind == drawn.kind &&
            strcmp(cl_key(ents[i].kind, ents[i].obj), drawn.key) == 0) {
            v->sel = i;
            return;
        }
}

void ui_draw_cluster(struct ui *u, struct rect r)
{
    struct panel_view *v = &u->cluster_view;
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    struct counts c;
    int n = walk(u, v->filter, &c);
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
    v->body_h = list_h;
    v->row_y0 = r.y + 2;
    static struct cells rows[256];
    int shown = 0;
    for (; shown < list_h && shown < 256 && v->top + shown < n; shown++)
        ent_cells(u, &ents[v->top + shown], &rows[shown]);
    int cw[C_COUNT];
    fit_cols(u, rows, shown, r.w - 1, cw);
    if (!cw[C_KIND]) {
        for (int i = 0; i < shown; i++)
            kind_into_name(&rows[i]);
        fit_cols(u, rows, shown, r.w - 1, cw);
        cw[C_KIND] = 0;
    }
    struct cells heads;
    for (int k = 0; k < C_COUNT; k++)
        snprintf(heads.s[k], sizeof heads.s[k], "%s", col_title[k]);
    draw_cells(u, r.y + 1, r, cw, &heads, ROLE_DIM, ROLE_DIM);
    for (int i = 0; i < shown; i++) {
        const struct ent *e = &ents[v->top + i];
        bool sel = v->top + i == v->sel;
        if (sel)
            ui_fill(u, r.y + 2 + i, r.x, r.w, ROLE_SELECT);
        draw_cells(u, r.y + 2 + i, r, cw, &rows[i], sel ? ROLE_SELECT : ROLE_TEXT,
                   sel ? ROLE_SELECT : ent_role(e));
    }
    if (n == 0)
        ui_textf(u, r.y + 2, r.x + 1, r.w - 2, ROLE_DIM,
                 "nothing matches /%s/ (/ then Enter clears)", v->filter);
    trailer(u, r.y + 2 + list_h, r, &c, v->top + shown, n);
    drawn_sel = v->sel;
    drawn.key[0] = 0;
    if (v->sel >= 0 && v->sel < n) {
        drawn.kind = ents[v->sel].kind;
        snprintf(drawn.key, sizeof drawn.key, "%s", cl_key(drawn.kind, ents[v->sel].obj));
    }
    /* The events right under the list: a short list leaves them more rows. */
    int ev_y = r.y + 2 + (shown < list_h ? shown + (n == 0) : list_h + 1) + 1;
    if (ev_h && ev_y < r.y + r.h)
        draw_events(u, (struct rect){ev_y, r.x, r.y + r.h - ev_y, r.w});
}

bool ui_cluster_selected(struct cl_sel *out)
{
    if (!drawn.key[0])
        return false;
    *out = drawn;
    return true;
}
