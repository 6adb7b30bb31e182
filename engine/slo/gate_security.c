/* The security half of the deploy gate (GET /v1/gate?namespace=NS&
 * security=SEV): did a kernel rule fire at or above SEV in NS's pods, in
 * the engine's live kernel view (the local kernel source and the node
 * agents), within the window? Unknown when no kernel source streams or
 * events were lost in the window: a gate must not say "allow" about what
 * it did not see. See gate.h and docs/devsecops.md. */
#include <stdio.h>
#include <string.h>

#include "base/dict.h"
#include "kernel/evidence.h"
#include "slo/gate.h"

/* The view's sources: the local kernel and every agent. False with why
 * when there is none or one does not stream now. */
static bool view_streaming(struct engine *e, char *why, size_t whylen)
{
    struct table *t = engine_table(e, T_SOURCES);
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (strcmp(s->kind, "kernel") != 0 && strcmp(s->kind, "agent") != 0)
            continue;
        n++;
        if (s->state != SRC_SYNCED) {
            snprintf(why, whylen, "kernel source %s is %s%s%s", s->name,
                     source_state_names[s->state], s->error[0] ? ": " : "", s->error);
            return false;
        }
    }
    if (!n)
        snprintf(why, whylen, "no kernel source runs in this engine (no kernel events, no agents)");
    return n > 0;
}

/* An agent's event may name its pod only as "uid:UID". The pods those
 * UIDs name, for one request: every distinct UID in the hot ring, resolved
 * in one walk of the pods table (a walk per event was 512 x 50,000 string
 * compares, 59 ms a request: tests/bench/bench_gate.sh). Keys point into
 * the ring's events and values into the pods table; neither changes while
 * a request runs. */
static const struct dict_type uid_pods_type = {.hash = dict_hash_str};

static void uid_pods_build(struct engine *e, struct dict *d)
{
    dict_init(d, &uid_pods_type, NULL);
    const struct ring *hot = &e->kevents_hot;
    for (int i = 0, n = ring_count(hot); i < n; i++) {
        const struct kevent *k = ring_at(hot, i);
        bool created;
        if (strncmp(k->pod, "uid:", 4) == 0 && !dict_add(d, k->pod + 4, &created))
            break; /* out of memory: those events keep their uid: name */
    }
    struct table *t = engine_table(e, T_PODS);
    size_t left = dict_count(d);
    for (int i = 0; left && i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        struct dict_entry *en = dict_find(d, p->uid);
        if (en && !en->val.p) {
            en->val.p = (void *)p;
            left--;
        }
    }
}

/* The pod a "uid:UID" names, from the pods the engine knows; NULL when none. */
static const struct k8s_pod *pod_by_uid(const struct dict *uids, const char *pod)
{
    if (strncmp(pod, "uid:", 4) != 0)
        return NULL;
    const struct dict_entry *en = dict_find(uids, pod + 4);
    return en ? en->val.p : NULL;
}

static bool in_namespace(const struct dict *uids, const char *pod, const char *ns)
{
    const struct k8s_pod *p = pod_by_uid(uids, pod);
    if (p)
        return strcmp(p->namespace, ns) == 0;
    size_t n = strlen(ns);
    return strncmp(pod, ns, n) == 0 && pod[n] == '/';
}

/* Events lost in the window: gap rows in the ring, or, when the ring no
 * longer reaches back to the window's start, any drop the counters know. */
static uint64_t lost_since(struct engine *e, int64_t since)
{
    const struct ring *r = &e->kevents;
    uint64_t lost = 0;
    int n = ring_count(r);
    for (int i = 0; i < n; i++) {
        const struct kevent *k = ring_at(r, i);
        if (k->kind == KEV_GAP && k->time >= since)
            lost += k->lost ? k->lost : 1;
    }
    bool reaches = r->evicted == 0 || (n && ((const struct kevent *)ring_at(r, 0))->time < since);
    struct table *t = engine_table(e, T_KSTATS);
    for (int i = 0; i < t->count && !reaches && !lost; i++)
        lost += ((const struct kstats *)table_row(t, i))->ring_drops;
    return lost;
}

enum gate_decision gate_security(struct engine *e, const char *ns, enum severity min, int64_t since,
                                 char *reason, size_t reasonlen)
{
    const struct ring *hot = &e->kevents_hot;
    const struct kevent *top = NULL;
    int found = 0, n = ring_count(hot);
    struct dict uids;
    uid_pods_build(e, &uids);
    for (int i = 0; i < n; i++) {
        const struct kevent *k = ring_at(hot, i);
        if (k->time < since || !k->rule[0] || k->severity < min || !in_namespace(&uids, k->pod, ns))
            continue;
        found++;
        if (!top || k->severity >= top->severity)
            top = k; /* the most severe, the newest of those */
    }
    if (top) {
        struct kevent named = *top;
        const struct k8s_pod *p = pod_by_uid(&uids, top->pod);
        if (p)
            STR_COPY(named.pod, p->key);
        dict_free(&uids);
        char what[512];
        evidence_what(&named, what, sizeof(what));
        snprintf(reason, reasonlen, "security: %d rule match%s at or above %s in %s; %s: %s (%s)",
                 found, found == 1 ? "" : "es", severity_names[min], ns,
                 severity_names[top->severity], what, top->rule);
        return GATE_BLOCK;
    }
    dict_free(&uids);
    char why[TEXT_LEN];
    if (!view_streaming(e, why, sizeof(why))) {
        snprintf(reason, reasonlen, "security: cannot tell: %s", why);
        return GATE_UNKNOWN;
    }
    uint64_t lost = lost_since(e, since);
    /* the hot ring keeps the newest KEVENT_HOT_CAP matches only */
    bool covered =
        hot->evicted == 0 || (n && ((const struct kevent *)ring_at(hot, 0))->time < since);
    if (lost || !covered) {
        snprintf(reason, reasonlen, "security: no match in %s, but cannot tell: %s", ns,
                 lost ? "kernel events were lost in the window"
                      : "the window reaches past the warning/critical events the engine keeps");
        return GATE_UNKNOWN;
    }
    char window[64] = "since the engine started";
    if (since > 0)
        snprintf(window, sizeof(window), "in the last %llds",
                 (long long)((engine_now(e) - since) / 1000));
    snprintf(reason, reasonlen, "security: no rule match at or above %s in %s's pods %s",
             severity_names[min], ns, window);
    return GATE_ALLOW;
}
