/* The cluster view's Warning events: which events are about the selected
 * object (the pod, its owner, the node it runs on) and the pane under the
 * list that shows them, newest first. cluster_detail.c uses the same test
 * for a describe page. */
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "ui.h"

/* An event about an owner or what it made: the same namespace and the
 * owner's name, alone or followed by '-' (its ReplicaSets and pods). */
static bool about_owner(const struct k8s_event *ev, const char *ns, const char *name)
{
    size_t n = strlen(name);
    return strcmp(ev->namespace, ns) == 0 && strncmp(ev->object_name, name, n) == 0 &&
           (ev->object_name[n] == 0 || ev->object_name[n] == '-');
}

/* Whether an event is about the object: the pod itself, its ReplicaSet or
 * Deployment, or the node it runs on (an OOM kill is reported on the node). */
bool cl_event_about(const struct k8s_event *ev, const struct cl_sel *s, const void *obj)
{
    if (s->kind == CL_NODE)
        return strcmp(ev->object_kind, "Node") == 0 &&
               strcmp(ev->object_name, ((const struct k8s_node *)obj)->name) == 0;
    if (s->kind == CL_DEPLOY) {
        const struct k8s_deployment *d = obj;
        return about_owner(ev, d->namespace, d->name);
    }
    if (s->kind == CL_GROUP) {
        const struct cl_group *g = obj;
        return about_owner(ev, g->ns, g->name);
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
    if (!s->key[0] || s->kind == CL_GROUP) /* a group is no table row */
        return NULL;
    return engine_get(&u->a->engine, table_of[s->kind], s->key);
}

void cl_draw_events(struct ui *u, struct rect r, const struct cl_sel *sel,
                    const struct cl_group *grp)
{
    ui_fill(u, r.y, r.x, r.w, ROLE_TITLE);
    const void *obj = sel->kind == CL_GROUP && sel->key[0] ? grp : cl_lookup(u, sel);
    if (!obj) {
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_TITLE, "Warning events: nothing selected");
        return;
    }
    static const char *const kind_name[] = {
        [CL_NODE] = "node", [CL_DEPLOY] = "deployment", [CL_POD] = "pod", [CL_GROUP] = "owner"};
    const char *kind = sel->kind == CL_GROUP ? cl_group_kind_short(grp) : kind_name[sel->kind];
    struct table *t = engine_table(&u->a->engine, T_K8S_EVENTS);
    int64_t now = engine_now(&u->a->engine);
    int y = r.y + 1, n = 0;
    for (int i = t->count - 1; i >= 0; i--) { /* newest first */
        const struct k8s_event *ev = table_row(t, i);
        if (strcmp(ev->type, "Warning") != 0 || !cl_event_about(ev, sel, obj))
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
    ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_TITLE, "Warning events of %s %s: %d%s", kind, sel->key,
             n, n ? "" : " (none)");
}
