/* Correlation on scripted scenarios: the engine is driven by hand (upserts
 * and engine_advance), the way the demo and the live sources drive it. */
#include "base/buf.h"
#include "base/intern.h"
#include "aiops/correlate.h"
#include "aiops/correlate_internal.h"
#include "core/engine.h"
#include "core/incident.h"
#include "test.h"

#define T0   1772460000000LL
#define S(x) (T0 + (int64_t)(x)*1000)

static void service(struct engine *e, const char *name)
{
    struct service s = {0};
    STR_COPY(s.name, name);
    STR_COPY(s.namespace, "shop");
    snprintf(s.selector, sizeof(s.selector), "app=%s", name);
    engine_upsert(e, T_SERVICES, &s);
}

static void node(struct engine *e, const char *name, const char *problem)
{
    struct k8s_node n = {0};
    STR_COPY(n.name, name);
    n.ready = !*problem;
    STR_COPY(n.problem, problem);
    engine_upsert(e, T_NODES, &n);
}

static void pod(struct engine *e, const char *svc, int i, const char *nodename, const char *problem,
                bool oom)
{
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    snprintf(p.name, sizeof(p.name), "%s-7d9f8b6c4-p%d", svc, i);
    p.namespace = intern_str("shop");
    snprintf(p.key, sizeof(p.key), "shop/%s", p.name);
    p.deployment = intern_str(svc);
    p.node = intern_str(nodename);
    char labels[TEXT_LEN];
    snprintf(labels, sizeof(labels), "app=%s,pod-template-hash=7d9f8b6c4", svc);
    p.labels = intern_str(labels);
    p.problem = intern_str(problem);
    p.phase = intern_str("Running");
    p.ncontainers = 1;
    p.containers[0].name = intern_str(svc);
    if (oom)
        p.containers[0].last_reason = intern_str("OOMKilled");
    p.restarts = *problem ? 3 : 0;
    engine_upsert(e, T_PODS, &p);
}

static void slo(struct engine *e, const char *svc, enum alert_state a, int64_t burn_started)
{
    struct slo o = {0};
    snprintf(o.name, sizeof(o.name), "%s-availability", svc);
    STR_COPY(o.service, svc);
    o.objective = 0.999;
    o.alert = a;
    o.burn_started = burn_started;
    o.nwindows = 1;
    STR_COPY(o.windows[0].name, "5m");
    o.windows[0].burn_rate = a == ALERT_PAGE ? 14.4 : 0.5;
    engine_upsert(e, T_SLOS, &o);
}

static void deploy(struct engine *e, const char *svc, int64_t id, enum job_status st,
                   int64_t started, int64_t finished)
{
    struct pipeline p = {0};
    snprintf(p.project, sizeof(p.project), "shop/%s", svc);
    snprintf(p.key, sizeof(p.key), "gitlab:%s:%lld", p.project, (long long)id);
    STR_COPY(p.provider, "gitlab");
    p.id = id;
    STR_COPY(p.version, "v2.4.1");
    p.status = st;
    p.njobs = 2;
    p.jobs[0] = (struct job){.id = id * 10, .status = JOB_SUCCESS};
    STR_COPY(p.jobs[0].name, "test");
    p.jobs[1] = (struct job){.id = id * 10 + 1,
                             .status = st,
                             .is_deploy = true,
                             .started = started,
                             .finished = finished};
    STR_COPY(p.jobs[1].name, "deploy-production");
    STR_COPY(p.jobs[1].environment, "production");
    engine_upsert(e, T_PIPELINES, &p);
}

/* A Warning event on a pod; last_seen 0: none given (the engine's now). */
static void warning_at(struct engine *e, const char *podname, const char *reason, int64_t last_seen)
{
    struct k8s_event ev = {0};
    snprintf(ev.key, sizeof(ev.key), "shop/%s-%s", podname, reason);
    STR_COPY(ev.namespace, "shop");
    STR_COPY(ev.type, "Warning");
    STR_COPY(ev.reason, reason);
    STR_COPY(ev.message, "Back-off restarting failed container");
    STR_COPY(ev.object_kind, "Pod");
    STR_COPY(ev.object_name, podname);
    ev.count = 1;
    ev.last_seen = last_seen;
    engine_upsert(e, T_K8S_EVENTS, &ev);
}

