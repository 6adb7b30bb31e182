/* Ranking of an incident's candidate causes. Each rule scores a hypothesis
 * in [0,1] from the signal ring and the live cluster state, and says why:
 * a deploy of the service shortly before the trouble began, a node hosting
 * most failing pods, a spike of one kernel rule in the service's pods, ...
 * Candidates about the same entity (a deploy, a node, a rule) are one cause
 * with several evidence lines; one that began after the incident's start is
 * marked followed (a consequence) and ranks below every other. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "aiops/correlate_internal.h"

#define MAX_CANDIDATES  32
#define MAX_NODES       16
#define MAX_RULES       16
#define DEPLOY_DECAY_MS (15 * 60000.0)
#define AFTER_START_MS  60000 /* a deploy this soon after the start still counts */

struct ranking {
    struct cause c[MAX_CANDIDATES];
    char entity[MAX_CANDIDATES][OBJ_LEN + NAME_LEN];
    int n;
    int64_t start; /* the incident's reference time */
};

static void add_line(struct cause *c, const char *line)
{
    if (!line[0])
        return;
    size_t len = strlen(c->evidence);
    corr_textf(c->evidence + len, sizeof(c->evidence) - len, "%s%s", len ? "\n" : "", line);
    c->nevidence++;
}

/* A candidate about entity, which began at when (0: a live state, not an
 * event). The same entity again adds its evidence to the first. */
static struct cause *add(struct ranking *r, const char *entity, int64_t when, double score,
                         const char *title, const char *evidence)
{
    score = score < 0 ? 0 : score > 1 ? 1 : score;
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->entity[i], entity) == 0) {
            struct cause *c = &r->c[i];
            if (score > c->score) {
                c->score = score;
                STR_COPY(c->title, title);
            }
            c->followed &= !(when && when <= r->start);
            add_line(c, evidence);
            return c;
        }
    if (r->n == MAX_CANDIDATES)
        return NULL;
    struct cause *c = &r->c[r->n];
    STR_COPY(r->entity[r->n++], entity);
    memset(c, 0, sizeof(*c));
    c->score = score;
    c->followed = when > r->start;
    STR_COPY(c->title, title);
    add_line(c, evidence);
    return c;
}

static void ago(char *out, size_t len, int64_t ms)
{
    const char *dir = ms >= 0 ? "before" : "after";
    int64_t a = ms >= 0 ? ms : -ms;
    if (a < 120000)
        corr_textf(out, len, "%lld s %s", (long long)(a / 1000), dir);
    else
        corr_textf(out, len, "%lld min %s", (long long)(a / 60000), dir);
}

/* Failing pods of the service: total, by problem, on the nodes that have
 * a problem. Read off the pod counters (correlate_pods.c): O(nodes with a
 * problem), never a walk of the pods. */
struct pod_view {
    int total, failing, oom, crash, image, pending, owners, nodes;
    int nnodes;
    char node[MAX_NODES][OBJ_LEN];
    int node_failing[MAX_NODES];
};

static void view_pods(struct correlator *c, const char *service, struct pod_view *v)
{
    memset(v, 0, sizeof(*v));
    const struct svc_pods *s = corr_pods_of(c, service);
    if (!s)
        return;
    v->total = s->total;
    v->failing = s->failing;
    v->oom = s->oom;
    v->crash = s->crash;
    v->image = s->image;
    v->pending = s->pending;
    v->owners = s->owners_failing;
    v->nodes = s->nodes_failing;
    for (int i = 0; i < c->pods.nbad && v->nnodes < MAX_NODES && s->failing; i++) {
        int n = corr_pods_failing_on(c, service, c->pods.bad[i]);
        if (!n)
            continue;
        STR_COPY(v->node[v->nnodes], c->pods.bad[i]);
        v->node_failing[v->nnodes++] = n;
    }
}

/* Deploys of the service from the deploy window up to shortly after the
 * start. A pipeline's deploy job and the Deployment rollout it causes are
 * one change: signals within DEPLOY_SAME_MS of each other are one candidate,
 * titled by the pipeline's version when there is one. */
