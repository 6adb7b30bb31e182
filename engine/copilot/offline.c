/* Offline analysis (see offline.h). For an incident the cause list is the
 * correlator's, ranked and deduplicated by entity, with one reference time
 * (the incident's start); the rules here only add next steps. Nothing here
 * proposes rolling back a deployment for trouble that is not the
 * deployment's service: a host-only incident, a node, a kernel hit alone. */
#include "copilot/offline.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/incident.h"

#define DEPLOY_WINDOW_MS (60 * 60 * 1000LL)
#define MAX_FINDINGS     12

struct finding {
    char cause[1024];
    char evidence[1024];
    char step[1024];
};

struct offline {
    struct engine *e;
    const struct copilot_subject *subj;
    const struct incident *inc; /* when the subject is an incident */
    bool ranked;                /* inc has the correlator's causes: they are the list */
    char service[NAME_LEN];
    int64_t ref;
    struct finding f[MAX_FINDINGS];
    int n;
};

static struct finding *add(struct offline *o)
{
    if (o->n >= MAX_FINDINGS)
        return NULL;
    struct finding *f = &o->f[o->n++];
    memset(f, 0, sizeof(*f));
    return f;
}

static bool pod_mine(struct offline *o, const struct k8s_pod *p)
{
    if (strcmp(o->subj->kind, "pod") == 0 && strcmp(p->key, o->subj->key) == 0)
        return true;
    if (strcmp(o->subj->kind, "node") == 0)
        return strcmp(p->node, o->subj->key) == 0;
    if (o->inc && !o->service[0]) /* a host or node incident: no service's pods */
        return !strncmp(o->inc->fingerprint, "node:", 5) &&
               strcmp(p->node, o->inc->fingerprint + 5) == 0;
    return o->service[0] ? copilot_pod_in_service(o->e, p, o->service) : p->problem[0] != 0;
}

static void ago(int64_t t, int64_t ref, char *out, size_t outlen)
{
    long long s = (long long)((ref - t) / 1000);
    if (s >= 0)
        snprintf(out, outlen, "%llds before", s);
    else
        snprintf(out, outlen, "%llds after", -s);
    /* callers say "... the incident began" */
}

/* Deploy right before the burn: suggest rolling back that version. Only
 * for a service's trouble: without one there is nothing to roll back. */
static void find_deploys(struct offline *o)
{
    if (!o->service[0])
        return;
    struct table *t = engine_table(o->e, T_DEPLOYMENTS);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_deployment *d = table_row(t, i);
        if (o->service[0] && strcmp(d->name, o->service) != 0)
            continue;
        if (!d->changed || d->changed < o->ref - DEPLOY_WINDOW_MS || d->changed > o->ref + 60000)
            continue;
        struct finding *f = add(o);
        if (!f)
            return;
        char when[48];
        ago(d->changed, o->ref, when, sizeof(when));
        snprintf(f->cause, sizeof(f->cause),
                 "Rollout of deployment %s (revision %s, image %s) %s the incident began", d->key,
                 d->revision, d->image, when);
        snprintf(f->evidence, sizeof(f->evidence),
                 "deployment %s changed %s the reference time; %d/%d ready%s%s", d->key, when,
                 d->ready, d->desired, d->problem[0] ? ", " : "", d->problem);
        snprintf(f->step, sizeof(f->step),
                 "Roll back to the previous revision if the new version is the cause: `kubectl "
                 "-n %s rollout undo deployment/%s` (check `kubectl -n %s rollout history "
                 "deployment/%s` first)",
                 d->namespace, d->name, d->namespace, d->name);
    }
    t = engine_table(o->e, T_PIPELINES);
    for (int i = t->count - 1; i >= 0; i--) {
        const struct pipeline *p = table_row(t, i);
        const struct job *dj = NULL;
        for (int j = 0; j < p->njobs; j++)
            if (p->jobs[j].is_deploy && p->jobs[j].status == JOB_SUCCESS)
                dj = &p->jobs[j];
        if (!dj || !dj->finished || dj->finished < o->ref - DEPLOY_WINDOW_MS ||
            dj->finished > o->ref + 60000)
            continue;
        if (o->service[0] && !strstr(p->project, o->service))
            continue;
        struct finding *f = add(o);
        if (!f)
            return;
        char when[48];
        ago(dj->finished, o->ref, when, sizeof(when));
        const char *ver = p->version[0] ? p->version : p->sha;
        snprintf(f->cause, sizeof(f->cause),
                 "Deploy of %s version %s (job %s) %s the incident began", p->project, ver,
                 dj->name, when);
        snprintf(f->evidence, sizeof(f->evidence),
                 "pipeline %s on %s deployed %s to %s, finished %s the reference time", p->key,
                 p->ref, ver, dj->environment[0] ? dj->environment : "an environment", when);
        snprintf(f->step, sizeof(f->step),
                 "Roll back %s to the version before %s (re-run the previous deploy job or "
                 "revert the change), then watch the burn rate",
                 p->project, ver);
    }
}