static void warning(struct engine *e, const char *podname, const char *reason)
{
    warning_at(e, podname, reason, 0);
}

static void kev(struct engine *e, const char *podkey, const char *rule, enum severity sev)
{
    struct kevent k = {.kind = KEV_OPEN, .severity = sev};
    STR_COPY(k.pod, podkey);
    STR_COPY(k.rule, rule);
    STR_COPY(k.comm, "cat");
    STR_COPY(k.path, "/etc/passwd");
    STR_COPY(k.title, "sensitive file read");
    engine_kevent(e, &k);
}

static int count_incidents(struct engine *e, const char *service, int *open)
{
    struct table *t = engine_table(e, T_INCIDENTS);
    int n = 0;
    if (open)
        *open = 0;
    for (int i = 0; i < t->count; i++) {
        const struct incident *inc = table_row(t, i);
        if (service && strcmp(inc->service, service) != 0)
            continue;
        n++;
        if (open)
            *open += inc->state == INC_OPEN;
    }
    return n;
}

static const struct incident *incident_of(struct engine *e, const char *service)
{
    struct table *t = engine_table(e, T_INCIDENTS);
    for (int i = t->count - 1; i >= 0; i--) {
        const struct incident *inc = table_row(t, i);
        if (strcmp(inc->service, service) == 0)
            return inc;
    }
    return NULL;
}

static struct correlator *setup(struct engine *e)
{
    engine_init(e);
    engine_advance(e, S(0));
    struct correlator *c = correlator_new(e, NULL);
    service(e, "checkout");
    service(e, "payments");
    service(e, "frontend");
    node(e, "node-a", "");
    node(e, "node-b", "");
    for (int i = 0; i < 3; i++) {
        pod(e, "checkout", i, i ? "node-b" : "node-a", "", false);
        pod(e, "payments", i, "node-a", "", false);
        pod(e, "frontend", i, "node-b", "", false);
    }
    slo(e, "checkout", ALERT_OK, 0);
    slo(e, "payments", ALERT_OK, 0);
    return c;
}

static void teardown(struct engine *e, struct correlator *c)
{
    engine_free(e);
    correlator_free(c);
}

/* The demo's story: deploy, errors, crash loops, an OOM kill, a page. */
static void bad_deploy_story(struct engine *e)
{
    engine_advance(e, S(16));
    deploy(e, "checkout", 41, JOB_RUNNING, S(16), 0);
    engine_advance(e, S(24));
    deploy(e, "checkout", 41, JOB_SUCCESS, S(16), S(24));
    engine_advance(e, S(26));
    slo(e, "checkout", ALERT_OK, S(26)); /* burning, not yet alerting */
    engine_advance(e, S(40));
    pod(e, "checkout", 1, "node-b", "CrashLoopBackOff", false);
    warning(e, "checkout-7d9f8b6c4-p1", "BackOff");
    engine_advance(e, S(45));
    pod(e, "checkout", 2, "node-b", "CrashLoopBackOff", false);
    pod(e, "checkout", 1, "node-b", "CrashLoopBackOff", false); /* a repeat: not a signal */
    engine_advance(e, S(50));
    pod(e, "checkout", 2, "node-b", "CrashLoopBackOff", true);
    engine_advance(e, S(70));
    slo(e, "checkout", ALERT_PAGE, S(26));
    /* The SLO engine opens its own incident on a page: it is absorbed. */
    struct incident dup = {.state = INC_OPEN, .opened = S(70), .updated = S(70), .signals = 1};
    STR_COPY(dup.id, "slo-1");
    STR_COPY(dup.fingerprint, "slo:checkout-availability");
    STR_COPY(dup.service, "checkout");
    engine_upsert(e, T_INCIDENTS, &dup);
    engine_advance(e, S(120));
}

