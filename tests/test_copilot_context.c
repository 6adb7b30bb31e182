/* The copilot's prompt builder (sections, fence, size budget, names for
 * pseudonyms) and the offline analysis rules, on a hand-built engine. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/intern.h"
#include "copilot/copilot.h"
#include "copilot/context.h"
#include "copilot/offline.h"
#include "copilot/postmortem.h"
#include "core/engine.h"
#include "test.h"

#define T0 1763800000000LL

static void scene(struct engine *e, int nevents)
{
    engine_init(e);
    engine_advance(e, T0);
    struct service sv = {0};
    STR_COPY(sv.name, "checkout");
    STR_COPY(sv.namespace, "shop");
    STR_COPY(sv.selector, "app=checkout");
    engine_upsert(e, T_SERVICES, &sv);
    struct slo s = {.objective = 0.999,
                    .budget_remaining = 0.5,
                    .alert = ALERT_PAGE,
                    .burn_started = T0 - 90000,
                    .exhaustion_ms = -1,
                    .nwindows = 1};
    STR_COPY(s.name, "checkout-availability");
    STR_COPY(s.service, "checkout");
    STR_COPY(s.windows[0].name, "5m");
    s.windows[0].burn_rate = 20;
    engine_upsert(e, T_SLOS, &s);
    struct k8s_deployment d = {.desired = 3, .ready = 1, .changed = T0 - 100000};
    STR_COPY(d.key, "shop/checkout");
    STR_COPY(d.namespace, "shop");
    STR_COPY(d.name, "checkout");
    STR_COPY(d.image, "reg/checkout:2.4.1");
    STR_COPY(d.revision, "8");
    engine_upsert(e, T_DEPLOYMENTS, &d);
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    p.ncontainers = 1;
    p.restarts = 4;
    STR_COPY(p.key, "shop/checkout-abc-1");
    p.namespace = intern_str("shop");
    STR_COPY(p.name, "checkout-abc-1");
    p.node = intern_str("ip-10-0-2-41");
    p.labels = intern_str("app=checkout");
    p.problem = intern_str("CrashLoopBackOff");
    p.containers[0].name = intern_str("app");
    p.containers[0].reason = intern_str("CrashLoopBackOff");
    p.containers[0].last_reason = intern_str("Error");
    p.containers[0].last_exit_code = 1;
    engine_upsert(e, T_PODS, &p);
    STR_COPY(p.key, "shop/checkout-abc-2");
    STR_COPY(p.name, "checkout-abc-2");
    p.problem = intern_str("OOMKilled");
    p.containers[0].reason = intern_str("");
    p.containers[0].last_reason = intern_str("OOMKilled");
    p.containers[0].last_exit_code = 137;
    engine_upsert(e, T_PODS, &p);
    STR_COPY(p.key, "other/unrelated-1");
    p.namespace = intern_str("other");
    STR_COPY(p.name, "unrelated-1");
    p.labels = intern_str("app=other");
    engine_upsert(e, T_PODS, &p);
    for (int i = 0; i < nevents; i++) {
        struct k8s_event ev = {.count = i + 1, .first_seen = T0 - 5000, .last_seen = T0 - 5000};
        snprintf(ev.key, sizeof(ev.key), "shop/e%d", i);
        STR_COPY(ev.namespace, "shop");
        STR_COPY(ev.type, "Warning");
        STR_COPY(ev.reason, "BackOff");
        STR_COPY(ev.object_kind, "Pod");
        STR_COPY(ev.object_name, "checkout-abc-1");
        snprintf(ev.message, sizeof(ev.message),
                 "Back-off restarting failed container app in pod checkout-abc-1 (%d)", i);
        engine_upsert(e, T_K8S_EVENTS, &ev);
    }
    struct kevent k = {.kind = KEV_OPEN, .severity = SEV_CRITICAL, .pid = 4242, .uid = 0};
    STR_COPY(k.comm, "sh");
    STR_COPY(k.pod, "shop/checkout-abc-1");
    STR_COPY(k.rule, "sensitive_file_read");
    STR_COPY(k.title, "read of a sensitive file");
    STR_COPY(k.path, "/etc/shadow");
    STR_COPY(k.daddr, "10.9.8.7");
    engine_kevent(e, &k);
    struct incident inc = {
        .severity = SEV_CRITICAL, .state = INC_OPEN, .opened = T0 - 60000, .signals = 5};
    STR_COPY(inc.id, "INC-1");
    STR_COPY(inc.fingerprint, "svc:checkout");
    STR_COPY(inc.title, "checkout burning");
    STR_COPY(inc.service, "checkout");
    engine_upsert(e, T_INCIDENTS, &inc);
}

static cJSON *evidence(const char *user, char *fence_out)
{
    const char *open = strstr(user, "<evidence id=\"");
    if (!open)
        return NULL;
    memcpy(fence_out, open + 14, 16);
    fence_out[16] = 0;
    const char *json = strchr(open, '\n') + 1;
    char close[64];
    snprintf(close, sizeof(close), "\n</evidence id=\"%s\">", fence_out);
    const char *end = strstr(json, close);
    return end ? cJSON_ParseWithLength(json, (size_t)(end - json)) : NULL;
}

TEST(incident_prompt_sections_and_names)
{
    struct engine e;
    scene(&e, 3);
    struct copilot_subject s = {.kind = "incident", .key = "INC-1"};
    struct pseudo_map *m = calloc(1, sizeof(*m));
    struct copilot_prompt p;
    CHECK(copilot_context_build(&e, &s, 0, m, &p) == 0);
    char fence[17];
    cJSON *j = evidence(buf_cstr(&p.user), fence);
    CHECK(j != NULL);
    CHECK(strlen(fence) == 16);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "slo")) == 1);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "pods")) == 2); /* not the other service */
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "warning_events")) == 3);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "recent_changes")) == 1);
    const cJSON *ks = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "kernel_summary"), 0);
    CHECK(ks && strcmp(cJSON_GetObjectItem(ks, "rule")->valuestring, "sensitive_file_read") == 0);
    CHECK(strstr(buf_cstr(&p.system), "never instructions") != NULL);
    /* namespaces, pods, nodes and IPs were collected for pseudonyms */
    bool ns = false, pod = false, node = false, ip = false;
    for (int i = 0; i < m->n; i++) {
        ns |= !strcmp(m->e[i].real, "shop");
        pod |= !strcmp(m->e[i].real, "checkout-abc-1");
        node |= !strcmp(m->e[i].real, "ip-10-0-2-41");
        ip |= !strcmp(m->e[i].real, "10.9.8.7");
    }
    CHECK(ns && pod && node && ip);
    cJSON_Delete(j);
    copilot_prompt_free(&p);
    free(m);
    engine_free(&e);
}

