/* Security verdicts per pipeline (ci/security.c): findings in the deploy's
 * namespace since the deploy started fail it and hold its later deploy
 * jobs; the verdict is unknown, never clean, when Lookout was not watching,
 * when the kernel side goes down or drops events, or when an evidence file
 * does not verify; a project no watch names has no verdict. */
#include <stdio.h>
#include <unistd.h>

#include "base/buf.h"
#include "ci/pipeline.h"
#include "core/engine.h"
#include "test.h"

#define T0 1772460000000LL

static void setup(struct engine *e, const char *evidence)
{
    engine_init(e);
    engine_advance(e, T0);
    struct pipeline_settings s;
    pipeline_settings_default(&s);
    s.nsec = 1;
    STR_COPY(s.sec[0].project, "shop/*");
    STR_COPY(s.sec[0].namespace, "shop");
    STR_COPY(s.sec[0].evidence, evidence ? evidence : "");
    s.sec[0].fail_on = SEV_CRITICAL;
    pipeline_attach(e, &s);
}

/* A running pipeline whose first deploy started at T0 + 1 s and whose
 * production deploy is still to run. */
static void post(struct engine *e, const char *project, int64_t id)
{
    struct pipeline p = {.id = id, .status = JOB_RUNNING, .created = T0, .started = T0};
    STR_COPY(p.provider, "gitlab");
    STR_COPY(p.project, project);
    snprintf(p.key, sizeof(p.key), "gitlab:%s:%lld", project, (long long)id);
    struct stage *st = pipeline_stage(&p, "deploy");
    st->status = st->ci_status = JOB_RUNNING;
    pipeline_stage(&p, "promote")->status = JOB_CREATED;
    p.njobs = 2;
    STR_COPY(p.jobs[0].name, "deploy-staging");
    STR_COPY(p.jobs[0].stage, "deploy");
    p.jobs[0].status = p.jobs[0].ci_status = JOB_RUNNING;
    p.jobs[0].is_deploy = true;
    p.jobs[0].started = T0 + 1000;
    STR_COPY(p.jobs[1].name, "deploy-prod");
    STR_COPY(p.jobs[1].stage, "promote");
    p.jobs[1].status = p.jobs[1].ci_status = JOB_CREATED;
    p.jobs[1].is_deploy = true;
    pipeline_post(e, &p);
}

static void finding(struct engine *e, const char *pod, enum severity sev)
{
    struct kevent k = {.kind = KEV_OPEN, .severity = sev, .pid = 42, .ret = 3};
    STR_COPY(k.comm, "cat");
    STR_COPY(k.path, "/etc/shadow");
    STR_COPY(k.args, "O_RDONLY");
    STR_COPY(k.pod, pod);
    STR_COPY(k.rule, "sensitive_file_read");
    STR_COPY(k.title, "Sensitive file read");
    engine_kevent(e, &k);
}

static const struct pipeline *row(struct engine *e, const char *key)
{
    return engine_get(e, T_PIPELINES, key);
}

TEST(findings_in_the_namespace_fail_and_hold_the_deploy)
{
    struct engine e;
    setup(&e, NULL);
    engine_source_state(&e, "kernel", "kernel", SRC_SYNCED, NULL);
    engine_advance(&e, T0 + 5000);
    post(&e, "shop/checkout", 7);
    post(&e, "web/frontend", 8);
    const struct pipeline *p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_CLEAN && p->sec_critical == 0 && !p->gate_blocked);
    CHECK(p && strcmp(p->sec_scope, "namespace shop") == 0);
    CHECK(row(&e, "gitlab:web/frontend:8") && row(&e, "gitlab:web/frontend:8")->sec == SEC_NONE);
    engine_advance(&e, T0 + 6000);
    finding(&e, "web/frontend-1", SEV_CRITICAL); /* another namespace */
    finding(&e, "shop/checkout-2", SEV_WARNING); /* below the policy */
    p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_CLEAN && p->sec_warning == 1 && p->sec_critical == 0);
    finding(&e, "shop/checkout-2", SEV_CRITICAL);
    p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_FINDINGS && p->sec_critical == 1 && p->sec_warning == 1);
    CHECK(p && strstr(p->sec_text, "/etc/shadow read by cat in shop/checkout-2") != NULL);
    CHECK(p && strncmp(p->sec_text, "critical sensitive_file_read", 28) == 0);
    /* its deploy still to run is held, and the reason names the finding */
    CHECK(p && p->gate_blocked && strstr(p->gate_reason, "security: critical") != NULL);
    CHECK(p && p->njobs == 2 && p->jobs[1].status == JOB_BLOCKED &&
          p->jobs[1].ci_status == JOB_CREATED);
    engine_free(&e);
}

