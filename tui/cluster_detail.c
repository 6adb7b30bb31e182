/* The cluster view's describe-level detail (Enter): what `kubectl describe`
 * would show from the fields Lookout keeps (docs/kubernetes.md lists them):
 * labels, owner, containers with state, reason and restarts, conditions,
 * and the events about the object, Warnings first. The detail overlay
 * sanitises every line, so the text here is plain. */
#include <stdio.h>
#include <string.h>

#include "cluster.h"

static const char *yes_no(bool b)
{
    return b ? "True" : "False";
}

static void when(struct ui *u, int64_t ms, char *out, size_t outlen)
{
    if (!ms) {
        snprintf(out, outlen, "-");
        return;
    }
    char clock[16], age[16];
    ui_fmt_clock(clock, sizeof clock, ms);
    ui_fmt_age(age, sizeof age, engine_now(&u->a->engine) - ms);
    snprintf(out, outlen, "%s UTC (%s ago)", clock, age);
}

/* "k=v,k=v" as one label a line. */
static void labels(struct buf *out, const char *kv)
{
    buf_printf(out, "Labels:\n");
    if (!*kv) {
        buf_printf(out, "  <none>\n");
        return;
    }
    while (*kv) {
        size_t n = strcspn(kv, ",");
        buf_printf(out, "  %.*s\n", (int)n, kv);
        kv += n + (kv[n] == ',');
    }
}

static void events(struct ui *u, const struct cl_sel *s, const void *obj, struct buf *out)
{
    struct table *t = engine_table(&u->a->engine, T_K8S_EVENTS);
    int n = 0;
    buf_printf(out, "\nEvents (Warning first, newest first):\n");
    for (int pass = 0; pass < 2; pass++)
        for (int i = t->count - 1; i >= 0; i--) {
            const struct k8s_event *ev = table_row(t, i);
            bool warning = strcmp(ev->type, "Warning") == 0;
            if (warning != (pass == 0) || !cl_event_about(ev, s, obj))
                continue;
            char seen[64];
            when(u, ev->last_seen, seen, sizeof seen);
            buf_printf(out, "  %-7s %-18s x%-3d %s  %s %s\n    %s\n", ev->type, ev->reason,
                       ev->count, seen, ev->object_kind, ev->object_name, ev->message);
            n++;
        }
    if (!n)
        buf_printf(out, "  <none>\n");
}

static void container(struct buf *out, const struct container_status *c)
{
    buf_printf(out, "  %s\n    image      %s\n", c->name, c->image[0] ? c->image : "-");
    buf_printf(out, "    state      %s%s%s%s\n", c->state[0] ? c->state : "unknown",
               c->reason[0] ? " (" : "", c->reason, c->reason[0] ? ")" : "");
    if (c->last_reason[0])
        buf_printf(out, "    last state terminated (%s, exit code %d)\n", c->last_reason,
                   c->last_exit_code);
    buf_printf(out, "    ready      %s\n    restarts   %d\n", yes_no(c->ready), c->restarts);
    if (c->id[0])
        buf_printf(out, "    id         %s\n", c->id);
}

static void pod(struct ui *u, const struct cl_sel *s, const struct k8s_pod *p, struct buf *out)
{
    char created[64];
    when(u, p->created, created, sizeof created);
    buf_printf(out, "Name:       %s\nNamespace:  %s\n", p->name, p->namespace);
    buf_printf(out, "Node:       %s\n", p->node[0] ? p->node : "<none>");
    buf_printf(out, "Created:    %s\n", created);
    buf_printf(out, "Status:     %s%s%s\n", p->phase[0] ? p->phase : "Unknown",
               p->problem[0] ? ", problem: " : "", p->problem);
    buf_printf(out, "Restarts:   %d\n", p->restarts);
    if (p->uid[0])
        buf_printf(out, "UID:        %s\n", p->uid);
    buf_printf(out, "Owner:      %s%s%s", p->owner_kind[0] ? p->owner_kind : "<none>",
               p->owner_name[0] ? "/" : "", p->owner_name);
    if (p->deployment[0])
        buf_printf(out, " (deployment %s)", p->deployment);
    buf_printf(out, "\n");
    labels(out, p->labels);
    buf_printf(out, "Containers:\n");
    bool all_ready = p->ncontainers > 0;
    for (int i = 0; i < p->ncontainers && i < POD_CONTAINERS; i++) {
        container(out, &p->containers[i]);
        all_ready &= p->containers[i].ready;
    }
    if (!p->ncontainers)
        buf_printf(out, "  <none reported>\n");
    if (p->containers_total > p->ncontainers)
        buf_printf(
            out, "  ... and %d more (the first %d are kept; restarts and the problem count all)\n",
            p->containers_total - p->ncontainers, POD_CONTAINERS);
    /* Lookout keeps no condition list for pods; these follow from what it keeps. */
    buf_printf(out, "Conditions (from the status above):\n");
    buf_printf(out, "  PodScheduled     %s\n", yes_no(p->node[0] != 0));
    buf_printf(out, "  ContainersReady  %s\n", yes_no(all_ready));
    buf_printf(out, "  Ready            %s\n", yes_no(p->ready));
    events(u, s, p, out);
}

