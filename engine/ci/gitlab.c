/* GitLab CI: REST payloads to pipeline rows, and the API's URLs and auth. */
#include "ci/gitlab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/redact.h"
#include "ci/pipeline.h"
#include "base/json_num.h"
#include "base/timeparse.h"

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int64_t jid(const cJSON *o)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "id");
    return cJSON_IsNumber(v) ? num_to_i64(v->valuedouble) : 0;
}

/* "environment" is a name in some payloads and {name, action, ...} in others. */
static const char *job_environment(const cJSON *j)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(j, "environment");
    if (cJSON_IsString(env))
        return env->valuestring;
    return cJSON_IsObject(env) ? jstr(env, "name") : NULL;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = jid(*(const cJSON *const *)a), y = jid(*(const cJSON *const *)b);
    return x < y ? -1 : x > y;
}

/* Same stage and name together, newest last: a retry has a higher id. */
static int by_attempt(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int c = strcmp(jstr(x, "stage"), jstr(y, "stage"));
    if (!c)
        c = strcmp(jstr(x, "name"), jstr(y, "name"));
    return c ? c : by_id(a, b);
}

/* A bridge (trigger job) sits in its stage like any job, with the status
 * GitLab gives it (the child's, under strategy: depend); its row names the
 * child pipeline it started. One level: a child's own bridges are not read. */
static void child_pipeline(struct job *jb, const cJSON *down)
{
    if (!cJSON_IsObject(down))
        return;
    const char *st = jstr(down, "status");
    snprintf(jb->step, sizeof(jb->step), "child pipeline #%lld: %.20s", (long long)jid(down),
             pipeline_status_gitlab(st) >= 0 ? st : "unknown");
}

static void fill_job(struct job *jb, const cJSON *j)
{
    memset(jb, 0, sizeof(*jb));
    jb->id = jid(j);
    REDACT_COPY(jb->name, jstr(j, "name"));
    REDACT_COPY(jb->stage, jstr(j, "stage"));
    const char *st = jstr(j, "status");
    int status = pipeline_status_gitlab(st);
    if (status < 0) {
        status = JOB_CREATED;
        snprintf(jb->failure_reason, sizeof(jb->failure_reason), "unknown status '%.20s'",
                 st ? st : "");
    } else {
        REDACT_COPY(jb->failure_reason, jstr(j, "failure_reason"));
    }
    jb->status = jb->ci_status = (enum job_status)status;
    jb->allow_failure = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "allow_failure"));
    REDACT_COPY(jb->environment, job_environment(j));
    jb->started = time_rfc3339_or_zero(jstr(j, "started_at"));
    jb->finished = time_rfc3339_or_zero(jstr(j, "finished_at"));
    jb->is_deploy = pipeline_is_deploy(pipeline_settings(), jb->name, jb->stage, jb->environment);
    child_pipeline(jb, cJSON_GetObjectItemCaseSensitive(j, "downstream_pipeline"));
}

static int by_job_id(const void *a, const void *b)
{
    int64_t x = ((const struct job *)a)->id, y = ((const struct job *)b)->id;
    return x < y ? -1 : x > y;
}

/* Stages in the order GitLab created their jobs (ascending job id, retried
 * jobs included), which is the order of `stages:` in .gitlab-ci.yml. Of a
 * retried job only the newest attempt counts. */
static void fill_jobs(struct pipeline *p, const cJSON *jobs)
{
    int cap = cJSON_GetArraySize(jobs);
    const cJSON **v = calloc((size_t)cap + 1, sizeof(*v));
    struct job *all = calloc((size_t)cap + 1, sizeof(*all));
    if (!v || !all) {
        free(v);
        free(all);
        p->jobs_dropped = cap;
        return;
    }
    int n = 0, kept = 0;
    const cJSON *j;
    cJSON_ArrayForEach(j, jobs)
    {
        if (cJSON_IsObject(j) && jid(j) && jstr(j, "stage") && jstr(j, "name"))
            v[n++] = j;
    }
    qsort(v, (size_t)n, sizeof(*v), by_id);
    for (int i = 0; i < n; i++)
        pipeline_stage(p, jstr(v[i], "stage"));
    qsort(v, (size_t)n, sizeof(*v), by_attempt);
    for (int i = 0; i < n; i++) {
        bool retried = i + 1 < n && strcmp(jstr(v[i], "stage"), jstr(v[i + 1], "stage")) == 0 &&
                       strcmp(jstr(v[i], "name"), jstr(v[i + 1], "name")) == 0;
        if (!retried)
            fill_job(&all[kept++], v[i]);
    }
    qsort(all, (size_t)kept, sizeof(*all), by_job_id);
    pipeline_set_jobs(p, all, kept);
    free(v);
    free(all);
}

