/* Pipelines against loopback GitLab and GitHub APIs (tests/servers/fake_*.py):
 * the real client path (libcurl multi on the loop) with pagination, ETag/304,
 * rate limits, 429 Retry-After, 401, 5xx backoff, a slow server, the gate,
 * and no token anywhere it must not be. */
#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include "app/app.h"
#include "base/buf.h"
#include "core/config.h"
#include "core/engine.h"
#include "ci/pipeline.h"
#include "core/snapshot.h"
#include "lib/fake_server.h"
#include "core/source.h"
#include "test.h"

#define GL_TOKEN "glpat-LIVE-secret-0042"
#define GH_TOKEN "ghp_LIVEsecret0042xyz"

/* A fake CI server; the token goes in its environment, not argv. */
static int server_start(struct fake_server *s, const char *script, const char *token,
                        int per_page_max)
{
    char pp[16];
    snprintf(pp, sizeof(pp), "%d", per_page_max);
    return fake_server_start(s, "CI_FAKE_TOKEN", token, script, "--per-page-max", pp, (char *)NULL);
}

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
    buf_append(ud, p, sz * n);
    return sz * n;
}

/* Blocking on purpose: this is the test talking to its fixture, not Lookout. */
static cJSON *control(struct fake_server *s, const char *path, const char *post)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
    CURL *c = curl_easy_init();
    struct buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    cJSON *j = cJSON_Parse(buf_cstr(&b));
    buf_free(&b);
    return j;
}

static int stat_int(struct fake_server *s, const char *key)
{
    cJSON *j = control(s, "/_stats", NULL);
    int v = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, key));
    cJSON_Delete(j);
    return v;
}

static int status_count(struct fake_server *s, const char *status)
{
    cJSON *j = control(s, "/_stats", NULL);
    int v =
        (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "by_status"), status));
    cJSON_Delete(j);
    return v;
}

struct rig {
    struct engine e;
    struct loop *loop;
    struct http *http;
    struct source_set set;
    struct source_ctx ctx;
    struct config cfg;
    const char *name;
    int pipeline_upserts;
    int cycles;
    int64_t last_ok;
};

static void count(struct engine *e, int table, const void *obj, void *ud)
{
    (void)e;
    struct rig *r = ud;
    if (table == T_PIPELINES && obj)
        r->pipeline_upserts++;
    const struct source_info *s = obj;
    if (table == T_SOURCES && s && strcmp(s->name, r->name) == 0 && s->state == SRC_SYNCED &&
        s->last_ok != r->last_ok) {
        r->last_ok = s->last_ok;
        r->cycles++;
    }
}

static int rig_init(struct rig *r, const char *name, const char *yaml)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    engine_init(&r->e);
    r->e.now = loop_wall_ms();
    r->loop = loop_new();
    r->http = http_new(r->loop);
    char path[] = "/tmp/lookout-ci-cfg-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, yaml, strlen(yaml)) < 0)
        return -1;
    close(fd);
    char err[256];
    int rc = config_load(&r->cfg, path, modules, err, sizeof(err));
    unlink(path);
    if (rc < 0) {
        fprintf(stderr, "  config: %s\n", err);
        return -1;
    }
    r->ctx = (struct source_ctx){&r->e, r->loop, r->http, &r->cfg};
    if (pipeline_add_sources_to(&r->set, &r->ctx, &r->cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "  sources: %s\n", err);
        return -1;
    }
    engine_observe(&r->e, count, r);
    source_start_all(&r->set);
    return 0;
}

static void rig_free(struct rig *r)
{
    source_stop_all(&r->set);
    http_free(r->http);
    loop_free(r->loop);
    config_free(&r->cfg);
    engine_free(&r->e);
}

static const struct source_info *src(struct rig *r)
{
    return engine_get(&r->e, T_SOURCES, r->name);
}

typedef bool (*pred_fn)(struct rig *r, const void *arg);

static bool run_until(struct rig *r, pred_fn pred, const void *arg, int timeout_ms)
{
    int64_t end = loop_mono_ms() + timeout_ms;
    while (loop_mono_ms() < end) {
        loop_run_once(r->loop, 20);
        engine_advance(&r->e, loop_wall_ms());
        if (pred(r, arg))
            return true;
    }
    return false;
}