TEST(bad_deploy_burn_and_crashloops_are_one_incident_caused_by_the_deploy)
{
    struct engine e;
    struct correlator *c = setup(&e);
    bad_deploy_story(&e);
    int open = 0;
    CHECK(count_incidents(&e, NULL, NULL) == 1);
    CHECK(count_incidents(&e, "checkout", &open) == 1);
    CHECK(open == 1);
    const struct incident *inc = incident_of(&e, "checkout");
    CHECK(inc != NULL);
    if (inc) {
        CHECK(inc->ncauses >= 2);
        CHECK(strstr(inc->causes[0].title, "Deploy of checkout") != NULL);
        CHECK(strstr(inc->causes[0].evidence, "before the trouble began") != NULL);
        CHECK(inc->causes[0].score > 0.9);
        CHECK(inc->causes[1].score < inc->causes[0].score);
        CHECK(inc->severity == SEV_CRITICAL);
        CHECK(strstr(inc->title, "paging") != NULL);
        /* The deploy that came before the opening is on the timeline, first. */
        CHECK(inc->ntimeline >= 5);
        CHECK_STR(inc->timeline[0].kind, "deploy");
        CHECK(inc->timeline[0].time == S(16));
        for (int i = 1; i < inc->ntimeline; i++)
            CHECK(inc->timeline[i].time >= inc->timeline[i - 1].time);
        /* crash x2, OOM, BackOff warning, page */
        CHECK(inc->signals == 5);
    }
    const struct summary *s = engine_get(&e, T_SUMMARY, "summary");
    CHECK(s && s->open_incidents == 1 && s->incidents_1h == 1 && s->signals_1h == 5);
    teardown(&e, c);
}

/* Failures listed at start-up carry the time they failed: yesterday's is
 * history (no incident, not on the timeline), one from minutes ago is on
 * the timeline at its own time, not at the moment Lookout saw it. */
TEST(a_failure_listed_at_start_up_is_stamped_when_it_failed)
{
    struct engine e;
    struct correlator *c = setup(&e);
    engine_advance(&e, S(60));
    deploy(&e, "payments", 7, JOB_FAILED, S(-30 * 3600), S(-30 * 3600 + 60));
    deploy(&e, "checkout", 39, JOB_SUCCESS, S(-30 * 3600), S(-30 * 3600 + 60));
    struct pipeline p = {0};
    STR_COPY(p.project, "shop/checkout");
    STR_COPY(p.key, "gitlab:shop/checkout:38");
    STR_COPY(p.provider, "gitlab");
    p.id = 38;
    p.status = JOB_FAILED;
    p.finished = S(-30 * 3600);
    engine_upsert(&e, T_PIPELINES, &p);
    STR_COPY(p.key, "gitlab:shop/checkout:40");
    p.id = 40;
    p.finished = S(20);
    engine_upsert(&e, T_PIPELINES, &p);
    engine_advance(&e, S(70));
    CHECK(count_incidents(&e, "payments", NULL) == 0); /* yesterday's failed deploy */
    pod(&e, "checkout", 1, "node-b", "CrashLoopBackOff", false);
    engine_advance(&e, S(80));
    const struct incident *inc = incident_of(&e, "checkout");
    CHECK(inc != NULL);
    bool recent = false;
    for (int i = 0; inc && i < inc->ntimeline; i++) {
        CHECK(strstr(inc->timeline[i].text, "#38") == NULL);
        if (strstr(inc->timeline[i].text, "#40 failed"))
            recent = inc->timeline[i].time == S(20);
    }
    CHECK(recent);
    teardown(&e, c);
}