#define DEPLOY_SAME_MS 120000
#define MAX_DEPLOYS    8
static void rank_deploys(struct correlator *c, const struct incident *inc, int64_t start,
                         struct ranking *r, const struct pod_view *v)
{
    struct {
        const struct signal *lead; /* the pipeline signal when there is one */
        const struct signal *rollout;
    } d[MAX_DEPLOYS];
    int nd = 0;
    for (uint64_t age = 0; age < corr_sig_count(c); age++) {
        const struct signal *s = corr_sig_at(c, age);
        if (s->kind != SIG_DEPLOY || strcmp(s->service, inc->service) != 0)
            continue;
        if (s->time > start + AFTER_START_MS || s->time < start - c->o.deploy_window_ms)
            continue;
        bool rollout = strncmp(s->reason, "rev ", 4) == 0;
        int j = 0;
        while (j < nd &&
               llabs((d[j].lead ? d[j].lead : d[j].rollout)->time - s->time) > DEPLOY_SAME_MS)
            j++;
        if (j == nd) {
            if (nd == MAX_DEPLOYS)
                continue;
            d[nd].lead = d[nd].rollout = NULL;
            nd++;
        }
        /* Newest first: keep the latest step of each (finished over started). */
        if (rollout && !d[j].rollout)
            d[j].rollout = s;
        else if (!rollout && !d[j].lead)
            d[j].lead = s;
    }
    for (int j = 0; j < nd; j++) {
        const struct signal *s = d[j].lead ? d[j].lead : d[j].rollout;
        int64_t dt = start - s->time;
        double score = dt >= 0 ? 0.55 + 0.4 * exp(-(double)dt / DEPLOY_DECAY_MS) : 0.45;
        char title[128], entity[OBJ_LEN + NAME_LEN], line[TEXT_LEN], when[48];
        corr_textf(title, sizeof(title), "Deploy of %s %s", inc->service, s->reason);
        corr_textf(entity, sizeof(entity), "deploy:%s:%s", inc->service, s->reason);
        ago(when, sizeof(when), dt);
        corr_textf(line, sizeof(line), "%s, %s the trouble began", s->text, when);
        /* The change began with its earliest step (the rollout may lead the job's end). */
        int64_t began = s->time;
        if (d[j].rollout && d[j].rollout->time < began)
            began = d[j].rollout->time;
        struct cause *c = add(r, entity, began, score, title, line);
        if (!c)
            continue;
        if (d[j].lead && d[j].rollout) {
            ago(when, sizeof(when), start - d[j].rollout->time);
            corr_textf(line, sizeof(line), "%s, %s the trouble began", d[j].rollout->text, when);
            add_line(c, line);
        }
        char nf[16], nt[16];
        corr_count(nf, sizeof(nf), v->failing);
        corr_count(nt, sizeof(nt), v->total);
        corr_textf(line, sizeof(line), "%s of %s pods of %s failing now", nf, nt, inc->service);
        add_line(c, line);
    }
}

static void rank_nodes(struct correlator *c, const struct pod_view *v, struct ranking *r)
{
    for (int j = 0; j < v->nnodes; j++) {
        const struct k8s_node *n = engine_get(c->e, T_NODES, v->node[j]);
        if (!n || !n->problem[0] || !v->failing)
            continue;
        double frac = (double)v->node_failing[j] / v->failing;
        char title[128], evidence[TEXT_LEN];
        char entity[OBJ_LEN + NAME_LEN];
        corr_textf(title, sizeof(title), "Node %s %s", n->name, n->problem);
        corr_textf(entity, sizeof(entity), "node:%s", n->name);
        corr_textf(evidence, sizeof(evidence), "node %s is %s and hosts %d of %d failing pods",
                   n->name, n->problem, v->node_failing[j], v->failing);
        add(r, entity, 0, frac >= 0.5 ? 0.45 + 0.45 * frac : 0.2 + 0.3 * frac, title, evidence);
    }
}

static void rank_pod_problems(const struct pod_view *v, struct ranking *r)
{
    char ev[TEXT_LEN], n[16], of[16];
    corr_count(of, sizeof(of), v->total);
    if (v->image) {
        corr_count(n, sizeof(n), v->image);
        corr_textf(ev, sizeof(ev), "%s of %s pods cannot pull their image", n, of);
        add(r, "pods:image", 0, 0.7, "Image cannot be pulled", ev);
    }
    if (v->oom) {
        corr_count(n, sizeof(n), v->oom);
        corr_textf(ev, sizeof(ev), "%s of %s pods were OOMKilled (memory limit reached)", n, of);
        add(r, "pods:oom", 0, 0.4 + 0.05 * (v->oom > 4 ? 4 : v->oom),
            "Memory limit too low or a leak", ev);
    }
    if (v->crash) {
        corr_count(n, sizeof(n), v->crash);
        corr_textf(ev, sizeof(ev), "%s of %s pods in CrashLoopBackOff", n, of);
        add(r, "pods:crash", 0, 0.3, "Application crashing on start", ev);
    }
    if (v->pending) {
        corr_count(n, sizeof(n), v->pending);
        corr_textf(ev, sizeof(ev), "%s of %s pods Pending", n, of);
        add(r, "pods:pending", 0, 0.3, "Pods cannot be scheduled", ev);
    }
}

