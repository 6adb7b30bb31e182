/* GitHub Actions: REST payloads to pipeline rows, and the API's URLs and auth. */
#include "ci/github.h"

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

static enum job_status status_of(const cJSON *o, char *why, size_t whylen)
{
    const char *st = jstr(o, "status"), *con = jstr(o, "conclusion");
    int s = pipeline_status_github(st, con);
    if (s >= 0)
        return (enum job_status)s;
    if (why)
        snprintf(why, whylen, "unknown status '%.16s/%.16s'", st ? st : "", con ? con : "null");
    return st && strcmp(st, "completed") == 0 ? JOB_SUCCESS : JOB_PENDING;
}

/* "test (ubuntu, 3.11)" -> "test": matrix jobs share a stage. */
static void stage_of(const char *name, char *out, size_t n)
{
    str_copy(out, n, name ? name : ""); /* name is a redacted field already */
    char *paren = strstr(out, " (");
    if (paren && paren != out && out[strlen(out) - 1] == ')')
        *paren = 0;
}

static void current_step(const cJSON *job, char *out, size_t n)
{
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(job, "steps"), *st;
    const char *failed = NULL;
    cJSON_ArrayForEach(st, steps)
    {
        const char *status = jstr(st, "status"), *con = jstr(st, "conclusion");
        if (status && strcmp(status, "in_progress") == 0) {
            const char *name = jstr(st, "name");
            redact_field(out, n, name ? name : "", name ? strlen(name) : 0);
            return;
        }
        if (!failed && con &&
            (strcmp(con, "failure") == 0 || strcmp(con, "timed_out") == 0 ||
             strcmp(con, "cancelled") == 0))
            failed = jstr(st, "name");
    }
    redact_field(out, n, failed ? failed : "", failed ? strlen(failed) : 0);
}

static void fill_job(struct pipeline *p, struct job *jb, const cJSON *j)
{
    memset(jb, 0, sizeof(*jb));
    jb->id = jid(j);
    REDACT_COPY(jb->name, jstr(j, "name"));
    stage_of(jb->name, jb->stage, sizeof(jb->stage));
    pipeline_stage(p, jb->stage);
    jb->status = jb->ci_status = status_of(j, jb->failure_reason, sizeof(jb->failure_reason));
    const char *con = jstr(j, "conclusion");
    if (!jb->failure_reason[0] && con && strcmp(con, "success") != 0)
        REDACT_COPY(jb->failure_reason, con);
    jb->started = time_rfc3339_or_zero(jstr(j, "started_at"));
    jb->finished = time_rfc3339_or_zero(jstr(j, "completed_at"));
    current_step(j, jb->step, sizeof(jb->step));
    jb->is_deploy = pipeline_is_deploy(pipeline_settings(), jb->name, jb->stage, NULL);
}

/* Every job of every page counts for the stages; only the latest attempt
 * is asked for (filter=latest), so a re-run replaces the failed try. */
static int fill_jobs(struct pipeline *p, const cJSON *jobs)
{
    int cap = cJSON_GetArraySize(jobs), n = 0;
    struct job *all = calloc((size_t)cap + 1, sizeof(*all));
    if (!all)
        return -1;
    const cJSON *j;
    cJSON_ArrayForEach(j, jobs)
    {
        if (cJSON_IsObject(j) && jid(j))
            fill_job(p, &all[n++], j);
    }
    pipeline_set_jobs(p, all, n);
    free(all);
    return 0;
}