static bool state_is(struct rig *r, const void *arg)
{
    const struct source_info *s = src(r);
    return s && s->state == *(const enum source_state *)arg;
}

static bool wait_state(struct rig *r, enum source_state st, int ms)
{
    return run_until(r, state_is, &st, ms);
}

static bool cycles_reach(struct rig *r, const void *arg)
{
    return r->cycles >= *(const int *)arg;
}

static bool wait_cycles(struct rig *r, int more, int ms)
{
    int want = r->cycles + more;
    return run_until(r, cycles_reach, &want, ms);
}

static const struct pipeline *pl(struct rig *r, const char *key)
{
    return engine_get(&r->e, T_PIPELINES, key);
}

static const struct job *job(const struct pipeline *p, const char *name)
{
    for (int i = 0; p && i < p->njobs; i++)
        if (strcmp(p->jobs[i].name, name) == 0)
            return &p->jobs[i];
    return NULL;
}

static bool log_has(struct fake_server *s, const char *needle)
{
    cJSON *j = control(s, "/_stats", NULL), *e;
    bool found = false;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "log"))
    {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
        found |= p && strstr(p, needle) != NULL;
    }
    cJSON_Delete(j);
    return found;
}

static char gl_yaml[512];

static const char *gitlab_cfg(struct fake_server *s, const char *timeout)
{
    snprintf(gl_yaml, sizeof(gl_yaml),
             "gitlab:\n  url: http://127.0.0.1:%d\n  projects:\n    - shop/checkout\n"
             "pipelines:\n  fast: 300ms\n  slow: 600ms\n  timeout: %s\n",
             s->port, timeout);
    return gl_yaml;
}

static bool start_gitlab(struct fake_server *s, struct rig *r, const char *timeout)
{
    setenv("GITLAB_TOKEN", GL_TOKEN, 1);
    if (server_start(s, "tests/servers/fake_gitlab.py", GL_TOKEN, 2) < 0) {
        fprintf(stderr, "  could not start fake_gitlab.py\n");
        return false;
    }
    if (rig_init(r, "gitlab", gitlab_cfg(s, timeout)) < 0)
        return false;
    return wait_state(r, SRC_SYNCED, 15000);
}

TEST(gitlab_live_sync_pagination_stage_order_figures)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    CHECK(r.e.tables[T_PIPELINES].count == 4);
    const struct pipeline *p = pl(&r, "gitlab:shop/checkout:104");
    const char *want[] = {"check",           "build",    "test",   "deploy",
                          "experiment-ebpf", "ai-check", "cleanup"};
    CHECK(p && p->nstages == 7);
    for (int i = 0; p && i < 7 && i < p->nstages; i++)
        CHECK_STR(p->stages[i].name, want[i]);
    CHECK(p && p->status == JOB_RUNNING && p->stages[2].status == JOB_RUNNING);
    CHECK(p && job(p, "deploy-prod") && job(p, "deploy-prod")->is_deploy);
    const struct pipeline *p101 = pl(&r, "gitlab:shop/checkout:101");
    CHECK(p101 && p101->njobs == 7); /* the retried compile is folded */
    CHECK(p101 && job(p101, "compile") && job(p101, "compile")->status == JOB_SUCCESS);
    CHECK(p101 && strcmp(p101->version, "v2.4.0") == 0);
    const struct pipeline *p103 = pl(&r, "gitlab:shop/checkout:103");
    CHECK(p103 && p103->warning && p103->status == JOB_SUCCESS);
    const struct ci_project *c = engine_get(&r.e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(c && c->window == 3 && c->failures == 1);
    CHECK(c && fabs(c->failure_ratio - 1.0 / 3) < 1e-9);
    CHECK(c && c->median_duration_s > 0);
    CHECK(c && c->last_deploy_pipeline == 103 && strcmp(c->last_deploy_version, "v2.4.1") == 0);
    CHECK(c && strcmp(c->running_stage, "test") == 0 && c->stage_since > 0);
    CHECK(log_has(&s, "sort=desc&page=2&per_page=2")); /* list pages followed */
    CHECK(log_has(&s, "/jobs?") && log_has(&s, "include_retried=true&page=4"));
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->detail, "/2000 left") != NULL);
    rig_free(&r);
    fake_server_stop(&s);
}