/* A mass failure reads as one line with its counts: "checkout: 4,500 pods
 * CrashLoopBackOff across 3 deployments". Only titles a pod signal gave
 * are replaced; an SLO's page stays the title. */
#define MASS_PODS 3
static void mass_title(struct incident *inc, const struct pod_view *v)
{
    char pod_title[NAME_LEN + 8];
    corr_textf(pod_title, sizeof(pod_title), "%s: pod ", inc->service);
    bool ours = strncmp(inc->title, pod_title, strlen(pod_title)) == 0 ||
                (strstr(inc->title, " pods ") && strstr(inc->title, " across "));
    if (!ours || v->failing < MASS_PODS)
        return;
    const char *reason = "failing";
    int most = 0;
    if (v->crash > most)
        most = v->crash, reason = "CrashLoopBackOff";
    if (v->image > most)
        most = v->image, reason = "cannot pull their image";
    if (v->pending > most)
        most = v->pending, reason = "Pending";
    char n[16], m[16], where[48];
    corr_count(n, sizeof(n), v->failing);
    corr_count(m, sizeof(m), most);
    if (v->owners)
        corr_textf(where, sizeof(where), "across %d deployment%s", v->owners,
                   v->owners == 1 ? "" : "s");
    else
        corr_textf(where, sizeof(where), "on %d node%s", v->nodes, v->nodes == 1 ? "" : "s");
    if (most == v->failing)
        corr_textf(inc->title, sizeof(inc->title), "%s: %s pods %s %s", inc->service, n, reason,
                   where);
    else
        corr_textf(inc->title, sizeof(inc->title), "%s: %s pods failing (%s %s) %s", inc->service,
                   n, m, reason, where);
}

static void rank_kernel(struct correlator *c, const struct incident *inc, int64_t since,
                        struct ranking *r)
{
    char rule[MAX_RULES][NAME_LEN];
    int count[MAX_RULES], nrules = 0, total = 0;
    int64_t first[MAX_RULES];
    uint64_t n = c->nhits < RULE_RING ? c->nhits : RULE_RING;
    for (uint64_t age = 0; age < n; age++) {
        const struct rule_hit *h = &c->hits[(c->nhits - 1 - age) % RULE_RING];
        if (h->time < since || strcmp(h->service, inc->service) != 0)
            continue;
        total++;
        int j = 0;
        while (j < nrules && strcmp(rule[j], h->rule) != 0)
            j++;
        if (j == nrules) {
            if (nrules == MAX_RULES)
                continue;
            STR_COPY(rule[nrules], h->rule);
            count[nrules++] = 0;
        }
        count[j]++;
        first[j] = h->time; /* newest first: the last one seen is the earliest */
    }
    int best = -1;
    for (int j = 0; j < nrules; j++)
        if (best < 0 || count[j] > count[best])
            best = j;
    if (best < 0 || count[best] < 3)
        return;
    double share = (double)count[best] / total;
    if (share < 0.6)
        return;
    char title[128], ev[TEXT_LEN], entity[OBJ_LEN + NAME_LEN];
    corr_textf(title, sizeof(title), "Spike of kernel rule %s", rule[best]);
    corr_textf(entity, sizeof(entity), "rule:%s", rule[best]);
    corr_textf(ev, sizeof(ev), "%d of %d kernel rule hits in %s pods are %s", count[best], total,
               inc->service, rule[best]);
    add(r, entity, first[best], 0.35 + 0.3 * share, title, ev);
}

/* One kind of signal read off the ring: its earliest line and time. */
struct seen {
    char reason[48];
    char text[160];
    int64_t first;
    int n;
    double score;
};