/* A cluster source that never delivered: the model is told, and is not
 * handed "0 pods failing" for a cluster nobody could see. */
TEST(blind_sources_are_named_and_unknown_counts_null)
{
    struct engine e;
    scene(&e, 1);
    struct copilot_subject s = {.kind = "incident", .key = "INC-1"};
    struct copilot_prompt p;
    CHECK(copilot_context_build(&e, &s, 0, NULL, &p) == 0);
    cJSON *j = evidence(buf_cstr(&p.user), (char[17]){0});
    CHECK(j && !cJSON_GetObjectItem(j, "sources_not_reporting")); /* nothing configured */
    cJSON_Delete(j);
    copilot_prompt_free(&p);
    engine_source_state(&e, "kube:prod", "kubernetes", SRC_FAILED, "connection refused");
    engine_source_state(&e, "copilot", "copilot", SRC_FAILED, "no key"); /* outbound: not counted */
    struct summary sm = *(const struct summary *)engine_get(&e, T_SUMMARY, "summary");
    sm.cluster = CLUSTER_UNKNOWN;
    engine_upsert(&e, T_SUMMARY, &sm);
    CHECK(copilot_context_build(&e, &s, 0, NULL, &p) == 0);
    j = evidence(buf_cstr(&p.user), (char[17]){0});
    const cJSON *blind = cJSON_GetObjectItem(j, "sources_not_reporting");
    const cJSON *b0 = cJSON_GetArrayItem(blind, 0);
    CHECK(cJSON_GetArraySize(blind) == 1 && b0 &&
          !strcmp(cJSON_GetObjectItem(b0, "kind")->valuestring, "kubernetes") &&
          !strcmp(cJSON_GetObjectItem(b0, "state")->valuestring, "failed"));
    CHECK(strstr(buf_cstr(&p.user), "kube:prod") == NULL); /* names stay out */
    const cJSON *ps = cJSON_GetObjectItem(j, "pods_summary");
    CHECK(ps && cJSON_IsNull(cJSON_GetObjectItem(ps, "pods")) &&
          cJSON_IsNull(cJSON_GetObjectItem(ps, "failing")) &&
          !strcmp(cJSON_GetObjectItem(ps, "cluster")->valuestring, "unknown"));
    cJSON_Delete(j);
    copilot_prompt_free(&p);
    engine_free(&e);
}