TEST(gitlab_live_304_costs_nothing)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    CHECK(wait_cycles(&r, 1, 5000)); /* settle */
    int ok200 = status_count(&s, "200"), nm = stat_int(&s, "not_modified");
    int upserts = r.pipeline_upserts;
    CHECK(wait_cycles(&r, 3, 8000));
    CHECK(status_count(&s, "200") == ok200); /* no budget spent */
    /* 2 list pages, the running pipeline and its 4 job pages, each cycle */
    CHECK(stat_int(&s, "not_modified") >= nm + 3 * 7);
    CHECK(r.pipeline_upserts == upserts); /* and nothing re-posted */
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->detail, "not modified") != NULL);
    rig_free(&r);
    fake_server_stop(&s);
}

static void set_gate(struct engine *e, bool open, const char *reason)
{
    struct summary sm = *(struct summary *)engine_get(e, T_SUMMARY, "summary");
    sm.gate = open ? GATE_STATE_OPEN : GATE_STATE_CLOSED;
    sm.gate_open = open;
    STR_COPY(sm.gate_reason, reason);
    engine_upsert(e, T_SUMMARY, &sm);
}

static bool deploy_reported(struct rig *r, const void *arg)
{
    const struct job *j = job(pl(r, "gitlab:shop/checkout:104"), "deploy-prod");
    return j && j->ci_status == *(const enum job_status *)arg;
}

TEST(gitlab_live_progress_and_gate)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    set_gate(&r.e, false, "checkout-availability: error budget exhausted");
    const struct pipeline *p = pl(&r, "gitlab:shop/checkout:104");
    CHECK(p && p->gate_blocked && job(p, "deploy-prod")->status == JOB_BLOCKED);
    cJSON_Delete(control(&s, "/_control", "{\"advance\": true}"));
    enum job_status manual = JOB_MANUAL, success = JOB_SUCCESS;
    CHECK(run_until(&r, deploy_reported, &manual, 5000));
    p = pl(&r, "gitlab:shop/checkout:104");
    CHECK(p && p->status == JOB_MANUAL && p->gate_blocked);
    CHECK(p && strstr(p->gate_reason, "budget exhausted") != NULL);
    CHECK(p && p->stages[3].status == JOB_BLOCKED && p->stages[2].status == JOB_SUCCESS);
    const struct ci_project *c = engine_get(&r.e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(c && c->gate_blocked == 1 && strcmp(c->running_stage, "") == 0);
    set_gate(&r.e, true, "");
    p = pl(&r, "gitlab:shop/checkout:104");
    CHECK(p && !p->gate_blocked && job(p, "deploy-prod")->status == JOB_MANUAL);
    cJSON_Delete(control(&s, "/_control", "{\"advance\": true}"));
    CHECK(run_until(&r, deploy_reported, &success, 5000));
    c = engine_get(&r.e, T_CI_PROJECTS, "gitlab:shop/checkout");
    CHECK(c && c->last_deploy_pipeline == 104 && c->window == 4);
    rig_free(&r);
    fake_server_stop(&s);
}

/* Time between the first answer with `status` and the request after it. */
static double gap_after(struct fake_server *s, int status, int nth)
{
    cJSON *j = control(s, "/_stats", NULL), *e;
    double t_status = 0, gap = -1;
    int seen = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "log"))
    {
        double t = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "t"));
        int st = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "status"));
        if (t_status && gap < 0) {
            gap = t - t_status;
            break;
        }
        if (st == status && ++seen == nth)
            t_status = t;
    }
    cJSON_Delete(j);
    return gap;
}

TEST(gitlab_live_429_retry_after_honoured)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    cJSON_Delete(control(&s, "/_control", "{\"fail\": [429, 1], \"retry_after\": 2}"));
    CHECK(wait_state(&r, SRC_STALE, 5000));
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->error, "rate limited") && strstr(si->error, "Retry-After"));
    CHECK(wait_state(&r, SRC_SYNCED, 8000));
    double gap = gap_after(&s, 429, 1);
    CHECK(gap >= 1.9); /* not before Retry-After: 2 */
    CHECK(gap < 4.0);
    rig_free(&r);
    fake_server_stop(&s);
}

