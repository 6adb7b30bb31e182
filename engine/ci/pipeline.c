/* Status mapping, stage roll-up, deploy recognition and times for CI pipelines. */
#include "ci/pipeline.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static const struct {
    const char *name;
    enum job_status status;
} gitlab_statuses[] = {
    {"created", JOB_CREATED},
    {"pending", JOB_PENDING},
    {"running", JOB_RUNNING},
    {"success", JOB_SUCCESS},
    {"failed", JOB_FAILED},
    {"canceled", JOB_CANCELED},
    {"canceling", JOB_CANCELED}, /* GitLab 17: on its way to canceled */
    {"skipped", JOB_SKIPPED},
    {"manual", JOB_MANUAL},
    {"scheduled", JOB_SCHEDULED},
    {"waiting_for_resource", JOB_WAITING},
    {"waiting_for_callback", JOB_WAITING},
    {"preparing", JOB_PREPARING},
};

int pipeline_status_gitlab(const char *s)
{
    for (size_t i = 0; s && i < sizeof(gitlab_statuses) / sizeof(gitlab_statuses[0]); i++)
        if (strcmp(s, gitlab_statuses[i].name) == 0)
            return (int)gitlab_statuses[i].status;
    return -1;
}

static int github_conclusion(const char *c)
{
    static const struct {
        const char *name;
        enum job_status status;
    } map[] = {
        {"success", JOB_SUCCESS},  {"neutral", JOB_SUCCESS},        {"failure", JOB_FAILED},
        {"timed_out", JOB_FAILED}, {"startup_failure", JOB_FAILED}, {"cancelled", JOB_CANCELED},
        {"stale", JOB_CANCELED},   {"skipped", JOB_SKIPPED},        {"action_required", JOB_MANUAL},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(c, map[i].name) == 0)
            return (int)map[i].status;
    return -1;
}

int pipeline_status_github(const char *status, const char *conclusion)
{
    if (!status)
        return -1;
    if (strcmp(status, "completed") == 0)
        return conclusion ? github_conclusion(conclusion) : -1;
    if (strcmp(status, "in_progress") == 0)
        return JOB_RUNNING;
    if (strcmp(status, "queued") == 0 || strcmp(status, "pending") == 0)
        return JOB_PENDING;
    if (strcmp(status, "waiting") == 0)
        return JOB_WAITING; /* waits on an environment's protection rules */
    if (strcmp(status, "requested") == 0)
        return JOB_CREATED;
    return -1;
}

bool job_status_active(enum job_status s)
{
    return s == JOB_CREATED || s == JOB_PENDING || s == JOB_RUNNING || s == JOB_PREPARING ||
           s == JOB_WAITING;
}

bool job_status_waiting_to_run(enum job_status s)
{
    return s == JOB_CREATED || s == JOB_PENDING || s == JOB_MANUAL || s == JOB_SCHEDULED ||
           s == JOB_WAITING || s == JOB_PREPARING || s == JOB_BLOCKED;
}

struct stage *pipeline_stage(struct pipeline *p, const char *name)
{
    for (int i = 0; i < p->nstages; i++)
        if (strcmp(p->stages[i].name, name) == 0)
            return &p->stages[i];
    if (p->nstages >= PIPE_STAGES)
        return NULL;
    struct stage *st = &p->stages[p->nstages++];
    memset(st, 0, sizeof(*st));
    STR_COPY(st->name, name);
    return st;
}

/* Statuses of one stage's jobs, as sets the composite rule asks about. */
struct tally {
    int n[JOB_BLOCKED + 1];
    int total;
    int optional; /* manual jobs with allow_failure: GitLab leaves them out */
    bool warned;  /* an allow_failure job failed or was canceled */
    int64_t started, finished;
    bool unfinished;
};

#define BIT(s) (1u << (s))

static bool only_of(const struct tally *t, unsigned set)
{
    for (int s = 0; s <= JOB_BLOCKED; s++)
        if (t->n[s] && !(set & BIT(s)))
            return false;
    return true;
}

/* GitLab's composite status (Gitlab::Ci::Status::Composite), which also fits
 * GitHub's jobs: allowed failures count as passed with a warning, optional
 * manual jobs are ignored, then the first rule that matches wins. */
static enum job_status composite(const struct tally *t)
{
    if (t->total == 0)
        return t->optional ? JOB_MANUAL : JOB_CREATED;
    if (only_of(t, BIT(JOB_SKIPPED)))
        return JOB_SKIPPED;
    if (only_of(t, BIT(JOB_SUCCESS) | BIT(JOB_SKIPPED)))
        return JOB_SUCCESS;
    if (only_of(t, BIT(JOB_CREATED)))
        return JOB_CREATED;
    if (only_of(t, BIT(JOB_PREPARING)))
        return JOB_PREPARING;
    if (only_of(t, BIT(JOB_CANCELED) | BIT(JOB_SUCCESS) | BIT(JOB_SKIPPED)))
        return JOB_CANCELED;
    if (only_of(t, BIT(JOB_PENDING) | BIT(JOB_CREATED) | BIT(JOB_SKIPPED)))
        return JOB_PENDING;
    if (t->n[JOB_RUNNING] || t->n[JOB_PENDING])
        return JOB_RUNNING;
    if (t->n[JOB_WAITING])
        return JOB_WAITING;
    if (t->n[JOB_MANUAL])
        return JOB_MANUAL;
    if (t->n[JOB_SCHEDULED])
        return JOB_SCHEDULED;
    if (t->n[JOB_PREPARING])
        return JOB_PREPARING;
    if (t->n[JOB_CREATED])
        return JOB_RUNNING;
    return JOB_FAILED;
}