TEST(two_unrelated_services_failing_at_once_are_two_incidents)
{
    struct engine e;
    struct correlator *c = setup(&e);
    engine_advance(&e, S(30));
    pod(&e, "checkout", 0, "node-a", "CrashLoopBackOff", false);
    slo(&e, "payments", ALERT_PAGE, S(20));
    engine_advance(&e, S(31));
    pod(&e, "checkout", 1, "node-b", "CrashLoopBackOff", false);
    kev(&e, "shop/payments-7d9f8b6c4-p0", "sensitive_file_read", SEV_CRITICAL);
    engine_advance(&e, S(60));
    CHECK(count_incidents(&e, NULL, NULL) == 2);
    CHECK(count_incidents(&e, "checkout", NULL) == 1);
    CHECK(count_incidents(&e, "payments", NULL) == 1);
    const struct incident *p = incident_of(&e, "payments");
    CHECK(p && p->signals == 2);
    CHECK(p && p->ncauses >= 1 && strstr(p->causes[0].title, "Security") != NULL);
    const struct incident *k = incident_of(&e, "checkout");
    CHECK(k && k->signals == 2 && strstr(k->title, "CrashLoopBackOff") != NULL);
    teardown(&e, c);
}

TEST(a_flapping_alert_stays_one_incident_and_closes_after_quiet)
{
    struct engine e;
    struct correlator *c = setup(&e);
    for (int i = 0; i < 8; i++) {
        engine_advance(&e, S(60 * i + 10));
        slo(&e, "payments", ALERT_PAGE, S(10));
        engine_advance(&e, S(60 * i + 40));
        slo(&e, "payments", ALERT_OK, 0);
    }
    int open = 0;
    CHECK(count_incidents(&e, NULL, NULL) == 1);
    CHECK(count_incidents(&e, "payments", &open) == 1 && open == 1);
    const struct incident *inc = incident_of(&e, "payments");
    CHECK(inc && inc->signals == 8);
    /* Quiet for the quiet period: resolved. */
    engine_advance(&e, S(60 * 7 + 40 + 601));
    CHECK(count_incidents(&e, "payments", &open) == 1 && open == 0);
    inc = incident_of(&e, "payments");
    CHECK(inc && inc->state == INC_RESOLVED && inc->closed > 0);
    /* A page soon after closing reopens it; one much later is a new incident. */
    slo(&e, "payments", ALERT_PAGE, 0);
    CHECK(count_incidents(&e, "payments", &open) == 1 && open == 1);
    slo(&e, "payments", ALERT_OK, 0);
    engine_advance(&e, S(3 * 3600));
    slo(&e, "payments", ALERT_PAGE, 0);
    CHECK(count_incidents(&e, "payments", &open) == 2 && open == 1);
    const struct summary *s = engine_get(&e, T_SUMMARY, "summary");
    engine_advance(&e, S(3 * 3600 + 2));
    s = engine_get(&e, T_SUMMARY, "summary");
    CHECK(s && s->open_incidents == 1 && s->signals_1h == 1);
    teardown(&e, c);
}

/* A Warning event listed at start-up carries its own time; one from an hour
 * ago falls in the bucket of this minute and once reset it, so the page
 * just counted vanished from signals/1h. */
TEST(an_old_signal_does_not_reset_this_hours_count)
{
    struct engine e;
    struct correlator *c = setup(&e);
    engine_advance(&e, S(3 * 3600));
    slo(&e, "payments", ALERT_PAGE, S(3 * 3600 - 30));
    warning_at(&e, "payments-old", "BackOff", S(2 * 3600)); /* an hour ago: the same bucket */
    engine_advance(&e, S(3 * 3600 + 2));
    const struct summary *s = engine_get(&e, T_SUMMARY, "summary");
    CHECK(s && s->signals_1h == 1);
    teardown(&e, c);
}

