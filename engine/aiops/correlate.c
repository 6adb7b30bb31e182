/* The correlator: turns raw signals into incidents (one per service), keeps
 * their timelines, closes them after a quiet period, and keeps the header's
 * noise figures (signals vs incidents in the last hour) in T_SUMMARY. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/hash.h"
#include "aiops/correlate_internal.h"

#define MINUTE_MS     60000
#define HOUR_MS       3600000
#define INCIDENT_KEEP 200 /* resolved incidents beyond this are pruned, oldest first */

void correlate_default_opts(struct correlate_opts *o)
{
    o->quiet_ms = 10 * MINUTE_MS;
    o->lookback_ms = 15 * MINUTE_MS;
    o->deploy_window_ms = 60 * MINUTE_MS;
}

/* ---- entity state: only transitions are signals ---- */

/* Entities and states are kept by hash: nonzero, as 0 means "never seen". */
static uint64_t state_hash(const char *s)
{
    uint64_t h = hash_str(s);
    return h ? h : 1;
}

/* Keyed by the entity key's hash; val.u is the hash of its state. */
static const struct dict_type state_type = {0};

/* Stores val for key; returns the previous value (0: never seen). */
static uint64_t state_swap(struct correlator *c, const char *key, uint64_t val)
{
    if (dict_count(&c->states) > STATE_MAX) {
        /* Full: forget everything (a few repeats may count again). */
        dict_clear(&c->states);
    }
    bool created;
    struct dict_entry *e = dict_add_u64(&c->states, state_hash(key), &created);
    if (!e)
        return 0; /* out of memory: every state looks new, as after a reset */
    uint64_t prev = created ? 0 : e->val.u;
    e->val.u = val;
    return prev;
}

/* ---- the signal ring ---- */

uint64_t corr_sig_count(const struct correlator *c)
{
    return c->nsigs < SIG_RING ? c->nsigs : SIG_RING;
}

const struct signal *corr_sig_at(const struct correlator *c, uint64_t age)
{
    return &c->sigs[(c->nsigs - 1 - age) % SIG_RING];
}

/* A signal stamped before the hour the buckets cover (a Warning event or a
 * deploy listed at start-up, with its own time) is not in "the last hour":
 * its minute shares a bucket with one of this hour's and must not reset it.
 * One stamped ahead of the engine's clock (skew) counts in this minute. */
static void count_signal(struct correlator *c, int64_t t)
{
    int64_t now_min = c->e->now / MINUTE_MS, minute = t / MINUTE_MS;
    if (minute > now_min)
        minute = now_min;
    if (minute <= now_min - MINUTE_BUCKETS)
        return;
    int b = (int)(minute % MINUTE_BUCKETS);
    if (c->minute_of[b] != minute) {
        c->minute_of[b] = minute;
        c->minute_count[b] = 0;
    }
    c->minute_count[b]++;
}

int correlator_signals_1h(const struct correlator *c)
{
    int64_t now_min = c->e->now / MINUTE_MS;
    int n = 0;
    for (int b = 0; b < MINUTE_BUCKETS; b++)
        if (c->minute_of[b] > now_min - MINUTE_BUCKETS && c->minute_of[b] <= now_min)
            n += c->minute_count[b];
    return n;
}

/* ---- incidents ---- */

static struct incident *find_incident(struct correlator *c, const char *fp, bool open_only)
{
    struct table *t = engine_table(c->e, T_INCIDENTS);
    struct incident *best = NULL;
    for (int i = 0; i < t->count; i++) {
        struct incident *inc = table_row(t, i);
        if (strcmp(inc->fingerprint, fp) != 0)
            continue;
        if (inc->state == INC_OPEN)
            return inc;
        if (!open_only && (!best || inc->closed > best->closed))
            best = inc;
    }
    return best;
}

/* Inserts in time order; an identical line already there is not repeated.
 * When full, the oldest entry that is not a deploy or SLO line goes. */