static void tally_job(struct tally *t, const struct job *jb)
{
    enum job_status js = jb->ci_status;
    if (jb->allow_failure && js == JOB_MANUAL) {
        t->optional++;
    } else if (jb->allow_failure && (js == JOB_FAILED || js == JOB_CANCELED)) {
        t->n[JOB_SUCCESS]++;
        t->total++;
        t->warned = true;
    } else {
        t->n[js]++;
        t->total++;
    }
    if (jb->started && (!t->started || jb->started < t->started))
        t->started = jb->started;
    if (jb->finished > t->finished)
        t->finished = jb->finished;
    if (!jb->finished && job_status_active(js))
        t->unfinished = true;
}

static int stage_index(const struct pipeline *p, const char *name)
{
    for (int i = 0; i < p->nstages; i++)
        if (strcmp(p->stages[i].name, name) == 0)
            return i;
    return -1;
}

/* Jobs worth a row when not all fit: what failed, what moves, what deploys. */
static bool notable(const struct job *jb)
{
    return (jb->ci_status == JOB_FAILED && !jb->allow_failure) ||
           job_status_active(jb->ci_status) || jb->is_deploy || jb->ci_status == JOB_MANUAL;
}

/* Picks the rows to keep: notable jobs first, then the others, each in
 * stage order; the kept rows are then written in stage order. */
static void keep_rows(struct pipeline *p, const struct job *all, int n, const int *stage_of)
{
    bool *keep = calloc((size_t)n + 1, sizeof(*keep));
    if (!keep)
        return;
    int kept = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < p->nstages; s++)
            for (int i = 0; i < n && kept < PIPE_JOBS; i++)
                if (stage_of[i] == s && !keep[i] && (pass == 1 || notable(&all[i]))) {
                    keep[i] = true;
                    kept++;
                }
    p->njobs = 0;
    for (int s = 0; s < p->nstages; s++)
        for (int i = 0; i < n; i++)
            if (stage_of[i] == s && keep[i])
                p->jobs[p->njobs++] = all[i];
    free(keep);
}

void pipeline_set_jobs(struct pipeline *p, const struct job *all, int n)
{
    int *stage_of = calloc((size_t)n + 1, sizeof(*stage_of));
    struct tally *t = calloc(PIPE_STAGES, sizeof(*t));
    if (!stage_of || !t) {
        free(stage_of);
        free(t);
        p->jobs_dropped += n;
        return;
    }
    for (int i = 0; i < n; i++) {
        stage_of[i] = stage_index(p, all[i].stage);
        if (stage_of[i] < 0)
            continue;
        tally_job(&t[stage_of[i]], &all[i]);
        p->stages[stage_of[i]].jobs++;
    }
    for (int s = 0; s < p->nstages; s++) {
        struct stage *st = &p->stages[s];
        st->status = st->ci_status = composite(&t[s]);
        st->warning = t[s].warned && st->status == JOB_SUCCESS;
        st->started = t[s].started;
        st->finished = t[s].unfinished || !st->jobs ? 0 : t[s].finished;
    }
    keep_rows(p, all, n, stage_of);
    p->jobs_dropped += n - p->njobs;
    free(stage_of);
    free(t);
}

void pipeline_rollup_stages(struct pipeline *p)
{
    for (int s = 0; s < p->nstages; s++) {
        struct stage *st = &p->stages[s];
        bool blocked = false;
        for (int j = 0; j < p->njobs && !blocked; j++)
            blocked = p->jobs[j].status == JOB_BLOCKED && strcmp(p->jobs[j].stage, st->name) == 0;
        if (blocked && st->ci_status != JOB_RUNNING)
            st->status = JOB_BLOCKED;
        else if (st->status == JOB_BLOCKED)
            st->status = st->ci_status;
    }
}

static bool match_any(const char (*pats)[32], int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (fnmatch(pats[i], s, FNM_CASEFOLD) == 0)
            return true;
    return false;
}

bool pipeline_is_deploy(const struct pipeline_settings *s, const char *job_name, const char *stage,
                        const char *environment)
{
    if (environment && *environment)
        return match_any(s->envs, s->nenvs, environment);
    if (stage && match_any(s->stages, s->nstages, stage))
        return true;
    for (int i = 0; job_name && i < s->njobs; i++)
        if (fnmatch(s->jobs[i], job_name, FNM_CASEFOLD) == 0)
            return true;
    return false;
}

bool pipeline_latest_deploy(const struct cJSON *items, const struct pipeline_settings *s,
                            bool (*fill)(const struct cJSON *d, const struct pipeline_settings *s,
                                         struct ci_deploy *out),
                            struct ci_deploy *out)
{
    bool found = false;
    struct ci_deploy d;
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (fill(it, s, &d) && (!found || d.finished > out->finished)) {
            *out = d;
            found = true;
        }
    }
    return found;
}
