/* The demo's CI: a GitLab-style pipeline for shop/checkout that deploys the
 * bad v2.4.1, and a later shop/payments pipeline whose deploy waits on the
 * deploy gate while checkout burns its error budget. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "demo/internal.h"
#include "ci/gitlab.h"

struct demo_job {
    const char *name, *stage;
    int start, end; /* story seconds; end < 0: fails at -end */
    bool allow_failure, deploy;
};

static const struct demo_job checkout_jobs[] = {
    {"lint", "check", 0, 4},
    {"compile", "build", 4, 10},
    {"unit-tests", "test", 10, 15},
    {"integration-tests", "test", 10, -16, true},
    {"deploy-production", "deploy", 16, 24, false, true},
    {"ebpf-canary", "experiment-ebpf", 24, 30},
    {"ai-review", "ai-check", 30, -BEAT_AI_CHECK_FAILS}, /* the honeypot finding blocks */
    {"cleanup", "cleanup", 36, 40},                      /* when: always, as the seed's */
};

static const struct demo_job payments_jobs[] = {
    {"lint", "check", 70, 74},
    {"compile", "build", 74, 80},
    {"unit-tests", "test", 80, 86},
    {"deploy-production", "deploy", 86, 100000, false, true}, /* waits on the gate */
    {"ebpf-canary", "experiment-ebpf", 100000, 100000},
    {"ai-review", "ai-check", 100000, 100000},
    {"cleanup", "cleanup", 100000, 100000},
};

static enum job_status job_status_at(const struct demo_job *j, int64_t s)
{
    int end = j->end < 0 ? -j->end : j->end;
    if (s < j->start)
        return JOB_CREATED;
    if (s < end)
        return j->deploy && j->end >= 100000 ? JOB_PENDING : JOB_RUNNING;
    return j->end < 0 ? JOB_FAILED : JOB_SUCCESS;
}

/* A stage is the worst of its jobs; an allowed failure does not fail it. */
static enum job_status combine(enum job_status acc, const struct job *j)
{
    enum job_status st = j->status == JOB_FAILED && j->allow_failure ? JOB_SUCCESS : j->status;
    if (acc == JOB_FAILED || st == JOB_FAILED)
        return JOB_FAILED;
    if (acc == JOB_RUNNING || st == JOB_RUNNING)
        return JOB_RUNNING;
    if (acc == JOB_PENDING || st == JOB_PENDING)
        return JOB_PENDING;
    if (acc == JOB_CREATED || st == JOB_CREATED)
        return JOB_CREATED;
    return JOB_SUCCESS;
}

static void fill_stages(struct pipeline *p)
{
    p->nstages = 0;
    for (int i = 0; i < p->njobs; i++) {
        struct job *j = &p->jobs[i];
        int k;
        for (k = 0; k < p->nstages && strcmp(p->stages[k].name, j->stage) != 0; k++)
            ;
        if (k == p->nstages) {
            p->nstages++;
            STR_COPY(p->stages[k].name, j->stage);
            p->stages[k].status = JOB_SUCCESS;
            p->stages[k].started = j->started;
        }
        p->stages[k].status = combine(p->stages[k].status, j);
        if (j->finished > p->stages[k].finished)
            p->stages[k].finished = j->finished;
    }
    p->status = JOB_SUCCESS;
    for (int k = 0; k < p->nstages; k++) {
        struct job as_job = {.status = p->stages[k].status};
        p->status = combine(p->status, &as_job);
        if (p->stages[k].status != JOB_SUCCESS && p->stages[k].status != JOB_FAILED)
            p->stages[k].finished = 0;
    }
    if (p->status == JOB_CREATED)
        p->status = JOB_RUNNING; /* some stages passed, the next one is queued */
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    if (!ms) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char iso[40];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(iso + k, sizeof(iso) - k, ".%03dZ", (int)(ms % 1000));
    cJSON_AddStringToObject(o, key, iso);
}

/* The demo speaks GitLab's REST shapes (a tag pipeline named by its version,
 * and its jobs) so its pipelines take the parser the live source uses. */
static void post_as_gitlab(struct engine *e, const struct pipeline *p)
{
    cJSON *pl = cJSON_CreateObject(), *jobs = cJSON_CreateArray();
    cJSON_AddNumberToObject(pl, "id", (double)p->id);
    cJSON_AddStringToObject(pl, "status", job_status_names[p->status]);
    cJSON_AddStringToObject(pl, "ref", p->version);
    cJSON_AddBoolToObject(pl, "tag", true);
    cJSON_AddStringToObject(pl, "sha", p->sha);
    cJSON_AddStringToObject(pl, "web_url", p->web_url);
    add_time(pl, "created_at", p->created);
    add_time(pl, "updated_at", p->updated);
    add_time(pl, "finished_at", p->finished);
    for (int i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)j->id);
        cJSON_AddStringToObject(o, "name", j->name);
        cJSON_AddStringToObject(o, "stage", j->stage);
        cJSON_AddStringToObject(o, "status", job_status_names[j->status]);
        cJSON_AddBoolToObject(o, "allow_failure", j->allow_failure);
        add_time(o, "started_at", j->started);
        add_time(o, "finished_at", j->finished);
        if (j->environment[0])
            cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "environment"), "name",
                                    j->environment);
        cJSON_AddItemToArray(jobs, o);
    }
    char err[128];
    gitlab_apply_pipeline(e, p->project, pl, jobs, true, err, sizeof(err));
    cJSON_Delete(pl);
    cJSON_Delete(jobs);
}