TEST(gitlab_live_401_clear_message_then_recovery)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    cJSON_Delete(control(&s, "/_control", "{\"token\": \"someone-else\"}"));
    CHECK(wait_state(&r, SRC_FAILED, 5000));
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->error, "401 Unauthorized") && strstr(si->error, "GITLAB_TOKEN"));
    CHECK(si && strstr(si->error, "rejected") != NULL);
    CHECK(si && !strstr(si->error, GL_TOKEN));
    CHECK(r.e.tables[T_PIPELINES].count == 4); /* nothing lost */
    cJSON_Delete(control(&s, "/_control", "{\"token\": \"" GL_TOKEN "\"}"));
    CHECK(wait_state(&r, SRC_SYNCED, 5000));
    rig_free(&r);
    fake_server_stop(&s);
}

TEST(gitlab_live_5xx_stale_with_backoff)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    cJSON_Delete(control(&s, "/_control", "{\"fail\": [502, 3]}"));
    CHECK(wait_state(&r, SRC_STALE, 5000));
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->error, "HTTP 502") && strstr(si->error, "retrying in"));
    CHECK(r.e.tables[T_PIPELINES].count == 4); /* the last state stays */
    CHECK(wait_state(&r, SRC_SYNCED, 10000));
    double g1 = gap_after(&s, 502, 1), g2 = gap_after(&s, 502, 2), g3 = gap_after(&s, 502, 3);
    CHECK(g1 >= 0.25 && g2 >= 0.55 && g3 >= 1.1); /* 300ms, 600ms, 1.2s */
    CHECK(g2 > g1 * 1.5 && g3 > g2 * 1.5);
    rig_free(&r);
    fake_server_stop(&s);
}

TEST(gitlab_live_slow_server_timeout_then_recovery)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "1s"));
    cJSON_Delete(control(&s, "/_control", "{\"delay\": [2.5, 1]}"));
    int64_t t0 = loop_mono_ms();
    CHECK(wait_state(&r, SRC_STALE, 5000));
    CHECK(loop_mono_ms() - t0 < 2500); /* gave up at the timeout, did not wait it out */
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->error, "no answer within 1.0s") != NULL);
    CHECK(wait_state(&r, SRC_SYNCED, 8000));
    CHECK(r.e.tables[T_PIPELINES].count == 4);
    rig_free(&r);
    fake_server_stop(&s);
}

/* Times of the first-page list requests, i.e. of each cycle's start. */
static int cycle_starts(struct fake_server *s, double *t, int max)
{
    cJSON *j = control(s, "/_stats", NULL), *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "log"))
    {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
        if (p && strstr(p, "/pipelines?per_page=") && n < max)
            t[n++] = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "t"));
    }
    cJSON_Delete(j);
    return n;
}

static bool all_done(struct rig *r, const void *arg)
{
    (void)arg;
    const struct pipeline *p = pl(r, "gitlab:shop/checkout:104");
    return p && p->status == JOB_SUCCESS;
}

TEST(gitlab_live_adaptive_interval)
{
    struct fake_server s = {0};
    struct rig r;
    setenv("GITLAB_TOKEN", GL_TOKEN, 1);
    CHECK(server_start(&s, "tests/servers/fake_gitlab.py", GL_TOKEN, 100) == 0);
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "gitlab:\n  url: http://127.0.0.1:%d\n  projects: [shop/checkout]\n"
             "pipelines:\n  fast: 200ms\n  slow: 1500ms\n",
             s.port);
    CHECK(rig_init(&r, "gitlab", yaml) == 0);
    CHECK(wait_cycles(&r, 4, 8000)); /* 104 runs: fast */
    double t[300];
    int n = cycle_starts(&s, t, 300);
    CHECK(n >= 4 && t[n - 1] - t[n - 2] < 0.6 && t[n - 2] - t[n - 3] < 0.6);
    cJSON_Delete(control(&s, "/_control", "{\"advance\": true}"));
    cJSON_Delete(control(&s, "/_control", "{\"advance\": true}"));
    CHECK(run_until(&r, all_done, NULL, 5000));
    CHECK(wait_cycles(&r, 3, 8000)); /* all idle: slow */
    n = cycle_starts(&s, t, 300);
    CHECK(n >= 3 && t[n - 1] - t[n - 2] > 1.3 && t[n - 2] - t[n - 3] > 1.3);
    rig_free(&r);
    fake_server_stop(&s);
}

