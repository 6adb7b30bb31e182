/* Pipelines: status mapping, parsing (GitLab docs and GitHub recorded
 * fixtures), stage order, allow_failure, derived figures, the gate, config. */
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "base/buf.h"
#include "core/config.h"
#include "core/engine.h"
#include "ci/github.h"
#include "ci/gitlab.h"
#include "ci/pipeline.h"
#include "ci/poll.h"
#include "test.h"
#include "base/timeparse.h"

static char *fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "tests/fixtures/ci/%s", name);
    char *text = read_file(path, 1 << 24, NULL);
    if (!text)
        fprintf(stderr, "  missing fixture %s\n", path);
    return text;
}

static const struct pipeline *get_pipeline(struct engine *e, const char *key)
{
    return engine_get(e, T_PIPELINES, key);
}

static const struct job *find_job(const struct pipeline *p, const char *name)
{
    for (int i = 0; p && i < p->njobs; i++)
        if (strcmp(p->jobs[i].name, name) == 0)
            return &p->jobs[i];
    return NULL;
}

TEST(gitlab_status_every_value)
{
    static const struct {
        const char *s;
        enum job_status want;
    } cases[] = {
        {"created", JOB_CREATED},     {"pending", JOB_PENDING},
        {"running", JOB_RUNNING},     {"success", JOB_SUCCESS},
        {"failed", JOB_FAILED},       {"canceled", JOB_CANCELED},
        {"skipped", JOB_SKIPPED},     {"manual", JOB_MANUAL},
        {"scheduled", JOB_SCHEDULED}, {"waiting_for_resource", JOB_WAITING},
        {"preparing", JOB_PREPARING},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(pipeline_status_gitlab(cases[i].s) == (int)cases[i].want);
        /* and the name the snapshot uses is GitLab's own */
        CHECK_STR(job_status_names[cases[i].want], cases[i].s);
    }
    CHECK(pipeline_status_gitlab("bogus") == -1);
    CHECK(pipeline_status_gitlab(NULL) == -1);
}

TEST(github_status_and_conclusion)
{
    CHECK(pipeline_status_github("queued", NULL) == JOB_PENDING);
    CHECK(pipeline_status_github("pending", NULL) == JOB_PENDING);
    CHECK(pipeline_status_github("requested", NULL) == JOB_CREATED);
    CHECK(pipeline_status_github("waiting", NULL) == JOB_WAITING);
    CHECK(pipeline_status_github("in_progress", NULL) == JOB_RUNNING);
    CHECK(pipeline_status_github("completed", "success") == JOB_SUCCESS);
    CHECK(pipeline_status_github("completed", "neutral") == JOB_SUCCESS);
    CHECK(pipeline_status_github("completed", "failure") == JOB_FAILED);
    CHECK(pipeline_status_github("completed", "timed_out") == JOB_FAILED);
    CHECK(pipeline_status_github("completed", "startup_failure") == JOB_FAILED);
    CHECK(pipeline_status_github("completed", "cancelled") == JOB_CANCELED);
    CHECK(pipeline_status_github("completed", "stale") == JOB_CANCELED);
    CHECK(pipeline_status_github("completed", "skipped") == JOB_SKIPPED);
    CHECK(pipeline_status_github("completed", "action_required") == JOB_MANUAL);
    CHECK(pipeline_status_github("completed", NULL) == -1);
    CHECK(pipeline_status_github("bogus", NULL) == -1);
}