TEST(budget_trims_least_relevant_first_and_says_so)
{
    struct engine e;
    scene(&e, 40);
    struct copilot_subject s = {.kind = "incident", .key = "INC-1"};
    struct copilot_prompt full, small;
    CHECK(copilot_context_build(&e, &s, 0, NULL, &full) == 0);
    CHECK(copilot_context_build(&e, &s, 3000, NULL, &small) == 0);
    CHECK(full.user.len > 3000);
    CHECK(small.user.len <= 3000);
    CHECK(small.trimmed > 0);
    char fence[17];
    cJSON *j = evidence(buf_cstr(&small.user), fence);
    CHECK(j != NULL);
    const cJSON *cut = cJSON_GetObjectItem(j, "truncated_items");
    CHECK(cJSON_GetObjectItem(cut, "warning_events") != NULL);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "slo")) == 1); /* most relevant kept */
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "pods")) == 2);
    cJSON_Delete(j);
    copilot_prompt_free(&full);
    copilot_prompt_free(&small);
    engine_free(&e);
}

TEST(unknown_subject_is_an_error_other_rows_go_in_whole)
{
    struct engine e;
    scene(&e, 1);
    struct copilot_prompt p;
    struct copilot_subject bad = {.kind = "incident", .key = "nope"};
    CHECK(copilot_context_build(&e, &bad, 0, NULL, &p) < 0);
    struct copilot_subject pod = {.kind = "pod", .key = "shop/checkout-abc-2"};
    CHECK(copilot_context_build(&e, &pod, 0, NULL, &p) == 0);
    char fence[17];
    cJSON *j = evidence(buf_cstr(&p.user), fence);
    const cJSON *row = cJSON_GetObjectItem(j, "subject_row");
    CHECK(row && !strcmp(cJSON_GetObjectItem(row, "problem")->valuestring, "OOMKilled"));
    cJSON_Delete(j);
    copilot_prompt_free(&p);
    engine_free(&e);
}

TEST(offline_rules)
{
    struct engine e;
    scene(&e, 2);
    struct copilot_subject s = {.kind = "incident", .key = "INC-1"};
    struct buf out = {0};
    int n = copilot_offline_analysis(&e, &s, &out);
    const char *t = buf_cstr(&out);
    CHECK(n >= 4);
    /* deploy right before the burn: roll back that version */
    CHECK(strstr(t, "revision 8, image reg/checkout:2.4.1") != NULL);
    CHECK(strstr(t, "`kubectl -n shop rollout undo deployment/checkout`") != NULL);
    /* OOMKilled: memory limit */
    CHECK(strstr(t, "checkout-abc-2 is OOMKilled") != NULL);
    /* CrashLoopBackOff: last termination reason */
    CHECK(strstr(t, "CrashLoopBackOff; last termination: Error (exit 1)") != NULL);
    /* sensitive file read: which process in which pod */
    CHECK(strstr(t, "process sh (pid 4242) in shop/checkout-abc-1 touched /etc/shadow") != NULL);
    CHECK(strstr(t, "unrelated") == NULL);
    CHECK(!copilot_line_is_destructive("1. `kubectl -n shop rollout undo deployment/checkout`"));
    buf_free(&out);
    engine_free(&e);
}

TEST(subject_ids)
{
    char a[32], b[32];
    copilot_subject_id("incident", "INC-7", a, sizeof(a));
    CHECK_STR(a, "INC-7");
    copilot_subject_id("pod", "shop/checkout-abc-1", a, sizeof(a));
    copilot_subject_id("pod", "shop/checkout-abc-1", b, sizeof(b));
    CHECK_STR(a, b);
    CHECK(strncmp(a, "ask:", 4) == 0 && strlen(a) == 16);
    copilot_subject_id("node", "shop/checkout-abc-1", b, sizeof(b));
    CHECK(strcmp(a, b) != 0);
}

/* The TUI's `e`: under the state directory it creates, 0600, an absolute
 * path back, and the document names the incident and why it was chosen. */
TEST(postmortem_export_is_private_and_absolute)
{
    struct engine e;
    scene(&e, 1);
    char dir[] = "/tmp/lookout-pm-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sub[64], rel[80], path[4096], err[256];
    snprintf(sub, sizeof sub, "%s/state/lookout", dir);
    CHECK(chdir(dir) == 0);
    snprintf(rel, sizeof rel, "state/lookout");
    CHECK(postmortem_export(&e, rel, "INC-1", "top-ranked of 1 open", path, sizeof path, err,
                            sizeof err) == 0);
    CHECK(path[0] == '/' && strstr(path, "/state/lookout/lookout-postmortem-INC-1.md"));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
    size_t len = 0;
    char *doc = read_file(path, 1 << 20, &len);
    CHECK(doc && strstr(doc, "**Why this incident:** top-ranked of 1 open"));
    const char *tl = doc ? strstr(doc, "## Timeline") : NULL;
    CHECK(tl && !strstr(tl + 1, "## Timeline")); /* one timeline */
    free(doc);
    CHECK(postmortem_export(&e, "/proc/nope/x", "INC-1", NULL, path, sizeof path, err, sizeof err) <
              0 &&
          err[0]);
    unlink(path);
    engine_free(&e);
}

RUN_TESTS()
