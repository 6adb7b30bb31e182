/* Pod counters for the correlator, kept incrementally (issue 23): per
 * service (or owner, for pods no service maps) the pods it has, failing by
 * reason, and failing per node and per owner. Each pod's contribution is
 * remembered, so an upsert subtracts the old one and adds the new one: a
 * watch event costs O(1) whatever the cluster's size or the number of pods
 * failing, and ranking an incident's causes reads its service's counters
 * instead of walking the pods table (which, for 256 incidents x 50,000 pods
 * every second, was most of Lookout's CPU in a mass failure).
 *
 * The same record holds the pod's last problem and the last one signalled,
 * so one pod makes one signal per reason per quiet period, however often it
 * flaps. A removal's observer call carries no key: removals mark the
 * counters stale and the next read sweeps the records the table no longer
 * has (one pass, only after removals). */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/hash.h"
#include "aiops/correlate_internal.h"

#define NO_SVC UINT32_MAX

enum pod_flag {
    PF_FAILING = 1,
    PF_OOM = 2,
    PF_CRASH = 4,
    PF_IMAGE = 8,
    PF_PENDING = 16,
};

/* One pod's contribution to the counters. */
struct pod_rec {
    uint64_t key;       /* hash of the pod key: its dict key; 0: a free record */
    uint64_t identity;  /* hash of what decides its service: namespace, labels, deployment */
    uint64_t node;      /* hash of its node name (0: unscheduled) */
    uint64_t owner;     /* hash of "namespace/deployment" (0: none) */
    uint64_t problem;   /* hash of the current problem, 0: none */
    uint64_t signalled; /* the problem last signalled, and when */
    int64_t signalled_at;
    uint32_t svc; /* index into svcs, NO_SVC when none */
    uint32_t gen; /* services generation svc was found in */
    uint32_t sweep;
    uint8_t flags;
};

static uint64_t nz(uint64_t h)
{
    return h ? h : 1;
}

static uint64_t mix(uint64_t a, uint64_t b)
{
    return nz((a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2))) * 0xff51afd7ed558ccdULL);
}

static const struct dict_type u64_type = {0};

int corr_pods_init(struct corr_pods *cp)
{
    memset(cp, 0, sizeof(*cp));
    dict_init(&cp->by_key, &u64_type, NULL);
    dict_init(&cp->svc_index, &u64_type, NULL);
    dict_init(&cp->pairs, &u64_type, NULL);
    dict_init(&cp->owner_svc, &u64_type, NULL);
    cp->gen = 1;
    return 0;
}

void corr_pods_free(struct corr_pods *cp)
{
    dict_free(&cp->by_key);
    dict_free(&cp->svc_index);
    dict_free(&cp->pairs);
    dict_free(&cp->owner_svc);
    free(cp->recs);
    free(cp->free_recs);
    free(cp->svcs);
    free(cp->dirty);
}

/* The index of a service's (or owner's) counters, made on first use. */
static uint32_t svc_id(struct corr_pods *cp, const char *name)
{
    if (!name[0])
        return NO_SVC;
    uint64_t h = nz(hash_str(name));
    bool created;
    struct dict_entry *e = dict_add_u64(&cp->svc_index, h, &created);
    if (!e)
        return NO_SVC;
    if (!created)
        return (uint32_t)e->val.u;
    if (cp->nsvcs == cp->capsvcs) {
        int cap = cp->capsvcs ? cp->capsvcs * 2 : 64;
        struct svc_pods *n = realloc(cp->svcs, sizeof(*n) * (size_t)cap);
        uint32_t *d = realloc(cp->dirty, sizeof(*d) * (size_t)cap);
        if (d)
            cp->dirty = d;
        if (!n || !d) {
            if (n)
                cp->svcs = n;
            dict_delete_u64(&cp->svc_index, h);
            return NO_SVC;
        }
        cp->svcs = n;
        cp->capsvcs = cap;
    }
    struct svc_pods *s = &cp->svcs[cp->nsvcs];
    memset(s, 0, sizeof(*s));
    STR_COPY(s->name, name);
    e->val.u = (uint64_t)cp->nsvcs;
    return (uint32_t)cp->nsvcs++;
}