TEST(gitlab_docs_fixtures_parse)
{
    struct engine e;
    engine_init(&e);
    char *pl = fixture("gitlab-pipeline-get.docs.json");
    char *jobs = fixture("gitlab-pipeline-jobs-list.docs.json");
    char err[256] = "";
    CHECK(gitlab_apply_pipeline_json(&e, "test-group/test-project", pl, jobs, false, err,
                                     sizeof(err)) == 0);
    const struct pipeline *p = get_pipeline(&e, "gitlab:test-group/test-project:287");
    CHECK(p != NULL);
    if (p) {
        CHECK(p->status == JOB_SUCCESS);
        CHECK_STR(p->ref, "main");
        CHECK_NEAR(p->duration_s, 34, 1e-9);
        CHECK(p->started == 1663722314197LL);
        CHECK(p->nstages == 1);
        CHECK_STR(p->stages[0].name, "test");
        CHECK(p->njobs == 2);
        CHECK(p->stages[0].status == JOB_FAILED);
        const struct job *j = find_job(p, "rspec:other");
        CHECK(j && j->status == JOB_FAILED);
        CHECK(j && strcmp(j->failure_reason, "stuck_or_timeout_failure") == 0);
        CHECK(j && j->started == time_rfc3339_or_zero("2015-12-24T17:54:24.729Z"));
    }
    free(pl);
    free(jobs);
    /* bad input: a clear message, nothing posted */
    CHECK(gitlab_apply_pipeline_json(&e, "x", "{not json", NULL, false, err, sizeof(err)) < 0);
    CHECK(strstr(err, "not valid JSON") != NULL);
    CHECK(gitlab_apply_pipeline_json(&e, "x", "{\"id\":\"a\"}", "[]", false, err, sizeof(err)) < 0);
    CHECK(gitlab_apply_pipeline_json(&e, "x", "{\"id\":5}", "{}", false, err, sizeof(err)) < 0);
    CHECK(e.tables[T_PIPELINES].count == 1);
    engine_free(&e);
}

/* A job object as GitLab's "List pipeline jobs" shows it. */
static void add_job(cJSON *arr, int id, const char *name, const char *stage, const char *status,
                    bool allow_failure, const char *env, const char *finished)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", id);
    cJSON_AddStringToObject(j, "name", name);
    cJSON_AddStringToObject(j, "stage", stage);
    cJSON_AddStringToObject(j, "status", status);
    cJSON_AddBoolToObject(j, "allow_failure", allow_failure);
    cJSON_AddStringToObject(j, "started_at", "2026-03-02T14:00:00.000Z");
    if (finished)
        cJSON_AddStringToObject(j, "finished_at", finished);
    else
        cJSON_AddNullToObject(j, "finished_at");
    if (env) {
        cJSON *o = cJSON_AddObjectToObject(j, "environment");
        cJSON_AddStringToObject(o, "name", env);
    }
    cJSON_AddItemToArray(arr, j);
}

static int post(struct engine *e, int id, const char *status, cJSON *jobs, double duration,
                const char *created, bool tag, const char *ref)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "id", id);
    cJSON_AddStringToObject(p, "status", status);
    cJSON_AddStringToObject(p, "ref", ref ? ref : "main");
    cJSON_AddStringToObject(p, "sha", "a91957a858320c0e17f3a0eca7cfacbff50ea29a");
    cJSON_AddBoolToObject(p, "tag", tag);
    cJSON_AddStringToObject(p, "created_at", created ? created : "2026-03-02T13:00:00Z");
    cJSON_AddStringToObject(p, "updated_at", "2026-03-02T14:00:00Z");
    if (duration >= 0)
        cJSON_AddNumberToObject(p, "duration", duration);
    char err[256];
    int rc = gitlab_apply_pipeline(e, "shop/checkout", p, jobs, false, err, sizeof(err));
    cJSON_Delete(p);
    cJSON_Delete(jobs);
    return rc;
}