static void find_pods(struct offline *o)
{
    struct table *t = engine_table(o->e, T_PODS);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (!pod_mine(o, p))
            continue;
        for (int k = 0; k < p->ncontainers; k++) {
            const struct container_status *c = &p->containers[k];
            bool oom =
                strcmp(c->last_reason, "OOMKilled") == 0 || strcmp(c->reason, "OOMKilled") == 0;
            bool crash = strcmp(c->reason, "CrashLoopBackOff") == 0;
            bool pull = strstr(c->reason, "ImagePull") || strcmp(c->reason, "ErrImagePull") == 0;
            if (!oom && !crash && !pull)
                continue;
            struct finding *f = add(o);
            if (!f)
                return;
            if (oom) {
                snprintf(f->cause, sizeof(f->cause),
                         "Container %s of pod %s is OOMKilled: memory limit too low or a leak",
                         c->name, p->key);
                snprintf(f->evidence, sizeof(f->evidence),
                         "pod %s container %s: last termination OOMKilled (exit %d), %d restart%s",
                         p->key, c->name, c->last_exit_code, c->restarts,
                         c->restarts == 1 ? "" : "s");
                snprintf(f->step, sizeof(f->step),
                         "Check memory use against the limit (`kubectl -n %s top pod %s "
                         "--containers`), then raise the memory limit of %s or fix the leak",
                         p->namespace, p->name, c->name);
            } else if (crash) {
                snprintf(f->cause, sizeof(f->cause),
                         "Pod %s is in CrashLoopBackOff; last termination: %s (exit %d)", p->key,
                         c->last_reason[0] ? c->last_reason : "unknown", c->last_exit_code);
                snprintf(f->evidence, sizeof(f->evidence),
                         "pod %s container %s: CrashLoopBackOff, last termination %s exit %d, %d "
                         "restart%s",
                         p->key, c->name, c->last_reason[0] ? c->last_reason : "unknown",
                         c->last_exit_code, c->restarts, c->restarts == 1 ? "" : "s");
                snprintf(
                    f->step, sizeof(f->step),
                    "Read the crashed container's log: `kubectl -n %s logs %s -c %s --previous`",
                    p->namespace, p->name, c->name);
            } else {
                snprintf(f->cause, sizeof(f->cause), "Pod %s cannot pull image %s (%s)", p->key,
                         c->image, c->reason);
                snprintf(f->evidence, sizeof(f->evidence), "pod %s container %s: %s", p->key,
                         c->name, c->reason);
                snprintf(f->step, sizeof(f->step),
                         "Check the image name and registry credentials: `kubectl -n %s describe "
                         "pod %s`",
                         p->namespace, p->name);
            }
            break; /* one finding per pod */
        }
    }
}

/* A service's analysis takes its pods' events only: a host event (no pod)
 * is never a cause of a service's trouble. */
static bool kevent_mine(struct offline *o, const struct kevent *k)
{
    if (!k->rule[0] || k->severity < SEV_WARNING)
        return false;
    if (!o->service[0])
        return !o->inc || !k->pod[0];
    if (!k->pod[0])
        return false;
    const struct k8s_pod *p = engine_get(o->e, T_PODS, k->pod);
    return !p || pod_mine(o, p);
}