static void mark_dirty(struct corr_pods *cp, uint32_t id)
{
    if (id == NO_SVC || cp->svcs[id].dirty)
        return;
    cp->svcs[id].dirty = true;
    cp->dirty[cp->ndirty++] = id;
}

/* Adds n to a (service, node or owner) pair's failing count; returns the
 * count before. */
static int64_t pair_add(struct corr_pods *cp, uint64_t key, int n)
{
    bool created;
    struct dict_entry *e = dict_add_u64(&cp->pairs, key, &created);
    if (!e)
        return 0;
    int64_t before = created ? 0 : (int64_t)e->val.u;
    int64_t after = before + n;
    if (after <= 0)
        dict_delete_u64(&cp->pairs, key);
    else
        e->val.u = (uint64_t)after;
    return before;
}

/* Adds (sign 1) or takes away (-1) a record's share of the counters. */
static void apply(struct corr_pods *cp, const struct pod_rec *r, int sign, int64_t now)
{
    if (r->svc == NO_SVC)
        return;
    struct svc_pods *s = &cp->svcs[r->svc];
    s->total += sign;
    s->oom += sign * !!(r->flags & PF_OOM);
    mark_dirty(cp, r->svc);
    if (!(r->flags & PF_FAILING))
        return;
    s->failing += sign;
    s->crash += sign * !!(r->flags & PF_CRASH);
    s->image += sign * !!(r->flags & PF_IMAGE);
    s->pending += sign * !!(r->flags & PF_PENDING);
    if (s->failing == 0)
        s->first_failing = 0; /* the episode is over */
    if (sign > 0) {
        if (!s->first_failing)
            s->first_failing = now;
        s->last_failing = now;
    }
    uint64_t sk = (uint64_t)r->svc + 1;
    if (r->node) {
        int64_t before = pair_add(cp, mix(sk, r->node), sign);
        s->nodes_failing += (before == 0 && sign > 0) - (before == 1 && sign < 0);
    }
    if (r->owner) {
        int64_t before = pair_add(cp, mix(mix(sk, 2), r->owner), sign);
        s->owners_failing += (before == 0 && sign > 0) - (before == 1 && sign < 0);
    }
}

static struct pod_rec *new_rec(struct corr_pods *cp, uint64_t key)
{
    uint32_t i;
    if (cp->nfree) {
        i = cp->free_recs[--cp->nfree];
    } else {
        if (cp->nrecs == cp->caprecs) {
            int cap = cp->caprecs ? cp->caprecs * 2 : 1024;
            struct pod_rec *n = realloc(cp->recs, sizeof(*n) * (size_t)cap);
            uint32_t *f = realloc(cp->free_recs, sizeof(*f) * (size_t)cap);
            if (n)
                cp->recs = n;
            if (f)
                cp->free_recs = f;
            if (!n || !f)
                return NULL;
            cp->caprecs = cap;
        }
        i = (uint32_t)cp->nrecs++;
    }
    bool created;
    struct dict_entry *e = dict_add_u64(&cp->by_key, key, &created);
    if (!e) {
        cp->free_recs[cp->nfree++] = i;
        return NULL;
    }
    e->val.u = i;
    struct pod_rec *r = &cp->recs[i];
    memset(r, 0, sizeof(*r));
    r->key = key;
    r->svc = NO_SVC;
    return r;
}

static void drop_rec(struct corr_pods *cp, struct pod_rec *r, int64_t now)
{
    apply(cp, r, -1, now);
    dict_delete_u64(&cp->by_key, r->key);
    r->key = 0;
    cp->free_recs[cp->nfree++] = (uint32_t)(r - cp->recs);
}