static void timeline_add(struct incident *inc, int64_t t, const char *kind, const char *text)
{
    for (int i = 0; i < inc->ntimeline; i++)
        if (strcmp(inc->timeline[i].text, text) == 0 && strcmp(inc->timeline[i].kind, kind) == 0)
            return;
    if (inc->ntimeline == INC_TIMELINE) {
        int drop = 0;
        for (int i = 0; i < inc->ntimeline; i++)
            if (strcmp(inc->timeline[i].kind, "deploy") && strcmp(inc->timeline[i].kind, "slo")) {
                drop = i;
                break;
            }
        memmove(&inc->timeline[drop], &inc->timeline[drop + 1],
                (size_t)(inc->ntimeline - drop - 1) * sizeof(inc->timeline[0]));
        inc->ntimeline--;
    }
    int at = inc->ntimeline;
    while (at > 0 && inc->timeline[at - 1].time > t)
        at--;
    memmove(&inc->timeline[at + 1], &inc->timeline[at],
            (size_t)(inc->ntimeline - at) * sizeof(inc->timeline[0]));
    struct timeline_entry *te = &inc->timeline[at];
    memset(te, 0, sizeof(*te));
    te->time = t;
    STR_COPY(te->kind, kind);
    STR_COPY(te->text, text);
    inc->ntimeline++;
}

static const char *const sig_kind_names[] = {
    "slo", "pod", "node", "event", "pipeline", "deploy", "kernel", "anomaly", "deployment",
};

/* A material change (see struct incident): consumers compare revisions. */
static void bump(struct incident *inc, int64_t t)
{
    inc->revision++;
    inc->changed = t;
}

/* Whether s brings an entity this incident has not seen yet. */
static bool new_entity(struct correlator *c, const struct incident *inc, const struct signal *s)
{
    if (!s->subject[0])
        return false;
    char key[sizeof(inc->id) + OBJ_LEN + 8];
    corr_textf(key, sizeof(key), "ent:%s:%s", inc->id, s->subject);
    return state_swap(c, key, 1) == 0;
}

static void fold_into(struct correlator *c, struct incident *inc, const struct signal *s)
{
    if (new_entity(c, inc, s))
        bump(inc, s->time);
    if (s->kind == SIG_KERNEL)
        inc->security = true;
    if (s->counted)
        inc->signals++;
    if (s->time > inc->updated)
        inc->updated = s->time;
    if (s->severity > inc->severity && s->counted)
        inc->severity = s->severity;
    timeline_add(inc, s->time, sig_kind_names[s->kind], s->text);
    if (s->kind == SIG_SLO && s->opens)
        corr_textf(inc->title, sizeof(inc->title), "%s: %s", inc->service[0] ? inc->service : "-",
                   s->text);
}

/* The incident ranks again at the next tick. */
static void mark_dirty(struct correlator *c, const char *id)
{
    bool created;
    dict_add_u64(&c->dirty, state_hash(id), &created);
}

static void prune_resolved(struct correlator *c)
{
    struct table *t = engine_table(c->e, T_INCIDENTS);
    while (t->count >= INCIDENT_KEEP) {
        int oldest = -1;
        for (int i = 0; i < t->count; i++) {
            const struct incident *inc = table_row(t, i);
            if (inc->state == INC_RESOLVED &&
                (oldest < 0 || inc->closed < ((struct incident *)table_row(t, oldest))->closed))
                oldest = i;
        }
        if (oldest < 0)
            return;
        char id[32];
        STR_COPY(id, ((struct incident *)table_row(t, oldest))->id);
        engine_remove(c->e, T_INCIDENTS, id);
    }
}

static int next_incident_number(struct correlator *c)
{
    struct table *t = engine_table(c->e, T_INCIDENTS);
    for (int i = 0; i < t->count; i++) {
        const struct incident *inc = table_row(t, i);
        int n = 0;
        if (sscanf(inc->id, "INC-%d", &n) == 1 && n >= c->next_id)
            c->next_id = n + 1;
    }
    if (c->next_id < 1)
        c->next_id = 1;
    return c->next_id++;
}

static bool same_scope(const struct signal *s, const char *service, const char *node)
{
    if (service[0])
        return strcmp(s->service, service) == 0;
    return node[0] && (strcmp(s->node, node) == 0 || strcmp(s->subject, node) == 0);
}