static void saw(struct seen *x, const struct signal *s)
{
    /* The ring is walked newest first: each hit is older than the last. */
    STR_COPY(x->reason, s->reason);
    STR_COPY(x->text, s->text);
    x->first = s->time;
    x->n++;
}

/* Rules read off the ring: critical kernel hits, events, anomalies, rollouts. */
static void rank_signals(struct correlator *c, const struct incident *inc, int64_t since,
                         struct ranking *r)
{
    struct seen kern = {0}, ev = {0}, anom = {0}, dep = {0}, pipe = {0};
    for (uint64_t age = 0; age < corr_sig_count(c); age++) {
        const struct signal *s = corr_sig_at(c, age);
        if (s->time < since || strcmp(s->service, inc->service) != 0)
            continue;
        if (s->kind == SIG_KERNEL)
            saw(&kern, s);
        else if (s->kind == SIG_EVENT)
            saw(&ev, s);
        else if (s->kind == SIG_DEPLOYMENT)
            saw(&dep, s);
        else if (s->kind == SIG_PIPELINE)
            saw(&pipe, s);
        else if (s->kind == SIG_ANOMALY && s->score > anom.score) {
            saw(&anom, s);
            anom.score = s->score;
        }
    }
    char title[128], entity[OBJ_LEN + NAME_LEN];
    if (kern.n) {
        corr_textf(title, sizeof(title), "Security: kernel rule %s", kern.reason);
        corr_textf(entity, sizeof(entity), "rule:%s", kern.reason);
        add(r, entity, kern.first, 0.6, title, kern.text);
    }
    if (ev.n) {
        corr_textf(title, sizeof(title), "Kubernetes warnings: %s", ev.reason);
        corr_textf(entity, sizeof(entity), "events:%s", ev.reason);
        add(r, entity, ev.first, 0.2 + 0.03 * (ev.n > 5 ? 5 : ev.n), title, ev.text);
    }
    if (anom.n)
        add(r, "anomaly", anom.first, 0.15 + 0.2 * anom.score, "Anomalous metric", anom.text);
    if (dep.n)
        add(r, "rollout", dep.first, 0.4, "Rollout not progressing", dep.text);
    if (pipe.n)
        add(r, "pipeline", pipe.first, 0.35, "Failed pipeline or deploy", pipe.text);
}

/* Causes that began before the start first, then by score. */
static int by_score(const void *a, const void *b)
{
    const struct cause *x = a, *y = b;
    if (x->followed != y->followed)
        return x->followed ? 1 : -1;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

void corr_rank_causes(struct correlator *c, struct incident *inc)
{
    struct ranking r = {0};
    int64_t start = corr_incident_start(c, inc);
    r.start = start;
    int64_t since = start - c->o.lookback_ms;
    if (inc->service[0]) {
        struct pod_view v;
        view_pods(c, inc->service, &v);
        rank_deploys(c, inc, start, &r, &v);
        rank_nodes(c, &v, &r);
        rank_pod_problems(&v, &r);
        mass_title(inc, &v);
        rank_kernel(c, inc, start - 5 * 60000, &r);
        rank_signals(c, inc, since, &r);
    } else if (!strncmp(inc->fingerprint, "node:", 5)) {
        const struct k8s_node *n = engine_get(c->e, T_NODES, inc->fingerprint + 5);
        char title[128], ev[TEXT_LEN];
        corr_textf(title, sizeof(title), "Node %s %s", inc->fingerprint + 5,
                   n && n->problem[0] ? n->problem : "problem");
        corr_textf(ev, sizeof(ev), "the node reported %s",
                   n && n->problem[0] ? n->problem : "a problem");
        add(&r, inc->fingerprint, 0, 0.8, title, ev);
    } else if (inc->ntimeline) {
        add(&r, inc->fingerprint, 0, 0.6, "Security: critical kernel event",
            inc->timeline[inc->ntimeline - 1].text);
    }
    /* Stable order for equal scores: the order the rules ran in. */
    for (int i = 1; i < r.n; i++)
        for (int j = i; j > 0 && by_score(&r.c[j - 1], &r.c[j]) > 0; j--) {
            struct cause t = r.c[j];
            r.c[j] = r.c[j - 1];
            r.c[j - 1] = t;
        }
    inc->ncauses = r.n < INC_CAUSES ? r.n : INC_CAUSES;
    memcpy(inc->causes, r.c, sizeof(inc->causes[0]) * (size_t)inc->ncauses);
}