TEST(a_notready_node_hosting_most_failing_pods_ranks_first)
{
    struct engine e;
    struct correlator *c = setup(&e);
    engine_advance(&e, S(10));
    node(&e, "node-b", "NotReady");
    engine_advance(&e, S(20));
    pod(&e, "frontend", 0, "node-b", "Pending", false);
    pod(&e, "frontend", 1, "node-b", "CrashLoopBackOff", false);
    pod(&e, "frontend", 2, "node-b", "CrashLoopBackOff", false);
    engine_advance(&e, S(30));
    const struct incident *inc = incident_of(&e, "frontend");
    CHECK(inc != NULL);
    if (inc) {
        CHECK(inc->ncauses >= 1);
        CHECK(strstr(inc->causes[0].title, "Node node-b NotReady") != NULL);
        CHECK(strstr(inc->causes[0].evidence, "3 of 3 failing pods") != NULL);
    }
    /* the node signal came first, alone: its own incident, which frontend's joined later */
    CHECK(count_incidents(&e, "frontend", NULL) == 1);
    teardown(&e, c);
}

TEST(a_spike_of_one_kernel_rule_ranks_as_a_cause)
{
    struct engine e;
    struct correlator *c = setup(&e);
    engine_advance(&e, S(5));
    for (int i = 0; i < 6; i++)
        kev(&e, "shop/payments-7d9f8b6c4-p1", "outbound_conn_reset", SEV_WARNING);
    kev(&e, "shop/payments-7d9f8b6c4-p2", "shell_in_container", SEV_WARNING);
    engine_advance(&e, S(10));
    CHECK(count_incidents(&e, NULL, NULL) == 0); /* warnings alone open nothing */
    slo(&e, "payments", ALERT_TICKET, S(6));
    engine_advance(&e, S(12));
    const struct incident *inc = incident_of(&e, "payments");
    CHECK(inc != NULL);
    bool found = false;
    for (int i = 0; inc && i < inc->ncauses; i++)
        found |= strstr(inc->causes[i].title, "Spike of kernel rule outbound_conn_reset") != NULL;
    CHECK(found);
    teardown(&e, c);
}

TEST(replay_runs_no_correlation)
{
    struct engine e;
    struct correlator *c = setup(&e);
    e.replaying = true;
    slo(&e, "payments", ALERT_PAGE, S(1));
    engine_advance(&e, S(30));
    CHECK(count_incidents(&e, NULL, NULL) == 0);
    teardown(&e, c);
}

TEST(anomalies_fold_but_do_not_open)
{
    struct engine e;
    struct correlator *c = setup(&e);
    engine_advance(&e, S(5));
    correlator_anomaly(c, "demo:checkout:errors_total", "checkout", 0.97, S(5));
    engine_advance(&e, S(6));
    CHECK(count_incidents(&e, NULL, NULL) == 0);
    pod(&e, "checkout", 0, "node-a", "OOMKilled", false);
    engine_advance(&e, S(8));
    const struct incident *inc = incident_of(&e, "checkout");
    CHECK(inc && inc->signals == 2);
    bool found = false;
    for (int i = 0; inc && i < inc->ncauses; i++)
        found |= strstr(inc->causes[i].title, "Anomalous metric") != NULL;
    CHECK(found);
    teardown(&e, c);
}

TEST(many_services_failing_stay_one_incident_each)
{
    struct engine e;
    engine_init(&e);
    engine_advance(&e, S(0));
    struct correlator *c = correlator_new(&e, NULL);
    char name[32];
    for (int s = 0; s < 100; s++) {
        snprintf(name, sizeof(name), "svc%d", s);
        service(&e, name);
        for (int i = 0; i < 50; i++)
            pod(&e, name, i, i % 2 ? "node-a" : "node-b", "", false);
    }
    engine_advance(&e, S(10));
    for (int s = 0; s < 100; s += 2) {
        snprintf(name, sizeof(name), "svc%d", s);
        for (int i = 0; i < 5; i++)
            pod(&e, name, i, i % 2 ? "node-a" : "node-b", "CrashLoopBackOff", false);
    }
    engine_advance(&e, S(20));
    CHECK(count_incidents(&e, NULL, NULL) == 50);
    const struct incident *inc = incident_of(&e, "svc42");
    CHECK(inc && inc->signals == 5 && inc->ncauses >= 1);
    const struct summary *sum = engine_get(&e, T_SUMMARY, "summary");
    CHECK(sum && sum->signals_1h == 250 && sum->open_incidents == 50);
    teardown(&e, c);
}