static void open_incident(struct correlator *c, const struct signal *s, const char *fp)
{
    prune_resolved(c);
    struct incident inc;
    memset(&inc, 0, sizeof(inc));
    corr_textf(inc.id, sizeof(inc.id), "INC-%d", next_incident_number(c));
    STR_COPY(inc.fingerprint, fp);
    STR_COPY(inc.service, s->service);
    corr_textf(inc.title, sizeof(inc.title), "%s: %s", s->service[0] ? s->service : s->subject,
               s->text);
    inc.state = INC_OPEN;
    inc.opened = s->time;
    inc.updated = s->time;
    inc.severity = s->severity;
    inc.simulated = c->e->simulated;
    /* Fold what led up to it: the deploy, the first crash, the events. */
    const char *node = s->service[0] ? "" : s->subject;
    for (uint64_t age = 1; age < corr_sig_count(c); age++) {
        const struct signal *p = corr_sig_at(c, age);
        if (p->time < s->time - c->o.lookback_ms)
            continue;
        bool on_its_node = p->kind == SIG_NODE && s->node[0] && !strcmp(p->subject, s->node);
        if (same_scope(p, s->service, node) || on_its_node)
            fold_into(c, &inc, p);
    }
    fold_into(c, &inc, s);
    inc.updated = s->time;
    inc.start = corr_incident_start(c, &inc);
    if (!engine_upsert(c->e, T_INCIDENTS, &inc)) {
        c->not_opened++; /* the table is full: counted and shown, never silent */
        return;
    }
    mark_dirty(c, inc.id);
}

static void fold_signal(struct correlator *c, struct incident *row, const struct signal *s)
{
    struct incident inc = *row;
    if (inc.state == INC_RESOLVED) {
        inc.state = INC_OPEN; /* a recurrence within the quiet period: same incident */
        inc.closed = 0;
        timeline_add(&inc, s->time, "incident", "reopened");
    }
    fold_into(c, &inc, s);
    engine_upsert(c->e, T_INCIDENTS, &inc);
    mark_dirty(c, inc.id);
}

/* Services with pods on node (up to max). */
static int node_services(struct correlator *c, const char *node, char out[][NAME_LEN], int max)
{
    struct table *t = engine_table(c->e, T_PODS);
    int n = 0;
    for (int i = 0; i < t->count && n < max; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (strcmp(p->node, node) != 0)
            continue;
        char svc[NAME_LEN];
        corr_pod_service(c->e, p, svc, sizeof(svc));
        int j = 0;
        while (j < n && strcmp(out[j], svc) != 0)
            j++;
        if (j == n && svc[0])
            STR_COPY(out[n++], svc);
    }
    return n;
}

static void route(struct correlator *c, const struct signal *s, const char *fp)
{
    struct incident *inc = find_incident(c, fp, false);
    if (inc && inc->state == INC_RESOLVED && c->e->now - inc->closed > c->o.quiet_ms)
        inc = NULL;
    if (inc)
        fold_signal(c, inc, s);
    else if (s->opens)
        open_incident(c, s, fp);
}

/* Entry point of every signal: ring, noise count, then its incident. */
static void emit(struct correlator *c, struct signal *s)
{
    if (!s->time)
        s->time = c->e->now;
    c->sigs[c->nsigs++ % SIG_RING] = *s;
    if (s->counted)
        count_signal(c, s->time);
    char fp[96];
    if (s->service[0]) {
        corr_textf(fp, sizeof(fp), "svc:%s", s->service);
        route(c, s, fp);
        return;
    }
    if (s->kind == SIG_NODE) {
        /* A node problem belongs to the incidents of the services it hosts. */
        char svcs[8][NAME_LEN];
        int n = node_services(c, s->subject, svcs, 8), folded = 0;
        for (int i = 0; i < n; i++) {
            corr_textf(fp, sizeof(fp), "svc:%s", svcs[i]);
            struct incident *inc = find_incident(c, fp, true);
            if (inc) {
                fold_signal(c, inc, s);
                folded++;
            }
        }
        if (folded)
            return;
        corr_textf(fp, sizeof(fp), "node:%s", s->subject);
        route(c, s, fp);
        return;
    }
    if (s->kind == SIG_KERNEL) {
        corr_textf(fp, sizeof(fp), "host:%s", s->node[0] ? s->node : "local");
        route(c, s, fp);
    }
}

/* ---- observers: one per kind of entity ---- */