TEST(not_watching_when_the_deploy_started_is_unknown)
{
    struct engine e;
    setup(&e, NULL);
    engine_advance(&e, T0 + 5000);
    post(&e, "shop/checkout", 7); /* no kernel source at all */
    const struct pipeline *p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_UNKNOWN && strstr(p->sec_text, "not watching") != NULL);
    /* the view coming up later cannot vouch for what came before */
    engine_source_state(&e, "kernel", "kernel", SRC_SYNCED, NULL);
    p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_UNKNOWN);
    engine_free(&e);
}

TEST(kernel_down_or_drops_make_it_unknown)
{
    struct engine e;
    setup(&e, NULL);
    engine_source_state(&e, "kernel", "kernel", SRC_SYNCED, NULL);
    engine_advance(&e, T0 + 5000);
    post(&e, "shop/checkout", 7);
    CHECK(row(&e, "gitlab:shop/checkout:7")->sec == SEC_CLEAN);
    engine_source_state(&e, "kernel", "kernel", SRC_FAILED, "ring buffer gone");
    const struct pipeline *p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_UNKNOWN && strstr(p->sec_text, "down") != NULL);
    engine_advance(&e, T0 + 8000);
    engine_source_state(&e, "kernel", "kernel", SRC_SYNCED, NULL);
    p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_UNKNOWN && strstr(p->sec_text, "was down") != NULL);
    engine_advance(&e, T0 + 9000);
    engine_free(&e);

    setup(&e, NULL);
    engine_source_state(&e, "kernel", "kernel", SRC_SYNCED, NULL);
    engine_advance(&e, T0 + 5000);
    post(&e, "shop/checkout", 9);
    CHECK(row(&e, "gitlab:shop/checkout:9")->sec == SEC_CLEAN);
    struct kevent gap = {.kind = KEV_GAP, .lost = 120};
    engine_kevent(&e, &gap);
    p = row(&e, "gitlab:shop/checkout:9");
    CHECK(p && p->sec == SEC_UNKNOWN && strstr(p->sec_text, "dropped") != NULL);
    /* a finding stands whatever was lost beside it */
    finding(&e, "shop/checkout-2", SEV_CRITICAL);
    p = row(&e, "gitlab:shop/checkout:9");
    CHECK(p && p->sec == SEC_FINDINGS && p->sec_critical == 1);
    engine_free(&e);
}

TEST(one_stale_agent_is_a_hole_a_disabled_kernel_is_not)
{
    struct engine e;
    setup(&e, NULL);
    engine_source_state(&e, "kernel", "kernel", SRC_DISABLED, "no privileges");
    engine_source_state(&e, "agent:node-a", "agent", SRC_SYNCED, NULL);
    engine_source_state(&e, "agent:node-b", "agent", SRC_SYNCED, NULL);
    engine_advance(&e, T0 + 5000);
    post(&e, "shop/checkout", 7);
    CHECK(row(&e, "gitlab:shop/checkout:7")->sec == SEC_CLEAN);
    engine_source_state(&e, "agent:node-b", "agent", SRC_STALE, "no heartbeat for 15s");
    const struct pipeline *p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_UNKNOWN && strstr(p->sec_text, "down") != NULL);
    engine_free(&e);
}

TEST(an_evidence_file_that_does_not_verify_is_unknown)
{
    char path[] = "/tmp/lookout-sec-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, "not an evidence header\n", 23) == 23);
    close(fd);
    struct engine e;
    setup(&e, path);
    engine_source_state(&e, "kernel", "kernel", SRC_SYNCED, NULL);
    engine_advance(&e, T0 + 5000);
    post(&e, "shop/checkout", 7);
    const struct pipeline *p = row(&e, "gitlab:shop/checkout:7");
    CHECK(p && p->sec == SEC_UNKNOWN);
    CHECK(p && strstr(p->sec_scope, "1 evidence file") != NULL);
    CHECK(p && strstr(p->sec_text, path) != NULL); /* path:line: what is wrong */
    engine_free(&e);
    unlink(path);
}

RUN_TESTS()