static uint8_t flags_of(const struct k8s_pod *p)
{
    uint8_t f = 0;
    bool oom = strcmp(p->problem, "OOMKilled") == 0;
    for (int k = 0; k < p->ncontainers && k < POD_CONTAINERS; k++)
        oom |= strcmp(p->containers[k].last_reason, "OOMKilled") == 0;
    if (oom)
        f |= PF_OOM;
    if (!p->problem[0])
        return f;
    f |= PF_FAILING;
    if (strcmp(p->problem, "CrashLoopBackOff") == 0)
        f |= PF_CRASH;
    if (strstr(p->problem, "Image"))
        f |= PF_IMAGE;
    if (strcmp(p->problem, "Pending") == 0)
        f |= PF_PENDING;
    return f;
}

static uint64_t owner_of(const struct k8s_pod *p)
{
    if (!p->deployment[0])
        return 0;
    return mix(nz(hash_str(p->namespace)), nz(hash_str(p->deployment)));
}

void corr_pods_account(struct correlator *c, const struct k8s_pod *p, struct pod_change *chg)
{
    struct corr_pods *cp = &c->pods;
    memset(chg, 0, sizeof(*chg));
    uint64_t key = nz(hash_str(p->key));
    struct dict_entry *e = dict_find_u64(&cp->by_key, key);
    struct pod_rec *r = e ? &cp->recs[e->val.u] : new_rec(cp, key);
    if (!r)
        return;
    struct pod_rec was = *r;
    uint64_t identity =
        mix(mix(nz(hash_str(p->namespace)), nz(hash_str(p->labels))), nz(hash_str(p->deployment)));
    uint32_t svc = r->svc;
    if (!e || identity != r->identity || r->gen != cp->gen) {
        char name[NAME_LEN];
        corr_pod_service(c->e, p, name, sizeof(name));
        svc = svc_id(cp, name);
    }
    struct pod_rec cur = *r;
    cur.identity = identity;
    cur.gen = cp->gen;
    cur.svc = svc;
    cur.node = p->node[0] ? nz(hash_str(p->node)) : 0;
    cur.owner = owner_of(p);
    cur.flags = flags_of(p);
    cur.problem = p->problem[0] ? nz(hash_str(p->problem)) : 0;
    cur.sweep = cp->sweep;
    if (cur.owner && svc != NO_SVC) {
        bool created;
        struct dict_entry *o = dict_add_u64(&cp->owner_svc, cur.owner, &created);
        if (o)
            o->val.u = svc;
    }
    bool moved = !e || was.svc != cur.svc || was.node != cur.node || was.owner != cur.owner ||
                 was.flags != cur.flags;
    if (moved) {
        if (e)
            apply(cp, &was, -1, c->e->now);
        apply(cp, &cur, 1, c->e->now);
    }
    /* One signal per pod per reason per quiet period: a flapping pod is
     * counted in the service's figures, not signalled again. */
    if (cur.problem && cur.problem != was.problem &&
        (cur.problem != was.signalled || c->e->now - was.signalled_at >= c->o.quiet_ms)) {
        chg->problem = true;
        cur.signalled = cur.problem;
        cur.signalled_at = c->e->now;
    }
    /* An OOM kill behind a crash loop is evidence of its own (not on first sight). */
    chg->oom =
        e && !(was.flags & PF_OOM) && (cur.flags & PF_OOM) && strcmp(p->problem, "OOMKilled") != 0;
    *r = cur;
}

void corr_pods_removed(struct correlator *c)
{
    c->pods.stale = true;
}

void corr_pods_services_changed(struct correlator *c)
{
    c->pods.gen++;
    c->pods.stale = true;
}

/* Sweeps records of pods gone from the table and re-maps every pod after a
 * service change: one pass over the table, only after one of those. */
void corr_pods_sync(struct correlator *c)
{
    struct corr_pods *cp = &c->pods;
    if (!cp->stale)
        return;
    cp->stale = false;
    cp->sweep++;
    struct table *t = engine_table(c->e, T_PODS);
    struct pod_change chg;
    for (int i = 0; i < t->count; i++)
        corr_pods_account(c, table_row(t, i), &chg); /* changes here were signalled before */
    for (int i = 0; i < cp->nrecs; i++)
        if (cp->recs[i].key && cp->recs[i].sweep != cp->sweep)
            drop_rec(cp, &cp->recs[i], c->e->now);
}