static void on_slo(struct correlator *c, const struct slo *o)
{
    char key[128];
    corr_textf(key, sizeof(key), "slo:%s", o->name);
    uint64_t prev = state_swap(c, key, (uint64_t)o->alert + 1);
    if (prev == (uint64_t)o->alert + 1)
        return;
    bool alerting = o->alert == ALERT_PAGE || o->alert == ALERT_TICKET;
    bool was_alerting = prev == ALERT_PAGE + 1 || prev == ALERT_TICKET + 1;
    /* burning is below any alert: coming down to it is a recovery */
    bool calm = o->alert == ALERT_OK || o->alert == ALERT_BURNING;
    if (!alerting && !(was_alerting && calm))
        return;
    struct signal s = {.kind = SIG_SLO, .time = c->e->now};
    STR_COPY(s.service, o->service);
    STR_COPY(s.subject, o->name);
    STR_COPY(s.reason, alert_state_names[o->alert]);
    if (alerting) {
        char why[TEXT_LEN];
        slo_pair_reason(o, why, sizeof(why));
        s.opens = s.counted = true;
        s.severity = o->alert == ALERT_PAGE ? SEV_CRITICAL : SEV_WARNING;
        corr_textf(s.text, sizeof(s.text), "SLO %s %s (%s)", o->name,
                   o->alert == ALERT_PAGE ? "paging" : "ticket", why);
    } else {
        corr_textf(s.text, sizeof(s.text), "SLO %s recovered", o->name);
    }
    emit(c, &s);
}

static void pod_signal(struct correlator *c, const struct k8s_pod *p, const char *problem)
{
    struct signal s = {.kind = SIG_POD, .counted = true, .severity = SEV_WARNING};
    s.opens = strcmp(problem, "Pending") != 0;
    corr_pod_service(c->e, p, s.service, sizeof(s.service));
    STR_COPY(s.subject, p->key);
    STR_COPY(s.node, p->node);
    STR_COPY(s.reason, problem);
    corr_textf(s.text, sizeof(s.text), "pod %s %s on %s (%d restart%s)", p->key, problem,
               p->node[0] ? p->node : "an unknown node", p->restarts, p->restarts == 1 ? "" : "s");
    emit(c, &s);
}

static void on_pod(struct correlator *c, const struct k8s_pod *p)
{
    struct pod_change chg;
    corr_pods_account(c, p, &chg);
    if (chg.problem)
        pod_signal(c, p, p->problem);
    if (chg.oom)
        pod_signal(c, p, "OOMKilled");
}

static void on_node(struct correlator *c, const struct k8s_node *n)
{
    char key[OBJ_LEN + 8];
    corr_textf(key, sizeof(key), "node:%s", n->name);
    uint64_t val = n->problem[0] ? state_hash(n->problem) : 1;
    if (state_swap(c, key, val) == val)
        return;
    /* The node causes of every open incident read this: all rank again. */
    corr_bad_node(c, n->name, n->problem[0] != 0);
    c->all_dirty = true;
    if (!n->problem[0])
        return;
    struct signal s = {.kind = SIG_NODE, .counted = true, .opens = true};
    s.severity = strcmp(n->problem, "NotReady") == 0 ? SEV_CRITICAL : SEV_WARNING;
    STR_COPY(s.subject, n->name);
    STR_COPY(s.node, n->name);
    STR_COPY(s.reason, n->problem);
    corr_textf(s.text, sizeof(s.text), "node %s %s", n->name, n->problem);
    emit(c, &s);
}

static void on_event(struct correlator *c, const struct k8s_event *ev)
{
    if (strcmp(ev->type, "Warning") != 0)
        return;
    char key[128];
    corr_textf(key, sizeof(key), "ev:%s", ev->key);
    if (state_swap(c, key, 1) == 1)
        return; /* a repeat (count bump) of an event already counted */
    struct signal s = {.kind = SIG_EVENT, .counted = true, .severity = SEV_WARNING};
    char podkey[OBJ_LEN + NAME_LEN + 2];
    corr_textf(podkey, sizeof(podkey), "%s/%s", ev->namespace, ev->object_name);
    if (strcmp(ev->object_kind, "Pod") == 0) {
        corr_podkey_service(c->e, podkey, s.service, sizeof(s.service));
        const struct k8s_pod *p = engine_get(c->e, T_PODS, podkey);
        if (p)
            STR_COPY(s.node, p->node);
    } else if (strcmp(ev->object_kind, "Deployment") == 0) {
        corr_deployment_service(c, ev->namespace, ev->object_name, s.service, sizeof(s.service));
    } else if (strcmp(ev->object_kind, "Node") == 0) {
        STR_COPY(s.node, ev->object_name);
    }
    STR_COPY(s.subject, ev->object_name);
    STR_COPY(s.reason, ev->reason);
    corr_textf(s.text, sizeof(s.text), "Warning %s %s/%s: %s", ev->reason, ev->object_kind,
               ev->object_name, ev->message);
    if (ev->last_seen)
        s.time = ev->last_seen;
    emit(c, &s);
}