TEST(gitlab_live_low_budget_waits_for_reset)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    cJSON_Delete(control(&s, "/_control", "{\"remaining\": 3, \"reset_in\": 3}"));
    CHECK(wait_cycles(&r, 1, 8000));
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->detail, "rate limit 3/2000 left") != NULL);
    CHECK(wait_cycles(&r, 1, 8000)); /* after the reset: the window is whole again */
    double t[300];
    int n = cycle_starts(&s, t, 300);
    /* fast is 300ms, but with 3 of 2000 left it waits for the reset (2-3s away) */
    CHECK(n >= 2 && t[n - 1] - t[n - 2] > 1.5);
    rig_free(&r);
    fake_server_stop(&s);
}

static bool detail_has(struct rig *r, const void *needle)
{
    const struct source_info *si = src(r);
    return si && strstr(si->detail, needle) != NULL;
}

TEST(gitlab_live_spent_budget_holds_mid_cycle_and_says_when)
{
    struct fake_server s = {0};
    struct rig r;
    CHECK(start_gitlab(&s, &r, "2s"));
    /* one request left: the cycle stops after it, whatever it was fetching */
    cJSON_Delete(control(&s, "/_control", "{\"remaining\": 1, \"reset_in\": 3}"));
    cJSON_Delete(control(&s, "/_control", "{\"advance\": true}")); /* 200s, not 304s */
    CHECK(run_until(&r, detail_has, "rate limit 0/2000, resumes ", 8000));
    cJSON *st = control(&s, "/_stats", NULL);
    double before = cJSON_GetNumberValue(cJSON_GetObjectItem(st, "requests"));
    cJSON_Delete(st);
    CHECK(run_until(&r, detail_has, "/2000 left", 8000)); /* and goes on after the reset */
    st = control(&s, "/_stats", NULL);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(st, "requests")) > before);
    CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(st, "by_status"), "429"));
    cJSON_Delete(st);
    rig_free(&r);
    fake_server_stop(&s);
}

TEST(gitlab_live_x_next_page_without_link)
{
    struct fake_server s = {0};
    setenv("GITLAB_TOKEN", GL_TOKEN, 1);
    CHECK(server_start(&s, "tests/servers/fake_gitlab.py", GL_TOKEN, 2) == 0);
    cJSON_Delete(control(&s, "/_control", "{\"no_link\": true}"));
    struct rig r;
    CHECK(rig_init(&r, "gitlab", gitlab_cfg(&s, "2s")) == 0);
    CHECK(wait_state(&r, SRC_SYNCED, 15000));
    CHECK(r.e.tables[T_PIPELINES].count == 4);
    const struct pipeline *p = pl(&r, "gitlab:shop/checkout:104");
    CHECK(p && p->njobs == 8);
    CHECK(log_has(&s, "sort=desc&page=2"));
    rig_free(&r);
    fake_server_stop(&s);
}

TEST(gitlab_live_missing_project_does_not_stop_the_others)
{
    struct fake_server s = {0};
    setenv("GITLAB_TOKEN", GL_TOKEN, 1);
    CHECK(server_start(&s, "tests/servers/fake_gitlab.py", GL_TOKEN, 100) == 0);
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "gitlab:\n  url: http://127.0.0.1:%d/api/v4/\n  projects: [nope/missing, {id: 7, "
             "ref: main}]\npipelines:\n  fast: 300ms\n  slow: 600ms\n",
             s.port);
    struct rig r;
    CHECK(rig_init(&r, "gitlab", yaml) == 0);
    CHECK(wait_state(&r, SRC_SYNCED, 15000));
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->error, "project nope/missing: HTTP 404 (not found, or the token "
                                  "cannot see it)") != NULL);
    /* id 7 with ref main: the pipelines of main (tag pipelines have their tag as ref) */
    CHECK(pl(&r, "gitlab:7:104") != NULL && pl(&r, "gitlab:7:102") != NULL);
    CHECK(pl(&r, "gitlab:7:101") == NULL);
    CHECK(log_has(&s, "/api/v4/projects/7/pipelines?per_page=20&order_by=id&sort=desc&ref=main"));
    rig_free(&r);
    fake_server_stop(&s);
}