const struct svc_pods *corr_pods_of(struct correlator *c, const char *service)
{
    corr_pods_sync(c);
    struct dict_entry *e =
        service[0] ? dict_find_u64(&c->pods.svc_index, nz(hash_str(service))) : NULL;
    if (!e)
        return NULL;
    const struct svc_pods *s = &c->pods.svcs[e->val.u];
    return strcmp(s->name, service) == 0 ? s : NULL;
}

int corr_pods_failing_on(struct correlator *c, const char *service, const char *node)
{
    corr_pods_sync(c);
    struct dict_entry *e = dict_find_u64(&c->pods.svc_index, nz(hash_str(service)));
    if (!e || !node[0])
        return 0;
    struct dict_entry *p = dict_find_u64(&c->pods.pairs, mix(e->val.u + 1, nz(hash_str(node))));
    return p ? (int)p->val.u : 0;
}

bool corr_pods_owner_service(struct correlator *c, const char *ns, const char *deployment,
                             char *out, size_t outlen)
{
    uint64_t owner = mix(nz(hash_str(ns)), nz(hash_str(deployment)));
    struct dict_entry *e = dict_find_u64(&c->pods.owner_svc, owner);
    if (!e || e->val.u >= (uint64_t)c->pods.nsvcs)
        return false;
    str_copy(out, outlen, c->pods.svcs[e->val.u].name);
    return true;
}

void corr_pods_clear_dirty(struct correlator *c)
{
    struct corr_pods *cp = &c->pods;
    for (int i = 0; i < cp->ndirty; i++)
        cp->svcs[cp->dirty[i]].dirty = false;
    cp->ndirty = 0;
}

void corr_bad_node(struct correlator *c, const char *node, bool bad)
{
    struct corr_pods *cp = &c->pods;
    int i = 0;
    while (i < cp->nbad && strcmp(cp->bad[i], node) != 0)
        i++;
    if (bad && i == cp->nbad && cp->nbad < BAD_NODE_MAX)
        STR_COPY(cp->bad[cp->nbad++], node);
    else if (!bad && i < cp->nbad)
        memmove(cp->bad[i], cp->bad[i + 1], sizeof(cp->bad[0]) * (size_t)(--cp->nbad - i));
}

/* ---- the unit test's check: the counters against a full recount ---- */

int corr_pods_verify(struct correlator *c, char *err, size_t errlen)
{
    corr_pods_sync(c);
    struct corr_pods *cp = &c->pods;
    struct corr_pods fresh;
    corr_pods_init(&fresh);
    struct corr_pods saved = *cp;
    c->pods = fresh;
    struct table *t = engine_table(c->e, T_PODS);
    struct pod_change chg;
    for (int i = 0; i < t->count; i++)
        corr_pods_account(c, table_row(t, i), &chg);
    fresh = c->pods;
    c->pods = saved;
    int rc = 0;
    for (int i = 0; i < fresh.nsvcs && rc == 0; i++) {
        const struct svc_pods *f = &fresh.svcs[i];
        struct dict_entry *e = dict_find_u64(&cp->svc_index, nz(hash_str(f->name)));
        const struct svc_pods *s = e ? &cp->svcs[e->val.u] : NULL;
        if (!s || s->total != f->total || s->failing != f->failing || s->oom != f->oom ||
            s->crash != f->crash || s->image != f->image || s->pending != f->pending ||
            s->nodes_failing != f->nodes_failing || s->owners_failing != f->owners_failing) {
            str_copy(err, errlen, f->name);
            rc = -1;
        }
    }
    int kept = 0;
    for (int i = 0; i < cp->nsvcs; i++)
        kept += cp->svcs[i].total > 0;
    int want = 0;
    for (int i = 0; i < fresh.nsvcs; i++)
        want += fresh.svcs[i].total > 0;
    if (rc == 0 && (kept != want || dict_count(&cp->pairs) != dict_count(&fresh.pairs) ||
                    dict_count(&cp->by_key) != (size_t)t->count)) {
        str_copy(err, errlen, "a service, pair or pod count differs");
        rc = -1;
    }
    corr_pods_free(&fresh);
    return rc;
}