static void derive_times(struct pipeline *p, const cJSON *pl)
{
    p->started = time_rfc3339_or_zero(jstr(pl, "started_at"));
    p->finished = time_rfc3339_or_zero(jstr(pl, "finished_at"));
    bool done =
        !job_status_active(p->status) && p->status != JOB_MANUAL && p->status != JOB_SCHEDULED;
    for (int i = 0; i < p->nstages; i++) { /* stages span every job, kept or not */
        const struct stage *j = &p->stages[i];
        if (j->started && (!p->started || j->started < p->started) &&
            !time_rfc3339_or_zero(jstr(pl, "started_at")))
            p->started = j->started;
        if (done && j->finished > p->finished && !time_rfc3339_or_zero(jstr(pl, "finished_at")))
            p->finished = j->finished;
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(pl, "duration");
    if (cJSON_IsNumber(d))
        p->duration_s = d->valuedouble;
    else if (p->started && p->finished >= p->started)
        p->duration_s = (double)(p->finished - p->started) / 1000.0;
}

int gitlab_apply_pipeline(struct engine *e, const char *project, const cJSON *pl, const cJSON *jobs,
                          bool simulated, char *err, size_t errlen)
{
    if (!cJSON_IsObject(pl) || !jid(pl)) {
        snprintf(err, errlen, "a pipeline must be a JSON object with a numeric id");
        return -1;
    }
    if (jobs && !cJSON_IsArray(jobs)) {
        snprintf(err, errlen, "pipeline %lld: jobs must be a JSON array", (long long)jid(pl));
        return -1;
    }
    pipeline_attach(e, NULL);
    struct pipeline p;
    memset(&p, 0, sizeof(p));
    p.id = jid(pl);
    snprintf(p.key, sizeof(p.key), "gitlab:%s:%lld", project, (long long)p.id);
    STR_COPY(p.provider, "gitlab");
    STR_COPY(p.project, project);
    REDACT_COPY(p.ref, jstr(pl, "ref"));
    STR_COPY(p.sha, jstr(pl, "sha"));
    int status = pipeline_status_gitlab(jstr(pl, "status"));
    p.status = status < 0 ? JOB_CREATED : (enum job_status)status;
    p.created = time_rfc3339_or_zero(jstr(pl, "created_at"));
    p.updated = time_rfc3339_or_zero(jstr(pl, "updated_at"));
    REDACT_COPY(p.web_url, jstr(pl, "web_url"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pl, "tag")))
        STR_COPY(p.version, p.ref);
    else
        snprintf(p.version, sizeof(p.version), "%.8s", p.sha);
    p.duration_s = NAN;
    p.simulated = simulated;
    if (jobs)
        fill_jobs(&p, jobs);
    derive_times(&p, pl);
    for (int s = 0; s < p.nstages; s++)
        p.warning |= p.stages[s].warning && p.status == JOB_SUCCESS;
    pipeline_post(e, &p);
    return 0;
}

int gitlab_apply_pipeline_json(struct engine *e, const char *project, const char *pipeline_json,
                               const char *jobs_json, bool simulated, char *err, size_t errlen)
{
    cJSON *pl = cJSON_Parse(pipeline_json ? pipeline_json : "");
    cJSON *jobs = jobs_json ? cJSON_Parse(jobs_json) : NULL;
    int rc = -1;
    if (!pl)
        snprintf(err, errlen, "pipeline: not valid JSON");
    else if (jobs_json && !jobs)
        snprintf(err, errlen, "jobs: not valid JSON");
    else
        rc = gitlab_apply_pipeline(e, project, pl, jobs, simulated, err, errlen);
    cJSON_Delete(pl);
    cJSON_Delete(jobs);
    return rc;
}

/* ---- the API ---- */

static void auth_header(const char *token, char *out, size_t n)
{
    snprintf(out, n, "PRIVATE-TOKEN: %s", token);
}

