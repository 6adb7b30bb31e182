/* The pipelines module: derived figures per project (T_CI_PROJECTS) and the
 * deploy gate in the picture. It observes the engine, so the demo, the live
 * sources and anything else that posts pipelines get the same treatment. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "ci/pipeline.h"

#define DEPLOY_SLOTS 32

struct deploy_slot {
    char key[128]; /* provider:project */
    struct ci_deploy d;
};

static struct {
    struct pipeline_settings set;
    bool have_set;
    struct deploy_slot deploys[DEPLOY_SLOTS];
    int ndeploys;
} mod;

const struct pipeline_settings *pipeline_settings(void)
{
    if (!mod.have_set) {
        pipeline_settings_default(&mod.set);
        mod.have_set = true;
    }
    return &mod.set;
}

static const struct summary *gate_summary(struct engine *e)
{
    return engine_get(e, T_SUMMARY, "summary");
}

static bool pipeline_may_deploy(const struct pipeline *p)
{
    return job_status_active(p->status) || p->status == JOB_MANUAL || p->status == JOB_SCHEDULED ||
           p->status == JOB_BLOCKED;
}

/* Marks deploy jobs that are still to run as blocked while the gate is
 * closed or the pipeline's own security verdict has findings, and restores
 * the CI's status once neither holds. */
static void apply_gate(const struct summary *sum, struct pipeline *p)
{
    bool slo = sum && sum->gate == GATE_STATE_CLOSED;
    bool closed = (slo || p->sec == SEC_FINDINGS) && pipeline_may_deploy(p);
    p->gate_blocked = false;
    p->gate_reason[0] = 0;
    for (int i = 0; i < p->njobs; i++) {
        struct job *j = &p->jobs[i];
        j->status = j->ci_status;
        if (closed && j->is_deploy && job_status_waiting_to_run(j->ci_status)) {
            j->status = JOB_BLOCKED;
            p->gate_blocked = true;
        }
    }
    if (p->gate_blocked && p->sec == SEC_FINDINGS) {
        /* the first finding names it; the SLO's reason follows when both hold */
        snprintf(p->gate_reason, sizeof(p->gate_reason), "security: %.*s%s%.120s",
                 (int)strcspn(p->sec_text, "\n"), p->sec_text, slo ? "; " : "",
                 slo ? sum->gate_reason : "");
    } else if (p->gate_blocked) {
        STR_COPY(p->gate_reason, sum->gate_reason[0] ? sum->gate_reason : "deploy gate closed");
    }
    pipeline_rollup_stages(p);
}

void pipeline_post(struct engine *e, struct pipeline *p)
{
    pipeline_security_apply(e, p);
    apply_gate(gate_summary(e), p);
    const struct pipeline *old = engine_get(e, T_PIPELINES, p->key);
    if (old && memcmp(old, p, sizeof(*p)) == 0)
        return; /* nothing changed: no record line, no redraw */
    engine_upsert(e, T_PIPELINES, p);
}

static void remark_all(struct engine *e)
{
    const struct summary *sum = gate_summary(e);
    struct table *t = engine_table(e, T_PIPELINES);
    struct pipeline p;
    for (int i = 0; i < t->count; i++) {
        memcpy(&p, table_row(t, i), sizeof(p));
        apply_gate(sum, &p);
        if (memcmp(&p, table_row(t, i), sizeof(p)) != 0)
            engine_upsert(e, T_PIPELINES, &p);
    }
}