/* Job times are seconds after `base`; s is the current second on that scale. */
static void put_pipeline(struct engine *e, const char *project, int64_t id, const char *sha,
                         const char *version, const struct demo_job *jobs, int njobs, int64_t s,
                         int64_t base)
{
    struct pipeline p = {.id = id, .simulated = true, .created = base + jobs[0].start * 1000LL};
    STR_COPY(p.provider, "gitlab");
    STR_COPY(p.project, project);
    snprintf(p.key, sizeof(p.key), "gitlab:%s:%lld", project, (long long)id);
    STR_COPY(p.ref, "main");
    STR_COPY(p.sha, sha);
    STR_COPY(p.version, version);
    snprintf(p.web_url, sizeof(p.web_url), "https://gitlab.example/%s/-/pipelines/%lld", project,
             (long long)id);
    p.njobs = njobs;
    for (int i = 0; i < njobs; i++) {
        struct job *j = &p.jobs[i];
        j->id = id * 100 + i;
        STR_COPY(j->name, jobs[i].name);
        STR_COPY(j->stage, jobs[i].stage);
        j->status = job_status_at(&jobs[i], s);
        j->allow_failure = jobs[i].allow_failure;
        j->is_deploy = jobs[i].deploy;
        if (j->is_deploy)
            STR_COPY(j->environment, "production");
        int end = jobs[i].end < 0 ? -jobs[i].end : jobs[i].end;
        if (s >= jobs[i].start && j->status != JOB_PENDING)
            j->started = base + jobs[i].start * 1000LL;
        if (j->status == JOB_SUCCESS || j->status == JOB_FAILED)
            j->finished = base + end * 1000LL;
    }
    /* As GitLab does: once a job fails, the jobs that never started are skipped. */
    bool failed = false;
    for (int i = 0; i < p.njobs; i++)
        failed |= p.jobs[i].status == JOB_FAILED && !p.jobs[i].allow_failure;
    for (int i = 0; i < p.njobs && failed; i++)
        if (p.jobs[i].status == JOB_CREATED)
            p.jobs[i].status = JOB_SKIPPED;
    fill_stages(&p);
    p.updated = e->now;
    if (p.status == JOB_SUCCESS || p.status == JOB_FAILED) {
        for (int i = 0; i < p.njobs; i++)
            if (p.jobs[i].finished > p.finished)
                p.finished = p.jobs[i].finished;
        p.updated = p.finished;
    }
    post_as_gitlab(e, &p);
}

/* Earlier pipelines, so failure ratio and durations have a history. */
void demo_pipeline_init(struct demo *d, struct engine *e)
{
    (void)d;
    static const struct {
        int64_t id, hours_ago;
        const char *sha, *version;
        bool failed;
    } history[] = {
        {1837, 70, "4be1d0a", "2.3.7", false}, {1838, 52, "9c02f3e", "2.3.8", false},
        {1839, 30, "e5a9b71", "2.3.9", true},  {1840, 29, "0d4c6f2", "2.3.9", false},
        {1841, 6, "77f3a19", "2.4.0", false},
    };
    static const struct demo_job ok[] = {
        {"lint", "check", 0, 40},         {"compile", "build", 40, 160},
        {"unit-tests", "test", 160, 300}, {"deploy-production", "deploy", 300, 420, false, true},
        {"cleanup", "cleanup", 420, 450},
    };
    static const struct demo_job failed[] = {
        {"lint", "check", 0, 40},
        {"compile", "build", 40, 160},
        {"unit-tests", "test", 160, -290},
        {"deploy-production", "deploy", 100000, 100000, false, true},
        {"cleanup", "cleanup", 100000, 100000},
    };
    for (size_t i = 0; i < sizeof(history) / sizeof(history[0]); i++) {
        int64_t base = e->now - history[i].hours_ago * 3600000;
        put_pipeline(e, "shop/checkout", history[i].id, history[i].sha, history[i].version,
                     history[i].failed ? failed : ok, 5, 450, base);
    }
}

void demo_pipeline_step(struct demo *d, struct engine *e, int64_t s)
{
    (void)d;
    int n1 = (int)(sizeof(checkout_jobs) / sizeof(checkout_jobs[0]));
    int n2 = (int)(sizeof(payments_jobs) / sizeof(payments_jobs[0]));
    if (s >= BEAT_PIPELINE_START && s <= 41)
        put_pipeline(e, "shop/checkout", 1842, "a81c5e3", "2.4.1", checkout_jobs, n1, s,
                     DEMO_EPOCH_MS);
    if (s >= BEAT_SECOND_PIPELINE && s <= 90)
        put_pipeline(e, "shop/payments", 978, "3f6d2b8", "5.1.4", payments_jobs, n2, s,
                     DEMO_EPOCH_MS);
}
