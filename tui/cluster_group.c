/* The cluster view's grouping by owner (issue 23): on the night 4,500 pods
 * crash-loop across 3 deployments the view shows 3 rows with counts, not
 * 4,500 pod rows. cluster.c sums each pod into its (namespace, owner) group
 * in the pass it already makes over the pods table; this file keeps the
 * groups of the current frame, the set of groups the user opened, and the
 * one-line summary of a group.
 *
 * The pods' namespace, owner and deployment are interned through the one
 * process pool (kube/decode.c, demo/cluster.c), so two pods share an owner
 * exactly when the pointers are equal: the group hash mixes addresses and
 * never reads a string, which keeps 50k pods a frame cheap. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/dict.h"
#include "cluster.h"

static const char KIND_DEPLOYMENT[] = "Deployment";

/* The groups of the frame being drawn; one view per process, so file scope. */
static struct cl_group *groups;
static int ngroups, groups_alloc;
static struct dict by_owner; /* val.u: index into groups */
static struct dict by_node;  /* key: node, val.u: group index (distinct nodes of its broken pods) */
static bool dicts_ready;

/* Groups the user opened, by owner: interned strings never move or die,
 * so the pointers stay valid across frames and syncs. */
struct owner_id {
    const char *ns, *kind, *name;
};
static struct owner_id *opened;
static int nopened, opened_alloc;

/* One owner test for every use: interned pointers, so equal means same. */
static bool owner_is(const struct owner_id *k, const char *ns, const char *kind, const char *name)
{
    return k->ns == ns && k->kind == kind && k->name == name;
}