static int by_newest(const void *a, const void *b)
{
    const struct pipeline *x = *(const struct pipeline *const *)a;
    const struct pipeline *y = *(const struct pipeline *const *)b;
    if (x->created != y->created)
        return x->created < y->created ? 1 : -1;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    if (n == 0)
        return NAN;
    qsort(v, (size_t)n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void last_deploy(struct ci_project *c, const struct pipeline *p)
{
    for (int i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        bool done = j->ci_status == JOB_SUCCESS || j->ci_status == JOB_FAILED;
        if (!j->is_deploy || !done || !j->finished || j->finished <= c->last_deploy)
            continue;
        c->last_deploy = j->finished;
        c->last_deploy_pipeline = p->id;
        c->last_deploy_status = j->ci_status;
        STR_COPY(c->last_deploy_job, j->name);
        STR_COPY(c->last_deploy_env, j->environment);
        STR_COPY(c->last_deploy_version, p->version);
    }
}

static struct deploy_slot *deploy_slot(const char *key, bool create)
{
    for (int i = 0; i < mod.ndeploys; i++)
        if (strcmp(mod.deploys[i].key, key) == 0)
            return &mod.deploys[i];
    if (!create || mod.ndeploys >= DEPLOY_SLOTS)
        return NULL;
    struct deploy_slot *s = &mod.deploys[mod.ndeploys++];
    STR_COPY(s->key, key);
    return s;
}

void pipeline_set_deploy(const char *provider, const char *project, const struct ci_deploy *d)
{
    char key[128];
    snprintf(key, sizeof(key), "%s:%s", provider, project);
    struct deploy_slot *s = deploy_slot(key, d != NULL);
    if (s && d) {
        s->d = *d;
    } else if (s) { /* forget it: keep the slots of projects that have one */
        *s = mod.deploys[--mod.ndeploys];
    }
}

/* The deployments API knows better than job names: it wins when it answered. */
static void api_deploy(struct ci_project *c)
{
    const struct deploy_slot *s = deploy_slot(c->key, false);
    if (!s)
        return;
    c->last_deploy = s->d.finished;
    c->last_deploy_pipeline = s->d.pipeline;
    c->last_deploy_status = s->d.status;
    STR_COPY(c->last_deploy_job, s->d.job);
    STR_COPY(c->last_deploy_env, s->d.env);
    STR_COPY(c->last_deploy_version, s->d.version);
}

static void running_stage(struct ci_project *c, const struct pipeline *p)
{
    if (c->running_stage[0] || !job_status_active(p->status))
        return;
    for (int s = 0; s < p->nstages; s++) {
        const struct stage *st = &p->stages[s];
        if (job_status_active(st->status) || st->status == JOB_BLOCKED) {
            STR_COPY(c->running_stage, st->name);
            c->stage_since = st->started ? st->started : p->started ? p->started : p->created;
            return;
        }
    }
}

static void compute(struct engine *e, struct ci_project *c, struct pipeline **v, int n)
{
    const struct pipeline_settings *s = pipeline_settings();
    double *durations = calloc((size_t)n + 1, sizeof(*durations));
    int nd = 0;
    qsort(v, (size_t)n, sizeof(*v), by_newest);
    c->failure_ratio = c->median_duration_s = NAN;
    for (int i = 0; i < n; i++) {
        const struct pipeline *p = v[i];
        c->simulated |= p->simulated;
        c->active += job_status_active(p->status);
        c->gate_blocked += p->gate_blocked;
        running_stage(c, p);
        last_deploy(c, p);
        /* Canceled and skipped runs say nothing about health: not counted. */
        bool judged = p->status == JOB_SUCCESS || p->status == JOB_FAILED;
        if (!judged || c->window >= s->last_n)
            continue;
        c->window++;
        c->failures += p->status == JOB_FAILED;
        if (durations && !isnan(p->duration_s))
            durations[nd++] = p->duration_s;
    }
    api_deploy(c);
    if (c->window)
        c->failure_ratio = (double)c->failures / c->window;
    if (durations)
        c->median_duration_s = median(durations, nd);
    free(durations);
    (void)e;
}

void pipeline_update_stats(struct engine *e, const char *provider, const char *project)
{
    struct table *t = engine_table(e, T_PIPELINES);
    struct pipeline **v = calloc((size_t)t->count + 1, sizeof(*v));
    if (!v)
        return;
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        struct pipeline *p = table_row(t, i);
        if (strcmp(p->provider, provider) == 0 && strcmp(p->project, project) == 0)
            v[n++] = p;
    }
    struct ci_project c;
    memset(&c, 0, sizeof(c));
    snprintf(c.key, sizeof(c.key), "%s:%s", provider, project);
    STR_COPY(c.provider, provider);
    STR_COPY(c.project, project);
    if (n)
        compute(e, &c, v, n);
    free(v);
    const struct ci_project *old = engine_get(e, T_CI_PROJECTS, c.key);
    if (!n) {
        if (old)
            engine_remove(e, T_CI_PROJECTS, c.key);
        return;
    }
    if (old && memcmp(old, &c, sizeof(c)) == 0)
        return;
    engine_upsert(e, T_CI_PROJECTS, &c);
}

static void update_all_stats(struct engine *e)
{
    struct table *t = engine_table(e, T_CI_PROJECTS);
    for (int i = t->count - 1; i >= 0; i--) {
        struct ci_project c = *(struct ci_project *)table_row(t, i);
        pipeline_update_stats(e, c.provider, c.project);
    }
}

static void on_change(struct engine *e, int table, const void *obj, void *ud)
{
    (void)ud;
    if (table == T_SUMMARY && obj) {
        remark_all(e);
    } else if (table == T_PIPELINES) {
        const struct pipeline *p = obj;
        if (p)
            pipeline_update_stats(e, p->provider, p->project);
        else
            update_all_stats(e);
    }
}

void pipeline_attach(struct engine *e, const struct pipeline_settings *s)
{
    if (s) {
        mod.set = *s;
        mod.have_set = true;
    }
    for (int i = 0; i < e->nobservers; i++)
        if (e->observers[i].fn == on_change)
            return;
    engine_observe(e, on_change, NULL);
    pipeline_security_attach(e);
}