/* A failure is stamped with when it failed, not when Lookout first listed
 * it; one older than the lookback (yesterday's, found at start-up) is
 * history: it opens nothing and a timeline or post-mortem does not put it
 * a second before the trouble. */
static bool is_history(const struct correlator *c, int64_t finished)
{
    return finished && finished < c->e->now - c->o.lookback_ms;
}

static void on_pipeline(struct correlator *c, const struct pipeline *p)
{
    char key[200], svc[NAME_LEN];
    corr_pipeline_service(c->e, p, svc, sizeof(svc));
    for (int i = 0; i < p->njobs && i < PIPE_JOBS; i++) {
        const struct job *j = &p->jobs[i];
        if (!j->is_deploy)
            continue;
        corr_textf(key, sizeof(key), "job:%s:%" PRId64, p->key, j->id);
        uint64_t val = (uint64_t)j->status + 1;
        if (state_swap(c, key, val) == val)
            continue;
        struct signal s = {.kind = SIG_DEPLOY};
        STR_COPY(s.service, svc);
        STR_COPY(s.subject, p->key);
        STR_COPY(s.reason, p->version[0] ? p->version : p->sha);
        if (j->status == JOB_RUNNING || j->status == JOB_SUCCESS) {
            s.time = j->status == JOB_SUCCESS && j->finished ? j->finished : j->started;
            corr_textf(s.text, sizeof(s.text), "deploy %s %s %s (pipeline %s #%" PRId64 ", job %s)",
                       svc, s.reason, j->status == JOB_SUCCESS ? "finished" : "started", p->project,
                       p->id, j->name);
        } else if (j->status == JOB_FAILED && !is_history(c, j->finished)) {
            s.time = j->finished;
            s.kind = SIG_PIPELINE;
            s.opens = s.counted = true;
            s.severity = SEV_WARNING;
            corr_textf(s.text, sizeof(s.text),
                       "deploy %s %s failed (pipeline %s #%" PRId64 ", job %s)", svc, s.reason,
                       p->project, p->id, j->name);
        } else {
            continue;
        }
        emit(c, &s);
    }
    corr_textf(key, sizeof(key), "pipe:%s", p->key);
    uint64_t val = (uint64_t)p->status + 1;
    if (state_swap(c, key, val) == val || p->status != JOB_FAILED)
        return;
    struct signal s = {.kind = SIG_PIPELINE, .counted = true, .severity = SEV_WARNING};
    STR_COPY(s.service, svc);
    STR_COPY(s.subject, p->key);
    STR_COPY(s.reason, "failed");
    corr_textf(s.text, sizeof(s.text), "pipeline %s #%" PRId64 " failed on %s", p->project, p->id,
               p->ref);
    s.time = p->finished;
    if (!is_history(c, s.time))
        emit(c, &s);
}

static void on_deployment(struct correlator *c, const struct k8s_deployment *d)
{
    char key[OBJ_LEN + NAME_LEN + 8];
    corr_textf(key, sizeof(key), "dep:%s", d->key);
    uint64_t val = state_hash(d->revision[0] ? d->revision : "-");
    uint64_t prev = state_swap(c, key, val);
    struct signal s = {0};
    corr_deployment_service(c, d->namespace, d->name, s.service, sizeof(s.service));
    STR_COPY(s.subject, d->key);
    if (prev && prev != val) {
        s.kind = SIG_DEPLOY;
        s.time = d->changed ? d->changed : c->e->now;
        corr_textf(s.reason, sizeof(s.reason), "rev %s", d->revision);
        corr_textf(s.text, sizeof(s.text), "rollout of deployment %s to revision %s%s%s%s", d->key,
                   d->revision[0] ? d->revision : "unknown", d->image[0] ? " (image " : "",
                   d->image, d->image[0] ? ")" : "");
        emit(c, &s);
    }
    corr_textf(key, sizeof(key), "depp:%s", d->key);
    val = d->problem[0] ? state_hash(d->problem) : 1;
    if (state_swap(c, key, val) == val || !d->problem[0])
        return;
    s.kind = SIG_DEPLOYMENT;
    s.time = c->e->now;
    s.counted = true;
    s.severity = SEV_WARNING;
    STR_COPY(s.reason, d->problem);
    corr_textf(s.text, sizeof(s.text), "deployment %s %s (%d/%d available)", d->key, d->problem,
               d->available, d->desired);
    emit(c, &s);
}