TEST(gitlab_stage_order_and_retried_jobs)
{
    struct engine e;
    engine_init(&e);
    cJSON *jobs = cJSON_CreateArray();
    /* newest first, as the API answers; job 3 was retried as job 12 */
    add_job(jobs, 12, "compile", "build", "success", false, NULL, "2026-03-02T14:02:00Z");
    add_job(jobs, 9, "gc", "cleanup", "created", false, NULL, NULL);
    add_job(jobs, 8, "ai-review", "ai-check", "created", true, NULL, NULL);
    add_job(jobs, 7, "ebpf-probe", "experiment-ebpf", "created", true, NULL, NULL);
    add_job(jobs, 6, "deploy-prod", "deploy", "manual", false, "production", NULL);
    add_job(jobs, 5, "integration", "test", "running", false, NULL, NULL);
    add_job(jobs, 4, "unit", "test", "success", false, NULL, "2026-03-02T14:03:00Z");
    add_job(jobs, 3, "compile", "build", "failed", false, NULL, "2026-03-02T14:01:00Z");
    add_job(jobs, 1, "lint", "check", "success", false, NULL, "2026-03-02T14:00:30Z");
    CHECK(post(&e, 104, "running", jobs, -1, NULL, false, NULL) == 0);
    const struct pipeline *p = get_pipeline(&e, "gitlab:shop/checkout:104");
    CHECK(p != NULL);
    if (!p) {
        engine_free(&e);
        return;
    }
    const char *want[] = {"check",           "build",    "test",   "deploy",
                          "experiment-ebpf", "ai-check", "cleanup"};
    CHECK(p->nstages == 7);
    for (int i = 0; i < 7 && i < p->nstages; i++)
        CHECK_STR(p->stages[i].name, want[i]);
    CHECK(p->njobs == 8); /* the retried compile is gone */
    const struct job *c = find_job(p, "compile");
    CHECK(c && c->id == 12 && c->status == JOB_SUCCESS);
    CHECK(p->stages[1].status == JOB_SUCCESS);
    CHECK(p->stages[2].status == JOB_RUNNING);
    CHECK(p->stages[3].status == JOB_MANUAL);
    CHECK(find_job(p, "deploy-prod")->is_deploy);
    CHECK(!find_job(p, "unit")->is_deploy);
    const struct ci_project *cp = engine_get(&e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(cp && strcmp(cp->running_stage, "test") == 0);
    CHECK(cp && cp->active == 1);
    engine_free(&e);
}

TEST(caps_count_what_is_dropped)
{
    struct engine e;
    engine_init(&e);
    cJSON *jobs = cJSON_CreateArray();
    for (int i = 0; i < 42; i++) {
        char name[16], stage[16];
        snprintf(name, sizeof(name), "j%d", i);
        snprintf(stage, sizeof(stage), "s%02d", i / 3); /* 14 stages of 3 jobs */
        add_job(jobs, 100 + i, name, stage, "success", false, NULL, "2026-03-02T14:00:30Z");
    }
    CHECK(post(&e, 5, "success", jobs, 60, NULL, false, NULL) == 0);
    const struct pipeline *p = get_pipeline(&e, "gitlab:shop/checkout:5");
    CHECK(p && p->nstages == PIPE_STAGES && p->njobs == PIPE_JOBS);
    CHECK(p && p->jobs_dropped == 42 - PIPE_JOBS);
    CHECK(p && strcmp(p->stages[0].name, "s00") == 0 && strcmp(p->stages[11].name, "s11") == 0);
    engine_free(&e);
}

/* Stage state over every job, not the kept rows: the one failed shard of 60
 * comes last and past the cap, and still fails the stage and keeps a row. */
TEST(stage_states_count_every_job_by_gitlab_rules)
{
    struct engine e;
    engine_init(&e);
    cJSON *jobs = cJSON_CreateArray();
    for (int i = 0; i < 60; i++) {
        char name[24];
        snprintf(name, sizeof(name), "shard %d", i);
        add_job(jobs, 100 + i, name, "test", i == 59 ? "failed" : "success", false, NULL,
                "2026-03-02T14:00:30Z");
    }
    add_job(jobs, 200, "deploy-prod", "deploy", "skipped", false, NULL, NULL);
    add_job(jobs, 201, "notify", "notify", "manual", true, NULL, NULL); /* optional */
    add_job(jobs, 202, "undo", "rollback", "canceled", false, NULL, NULL);
    add_job(jobs, 203, "undo-ok", "rollback", "success", false, NULL, "2026-03-02T14:00:30Z");
    add_job(jobs, 204, "later", "cleanup", "created", false, NULL, NULL);
    add_job(jobs, 205, "done", "cleanup", "success", false, NULL, "2026-03-02T14:00:30Z");
    add_job(jobs, 206, "sweep", "cleanup", "failed", false, NULL, "2026-03-02T14:00:30Z");
    CHECK(post(&e, 11, "failed", jobs, 60, NULL, false, NULL) == 0);
    const struct pipeline *p = get_pipeline(&e, "gitlab:shop/checkout:11");
    CHECK(p && p->nstages == 5 && p->njobs == PIPE_JOBS && p->jobs_dropped == 67 - PIPE_JOBS);
    if (!p || p->nstages != 5) {
        engine_free(&e);
        return;
    }
    CHECK(p->stages[0].status == JOB_FAILED && p->stages[0].jobs == 60);
    CHECK(p->stages[1].status == JOB_SKIPPED);
    CHECK(p->stages[2].status == JOB_MANUAL);   /* only optional manual jobs */
    CHECK(p->stages[3].status == JOB_CANCELED); /* canceled beside success */
    CHECK(p->stages[4].status == JOB_RUNNING);  /* created beside done: on its way */
    const struct job *f = find_job(p, "shard 59");
    CHECK(f && f->status == JOB_FAILED);
    engine_free(&e);
}

TEST(allow_failure_is_a_warning)
{
    struct engine e;
    engine_init(&e);
    cJSON *jobs = cJSON_CreateArray();
    add_job(jobs, 2, "ebpf-probe", "experiment-ebpf", "failed", true, NULL, "2026-03-02T14:01:00Z");
    add_job(jobs, 1, "unit", "test", "success", false, NULL, "2026-03-02T14:00:30Z");
    CHECK(post(&e, 7, "success", jobs, 60, NULL, false, NULL) == 0);
    const struct pipeline *p = get_pipeline(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->stages[1].status == JOB_SUCCESS && p->stages[1].warning);
    CHECK(p && !p->stages[0].warning);
    CHECK(p && p->warning && p->status == JOB_SUCCESS);
    CHECK(p && find_job(p, "ebpf-probe")->status == JOB_FAILED); /* the job says what happened */
    /* the same failure without allow_failure fails the stage */
    jobs = cJSON_CreateArray();
    add_job(jobs, 2, "ebpf-probe", "experiment-ebpf", "failed", false, NULL,
            "2026-03-02T14:01:00Z");
    CHECK(post(&e, 8, "failed", jobs, 60, NULL, false, NULL) == 0);
    p = get_pipeline(&e, "gitlab:shop/checkout:8");
    CHECK(p && p->stages[0].status == JOB_FAILED && !p->warning);
    engine_free(&e);
}

TEST(failure_ratio_median_and_last_deploy)
{
    struct engine e;
    engine_init(&e);
    struct {
        int id;
        const char *status;
        double duration;
        const char *created;
    } runs[] = {
        {1, "success", 100, "2026-03-02T10:00:00Z"}, {2, "failed", 50, "2026-03-02T11:00:00Z"},
        {3, "success", 300, "2026-03-02T12:00:00Z"}, {4, "canceled", 5, "2026-03-02T12:30:00Z"},
        {5, "failed", 400, "2026-03-02T13:00:00Z"},  {6, "success", 200, "2026-03-02T14:00:00Z"},
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        cJSON *jobs = cJSON_CreateArray();
        if (runs[i].id == 3) { /* the production deploy */
            add_job(jobs, 31, "deploy-prod", "deploy", "success", false, "production",
                    "2026-03-02T12:20:00.000Z");
        }
        if (runs[i].id == 6) /* a later deploy, but to staging: not production */
            add_job(jobs, 61, "deploy-staging", "deploy", "success", false, "staging",
                    "2026-03-02T14:20:00.000Z");
        CHECK(post(&e, runs[i].id, runs[i].status, jobs, runs[i].duration, runs[i].created,
                   runs[i].id == 3, runs[i].id == 3 ? "v2.4.1" : NULL) == 0);
    }
    const struct ci_project *c = engine_get(&e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(c != NULL);
    if (c) {
        CHECK(c->window == 5); /* canceled is not counted */
        CHECK(c->failures == 2);
        CHECK_NEAR(c->failure_ratio, 0.4, 1e-12);
        CHECK_NEAR(c->median_duration_s, 200, 1e-12);
        CHECK(c->last_deploy == time_rfc3339_or_zero("2026-03-02T12:20:00Z"));
        CHECK(c->last_deploy_pipeline == 3);
        CHECK_STR(c->last_deploy_version, "v2.4.1");
        CHECK_STR(c->last_deploy_env, "production");
        CHECK(c->last_deploy_status == JOB_SUCCESS);
    }
    /* last N: with last=2 only the two newest judged runs count (6 success, 5 failed) */
    struct pipeline_settings s;
    pipeline_settings_default(&s);
    s.last_n = 2;
    pipeline_attach(&e, &s);
    pipeline_update_stats(&e, "gitlab", "shop/checkout");
    c = engine_get(&e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(c && c->window == 2 && fabs(c->failure_ratio - 0.5) < 1e-12);
    CHECK(c && fabs(c->median_duration_s - 300) < 1e-12);
    pipeline_settings_default(&s);
    pipeline_attach(&e, &s);
    engine_free(&e);
}

TEST(deploy_recognition_configurable)
{
    struct pipeline_settings s;
    pipeline_settings_default(&s);
    CHECK(pipeline_is_deploy(&s, "anything", "build", "production"));
    CHECK(!pipeline_is_deploy(&s, "deploy-prod", "deploy", "staging")); /* environment wins */
    CHECK(pipeline_is_deploy(&s, "ship", "deploy", NULL));
    CHECK(pipeline_is_deploy(&s, "deploy-prod-eu", "release", ""));
    CHECK(!pipeline_is_deploy(&s, "unit", "test", NULL));
    char err[256];
    const char *yaml = "pipelines:\n  deploy_environments: [live]\n"
                       "  deploy_stages: [ship*]\n  deploy_jobs: []\n";
    struct ynode *doc = ytree_load_string(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
    CHECK(doc != NULL);
    CHECK(pipeline_settings_load(&s, ymap_get(ytree_root(doc), "pipelines"), err, sizeof(err)) ==
          0);
    CHECK(pipeline_is_deploy(&s, "x", "y", "live"));
    CHECK(!pipeline_is_deploy(&s, "x", "y", "production"));
    CHECK(pipeline_is_deploy(&s, "x", "ship-it", NULL));
    CHECK(!pipeline_is_deploy(&s, "deploy-prod", "deploy", NULL));
    ytree_free(doc);
}

static void set_gate(struct engine *e, bool open, const char *reason)
{
    struct summary s = *(struct summary *)engine_get(e, T_SUMMARY, "summary");
    s.gate = open ? GATE_STATE_OPEN : GATE_STATE_CLOSED;
    s.gate_open = open;
    STR_COPY(s.gate_reason, reason);
    engine_upsert(e, T_SUMMARY, &s);
}

TEST(gate_closed_blocks_pending_deploys)
{
    struct engine e;
    engine_init(&e);
    cJSON *jobs = cJSON_CreateArray();
    add_job(jobs, 2, "deploy-prod", "deploy", "manual", false, "production", NULL);
    add_job(jobs, 1, "unit", "test", "success", false, NULL, "2026-03-02T14:00:30Z");
    CHECK(post(&e, 9, "manual", jobs, -1, NULL, false, NULL) == 0);
    /* a finished pipeline's deploy is history, not blocked */
    jobs = cJSON_CreateArray();
    add_job(jobs, 3, "deploy-prod", "deploy", "success", false, "production",
            "2026-03-02T13:00:00Z");
    CHECK(post(&e, 8, "success", jobs, 30, NULL, false, NULL) == 0);
    const struct pipeline *p = get_pipeline(&e, "gitlab:shop/checkout:9");
    CHECK(p && !p->gate_blocked && p->stages[1].status == JOB_MANUAL);
    set_gate(&e, false, "checkout-availability: error budget exhausted (-12%)");
    p = get_pipeline(&e, "gitlab:shop/checkout:9");
    CHECK(p && p->gate_blocked);
    CHECK(p && strstr(p->gate_reason, "budget exhausted") != NULL);
    CHECK(p && find_job(p, "deploy-prod")->status == JOB_BLOCKED);
    CHECK(p && find_job(p, "deploy-prod")->ci_status == JOB_MANUAL);
    CHECK(p && p->stages[1].status == JOB_BLOCKED);
    CHECK(p && p->stages[0].status == JOB_SUCCESS);
    CHECK_STR(job_status_names[JOB_BLOCKED], "blocked_by_gate");
    const struct pipeline *old = get_pipeline(&e, "gitlab:shop/checkout:8");
    CHECK(old && !old->gate_blocked && find_job(old, "deploy-prod")->status == JOB_SUCCESS);
    const struct ci_project *c = engine_get(&e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(c && c->gate_blocked == 1);
    /* a new poll while closed stays blocked; reopening restores the CI's status */
    jobs = cJSON_CreateArray();
    add_job(jobs, 2, "deploy-prod", "deploy", "manual", false, "production", NULL);
    add_job(jobs, 1, "unit", "test", "success", false, NULL, "2026-03-02T14:00:30Z");
    CHECK(post(&e, 9, "manual", jobs, -1, NULL, false, NULL) == 0);
    p = get_pipeline(&e, "gitlab:shop/checkout:9");
    CHECK(p && p->gate_blocked);
    set_gate(&e, true, "");
    p = get_pipeline(&e, "gitlab:shop/checkout:9");
    CHECK(p && !p->gate_blocked && p->gate_reason[0] == 0);
    CHECK(p && find_job(p, "deploy-prod")->status == JOB_MANUAL);
    c = engine_get(&e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(c && c->gate_blocked == 0);
    engine_free(&e);
}

TEST(github_recorded_fixtures_parse)
{
    struct engine e;
    engine_init(&e);
    char *run = fixture("github-run-get-completed-success.body.json");
    char *jobs = fixture("github-run-jobs-completed-with-steps.body.json");
    char err[256] = "";
    CHECK(github_apply_run_json(&e, "PyGithub/PyGithub", run, jobs, false, err, sizeof(err)) == 0);
    const struct pipeline *p = get_pipeline(&e, "github:PyGithub/PyGithub:3881497935");
    CHECK(p != NULL);
    if (p) {
        CHECK(p->status == JOB_SUCCESS);
        CHECK_STR(p->ref, "feat/workflow-run");
        CHECK(p->njobs == 5);
        CHECK(p->nstages == 1); /* the matrix shares one stage */
        CHECK_STR(p->stages[0].name, "test");
        CHECK_STR(p->jobs[0].name, "test (Python 3.7)");
        CHECK(p->stages[0].status == JOB_SUCCESS);
        CHECK(p->duration_s > 0);
    }
    /* a failing step: GitHub recorded none, so we fail one (see SOURCES.md) */
    cJSON *doc = cJSON_Parse(jobs);
    cJSON *j1 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "jobs"), 1);
    cJSON_ReplaceItemInObject(j1, "conclusion", cJSON_CreateString("failure"));
    cJSON *step = cJSON_GetArrayItem(cJSON_GetObjectItem(j1, "steps"), 4);
    cJSON_ReplaceItemInObject(step, "conclusion", cJSON_CreateString("failure"));
    char *failed = cJSON_PrintUnformatted(doc);
    cJSON *r = cJSON_Parse(run);
    cJSON_ReplaceItemInObject(r, "conclusion", cJSON_CreateString("failure"));
    char *rtext = cJSON_PrintUnformatted(r);
    CHECK(github_apply_run_json(&e, "o/r", rtext, failed, false, err, sizeof(err)) == 0);
    p = get_pipeline(&e, "github:o/r:3881497935");
    CHECK(p && p->status == JOB_FAILED && p->stages[0].status == JOB_FAILED);
    CHECK(p && p->jobs[1].status == JOB_FAILED && strcmp(p->jobs[1].step, "Run tests") == 0);
    cJSON_Delete(doc);
    cJSON_Delete(r);
    free(failed);
    free(rtext);
    free(run);
    free(jobs);
    /* in progress: conclusion null */
    run = fixture("github-run-get-in-progress.body.json");
    CHECK(github_apply_run_json(&e, "o/r", run, NULL, false, err, sizeof(err)) == 0);
    p = get_pipeline(&e, "github:o/r:3911660493");
    CHECK(p && p->status == JOB_RUNNING && p->finished == 0);
    free(run);
    engine_free(&e);
}

/* GitHub keeps a deploy's outcome in its statuses (newest first): the
 * poller puts them into each deployment; the latest finish of a production
 * one wins, whatever its place in the list. */
TEST(github_deploy_from_statuses)
{
    const char *json =
        "[{\"id\":5,\"environment\":\"production\",\"ref\":\"main\",\"sha\":"
        "\"0123456789abcdef\",\"task\":\"deploy\",\"statuses\":[{\"state\":\"queued\","
        "\"created_at\":\"2026-03-02T12:40:00Z\"}]},"
        "{\"id\":4,\"environment\":\"staging\",\"ref\":\"v9.0.0\",\"sha\":\"ff\","
        "\"statuses\":[{\"state\":\"success\",\"created_at\":\"2026-03-02T12:35:00Z\"}]},"
        "{\"id\":3,\"environment\":\"production\",\"ref\":\"main\",\"sha\":"
        "\"89abcdef01234567\",\"task\":\"deploy\",\"statuses\":[{\"state\":\"error\","
        "\"created_at\":\"2026-03-02T12:30:00Z\",\"log_url\":"
        "\"https://github.com/o/r/actions/runs/3911/job/7\"}]},"
        "{\"id\":2,\"environment\":\"production\",\"ref\":\"v2.4.1\",\"sha\":\"aa\","
        "\"statuses\":[{\"state\":\"inactive\",\"created_at\":\"2026-03-02T12:00:00Z\"}]},"
        "{\"id\":1,\"environment\":\"production\",\"ref\":\"v2.4.0\",\"sha\":\"bb\"}]";
    cJSON *items = cJSON_Parse(json);
    struct pipeline_settings s;
    pipeline_settings_default(&s);
    struct ci_deploy d;
    CHECK(github_provider.last_deploy(items, &s, &d));
    CHECK(d.status == JOB_FAILED);
    CHECK(d.finished == time_rfc3339_or_zero("2026-03-02T12:30:00Z"));
    CHECK(d.pipeline == 3911);
    CHECK_STR(d.env, "production");
    CHECK_STR(d.version, "89abcdef"); /* a branch says less than the sha */
    CHECK_STR(d.job, "deploy");
    /* without the failed one: the replaced success (inactive) is the last */
    cJSON_DeleteItemFromArray(items, 2);
    CHECK(github_provider.last_deploy(items, &s, &d));
    CHECK(d.status == JOB_SUCCESS);
    CHECK_STR(d.version, "v2.4.1");
    CHECK(d.pipeline == 0);
    /* candidates: production ones only */
    char url[256];
    CHECK(github_provider.deploy_statuses_url("https://api.github.com", "o/r",
                                              cJSON_GetArrayItem(items, 0), &s, url, sizeof(url)));
    CHECK_STR(url, "https://api.github.com/repos/o/r/deployments/5/statuses?per_page=1");
    CHECK(!github_provider.deploy_statuses_url("https://api.github.com", "o/r",
                                               cJSON_GetArrayItem(items, 1), &s, url, sizeof(url)));
    cJSON_Delete(items);
}

TEST(link_retry_after_escape)
{
    char next[512];
    const char *gl = "<https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page="
                     "3>; rel=\"prev\", <https://gitlab.example.com/api/v4/projects/8/issues/8/"
                     "notes?page=3&per_page=3>; rel=\"next\", <https://gitlab.example.com/api/v4/"
                     "projects/8/issues/8/notes?page=1&per_page=3>; rel=\"first\"";
    CHECK(ci_link_next(gl, next, sizeof(next)));
    CHECK_STR(next,
              "https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=3&per_page=3");
    const char *gh = "<https://api.github.com/repositories/146139403/actions/runs?"
                     "exclude_pull_requests=1&page=2>; rel=\"next\", <https://api.github.com/"
                     "repositories/146139403/actions/runs?exclude_pull_requests=1&page=20>; "
                     "rel=\"last\"";
    CHECK(ci_link_next(gh, next, sizeof(next)));
    CHECK(strstr(next, "page=2") && !strstr(next, "page=20"));
    CHECK(!ci_link_next("<https://x/?page=1>; rel=\"first\"", next, sizeof(next)));
    char enc[64];
    ci_escape("group/sub group", enc, sizeof(enc));
    CHECK_STR(enc, "group%2Fsub%20group");
    CHECK(time_rfc3339_or_zero("2015-12-24T16:51:14.000+01:00") ==
          time_rfc3339_or_zero("2015-12-24T15:51:14Z"));
    CHECK(time_rfc3339_or_zero("garbage") == 0);
}

TEST(token_file_must_be_private)
{
    char path[] = "/tmp/lookout-token-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, "glpat-secret-123\n", 17) == 17);
    close(fd);
    char tok[64], err[256] = "";
    chmod(path, 0644);
    CHECK(ci_read_token(path, "NOPE", tok, sizeof(tok), err, sizeof(err)) < 0);
    CHECK(strstr(err, "chmod 600") != NULL);
    CHECK(strstr(err, "glpat") == NULL);
    chmod(path, 0600);
    CHECK(ci_read_token(path, "NOPE", tok, sizeof(tok), err, sizeof(err)) == 0);
    CHECK_STR(tok, "glpat-secret-123");
    unlink(path);
    setenv("LOOKOUT_TEST_TOKEN", " tok-env ", 1);
    CHECK(ci_read_token("", "LOOKOUT_TEST_TOKEN", tok, sizeof(tok), err, sizeof(err)) == 0);
    CHECK_STR(tok, "tok-env");
}

static int load_cfg(const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/lookout-cfg-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -2;
    if (write(fd, text, strlen(text)) < 0) {
        close(fd);
        return -2;
    }
    close(fd);
    struct config c;
    int rc = config_load(&c, path, modules, err, errlen);
    if (rc == 0)
        config_free(&c);
    unlink(path);
    return rc;
}

TEST(config_sections_validated)
{
    char err[256];
    CHECK(load_cfg("gitlab:\n  url: https://gitlab.example.com\n  projects:\n    - shop/checkout\n"
                   "    - {id: 42, ref: main}\ngithub:\n  repos: [octo/hello]\npipelines:\n"
                   "  last: 10\n  fast: 2s\n  slow: 1m\n",
                   err, sizeof(err)) == 0);
    CHECK(load_cfg("gitlab:\n  projects: [a/b]\n  token: glpat-x\n", err, sizeof(err)) < 0);
    CHECK(strstr(err, ":3:") && strstr(err, "token_file") && !strstr(err, "glpat"));
    CHECK(load_cfg("gitlab:\n  url: ftp://x\n  projects: [a/b]\n", err, sizeof(err)) < 0);
    CHECK(strstr(err, "https://") != NULL);
    CHECK(load_cfg("gitlab:\n  url: https://x\n", err, sizeof(err)) < 0);
    CHECK(strstr(err, "projects") != NULL);
    CHECK(load_cfg("github:\n  repos: [justone]\n", err, sizeof(err)) < 0);
    CHECK(strstr(err, "owner/repo") != NULL);
    CHECK(load_cfg("pipelines:\n  last: 1000\n", err, sizeof(err)) < 0);
    CHECK(load_cfg("pipelines:\n  fast: 1m\n  slow: 5s\n", err, sizeof(err)) < 0);
    CHECK(load_cfg("pipelines:\n  bogus: 1\n", err, sizeof(err)) < 0);
    CHECK(strstr(err, "bogus") != NULL);
}

RUN_TESTS()