/* Every project failing reads nothing: with no earlier rows the source
 * failed (--once counts it), rather than synced. */
TEST(gitlab_live_all_projects_failing_is_failed)
{
    struct fake_server s = {0};
    setenv("GITLAB_TOKEN", GL_TOKEN, 1);
    CHECK(server_start(&s, "tests/servers/fake_gitlab.py", GL_TOKEN, 100) == 0);
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "gitlab:\n  url: http://127.0.0.1:%d/api/v4/\n  projects: [nope/missing]\n"
             "pipelines:\n  fast: 300ms\n  slow: 600ms\n",
             s.port);
    struct rig r;
    CHECK(rig_init(&r, "gitlab", yaml) == 0);
    CHECK(wait_state(&r, SRC_FAILED, 15000));
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->error, "project nope/missing: HTTP 404 (not found, or the token "
                                  "cannot see it)") != NULL);
    rig_free(&r);
    fake_server_stop(&s);
}

static bool file_has(const char *path, const char *needle)
{
    size_t len = 0;
    char *text = read_file(path, 64 << 20, &len);
    bool found = text && memmem(text, len, needle, strlen(needle)) != NULL;
    free(text);
    return found;
}

TEST(no_token_in_logs_record_or_snapshot)
{
    char errpath[] = "/tmp/lookout-ci-stderr-XXXXXX", recpath[] = "/tmp/lookout-ci-rec-XXXXXX";
    int efd = mkstemp(errpath), rfd = mkstemp(recpath);
    close(rfd);
    fflush(stderr);
    int saved = dup(2);
    dup2(efd, 2); /* everything Lookout would log goes here */
    struct fake_server s = {0}, h = {0};
    struct rig r;
    setenv("GITHUB_TOKEN", GH_TOKEN, 1);
    bool ok = start_gitlab(&s, &r, "1s");
    ok = ok && server_start(&h, "tests/servers/fake_github.py", GH_TOKEN, 2) == 0;
    ok = ok && engine_record_open(&r.e, recpath) == 0;
    /* a second source on the same engine: GitHub */
    char yaml[256];
    /* the same pipelines block: the settings are module-wide, the last load wins */
    snprintf(yaml, sizeof(yaml),
             "github:\n  url: http://127.0.0.1:%d\n  repos: [o/r]\n"
             "pipelines:\n  fast: 300ms\n  slow: 600ms\n  timeout: 1s\n",
             h.port);
    struct config cfg2;
    char err[256];
    char path[] = "/tmp/lookout-ci-cfg2-XXXXXX";
    int fd = mkstemp(path);
    ok = ok && write(fd, yaml, strlen(yaml)) > 0;
    close(fd);
    ok = ok && config_load(&cfg2, path, modules, err, sizeof(err)) == 0;
    unlink(path);
    struct source_ctx ctx2 = r.ctx;
    ctx2.config = &cfg2;
    ok = ok && pipeline_add_sources_to(&r.set, &ctx2, &cfg2, err, sizeof(err)) == 0;
    if (ok)
        r.set.items[r.set.count - 1].ops->start(&r.set.items[r.set.count - 1], err, sizeof(err));
    /* stderr is redirected: keep the verdicts until it is back */
    bool started = ok;
    r.name = "github";
    bool gh_synced = ok && wait_state(&r, SRC_SYNCED, 15000);
    /* errors too: 401 and 5xx and a timeout put text in the source rows */
    cJSON_Delete(control(&h, "/_control", "{\"token\": \"x\"}"));
    cJSON_Delete(control(&s, "/_control", "{\"fail\": [500, 1]}"));
    bool gh_failed = gh_synced && wait_state(&r, SRC_FAILED, 15000);
    r.name = "gitlab";
    bool gl_stale = gh_synced && wait_state(&r, SRC_STALE, 15000);
    const struct source_info *gh = engine_get(&r.e, T_SOURCES, "github");
    bool gh_error = gh && strstr(gh->error, "GITHUB_TOKEN") && strstr(gh->error, "401");
    char snap[] = "/tmp/lookout-ci-snap-XXXXXX";
    int sfd = mkstemp(snap);
    FILE *sf = fdopen(sfd, "w");
    snapshot_print(&r.e, sf);
    fclose(sf);
    engine_record_close(&r.e);
    rig_free(&r);
    config_free(&cfg2);
    fake_server_stop(&s);
    fake_server_stop(&h);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(efd);
    CHECK(started);
    CHECK(gh_synced);
    CHECK(gh_failed);
    CHECK(gl_stale);
    CHECK(gh_error);
    CHECK(file_has(snap, "gitlab:shop/checkout:104")); /* the files are real */
    CHECK(file_has(recpath, "github:o/r:3911660493"));
    const char *files[] = {snap, recpath, errpath};
    for (int i = 0; i < 3; i++) {
        CHECK(!file_has(files[i], GL_TOKEN));
        CHECK(!file_has(files[i], GH_TOKEN));
        CHECK(!file_has(files[i], "PRIVATE-TOKEN"));
        unlink(files[i]);
    }
}