int github_apply_run(struct engine *e, const char *repo, const cJSON *run, const cJSON *jobs,
                     bool simulated, char *err, size_t errlen)
{
    if (!cJSON_IsObject(run) || !jid(run)) {
        snprintf(err, errlen, "a workflow run must be a JSON object with a numeric id");
        return -1;
    }
    if (cJSON_IsObject(jobs))
        jobs = cJSON_GetObjectItemCaseSensitive(jobs, "jobs");
    if (jobs && !cJSON_IsArray(jobs)) {
        snprintf(err, errlen, "run %lld: jobs must be a JSON array", (long long)jid(run));
        return -1;
    }
    pipeline_attach(e, NULL);
    struct pipeline p;
    memset(&p, 0, sizeof(p));
    p.id = jid(run);
    snprintf(p.key, sizeof(p.key), "github:%s:%lld", repo, (long long)p.id);
    STR_COPY(p.provider, "github");
    STR_COPY(p.project, repo);
    REDACT_COPY(p.ref, jstr(run, "head_branch"));
    STR_COPY(p.sha, jstr(run, "head_sha"));
    snprintf(p.version, sizeof(p.version), "%.8s", p.sha);
    p.status = status_of(run, NULL, 0);
    p.created = time_rfc3339_or_zero(jstr(run, "created_at"));
    p.updated = time_rfc3339_or_zero(jstr(run, "updated_at"));
    p.started = time_rfc3339_or_zero(jstr(run, "run_started_at"));
    if (!p.started)
        p.started = p.created;
    const char *st = jstr(run, "status");
    if (st && strcmp(st, "completed") == 0)
        p.finished = p.updated;
    REDACT_COPY(p.web_url, jstr(run, "html_url"));
    p.simulated = simulated;
    p.duration_s = NAN;
    if (fill_jobs(&p, jobs) < 0) {
        snprintf(err, errlen, "run %lld: out of memory", (long long)p.id);
        return -1;
    }
    /* The run's own times are coarse; completed jobs give the real span. */
    int64_t last = 0;
    for (int i = 0; i < p.nstages; i++)
        if (p.stages[i].finished > last)
            last = p.stages[i].finished;
    if (p.finished && last && last < p.finished)
        p.finished = last;
    if (p.finished && p.started && p.finished >= p.started)
        p.duration_s = (double)(p.finished - p.started) / 1000.0;
    for (int s = 0; s < p.nstages; s++)
        p.warning |= p.stages[s].warning && p.status == JOB_SUCCESS;
    pipeline_post(e, &p);
    return 0;
}

int github_apply_run_json(struct engine *e, const char *repo, const char *run_json,
                          const char *jobs_json, bool simulated, char *err, size_t errlen)
{
    cJSON *run = cJSON_Parse(run_json ? run_json : "");
    cJSON *jobs = jobs_json ? cJSON_Parse(jobs_json) : NULL;
    int rc = -1;
    if (!run)
        snprintf(err, errlen, "run: not valid JSON");
    else if (jobs_json && !jobs)
        snprintf(err, errlen, "jobs: not valid JSON");
    else
        rc = github_apply_run(e, repo, run, jobs, simulated, err, errlen);
    cJSON_Delete(run);
    cJSON_Delete(jobs);
    return rc;
}

/* ---- the API ---- */

static void auth_header(const char *token, char *out, size_t n)
{
    snprintf(out, n, "Authorization: Bearer %s", token);
}

static void list_url(const char *api, const char *repo, const char *ref, int per_page, char *out,
                     size_t n)
{
    char branch[200] = "";
    if (ref && *ref) {
        char r[180];
        ci_escape(ref, r, sizeof(r));
        snprintf(branch, sizeof(branch), "&branch=%s", r);
    }
    /* owner/repo stays a path: GitHub names are [A-Za-z0-9._-] */
    snprintf(out, n, "%s/repos/%s/actions/runs?per_page=%d%s", api, repo, per_page, branch);
}

static void jobs_url(const char *api, const char *repo, int64_t id, char *out, size_t n)
{
    snprintf(out, n, "%s/repos/%s/actions/runs/%lld/jobs?per_page=100&filter=latest", api, repo,
             (long long)id);
}

static const cJSON *runs_of(const cJSON *body)
{
    return cJSON_GetObjectItemCaseSensitive(body, "workflow_runs");
}

static const cJSON *jobs_of(const cJSON *body)
{
    return cJSON_GetObjectItemCaseSensitive(body, "jobs");
}

static int item_status(const cJSON *item)
{
    return pipeline_status_github(jstr(item, "status"), jstr(item, "conclusion"));
}

/* ---- deployments ---- */