/* Sensitive file reads, shells, privilege changes: which process in which pod. */
static void find_kernel(struct offline *o)
{
    char seen[8][NAME_LEN];
    int nseen = 0;
    int n = ring_count(&o->e->kevents);
    for (int i = n - 1; i >= 0 && nseen < 8; i--) {
        const struct kevent *k = ring_at(&o->e->kevents, i);
        if (!kevent_mine(o, k))
            continue;
        bool dup = false;
        for (int j = 0; j < nseen && !dup; j++)
            dup = strcmp(seen[j], k->rule) == 0;
        if (dup)
            continue;
        STR_COPY(seen[nseen++], k->rule);
        struct finding *f = add(o);
        if (!f)
            return;
        const char *where = k->pod[0] ? k->pod : k->node[0] ? k->node : "this host";
        snprintf(f->cause, sizeof(f->cause), "Kernel rule %s (%s): process %s (pid %u) in %s%s%s",
                 k->rule, severity_names[k->severity], k->comm, k->pid, where,
                 k->path[0] ? " touched " : "", k->path);
        snprintf(f->evidence, sizeof(f->evidence), "%s: %s, process %s pid %u uid %u in %s%s%s",
                 k->rule, k->title, k->comm, k->pid, k->uid, where, k->path[0] ? ", path " : "",
                 k->path);
        if (k->pod[0]) {
            char ns[NAME_LEN] = "";
            const char *slash = strchr(k->pod, '/');
            if (slash && (size_t)(slash - k->pod) < sizeof(ns)) {
                memcpy(ns, k->pod, (size_t)(slash - k->pod));
                ns[slash - k->pod] = 0;
            }
            snprintf(f->step, sizeof(f->step),
                     "Find out whether process %s in pod %s is expected (`kubectl -n %s describe "
                     "pod %s`); if not, isolate the pod and treat it as a security incident",
                     k->comm, k->pod, ns, slash ? slash + 1 : k->pod);
        } else {
            snprintf(f->step, sizeof(f->step),
                     "Find out whether process %s (pid %u) is expected on %s; if not, treat it as "
                     "a security incident",
                     k->comm, k->pid, where);
        }
    }
}

/* Nodes with a problem: the incident's node, or those hosting its pods. */
static bool node_mine(struct offline *o, const struct k8s_node *n)
{
    if (!o->inc)
        return true;
    if (!strncmp(o->inc->fingerprint, "node:", 5))
        return strcmp(n->name, o->inc->fingerprint + 5) == 0;
    struct table *t = engine_table(o->e, T_PODS);
    for (int i = 0; o->service[0] && i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (!strcmp(p->node, n->name) && copilot_pod_in_service(o->e, p, o->service))
            return true;
    }
    return false;
}

static void find_nodes(struct offline *o)
{
    struct table *t = engine_table(o->e, T_NODES);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_node *n = table_row(t, i);
        if (!n->problem[0] || !node_mine(o, n))
            continue;
        struct finding *f = add(o);
        if (!f)
            return;
        snprintf(f->cause, sizeof(f->cause), "Node %s: %s", n->name, n->problem);
        snprintf(f->evidence, sizeof(f->evidence), "node %s ready=%s problem=%s", n->name,
                 n->ready ? "true" : "false", n->problem);
        snprintf(f->step, sizeof(f->step), "Inspect the node: `kubectl describe node %s`", n->name);
    }
}

static void write_summary(struct offline *o, struct buf *out)
{
    buf_puts(out, "## Summary\n");
    const struct incident *inc =
        strcmp(o->subj->kind, "incident") == 0 ? engine_get(o->e, T_INCIDENTS, o->subj->key) : NULL;
    buf_printf(out, "Offline analysis (no LLM involved) of %s%s%s", o->subj->kind,
               o->subj->key[0] ? " " : "", o->subj->key);
    if (inc)
        buf_printf(out, ": %s (%s, %d signal%s)", inc->title, severity_names[inc->severity],
                   inc->signals, inc->signals == 1 ? "" : "s");
    buf_puts(out, ".");
    struct table *t = engine_table(o->e, T_SLOS);
    for (int i = 0; i < t->count; i++) {
        const struct slo *s = table_row(t, i);
        if (!o->service[0] || strcmp(s->service, o->service) != 0)
            continue;
        buf_printf(out, " SLO %s (objective %.3f%%, alert: %s) has %.1f%% of its error budget left",
                   s->name, s->objective * 100, alert_state_names[s->alert],
                   isfinite(s->budget_remaining) ? s->budget_remaining * 100 : 0.0);
        if (s->pair >= 0) {
            char why[TEXT_LEN];
            slo_pair_reason(s, why, sizeof why);
            buf_printf(out, ", burn %s", why);
        }
        buf_puts(out, ".");
    }
    buf_puts(out, "\n\n");
}

/* An incident's causes: the correlator's list, scores labelled as scores. */
static void write_incident_causes(const struct incident *inc, struct buf *out)
{
    char iso[32];
    copilot_iso_time(incident_start(inc), iso, sizeof iso);
    buf_printf(out,
               "## Likely cause\nReference time (the trouble began): %s. Correlation "
               "scores order the hypotheses (0 to 1); they are not probabilities.\n",
               iso);
    for (int i = 0; i < inc->ncauses; i++)
        buf_printf(out, "%d. %s (score %.2f%s)\n", i + 1, inc->causes[i].title,
                   inc->causes[i].score,
                   inc->causes[i].followed ? "; followed the start: a consequence" : "");
    if (!inc->ncauses)
        buf_puts(out, "Inconclusive: no rule matched the evidence.\n");
    buf_puts(out, "\n## Evidence\n");
    for (int i = 0; i < inc->ncauses; i++)
        for (const char *l = inc->causes[i].evidence; *l;) {
            const char *nl = strchr(l, '\n');
            int len = (int)(nl ? nl - l : (long)strlen(l));
            buf_printf(out, "- %.*s\n", len, l);
            l += len + (nl != NULL);
        }
}