static bool gh_done(struct rig *r, const void *arg)
{
    (void)arg;
    const struct pipeline *p = pl(r, "github:o/r:3911660493");
    return p && p->status == JOB_SUCCESS;
}

TEST(github_live_runs_jobs_pagination_ratelimit)
{
    struct fake_server s = {0};
    struct rig r;
    setenv("GITHUB_TOKEN", GH_TOKEN, 1);
    CHECK(server_start(&s, "tests/servers/fake_github.py", GH_TOKEN, 2) == 0);
    char yaml[256];
    snprintf(yaml, sizeof(yaml),
             "github:\n  url: http://127.0.0.1:%d\n  repos: [o/r]\n"
             "pipelines:\n  fast: 300ms\n  slow: 600ms\n",
             s.port);
    CHECK(rig_init(&r, "github", yaml) == 0);
    CHECK(wait_state(&r, SRC_SYNCED, 15000));
    CHECK(r.e.tables[T_PIPELINES].count == 5);
    CHECK(log_has(&s, "runs?page=3&per_page=2"));
    const struct pipeline *f = pl(&r, "github:o/r:108934155");
    CHECK(f && f->status == JOB_FAILED && f->nstages == 1 && f->stages[0].status == JOB_FAILED);
    CHECK(f && strcmp(f->jobs[1].step, "Run tests") == 0);
    const struct pipeline *run = pl(&r, "github:o/r:3911660493");
    CHECK(run && run->status == JOB_RUNNING && run->njobs == 6 && run->nstages == 2);
    CHECK(run && strcmp(run->jobs[1].step, "Run tests") == 0);
    CHECK(run && run->jobs[5].is_deploy && run->jobs[5].status == JOB_PENDING);
    const struct ci_project *c = engine_get(&r.e, T_CI_PROJECTS, "github:o/r");
    CHECK(c && c->window == 4 && fabs(c->failure_ratio - 0.25) < 1e-9);
    CHECK(c && strcmp(c->running_stage, "test") == 0);
    const struct source_info *si = src(&r);
    CHECK(si && strstr(si->detail, "/5000 left") != NULL);
    /* idle repeats are 304s */
    int ok200 = status_count(&s, "200");
    CHECK(wait_cycles(&r, 2, 6000));
    CHECK(status_count(&s, "200") == ok200);
    CHECK(stat_int(&s, "not_modified") > 0);
    /* GitHub's secondary rate limit: 403 with Retry-After */
    cJSON_Delete(control(&s, "/_control", "{\"fail\": [403, 1], \"retry_after\": 1}"));
    CHECK(wait_state(&r, SRC_STALE, 5000));
    si = src(&r);
    CHECK(si && strstr(si->error, "rate limited (HTTP 403)") != NULL);
    CHECK(wait_state(&r, SRC_SYNCED, 5000));
    CHECK(gap_after(&s, 403, 1) >= 0.9);
    cJSON_Delete(control(&s, "/_control", "{\"advance\": true}"));
    CHECK(run_until(&r, gh_done, NULL, 5000));
    c = engine_get(&r.e, T_CI_PROJECTS, "github:o/r");
    CHECK(c && c->last_deploy_pipeline == 3911660493LL);
    CHECK(c && strcmp(c->last_deploy_job, "deploy-production") == 0);
    rig_free(&r);
    fake_server_stop(&s);
}

RUN_TESTS()
