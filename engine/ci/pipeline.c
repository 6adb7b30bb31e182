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

/* A stage's status from the counts of its jobs' statuses, close to GitLab's
 * composite status: anything moving wins, then blocked, failed, canceled. */
static enum job_status composite(const int *n, int total, bool *warning)
{
    int done = n[JOB_SUCCESS] + n[JOB_FAILED] + n[JOB_CANCELED] + n[JOB_SKIPPED];
    *warning = false;
    if (total == 0)
        return JOB_CREATED;
    if (n[JOB_RUNNING] || n[JOB_PREPARING])
        return JOB_RUNNING;
    if (n[JOB_BLOCKED])
        return JOB_BLOCKED;
    if (n[JOB_PENDING] || n[JOB_WAITING])
        return done ? JOB_RUNNING : n[JOB_PENDING] ? JOB_PENDING : JOB_WAITING;
    if (n[JOB_CREATED])
        return done ? JOB_RUNNING : JOB_CREATED;
    if (n[JOB_FAILED])
        return JOB_FAILED;
    if (n[JOB_CANCELED])
        return JOB_CANCELED;
    if (n[JOB_MANUAL] && !n[JOB_SUCCESS])
        return JOB_MANUAL;
    if (n[JOB_SCHEDULED] && !n[JOB_SUCCESS])
        return JOB_SCHEDULED;
    if (n[JOB_SUCCESS])
        return JOB_SUCCESS;
    return JOB_SKIPPED;
}

void pipeline_rollup_stages(struct pipeline *p)
{
    for (int s = 0; s < p->nstages; s++) {
        struct stage *st = &p->stages[s];
        int n[JOB_BLOCKED + 1] = {0}, total = 0, allowed_failures = 0;
        bool finished = true;
        st->started = st->finished = 0;
        for (int j = 0; j < p->njobs; j++) {
            const struct job *jb = &p->jobs[j];
            if (strcmp(jb->stage, st->name) != 0)
                continue;
            enum job_status js = jb->status;
            if (js == JOB_FAILED && jb->allow_failure) {
                js = JOB_SUCCESS; /* a warning, not a failure */
                allowed_failures++;
            }
            n[js]++;
            total++;
            if (jb->started && (!st->started || jb->started < st->started))
                st->started = jb->started;
            if (jb->finished > st->finished)
                st->finished = jb->finished;
            if (!jb->finished)
                finished = false;
        }
        st->status = composite(n, total, &st->warning);
        st->warning = allowed_failures > 0 && st->status == JOB_SUCCESS;
        if (!finished || total == 0)
            st->finished = 0;
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