TEST(selector_matching)
{
    CHECK(corr_selector_matches("app=checkout", "app=checkout,tier=web"));
    CHECK(corr_selector_matches("app=checkout, tier=web", "tier=web,app=checkout"));
    CHECK(!corr_selector_matches("app=checkout", "app=checkout-v2"));
    CHECK(!corr_selector_matches("app=checkout,tier=db", "app=checkout,tier=web"));
    CHECK(!corr_selector_matches("", "app=checkout"));
}

/* ---- entity, then time; the rank ---- */

static void rollout(struct engine *e, const char *svc, const char *rev, int64_t changed)
{
    struct k8s_deployment d = {.desired = 3, .ready = 3, .available = 3, .changed = changed};
    STR_COPY(d.namespace, "shop");
    STR_COPY(d.name, svc);
    snprintf(d.key, sizeof(d.key), "shop/%s", svc);
    STR_COPY(d.revision, rev);
    snprintf(d.image, sizeof(d.image), "reg/%s:%s", svc, rev);
    engine_upsert(e, T_DEPLOYMENTS, &d);
}

static int count_lines(const char *s)
{
    int n = *s != 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static bool any_cause_mentions(const struct incident *inc, const char *what)
{
    for (int i = 0; i < inc->ncauses; i++)
        if (strstr(inc->causes[i].title, what) || strstr(inc->causes[i].evidence, what))
            return true;
    return false;
}

TEST(deploy_before_burn_is_one_cause_with_three_evidence_lines)
{
    struct engine e;
    struct correlator *c = setup(&e);
    rollout(&e, "checkout", "7", S(0));
    engine_advance(&e, S(23));
    rollout(&e, "checkout", "8", S(23)); /* the rollout the deploy job made */
    bad_deploy_story(&e);
    const struct incident *inc = incident_of(&e, "checkout");
    CHECK(inc != NULL);
    if (inc) {
        CHECK(inc->start == S(26)); /* the burn start: the one reference time */
        CHECK(strstr(inc->causes[0].title, "Deploy of checkout") != NULL);
        CHECK(!inc->causes[0].followed);
        CHECK(inc->causes[0].nevidence == 3);
        CHECK(count_lines(inc->causes[0].evidence) == 3);
        CHECK(strstr(inc->causes[0].evidence, "2 s before the trouble began") != NULL); /* job */
        CHECK(strstr(inc->causes[0].evidence, "3 s before the trouble began") !=
              NULL); /* rollout */
        int deploys = 0;
        for (int i = 0; i < inc->ncauses; i++)
            deploys += strstr(inc->causes[i].title, "Deploy of") != NULL ||
                       strstr(inc->causes[i].title, "ollout") != NULL;
        CHECK(deploys == 1); /* pipeline, rollout and score: one cause */
        CHECK(inc->peak_alert == ALERT_PAGE && inc->paged >= S(70) && inc->paged <= S(71));
    }
    teardown(&e, c);
}

TEST(host_event_and_unrelated_rollout_do_not_join)
{
    struct engine e;
    struct correlator *c = setup(&e);
    rollout(&e, "payments", "3", S(0));
    engine_advance(&e, S(10));
    rollout(&e, "payments", "4", S(10));
    engine_advance(&e, S(20));
    kev(&e, "", "privilege_escalation_uid0", SEV_CRITICAL); /* on the host: no pod */
    engine_advance(&e, S(30));
    CHECK(count_incidents(&e, NULL, NULL) == 1);
    CHECK(count_incidents(&e, "payments", NULL) == 0);
    const struct incident *host = incident_of(&e, "");
    CHECK(host != NULL);
    if (host) {
        CHECK(host->security && incident_tier(host) == TIER_CRITICAL);
        CHECK(!any_cause_mentions(host, "rollout") && !any_cause_mentions(host, "Deploy"));
        for (int i = 0; i < host->ntimeline; i++)
            CHECK(strstr(host->timeline[i].text, "payments") == NULL);
    }
    /* A page of checkout later: the host event is no cause of it. */
    bad_deploy_story(&e);
    const struct incident *svc = incident_of(&e, "checkout");
    CHECK(svc && !any_cause_mentions(svc, "privilege") && !any_cause_mentions(svc, "host"));
    teardown(&e, c);
}

TEST(rollout_after_start_is_followed_never_first)
{
    struct engine e;
    struct correlator *c = setup(&e);
    engine_advance(&e, S(10));
    slo(&e, "checkout", ALERT_OK, S(10)); /* burning from second 10 */
    engine_advance(&e, S(12));
    pod(&e, "checkout", 1, "node-b", "CrashLoopBackOff", false);
    engine_advance(&e, S(30));
    deploy(&e, "checkout", 50, JOB_SUCCESS, S(25), S(30)); /* 20 s after the start */
    engine_advance(&e, S(40));
    const struct incident *inc = incident_of(&e, "checkout");
    CHECK(inc != NULL);
    if (inc) {
        CHECK(inc->start == S(10));
        int at = -1;
        for (int i = 0; i < inc->ncauses; i++)
            if (strstr(inc->causes[i].title, "Deploy of checkout"))
                at = i;
        CHECK(at > 0);
        CHECK(at > 0 && inc->causes[at].followed);
        CHECK(at > 0 && strstr(inc->causes[at].evidence, "20 s after the trouble began"));
        CHECK(!inc->causes[0].followed);
    }
    teardown(&e, c);
}

static void row(struct engine *e, const char *id, enum alert_state peak, enum severity sev,
                int64_t start, double per_hour)
{
    struct incident inc = {.state = INC_OPEN, .severity = sev, .peak_alert = peak};
    STR_COPY(inc.id, id);
    STR_COPY(inc.fingerprint, id);
    inc.opened = inc.updated = inc.start = start;
    inc.budget_per_hour = per_hour;
    inc.slos_hit = peak == ALERT_OK ? 0 : 1;
    engine_upsert(e, T_INCIDENTS, &inc);
}

TEST(rank_page_ticket_critical_warning_then_start)
{
    struct engine e;
    engine_init(&e);
    row(&e, "W", ALERT_OK, SEV_WARNING, S(1), 0);
    row(&e, "SEC", ALERT_OK, SEV_CRITICAL, S(50), 0); /* newest: not first for that */
    row(&e, "T", ALERT_TICKET, SEV_WARNING, S(20), 0.5);
    row(&e, "P-late", ALERT_PAGE, SEV_CRITICAL, S(30), 2.0);
    row(&e, "P-early", ALERT_PAGE, SEV_CRITICAL, S(10), 2.0);
    row(&e, "P-big", ALERT_PAGE, SEV_CRITICAL, S(40), 9.0);
    const struct incident *v[8];
    int n = incident_ranked(&e, v, 8);
    static const char *const want[] = {"P-big", "P-early", "P-late", "T", "SEC", "W"};
    CHECK(n == 6);
    for (int i = 0; i < n && i < 6; i++)
        CHECK_STR(v[i]->id, want[i]);
    char why[160];
    const struct incident *cur = incident_current(&e, why, sizeof why);
    CHECK(cur && !strcmp(cur->id, "P-big") && strstr(why, "paging SLO"));
    CHECK(incident_pick(&e, "nope") < 0);
    CHECK(incident_pick(&e, "SEC") == 0);
    cur = incident_current(&e, why, sizeof why);
    CHECK(cur && !strcmp(cur->id, "SEC") && strstr(why, "picked"));
    incident_pick(&e, NULL);
    cur = incident_current(&e, NULL, 0);
    CHECK(cur && !strcmp(cur->id, "P-big"));
    engine_free(&e);
}

RUN_TESTS()