/* Newest first (GitHub's order); preview environments crowd the list, so a
 * page of 50 rather than GitLab's 20. */
static void deploys_url(const char *api, const char *repo, char *out, size_t n)
{
    snprintf(out, n, "%s/repos/%s/deployments?per_page=50", api, repo);
}

static bool deploy_statuses_url(const char *api, const char *repo, const cJSON *d,
                                const struct pipeline_settings *s, char *out, size_t n)
{
    const char *env = jstr(d, "environment");
    if (!jid(d) || !env || !pipeline_is_deploy(s, NULL, NULL, env))
        return false;
    snprintf(out, n, "%s/repos/%s/deployments/%lld/statuses?per_page=1", api, repo,
             (long long)jid(d));
    return true;
}

/* The run a status points at (".../actions/runs/123/job/456"), else 0. */
static int64_t run_of(const char *url)
{
    const char *p = url ? strstr(url, "/actions/runs/") : NULL;
    return p ? strtoll(p + strlen("/actions/runs/"), NULL, 10) : 0;
}

/* "v2.4.1", "2.4.1": a release; a branch name or a sha says less than the sha. */
static bool looks_like_version(const char *ref)
{
    if (!ref)
        return false;
    ref += *ref == 'v';
    return *ref >= '0' && *ref <= '9' && strchr(ref, '.');
}

/* The latest status of a deployment is the first (newest first). success
 * and inactive (a success replaced by a newer deploy) are successes;
 * failure and error are failures; queued, pending, in_progress have not
 * happened yet. */
static bool fill_deploy(const cJSON *d, const struct pipeline_settings *s, struct ci_deploy *out)
{
    const char *env = jstr(d, "environment");
    const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "statuses"), 0);
    const char *state = jstr(st, "state");
    if (!env || !state || !pipeline_is_deploy(s, NULL, NULL, env))
        return false;
    bool ok = strcmp(state, "success") == 0 || strcmp(state, "inactive") == 0;
    if (!ok && strcmp(state, "failure") != 0 && strcmp(state, "error") != 0)
        return false;
    memset(out, 0, sizeof(*out));
    out->status = ok ? JOB_SUCCESS : JOB_FAILED;
    out->finished = time_rfc3339_or_zero(jstr(st, "created_at"));
    if (!out->finished)
        out->finished = time_rfc3339_or_zero(jstr(st, "updated_at"));
    REDACT_COPY(out->env, env);
    REDACT_COPY(out->job, jstr(d, "task")); /* the job's name is not in the payload */
    out->pipeline = run_of(jstr(st, "log_url"));
    if (!out->pipeline)
        out->pipeline = run_of(jstr(st, "target_url"));
    const char *ref = jstr(d, "ref"), *sha = jstr(d, "sha");
    if (looks_like_version(ref))
        REDACT_COPY(out->version, ref);
    else
        snprintf(out->version, sizeof(out->version), "%.8s", sha ? sha : "");
    return out->finished != 0;
}

/* Of the deployments whose statuses were read, the latest finish wins. */
static bool last_deploy(const cJSON *items, const struct pipeline_settings *s,
                        struct ci_deploy *out)
{
    return pipeline_latest_deploy(items, s, fill_deploy, out);
}

static const char *const extra_headers[] = {"Accept: application/vnd.github+json",
                                            "X-GitHub-Api-Version: 2022-11-28", NULL};

const struct ci_provider github_provider = {
    .kind = "github",
    .title = "GitHub",
    .token_env = "GITHUB_TOKEN",
    .default_url = "https://api.github.com",
    .api_suffix = "",
    .projects_key = "repos",
    .id_key = "repo",
    .ref_key = "branch",
    .check_config = github_check_config,
    .auth_header = auth_header,
    .extra_headers = extra_headers,
    .list_url = list_url,
    .jobs_url = jobs_url,
    .deploys_url = deploys_url,
    .deploy_statuses_url = deploy_statuses_url,
    .last_deploy = last_deploy,
    .list_items = runs_of,
    .jobs_items = jobs_of,
    .item_status = item_status,
    .apply = github_apply_run,
};