static void on_kevent(struct correlator *c, const struct kevent *k)
{
    if (!k->rule[0] || !kevent_may_correlate(k))
        return;
    char svc[NAME_LEN] = "";
    corr_podkey_service(c->e, k->pod, svc, sizeof(svc));
    if (svc[0]) {
        struct rule_hit *h = &c->hits[c->nhits++ % RULE_RING];
        h->time = k->time;
        STR_COPY(h->service, svc);
        STR_COPY(h->rule, k->rule);
    }
    if (k->severity != SEV_CRITICAL)
        return;
    /* One signal per rule and pod per minute: a burst is one finding. */
    char key[OBJ_LEN + 2 * NAME_LEN + 16];
    corr_textf(key, sizeof(key), "kev:%s:%s", k->pod, k->rule);
    uint64_t minute = (uint64_t)(k->time / MINUTE_MS) + 1;
    if (state_swap(c, key, minute) == minute)
        return;
    struct signal s = {.kind = SIG_KERNEL, .time = k->time, .opens = true, .counted = true};
    s.severity = SEV_CRITICAL;
    STR_COPY(s.service, svc);
    STR_COPY(s.subject, k->pod[0] ? k->pod : k->comm);
    STR_COPY(s.node, k->node);
    STR_COPY(s.reason, k->rule);
    /* No empty parentheses or dangling spaces when a field is missing. */
    corr_textf(s.text, sizeof(s.text), "critical kernel rule %s: %s (%s%s%s) in %s", k->rule,
               k->title[0] ? k->title : "match", k->comm[0] ? k->comm : "unknown process",
               k->path[0] ? " " : "", k->path, k->pod[0] ? k->pod : "the host");
    emit(c, &s);
}

void correlator_anomaly(struct correlator *c, const char *series, const char *subject, double score,
                        int64_t time)
{
    if (!c || c->e->replaying)
        return;
    char key[200];
    corr_textf(key, sizeof(key), "anom:%s", series);
    uint64_t minute = (uint64_t)(time / MINUTE_MS) + 1;
    if (state_swap(c, key, minute) == minute)
        return;
    struct signal s = {.kind = SIG_ANOMALY, .time = time, .counted = true, .score = score};
    s.severity = SEV_INFO;
    corr_subject_service(c->e, subject, s.service, sizeof(s.service));
    STR_COPY(s.subject, series);
    STR_COPY(s.reason, "anomaly");
    corr_textf(s.text, sizeof(s.text), "anomaly on %s (score %.2f)", series, score);
    emit(c, &s);
}

/* Whether a service row changed what pods it maps (its rates change every
 * few seconds, and re-mapping every pod then would be a walk for nothing). */
static bool mapping_changed(struct correlator *c, const struct service *s)
{
    char key[NAME_LEN + 8], map[NAME_LEN + TEXT_LEN + 2];
    corr_textf(key, sizeof(key), "svcmap:%s", s->name);
    corr_textf(map, sizeof(map), "%s\n%s", s->namespace, s->selector);
    uint64_t val = state_hash(map);
    return state_swap(c, key, val) != val;
}

static void observe(struct engine *e, int table, const void *obj, void *ud)
{
    struct correlator *c = ud;
    if (e->replaying)
        return;
    if (table == T_SERVICES && (!obj || mapping_changed(c, obj)))
        corr_pods_services_changed(c);
    if (!obj) {
        if (table == T_PODS)
            corr_pods_removed(c);
        return;
    }
    switch (table) {
    case T_SLOS:
        on_slo(c, obj);
        break;
    case T_PODS:
        on_pod(c, obj);
        break;
    case T_NODES:
        on_node(c, obj);
        break;
    case T_K8S_EVENTS:
        on_event(c, obj);
        break;
    case T_PIPELINES:
        on_pipeline(c, obj);
        break;
    case T_DEPLOYMENTS:
        on_deployment(c, obj);
        break;
    case OBS_KEVENT:
        on_kevent(c, obj);
        break;
    default:
        break;
    }
}

/* ---- the tick: rank, close, count ---- */

int64_t corr_incident_start(struct correlator *c, const struct incident *inc)
{
    /* The SLO burn, when there is one, is what defines the trouble. */
    int64_t burn = 0;
    struct table *t = engine_table(c->e, T_SLOS);
    for (int i = 0; i < t->count; i++) {
        const struct slo *o = table_row(t, i);
        if (strcmp(o->service, inc->service) == 0 && o->burn_started > 0 &&
            o->burn_started >= inc->opened - c->o.lookback_ms && (!burn || o->burn_started < burn))
            burn = o->burn_started;
    }
    if (burn)
        return burn;
    /* Else the first symptom folded in (CI failures, deploys, anomalies are not symptoms). */
    static const char *const symptoms[] = {"slo", "pod", "node", "kernel", "deployment", "event"};
    int64_t start = inc->opened;
    for (int i = 0; i < inc->ntimeline; i++)
        for (size_t k = 0; k < sizeof(symptoms) / sizeof(symptoms[0]); k++)
            if (!strcmp(inc->timeline[i].kind, symptoms[k]) && inc->timeline[i].time < start)
                start = inc->timeline[i].time;
    return start;
}