/* The one rollback an incident can propose: its service's deployment, when
 * the top cause that did not follow the start is a deploy of it. */
static int rollback_step(struct offline *o, struct buf *out, int k)
{
    const struct incident *inc = o->inc;
    if (!inc->service[0] || !inc->ncauses || inc->causes[0].followed ||
        strncmp(inc->causes[0].title, "Deploy of ", 10) != 0)
        return k;
    struct table *t = engine_table(o->e, T_DEPLOYMENTS);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_deployment *d = table_row(t, i);
        if (strcmp(d->name, inc->service) != 0)
            continue;
        buf_printf(out,
                   "%d. Roll back to the previous revision if %s is the cause: `kubectl -n %s "
                   "rollout undo deployment/%s` (check `kubectl -n %s rollout history "
                   "deployment/%s` first)\n",
                   k++, inc->causes[0].title, d->namespace, d->name, d->namespace, d->name);
        return k;
    }
    buf_printf(out,
               "%d. Roll back %s to the version before the deploy (%s), then watch the burn "
               "rate\n",
               k++, inc->service, inc->causes[0].title);
    return k;
}

static void write_findings(struct offline *o, struct buf *out)
{
    int k = 1;
    if (o->ranked) {
        write_incident_causes(o->inc, out);
    } else {
        buf_puts(out, "## Likely cause\n");
        for (int i = 0; i < o->n; i++)
            buf_printf(out, "%d. %s\n", k++, o->f[i].cause);
        if (k == 1)
            buf_puts(out, "Inconclusive: no rule matched the evidence.\n");
        buf_puts(out, "\n## Evidence\n");
        for (int i = 0; i < o->n; i++)
            buf_printf(out, "- %s\n", o->f[i].evidence);
    }
    buf_puts(out, "\n## Next steps\n");
    k = o->ranked ? rollback_step(o, out, 1) : 1;
    for (int i = 0; i < o->n; i++)
        buf_printf(out, "%d. %s\n", k++, o->f[i].step);
    buf_printf(out, "%d. Confirm recovery: watch the burn rate and error budget in Lookout\n", k);
}

static void write_draft(struct offline *o, struct buf *out)
{
    const struct incident *inc =
        strcmp(o->subj->kind, "incident") == 0 ? engine_get(o->e, T_INCIDENTS, o->subj->key) : NULL;
    buf_puts(out, "\n## Post-mortem draft\n");
    char iso[32];
    copilot_iso_time(o->ref, iso, sizeof(iso));
    if (o->service[0])
        buf_printf(out, "**Impact:** %s degraded from %s.\n", o->service, iso);
    else
        buf_printf(out, "**Impact:** no service's SLO involved; trouble from %s.\n", iso);
    if (inc && inc->ntimeline)
        buf_printf(out, "**Timeline:** the incident's timeline (%d entr%s).\n", inc->ntimeline,
                   inc->ntimeline == 1 ? "y" : "ies");
    const char *hypothesis = o->ranked && !inc->causes[0].followed ? inc->causes[0].title
                             : !o->ranked && o->n                  ? o->f[0].cause
                                                                   : "to be determined";
    buf_printf(out, "**Root cause hypothesis:** %s\n", hypothesis);
    buf_puts(out, "**Action items:** confirm the cause, add an alert or test that would have "
                  "caught it earlier, review the rollout safeguards.\n");
}

int copilot_offline_analysis(struct engine *e, const struct copilot_subject *subj, struct buf *out)
{
    struct offline *o = calloc(1, sizeof(*o));
    if (!o)
        return 0;
    o->e = e;
    o->subj = subj;
    copilot_subject_service(e, subj, o->service, sizeof(o->service), &o->ref);
    if (strcmp(subj->kind, "incident") == 0)
        o->inc = engine_get(e, T_INCIDENTS, subj->key);
    /* An incident the correlator ranked has its deploys among its causes;
     * one it never saw (the SLO engine's own) gets the rules' findings. */
    o->ranked = o->inc && o->inc->ncauses > 0;
    if (!o->ranked)
        find_deploys(o);
    find_pods(o);
    find_kernel(o);
    find_nodes(o);
    write_summary(o, out);
    write_findings(o, out);
    write_draft(o, out);
    int n = o->n;
    free(o);
    return n;
}