static void list_url(const char *api, const char *project, const char *ref, int per_page, char *out,
                     size_t n)
{
    char enc[300], eref[200] = "";
    ci_escape(project, enc, sizeof(enc));
    if (ref && *ref) {
        char r[180];
        ci_escape(ref, r, sizeof(r));
        snprintf(eref, sizeof(eref), "&ref=%s", r);
    }
    snprintf(out, n, "%s/projects/%s/pipelines?per_page=%d&order_by=id&sort=desc%s", api, enc,
             per_page, eref);
}

static void detail_url(const char *api, const char *project, int64_t id, char *out, size_t n)
{
    char enc[300];
    ci_escape(project, enc, sizeof(enc));
    snprintf(out, n, "%s/projects/%s/pipelines/%lld", api, enc, (long long)id);
}

static void jobs_url(const char *api, const char *project, int64_t id, char *out, size_t n)
{
    char enc[300];
    ci_escape(project, enc, sizeof(enc));
    snprintf(out, n, "%s/projects/%s/pipelines/%lld/jobs?per_page=100&include_retried=true", api,
             enc, (long long)id);
}

static void bridges_url(const char *api, const char *project, int64_t id, char *out, size_t n)
{
    char enc[300];
    ci_escape(project, enc, sizeof(enc));
    snprintf(out, n, "%s/projects/%s/pipelines/%lld/bridges?per_page=100", api, enc, (long long)id);
}

static void deploys_url(const char *api, const char *project, char *out, size_t n)
{
    char enc[300];
    ci_escape(project, enc, sizeof(enc));
    snprintf(out, n, "%s/projects/%s/deployments?order_by=updated_at&sort=desc&per_page=20", api,
             enc);
}

static bool fill_deploy(const cJSON *d, const struct pipeline_settings *s, struct ci_deploy *out)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(d, "environment");
    const char *name = cJSON_IsObject(env) ? jstr(env, "name") : jstr(d, "environment");
    const char *st = jstr(d, "status");
    if (!name || !st || !pipeline_is_deploy(s, NULL, NULL, name))
        return false;
    int status = pipeline_status_gitlab(st);
    if (status != JOB_SUCCESS && status != JOB_FAILED)
        return false; /* still running, or never ran: not a deploy that happened */
    memset(out, 0, sizeof(*out));
    out->status = (enum job_status)status;
    out->finished = time_rfc3339_or_zero(jstr(d, "finished_at"));
    if (!out->finished)
        out->finished = time_rfc3339_or_zero(jstr(d, "updated_at"));
    REDACT_COPY(out->env, name);
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(d, "deployable");
    REDACT_COPY(out->job, jstr(job, "name"));
    out->pipeline = jid(cJSON_GetObjectItemCaseSensitive(job, "pipeline"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(job, "tag")))
        REDACT_COPY(out->version, jstr(d, "ref"));
    else
        snprintf(out->version, sizeof(out->version), "%.8s", jstr(d, "sha") ? jstr(d, "sha") : "");
    return out->finished != 0;
}

/* The list is newest first (order_by=updated_at, sort=desc), but a late
 * update of an old deploy can come first: the latest finish wins. */
static bool last_deploy(const cJSON *items, const struct pipeline_settings *s,
                        struct ci_deploy *out)
{
    return pipeline_latest_deploy(items, s, fill_deploy, out);
}

static const cJSON *same(const cJSON *body)
{
    return body;
}

static int item_status(const cJSON *item)
{
    return pipeline_status_gitlab(jstr(item, "status"));
}

const struct ci_provider gitlab_provider = {
    .kind = "gitlab",
    .title = "GitLab",
    .token_env = "GITLAB_TOKEN",
    .default_url = "https://gitlab.com",
    .api_suffix = "/api/v4",
    .projects_key = "projects",
    .id_key = "id",
    .ref_key = "ref",
    .check_config = gitlab_check_config,
    .auth_header = auth_header,
    .extra_headers = NULL,
    .list_url = list_url,
    .detail_url = detail_url,
    .jobs_url = jobs_url,
    .bridges_url = bridges_url,
    .deploys_url = deploys_url,
    .deploys_items = same,
    .last_deploy = last_deploy,
    .list_items = same,
    .jobs_items = same,
    .item_status = item_status,
    .apply = gitlab_apply_pipeline,
};