static uint64_t mix(uint64_t h, const void *p)
{
    h ^= (uint64_t)(uintptr_t)p;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static uint64_t owner_hash(const void *key)
{
    const struct owner_id *k = key;
    return mix(mix(mix(0x9e3779b97f4a7c15ULL, k->ns), k->kind), k->name);
}

static bool owner_match(void *ctx, const void *key, const struct dict_entry *e)
{
    (void)ctx;
    const struct owner_id *k = key;
    const struct cl_group *g = &groups[e->val.u];
    return owner_is(k, g->ns, g->kind, g->name);
}

struct node_key {
    uint64_t group;
    const char *node;
};

static uint64_t node_hash(const void *key)
{
    const struct node_key *k = key;
    return mix(mix(0x6a09e667f3bcc909ULL, (const void *)(uintptr_t)k->group), k->node);
}

static bool node_match(void *ctx, const void *key, const struct dict_entry *e)
{
    (void)ctx;
    const struct node_key *k = key;
    return e->val.u == k->group && e->key == k->node;
}

static const struct dict_type owner_type = {.hash = owner_hash, .match = owner_match};
static const struct dict_type node_type = {.hash = node_hash, .match = node_match};

void cl_groups_begin(void)
{
    if (!dicts_ready) {
        dict_init(&by_owner, &owner_type, NULL);
        dict_init(&by_node, &node_type, NULL);
        dicts_ready = true;
    }
    dict_clear(&by_owner);
    dict_clear(&by_node);
    ngroups = 0;
}

/* Where the owner sits in the opened set, or -1. */
static int opened_index(const char *ns, const char *kind, const char *name)
{
    for (int i = 0; i < nopened; i++)
        if (owner_is(&opened[i], ns, kind, name))
            return i;
    return -1;
}

/* The pod's owner: its Deployment when the ReplicaSet names one, else the
 * controller itself; false for a bare pod, or a name the intern pool
 * refused ("?" would merge unrelated owners). */
static bool owner_of(const struct k8s_pod *p, struct owner_id *k)
{
    k->ns = p->namespace;
    if (p->deployment && p->deployment[0]) {
        k->kind = KIND_DEPLOYMENT;
        k->name = p->deployment;
    } else {
        k->kind = p->owner_kind;
        k->name = p->owner_name;
    }
    return k->ns && k->kind && k->name && k->name[0] && strcmp(k->name, "?") != 0;
}

static int new_group(const struct owner_id *k)
{
    if (ngroups == groups_alloc) {
        int n = groups_alloc ? groups_alloc * 2 : 64;
        struct cl_group *g = realloc(groups, (size_t)n * sizeof *g);
        if (!g)
            return -1;
        groups = g;
        groups_alloc = n;
    }
    struct cl_group *g = &groups[ngroups];
    memset(g, 0, sizeof *g);
    g->ns = k->ns;
    g->kind = k->kind;
    g->name = k->name;
    g->worst = INT32_MAX;
    g->expanded = opened_index(k->ns, k->kind, k->name) >= 0;
    return ngroups++;
}

static void count_reason(struct cl_group *g, const char *why)
{
    for (int i = 0; i < CL_GROUP_REASONS; i++) {
        if (g->why[i].reason == why) {
            g->why[i].n++;
            return;
        }
        if (!g->why[i].reason) {
            g->why[i].reason = why;
            g->why[i].n = 1;
            return;
        }
    }
    g->why_other++;
}

static void count_node(int gi, const char *node)
{
    if (!node || !node[0])
        return;
    struct node_key k = {(uint64_t)gi, node};
    bool created = false;
    struct dict_entry *e = dict_add(&by_node, &k, &created);
    if (!e || !created)
        return;
    e->key = (void *)(uintptr_t)node;
    e->val.u = (uint64_t)gi;
    groups[gi].nodes++;
}

int cl_group_add(const struct k8s_pod *p, int rank, bool healthy, const char *why)
{
    struct owner_id k;
    if (!owner_of(p, &k))
        return -1;
    bool created = false;
    struct dict_entry *e = dict_add(&by_owner, &k, &created);
    if (!e)
        return -1;
    if (created) {
        int gi = new_group(&k);
        if (gi < 0) {
            dict_delete_entry(&by_owner, e);
            return -1;
        }
        e->key = NULL; /* owner_match reads the group, never the key */
        e->val.u = (uint64_t)gi;
    }
    int gi = (int)e->val.u;
    struct cl_group *g = &groups[gi];
    g->pods++;
    g->ready += p->ready;
    g->worst = rank < g->worst ? rank : g->worst;
    /* Nodes of the pods in trouble only: whether a failure sits on a few
     * nodes is what they tell, and healthy pods (most of a big cluster)
     * then cost no second hash probe. */
    if (!healthy) {
        g->broken++;
        count_reason(g, why);
        count_node(gi, p->node);
    }
    return gi;
}

int cl_groups_count(void)
{
    return ngroups;
}

struct cl_group *cl_group_at(int i)
{
    return &groups[i];
}

bool cl_group_same(const struct cl_group *a, const struct cl_group *b)
{
    struct owner_id k = {a->ns, a->kind, a->name};
    return owner_is(&k, b->ns, b->kind, b->name);
}

bool cl_group_toggle(const struct cl_group *g)
{
    int i = opened_index(g->ns, g->kind, g->name);
    if (i >= 0) {
        opened[i] = opened[--nopened];
        return false;
    }
    if (nopened == opened_alloc) {
        int n = opened_alloc ? opened_alloc * 2 : 8;
        struct owner_id *o = realloc(opened, (size_t)n * sizeof *o);
        if (!o)
            return false;
        opened = o;
        opened_alloc = n;
    }
    opened[nopened++] = (struct owner_id){g->ns, g->kind, g->name};
    return true;
}

const char *cl_group_kind_short(const struct cl_group *g)
{
    static const struct {
        const char *kind, *abbr;
    } abbr[] = {{"Deployment", "deploy"}, {"ReplicaSet", "rs"}, {"StatefulSet", "sts"},
                {"DaemonSet", "ds"},      {"Job", "job"},       {"CronJob", "cj"}};
    for (size_t i = 0; i < sizeof abbr / sizeof abbr[0]; i++)
        if (strcmp(g->kind, abbr[i].kind) == 0)
            return abbr[i].abbr;
    return g->kind;
}

/* The reasons by count, most first (insertion sort of at most 6). */
static int reasons_by_count(const struct cl_group *g, int *order)
{
    int n = 0;
    for (; n < CL_GROUP_REASONS && g->why[n].reason; n++) {
        int j = n;
        for (; j > 0 && g->why[order[j - 1]].n < g->why[n].n; j--)
            order[j] = order[j - 1];
        order[j] = n;
    }
    return n;
}

/* One rendering of the summary: the first `shown` reasons, the rest as
 * "+N more" (pods), then ready and the nodes of the broken pods when asked. */
static void render(const struct cl_group *g, const int *order, int nreasons, int shown, bool ready,
                   bool nodes, bool utf8, struct buf *b)
{
    buf_reset(b);
    buf_count(b, g->pods);
    buf_puts(b, g->pods == 1 ? " pod" : " pods");
    const char *dot = utf8 ? " · " : "; ";
    if (g->broken == 0) {
        buf_puts(b, g->pods == 1 ? ", ready" : ", all ready");
    } else {
        int more = g->why_other;
        for (int i = 0; i < nreasons; i++) {
            const struct cl_group_reason *r = &g->why[order[i]];
            if (i >= shown) {
                more += r->n;
                continue;
            }
            buf_puts(b, i ? ", " : ": ");
            buf_count(b, r->n);
            buf_printf(b, " %s", r->reason[0] ? r->reason : "Unknown");
        }
        if (more) {
            buf_puts(b, shown ? ", +" : ": +");
            buf_count(b, more);
            buf_puts(b, " more");
        }
        if (ready) {
            buf_puts(b, dot);
            buf_count(b, g->ready);
            buf_puts(b, " ready");
        }
    }
    if (nodes && g->nodes) {
        buf_puts(b, dot);
        buf_puts(b, "on ");
        buf_count(b, g->nodes);
        buf_puts(b, g->nodes == 1 ? " node" : " nodes");
    }
}

void cl_group_summary(struct ui *u, const struct cl_group *g, int width, char *out, size_t outlen)
{
    int order[CL_GROUP_REASONS];
    int nr = reasons_by_count(g, order);
    int top = nr < 3 ? nr : 3;
    struct buf b = {0};
    char tmp[512];
    /* Detail goes in this order as the width shrinks: the nodes, the ready
     * count, then reasons from the last (into "+N more"); the pod count
     * never goes. */
    struct attempt {
        int shown;
        bool ready, nodes;
    } tries[8] = {{top, true, true}, {top, true, false}};
    int nt = 2;
    for (int s = top; s >= 0; s--)
        tries[nt++] = (struct attempt){s, false, false};
    for (int i = 0; i < nt; i++) {
        render(g, order, nr, tries[i].shown, tries[i].ready, tries[i].nodes, u->utf8, &b);
        if (ui_clip(u, buf_cstr(&b), 10000, tmp, sizeof tmp) <= width)
            break;
    }
    snprintf(out, outlen, "%s", buf_cstr(&b));
    buf_free(&b);
}

void cl_groups_free(void)
{
    if (dicts_ready) {
        dict_free(&by_owner);
        dict_free(&by_node);
        dicts_ready = false;
    }
    free(groups);
    groups = NULL;
    ngroups = groups_alloc = 0;
    free(opened);
    opened = NULL;
    nopened = opened_alloc = 0;
}