static bool service_alerting(struct correlator *c, const char *service)
{
    struct table *t = engine_table(c->e, T_SLOS);
    for (int i = 0; i < t->count; i++) {
        const struct slo *o = table_row(t, i);
        if (strcmp(o->service, service) == 0 &&
            (o->alert == ALERT_PAGE || o->alert == ALERT_TICKET))
            return true;
    }
    return false;
}

static void close_quiet(struct correlator *c, int64_t now)
{
    struct table *t = engine_table(c->e, T_INCIDENTS);
    for (int i = 0; i < t->count; i++) {
        struct incident *row = table_row(t, i);
        if (row->state != INC_OPEN || now - row->updated < c->o.quiet_ms)
            continue;
        if (row->service[0] && service_alerting(c, row->service))
            continue;
        struct incident inc = *row;
        inc.state = INC_RESOLVED;
        inc.closed = now;
        char text[64];
        corr_textf(text, sizeof(text), "resolved: quiet for %" PRId64 " min",
                   c->o.quiet_ms / MINUTE_MS);
        timeline_add(&inc, now, "incident", text);
        engine_upsert(c->e, T_INCIDENTS, &inc);
    }
}

/* Re-ranks the open incidents that changed (a signal folded in, their
 * service's pod counters moved, a node's problem changed): the rest keep
 * their causes, so a quiet incident costs nothing each second. */
static bool needs_rank(struct correlator *c, const struct incident *row)
{
    if (c->all_dirty || dict_find_u64(&c->dirty, state_hash(row->id)))
        return true;
    const struct svc_pods *s = row->service[0] ? corr_pods_of(c, row->service) : NULL;
    return s && s->dirty;
}

static void rank_dirty(struct correlator *c)
{
    corr_pods_sync(c);
    struct table *t = engine_table(c->e, T_INCIDENTS);
    for (int i = 0; i < t->count; i++) {
        struct incident *row = table_row(t, i);
        if (row->state != INC_OPEN || !needs_rank(c, row))
            continue;
        struct incident inc = *row;
        inc.start = corr_incident_start(c, &inc);
        corr_rank_causes(c, &inc);
        if (inc.ncauses && (!row->ncauses || strcmp(inc.causes[0].title, row->causes[0].title)))
            bump(&inc, c->e->now);
        if (inc.start != row->start || inc.ncauses != row->ncauses ||
            strcmp(inc.title, row->title) ||
            memcmp(inc.causes, row->causes, sizeof(inc.causes[0]) * (size_t)inc.ncauses) != 0)
            engine_upsert(c->e, T_INCIDENTS, &inc);
    }
    dict_clear(&c->dirty);
    c->all_dirty = false;
    corr_pods_clear_dirty(c);
}

/* Budget burned per hour, in percent, at the burn of the SLO's alerting
 * pair (the lower of its two windows, the level the alert is about). */
static double budget_per_hour(const struct slo *o, double *burn)
{
    *burn = 0;
    if (o->pair < 0 || o->pair >= o->npairs || o->period_ms <= 0)
        return 0;
    const struct slo_pair *p = &o->pairs[o->pair];
    double b = p->long_burn < p->short_burn ? p->long_burn : p->short_burn;
    if (!isfinite(b) || b <= 0)
        return 0;
    *burn = b;
    return b * (double)HOUR_MS / (double)o->period_ms * 100;
}