static void node(struct ui *u, const struct cl_sel *s, const struct k8s_node *n, struct buf *out)
{
    buf_printf(out, "Name:       %s\n", n->name);
    if (n->uid[0])
        buf_printf(out, "UID:        %s\n", n->uid);
    buf_printf(out, "Kubelet:    %s\n", n->kubelet_version[0] ? n->kubelet_version : "-");
    buf_printf(out, "Status:     %s%s\n", n->problem[0] ? n->problem : "Ready",
               n->unschedulable ? ", cordoned (SchedulingDisabled)" : "");
    buf_printf(out, "Conditions:\n  Ready           %s\n  MemoryPressure  %s\n", yes_no(n->ready),
               yes_no(n->memory_pressure));
    buf_printf(out, "  DiskPressure    %s\n  PIDPressure     %s\n", yes_no(n->disk_pressure),
               yes_no(n->pid_pressure));
    /* The pods on the node: one walk, on Enter only. */
    struct table *t = engine_table(&u->a->engine, T_PODS);
    int total = 0, failing = 0;
    buf_printf(out, "Pods with problems on this node:\n");
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (strcmp(p->node, n->name) != 0)
            continue;
        total++;
        if (p->problem[0] && failing++ < 20)
            buf_printf(out, "  %s  %s  restarts %d\n", p->key, p->problem, p->restarts);
    }
    if (failing > 20)
        buf_printf(out, "  (%d more)\n", failing - 20);
    buf_printf(out, "%sPods on this node: %d\n", failing ? "" : "  <none>\n", total);
    events(u, s, n, out);
}

static void deployment(struct ui *u, const struct cl_sel *s, const struct k8s_deployment *d,
                       struct buf *out)
{
    char changed[64];
    when(u, d->changed, changed, sizeof changed);
    buf_printf(out, "Name:       %s\nNamespace:  %s\n", d->name, d->namespace);
    if (d->uid[0])
        buf_printf(out, "UID:        %s\n", d->uid);
    buf_printf(out, "Replicas:   %d desired, %d updated, %d ready, %d available, %d unavailable\n",
               d->desired, d->updated, d->ready, d->available, d->unavailable);
    buf_printf(out, "Image:      %s\nRevision:   %s\n", d->image[0] ? d->image : "-",
               d->revision[0] ? d->revision : "-");
    buf_printf(out, "Changed:    %s\n", changed);
    buf_printf(out, "Conditions:\n  Progressing  %s%s%s\n", yes_no(d->progressing),
               d->problem[0] ? " / problem: " : "", d->problem);
    events(u, s, d, out);
}

bool ui_cluster_detail(struct ui *u, struct buf *out, char *title, size_t titlelen)
{
    struct cl_sel s;
    if (!ui_cluster_selected(&s))
        return false;
    const void *obj = cl_lookup(u, &s);
    if (!obj)
        return false;
    static const char *const kind_name[] = {
        [CL_NODE] = "Node", [CL_DEPLOY] = "Deployment", [CL_POD] = "Pod"};
    snprintf(title, titlelen, "%s %.60s: describe", kind_name[s.kind], s.key);
    if (s.kind == CL_POD)
        pod(u, &s, obj, out);
    else if (s.kind == CL_NODE)
        node(u, &s, obj, out);
    else
        deployment(u, &s, obj, out);
    return true;
}

bool ui_cluster_subject(struct ui *u, char *kind, size_t kindlen, char *key, size_t keylen)
{
    struct cl_sel s;
    /* A Deployment's group is asked about as its service, like the deployment. */
    const struct cl_group *g = cl_selected_group();
    if (g) {
        if (strcmp(g->kind, "Deployment") != 0)
            return false;
        snprintf(kind, kindlen, "service");
        snprintf(key, keylen, "%s", g->name);
        return true;
    }
    if (!ui_cluster_selected(&s) || !cl_lookup(u, &s))
        return false;
    /* The copilot knows pods and nodes; a deployment is asked about as its service. */
    static const char *const kind_name[] = {
        [CL_NODE] = "node", [CL_DEPLOY] = "service", [CL_POD] = "pod"};
    snprintf(kind, kindlen, "%s", kind_name[s.kind]);
    if (s.kind == CL_DEPLOY) {
        const struct k8s_deployment *d = cl_lookup(u, &s);
        snprintf(key, keylen, "%s", d->name);
    } else {
        snprintf(key, keylen, "%s", s.key);
    }
    return true;
}