/* The rank's inputs, at their peak, from the service's SLO rows. */
static void impact_of(struct correlator *c, struct incident *inc)
{
    struct table *t = engine_table(c->e, T_SLOS);
    int hit = 0;
    double per_hour = 0;
    for (int i = 0; i < t->count; i++) {
        const struct slo *o = table_row(t, i);
        if (strcmp(o->service, inc->service) != 0 ||
            (o->alert != ALERT_PAGE && o->alert != ALERT_TICKET))
            continue;
        hit++;
        if (!inc->budget_slo[0]) {
            STR_COPY(inc->budget_slo, o->name);
            inc->budget_alerted = o->budget_remaining;
        }
        double burn, h = budget_per_hour(o, &burn);
        per_hour += h;
        if (burn > inc->peak_burn)
            inc->peak_burn = burn;
        if (o->alert == ALERT_PAGE && inc->peak_alert != ALERT_PAGE) {
            inc->peak_alert = ALERT_PAGE;
            inc->paged = o->alert_since ? o->alert_since : c->e->now;
            bump(inc, c->e->now); /* an SLO starts paging */
        } else if (o->alert == ALERT_TICKET && inc->peak_alert == ALERT_OK) {
            inc->peak_alert = ALERT_TICKET;
        }
    }
    if (hit > inc->slos_hit)
        inc->slos_hit = hit;
    if (per_hour > inc->budget_per_hour)
        inc->budget_per_hour = per_hour;
}

static void update_impact(struct correlator *c)
{
    struct table *t = engine_table(c->e, T_INCIDENTS);
    for (int i = 0; i < t->count; i++) {
        struct incident *row = table_row(t, i);
        if (row->state != INC_OPEN || !row->service[0])
            continue;
        struct incident inc = *row;
        impact_of(c, &inc);
        if (inc.revision != row->revision || inc.slos_hit != row->slos_hit ||
            inc.budget_per_hour != row->budget_per_hour || inc.peak_burn != row->peak_burn ||
            inc.peak_alert != row->peak_alert || strcmp(inc.budget_slo, row->budget_slo))
            engine_upsert(c->e, T_INCIDENTS, &inc);
    }
}

static void update_summary(struct correlator *c, int64_t now)
{
    struct table *t = engine_table(c->e, T_INCIDENTS);
    int opened_1h = 0, open = 0;
    for (int i = 0; i < t->count; i++) {
        const struct incident *inc = table_row(t, i);
        open += inc->state == INC_OPEN;
        opened_1h += inc->opened > now - HOUR_MS || inc->updated > now - HOUR_MS;
    }
    struct summary *row = engine_get(c->e, T_SUMMARY, "summary");
    struct summary s = {0};
    if (row)
        s = *row;
    else
        STR_COPY(s.name, "summary");
    int signals = correlator_signals_1h(c);
    if (row && s.signals_1h == signals && s.incidents_1h == opened_1h && s.open_incidents == open &&
        s.incidents_not_opened == c->not_opened)
        return;
    s.incidents_not_opened = c->not_opened;
    s.signals_1h = signals;
    s.incidents_1h = opened_1h;
    s.open_incidents = open;
    engine_upsert(c->e, T_SUMMARY, &s);
}

/* The SLO engine opens its own incident on a page ("slo:<name>"). When
 * this service already has a correlated incident (which took the same page
 * as a signal), that one is the incident: the duplicate goes. */
static void absorb_slo_incidents(struct correlator *c)
{
    struct table *t = engine_table(c->e, T_INCIDENTS);
    for (int i = 0; i < t->count; i++) {
        const struct incident *inc = table_row(t, i);
        if (inc->state != INC_OPEN || strncmp(inc->fingerprint, "slo:", 4) != 0)
            continue;
        char fp[96];
        corr_textf(fp, sizeof(fp), "svc:%s", inc->service);
        if (!find_incident(c, fp, true))
            continue;
        char id[32];
        STR_COPY(id, inc->id);
        engine_remove(c->e, T_INCIDENTS, id);
        i--;
    }
}

static void tick(struct engine *e, int64_t now, void *ud)
{
    struct correlator *c = ud;
    if (e->replaying)
        return;
    absorb_slo_incidents(c);
    update_impact(c);
    rank_dirty(c);
    close_quiet(c, now);
    update_summary(c, now);
}

struct correlator *correlator_new(struct engine *e, const struct correlate_opts *o)
{
    struct correlator *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->e = e;
    if (o)
        c->o = *o;
    else
        correlate_default_opts(&c->o);
    dict_init(&c->states, &state_type, NULL);
    dict_init(&c->dirty, &state_type, NULL);
    corr_pods_init(&c->pods);
    engine_observe(e, observe, c);
    engine_add_hook(e, "correlate", 1000, tick, c);
    return c;
}

void correlator_free(struct correlator *c)
{
    if (c) {
        dict_free(&c->states);
        dict_free(&c->dirty);
        corr_pods_free(&c->pods);
    }
    free(c);
}
