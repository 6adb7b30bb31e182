/* Unit tests of the Kubernetes client parts that need no server: the watch
 * line assembler, decoding of the recorded fixtures into derived problems,
 * kubeconfig resolution and auth options, exec credentials, selectors. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/intern.h"
#include "kube/decode.h"
#include "kube/derive.h"
#include "kube/exec.h"
#include "kube/list.h"
#include "kube/services.h"
#include "base/ndjson.h"
#include "kube/reflector.h"
#include "kube/kubeconfig.h"
#include "test.h"
#include "base/timeparse.h"

static const char *fixture(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "tests/fixtures/k8s/%s", name);
    return path;
}

static cJSON *load_json(const char *name)
{
    size_t len;
    char *text = read_file(fixture(name), 1 << 24, &len);
    if (!text) {
        fprintf(stderr, "  cannot read %s\n", fixture(name));
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    return j;
}

/* ---- line assembler ---- */

struct collected {
    int lines;
    struct buf all;
};

static bool collect(const char *line, size_t len, void *ud)
{
    struct collected *c = ud;
    c->lines++;
    buf_append(&c->all, line, len);
    buf_append(&c->all, "\n", 1);
    return true;
}

/* The watch body's splitter as the reflector sets it up. */
static void watch_lines(struct ndjson_parser *l, size_t cap, struct collected *c)
{
    ndjson_init(l, collect, c);
    l->split.max = cap ? cap : KUBE_LINE_CAP_DEFAULT;
    l->split.skip_long = true;
}

TEST(watch_assembler_every_split_offset)
{
    size_t len;
    char *text = read_file(fixture("watch-stream-pods.assembled.jsonl"), 1 << 22, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    int want = 0;
    for (size_t i = 0; i < len; i++)
        want += text[i] == '\n';
    /* Two reads split at every offset, and one read per byte. */
    for (size_t cut = 0; cut <= len; cut += 1) {
        struct ndjson_parser l;
        struct collected c = {0};
        watch_lines(&l, 0, &c);
        ndjson_feed(&l, text, cut);
        ndjson_feed(&l, text + cut, len - cut);
        if (c.lines != want || c.all.len != len || memcmp(c.all.data, text, len) != 0) {
            CHECK(!"split changed the lines");
            fprintf(stderr, "  cut at %zu\n", cut);
            cut = len;
        }
        buf_free(&c.all);
        ndjson_free(&l);
    }
    struct ndjson_parser l;
    struct collected c = {0};
    watch_lines(&l, 0, &c);
    for (size_t i = 0; i < len; i++)
        ndjson_feed(&l, text + i, 1);
    CHECK(c.lines == want);
    CHECK(c.all.len == len && memcmp(c.all.data, text, len) == 0);
    buf_free(&c.all);
    ndjson_free(&l);
    free(text);
}

TEST(watch_assembler_caps_one_object_and_goes_on)
{
    struct ndjson_parser l;
    struct collected c = {0};
    watch_lines(&l, 16, &c);
    const char *parts[] = {"{\"a\":1}\n{\"big\":\"", "0123456789", "0123456789",
                           "\"}\n{\"b\":2}\n"};
    for (int i = 0; i < 4; i++)
        CHECK(ndjson_feed(&l, parts[i], strlen(parts[i])) == 0);
    CHECK(c.lines == 2);
    CHECK_STR(buf_cstr(&c.all), "{\"a\":1}\n{\"b\":2}\n");
    CHECK(l.split.oversized == 1);
    CHECK(l.split.line.len == 0);
    buf_free(&c.all);
    ndjson_free(&l);
}

TEST(watch_assembler_crlf_and_blank_lines)
{
    struct ndjson_parser l;
    struct collected c = {0};
    watch_lines(&l, 0, &c);
    const char *s = "{\"x\":1}\r\n\n\r\n{\"y\":2}\n";
    ndjson_feed(&l, s, strlen(s));
    CHECK(c.lines == 2);
    CHECK_STR(buf_cstr(&c.all), "{\"x\":1}\n{\"y\":2}\n");
    buf_free(&c.all);
    ndjson_free(&l);
}

/* ---- decoding the recorded objects ---- */

static const struct kube_decode_opts opts = {.now = 1732000000000LL};

/* ---- streaming list reader ---- */

struct list_seen {
    int items;
    cJSON *arr; /* each item as parsed */
};

static void list_collect(const char *json, size_t len, void *ud)
{
    struct list_seen *ls = ud;
    ls->items++;
    cJSON *o = cJSON_ParseWithLength(json, len);
    cJSON_AddItemToArray(ls->arr, o ? o : cJSON_CreateNull());
}

/* A list of real objects, metadata after the items, and strings holding
 * braces, brackets and escaped quotes where the reader must not count them. */
static char *list_text(cJSON **items_out)
{
    const char *names[] = {"pod-running.k9s.json",
                           "pod-init-crashloopbackoff.insights-operator.json",
                           "node-ready-minikube.k9s.json"};
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "kind", "Pod{List]\"x\\");
    cJSON *items = cJSON_AddArrayToObject(root, "items");
    for (int i = 0; i < 3; i++) {
        cJSON *o = load_json(names[i]);
        if (o)
            cJSON_AddItemToArray(items, o);
    }
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(meta, "resourceVersion", "151390");
    cJSON_AddStringToObject(meta, "continue", "tok}]\"{");
    char *text = cJSON_Print(root); /* indented: whitespace everywhere */
    *items_out = cJSON_Duplicate(items, 1);
    cJSON_Delete(root);
    return text;
}

static void check_list(const char *text, size_t len, size_t step, const cJSON *want)
{
    struct kube_list l;
    kube_list_init(&l, 1 << 20);
    struct list_seen ls = {.arr = cJSON_CreateArray()};
    bool ok = true;
    for (size_t off = 0; off < len && ok; off += step)
        ok = kube_list_feed(&l, text + off, off + step > len ? len - off : step, list_collect, &ls);
    const char *rest = kube_list_finish(&l);
    cJSON *r = rest ? cJSON_Parse(rest) : NULL;
    cJSON *meta = cJSON_GetObjectItem(r, "metadata");
    CHECK(ok && rest);
    CHECK(ls.items == 3 && cJSON_Compare(ls.arr, want, 1));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "resourceVersion")), "151390");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "continue")), "tok}]\"{");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "kind")), "Pod{List]\"x\\");
    CHECK(!cJSON_GetObjectItem(r, "items"));
    cJSON_Delete(r);
    cJSON_Delete(ls.arr);
    kube_list_free(&l);
}

TEST(list_reader_every_chunk_size)
{
    cJSON *want = NULL;
    char *text = list_text(&want);
    CHECK(text && cJSON_GetArraySize(want) == 3);
    size_t len = strlen(text);
    for (size_t step = 1; step <= 64; step++)
        check_list(text, len, step, want);
    check_list(text, len, len, want);
    check_list(text, len, len / 2 + 1, want);
    free(text);
    cJSON_Delete(want);
}

static struct kube_list *list_run(const char *text, size_t cap, struct list_seen *ls)
{
    static struct kube_list l;
    kube_list_init(&l, cap);
    ls->arr = cJSON_CreateArray();
    kube_list_feed(&l, text, strlen(text), list_collect, ls);
    return &l;
}

TEST(list_reader_caps_one_item_and_goes_on)
{
    struct list_seen ls = {0};
    struct kube_list *l =
        list_run("{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[{\"a\":1},"
                 "{\"big\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},{\"b\":[2]}]}",
                 32, &ls);
    const char *rest = kube_list_finish(l);
    CHECK(rest && strstr(rest, "\"7\""));
    CHECK(ls.items == 2 && l->oversized == 1 && l->items == 2);
    cJSON_Delete(ls.arr);
    kube_list_free(l);
}

TEST(list_reader_skips_members_it_does_not_read)
{
    struct list_seen ls = {0};
    struct kube_list *l =
        list_run("{\"aMemberNameLongerThanAnyWeRead\\\"\":{\"x\":\"}]\"},"
                 "\"metadata\":{\"resourceVersion\":\"3\"},\"items\":[{\"a\":1}]}",
                 1024, &ls);
    const char *rest = kube_list_finish(l);
    cJSON *r = rest ? cJSON_Parse(rest) : NULL;
    CHECK(r && cJSON_GetArraySize(r) == 1 && ls.items == 1);
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItem(cJSON_GetObjectItem(r, "metadata"), "resourceVersion")),
              "3");
    cJSON_Delete(r);
    cJSON_Delete(ls.arr);
    kube_list_free(l);
}

TEST(list_reader_errors)
{
    const struct {
        const char *text, *error;
    } cases[] = {
        {"{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[{\"a\":1}", "truncated"},
        {"{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[{\"a\":\"}", "truncated"},
        {"[1,2]", "not a JSON object"},
        {"<html>bad gateway</html>", "not a JSON object"},
        {"{\"items\":[1,2]}", "not an object"},
        {"{\"items\":[]} x", "after the list"},
        {"{\"kind\" \"x\"}", "malformed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct list_seen ls = {0};
        struct kube_list *l = list_run(cases[i].text, 1024, &ls);
        CHECK(kube_list_finish(l) == NULL);
        CHECK(strstr(l->error, cases[i].error) != NULL);
        if (!strstr(l->error, cases[i].error))
            fprintf(stderr, "  case %zu: '%s'\n", i, l->error);
        cJSON_Delete(ls.arr);
        kube_list_free(l);
    }
    /* an empty list in both spellings, the real fixture and a Go nil slice */
    size_t len;
    char *empty = read_file(fixture("podlist-empty-rv151390.assembled.json"), 1 << 16, &len);
    const char *texts[] = {empty ? empty : "",
                           "{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":null}"};
    for (int i = 0; i < 2; i++) {
        struct list_seen ls = {0};
        struct kube_list *l = list_run(texts[i], 1024, &ls);
        const char *rest = kube_list_finish(l);
        cJSON *r = rest ? cJSON_Parse(rest) : NULL;
        CHECK(r && ls.items == 0);
        CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "metadata"),
                                                       "resourceVersion")) != NULL);
        cJSON_Delete(r);
        cJSON_Delete(ls.arr);
        kube_list_free(l);
    }
    free(empty);
    /* metadata is read whole, so it is capped */
    struct buf big = {0};
    buf_puts(&big, "{\"metadata\":{\"x\":\"");
    for (int i = 0; i < 70000; i++)
        buf_puts(&big, "y");
    buf_puts(&big, "\"},\"items\":[]}");
    struct list_seen ls = {0};
    struct kube_list *l = list_run(buf_cstr(&big), 1024, &ls);
    CHECK(kube_list_finish(l) == NULL && strstr(l->error, "64 KiB"));
    cJSON_Delete(ls.arr);
    kube_list_free(l);
    buf_free(&big);
}

TEST(decode_pod_crashloopbackoff)
{
    cJSON *j = load_json("pod-crashloopbackoff.gitops-engine.derived.json");
    struct k8s_pod p;
    char err[128];
    CHECK(kube_decode_pod(j, &opts, &p, err, sizeof(err)) == 0);
    CHECK_STR(p.key, "argocd/my-pod");
    CHECK_STR(p.uid, "63674389-f613-11e8-a057-fe5f49266390");
    CHECK_STR(p.problem, "CrashLoopBackOff");
    CHECK(p.restarts == 3);
    CHECK(p.ncontainers == 1);
    CHECK_STR(p.containers[0].last_reason, "Error");
    CHECK(p.containers[0].last_exit_code == 1);
    CHECK_STR(p.containers[0].id,
              "docker://c3aa0064b95a26045999b99c268e715a1c64201e816f1279ac06638778547bb8");
    CHECK(!p.ready);
    cJSON_Delete(j);
}

/* The row keeps POD_CONTAINERS containers; the problem, the restarts and
 * containers_total still cover the ones past it. */
TEST(decode_pod_problem_past_the_kept_containers)
{
    struct buf b = {0};
    buf_puts(&b, "{\"metadata\":{\"name\":\"wide\",\"namespace\":\"ns\"},"
                 "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[");
    for (int i = 0; i < POD_CONTAINERS + 2; i++) {
        bool last = i == POD_CONTAINERS + 1;
        buf_printf(&b, "%s{\"name\":\"c%d\",\"ready\":%s,\"restartCount\":2,\"state\":{%s}}",
                   i ? "," : "", i, last ? "false" : "true",
                   last ? "\"waiting\":{\"reason\":\"CrashLoopBackOff\"}" : "\"running\":{}");
    }
    buf_puts(&b, "]}}");
    cJSON *j = cJSON_Parse(buf_cstr(&b));
    struct k8s_pod p;
    char err[128];
    CHECK(kube_decode_pod(j, &opts, &p, err, sizeof(err)) == 0);
    CHECK(p.ncontainers == POD_CONTAINERS);
    CHECK(p.containers_total == POD_CONTAINERS + 2);
    CHECK(p.restarts == 2 * (POD_CONTAINERS + 2));
    CHECK_STR(p.problem, "CrashLoopBackOff");
    cJSON_Delete(j);
    buf_free(&b);
}

TEST(decode_pod_oomkilled_keys_on_reason_not_137)
{
    cJSON *j = load_json("pod-oomkilled.is-healthy.derived.json");
    struct k8s_pod p;
    char err[128];
    CHECK(kube_decode_pod(j, &opts, &p, err, sizeof(err)) == 0);
    CHECK_STR(p.problem, "OOMKilled");
    CHECK(p.containers[0].last_exit_code == 1);
    CHECK(p.restarts == 9);
    cJSON_Delete(j);
}

TEST(decode_pod_init_crashloop)
{
    cJSON *j = load_json("pod-init-crashloopbackoff.insights-operator.json");
    struct k8s_pod p;
    char err[128];
    CHECK(kube_decode_pod(j, &opts, &p, err, sizeof(err)) == 0);
    CHECK_STR(p.problem, "Init:CrashLoopBackOff");
    CHECK_STR(p.phase, "Pending");
    CHECK(p.restarts >= 7527);
    CHECK_STR(p.owner_kind, "ReplicaSet");
    CHECK_STR(p.deployment, "vsystem");
    cJSON_Delete(j);
}

TEST(decode_pod_running_is_fine_and_pending_too_long_is_not)
{
    cJSON *j = load_json("pod-running.k9s.json");
    struct k8s_pod p;
    char err[128];
    CHECK(kube_decode_pod(j, &opts, &p, err, sizeof(err)) == 0);
    CHECK_STR(p.problem, "");
    /* The same pod Pending: a problem only after the limit. */
    struct k8s_pod q = p;
    q.phase = intern_str("Pending");
    q.created = opts.now - 60000;
    CHECK(!kube_recheck_pending(&q, opts.now, 5 * 60000));
    CHECK(kube_recheck_pending(&q, opts.now + 5 * 60000, 5 * 60000));
    CHECK_STR(q.problem, "Pending");
    cJSON_Delete(j);
}

/* The decoder's container scratch is reused pod after pod: a container
 * without a lastState must not show the last pod's termination (the build
 * before interning did: running nginx pods read last_reason Error, exit 1). */
TEST(decode_pod_keeps_nothing_of_the_pod_before)
{
    cJSON *crash = load_json("pod-crashloopbackoff.gitops-engine.derived.json");
    cJSON *fine = load_json("pod-running.k9s.json");
    struct k8s_pod p;
    char err[128];
    CHECK(kube_decode_pod(crash, &opts, &p, err, sizeof(err)) == 0);
    CHECK(p.ncontainers > 0 && p.containers[0].last_reason[0]);
    CHECK(kube_decode_pod(fine, &opts, &p, err, sizeof(err)) == 0);
    CHECK(p.ncontainers > 0);
    for (int i = 0; i < p.ncontainers; i++) {
        CHECK_STR(p.containers[i].last_reason, "");
        CHECK(p.containers[i].last_exit_code == 0);
    }
    cJSON_Delete(crash);
    cJSON_Delete(fine);
}

/* A MODIFIED that changes nothing: the same pooled strings, no new ones,
 * and a row that compares equal (the reflector then writes nothing). */
TEST(decode_pod_again_adds_no_strings)
{
    cJSON *j = load_json("pod-init-crashloopbackoff.insights-operator.json");
    struct k8s_pod a, b;
    char err[128];
    CHECK(kube_decode_pod(j, &opts, &a, err, sizeof(err)) == 0);
    size_t n = intern_count(intern_pool()), bytes = intern_pool()->bytes;
    CHECK(kube_decode_pod(j, &opts, &b, err, sizeof(err)) == 0);
    CHECK(intern_count(intern_pool()) == n && intern_pool()->bytes == bytes);
    CHECK(a.labels == b.labels && a.containers[0].image == b.containers[0].image);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    cJSON_Delete(j);
}

TEST(decode_containerstatuses_excerpt_oom_and_crashloop)
{
    cJSON *arr = load_json("containerstatuses-oomkilled-and-crashloop.datadog-excerpt.json");
    CHECK(cJSON_IsArray(arr));
    cJSON *pod = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(pod, "metadata");
    cJSON_AddStringToObject(meta, "name", "fluentd-gcp");
    cJSON_AddStringToObject(meta, "namespace", "kube-system");
    cJSON *st = cJSON_AddObjectToObject(pod, "status");
    cJSON_AddStringToObject(st, "phase", "Running");
    cJSON_AddItemToObject(st, "containerStatuses", arr);
    struct k8s_pod p;
    char err[128];
    CHECK(kube_decode_pod(pod, &opts, &p, err, sizeof(err)) == 0);
    CHECK(strcmp(p.problem, "OOMKilled") == 0 || strcmp(p.problem, "CrashLoopBackOff") == 0);
    bool saw_oom = false;
    for (int i = 0; i < p.ncontainers; i++)
        saw_oom |= strcmp(p.containers[i].last_reason, "OOMKilled") == 0;
    CHECK(saw_oom);
    cJSON_Delete(pod);
}

TEST(decode_node_notready_keys_on_status)
{
    cJSON *j = load_json("node-notready.is-healthy.derived.json");
    struct k8s_node n;
    char err[128];
    CHECK(kube_decode_node(j, &n, err, sizeof(err)) == 0);
    CHECK(!n.ready);
    CHECK_STR(n.problem, "NotReady");
    CHECK_STR(n.kubelet_version, "v1.30.5-gke.1443001");
    cJSON_Delete(j);
    j = load_json("node-ready-minikube.k9s.json");
    CHECK(kube_decode_node(j, &n, err, sizeof(err)) == 0);
    CHECK(n.ready);
    CHECK_STR(n.problem, "");
    cJSON_Delete(j);
}

TEST(decode_deployments)
{
    cJSON *j = load_json("deployment-progress-deadline-exceeded.gitops-engine.derived.json");
    struct k8s_deployment d;
    char err[128];
    CHECK(kube_decode_deployment(j, &d, err, sizeof(err)) == 0);
    CHECK_STR(d.problem, "ProgressDeadlineExceeded");
    CHECK(d.desired == 1 && d.updated == 1 && d.available == 1 && d.unavailable == 1);
    CHECK_STR(d.revision, "4");
    CHECK(d.changed > 0);
    cJSON_Delete(j);
    j = load_json("deployment-available.k9s.json");
    CHECK(kube_decode_deployment(j, &d, err, sizeof(err)) == 0);
    CHECK_STR(d.problem, "");
    cJSON_Delete(j);
}

TEST(decode_event_and_malformed)
{
    cJSON *j = load_json("event-normal-pulled-gke.k9s.json");
    struct k8s_event ev;
    char err[128];
    CHECK(kube_decode_event(j, &ev, err, sizeof(err)) == 0);
    CHECK_STR(ev.key, "default/c443d4b3-cb66-11e9-990f-42010a800218");
    CHECK_STR(ev.type, "Normal");
    CHECK_STR(ev.reason, "Pulled");
    CHECK_STR(ev.object_kind, "Pod");
    CHECK(ev.count == 1);
    CHECK(ev.last_seen == time_rfc3339_or_zero("2019-08-30T20:43:05Z"));
    cJSON_Delete(j);
    cJSON *bad = cJSON_Parse("{\"kind\":\"Pod\",\"metadata\":{}}");
    struct k8s_pod p;
    CHECK(kube_decode_pod(bad, &opts, &p, err, sizeof(err)) < 0);
    CHECK(strstr(err, "metadata.name") != NULL);
    cJSON_Delete(bad);
    CHECK(time_rfc3339_or_zero("2022-08-24T11:40:44+02:00") ==
          time_rfc3339_or_zero("2022-08-24T09:40:44Z"));
    CHECK(time_rfc3339_or_zero("2022-08-24T09:40:44.250Z") ==
          time_rfc3339_or_zero("2022-08-24T09:40:44Z") + 250);
}

/* ---- kubeconfig ---- */

static char tmpdir[256];

static const char *tmp_file(const char *name, const char *text)
{
    static char path[8][512];
    static int n;
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/lookout-kube-XXXXXX");
        CHECK(mkdtemp(tmpdir) != NULL);
    }
    char *p = path[n++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

TEST(kubeconfig_multi_context_fixture)
{
    struct kube_conn c;
    char err[512];
    const char *files[] = {fixture("kubeconfig-multi-context.k9s.yaml")};
    CHECK(kubeconfig_load_files(&c, files, 1, NULL, NULL, err, sizeof(err)) == 0);
    CHECK_STR(c.context, "fred");
    CHECK_STR(c.server, "https://localhost:3002");
    CHECK(c.insecure);
    CHECK(strstr(c.warning, "INSECURE") != NULL);
    CHECK(c.cert.len == 4 && memcmp(c.cert.data, "fred", 4) == 0);
    kube_conn_free(&c);
    CHECK(kubeconfig_load_files(&c, files, 1, "blee", NULL, err, sizeof(err)) == 0);
    CHECK_STR(c.namespace, "zorg");
    kube_conn_free(&c);
    CHECK(kubeconfig_load_files(&c, files, 1, "blee", "", err, sizeof(err)) == 0);
    CHECK_STR(c.namespace, ""); /* --namespace "" would be all namespaces */
    kube_conn_free(&c);
    /* The context pointing at a missing cluster: a clear file:line message. */
    CHECK(kubeconfig_load_files(&c, files, 1, "duh", NULL, err, sizeof(err)) < 0);
    CHECK(strstr(err, "cluster 'duh'") != NULL);
    CHECK(strstr(err, ".yaml:") != NULL);
    CHECK(kubeconfig_load_files(&c, files, 1, "nope", NULL, err, sizeof(err)) < 0);
    CHECK(strstr(err, "'nope' not found") && strstr(err, "'fred'"));
}

TEST(kubeconfig_spaces_unset_current_and_merge)
{
    const char *a =
        tmp_file("a.yaml", "apiVersion: v1\nkind: Config\n"
                           "clusters:\n- name: c1\n  cluster: {server: 'https://10.0.0.1:6443/'}\n"
                           "contexts:\n- name: my prod ctx\n  context: {cluster: c1, user: u1}\n"
                           "users:\n- name: u1\n  user: {token: first}\n");
    const char *b = tmp_file("b.yaml", "apiVersion: v1\ncurrent-context: my prod ctx\n"
                                       "users:\n- name: u1\n  user: {token: second}\n"
                                       "- name: u2\n  user: {token: t2}\n");
    struct kube_conn c;
    char err[512];
    const char *one[] = {a};
    CHECK(kubeconfig_load_files(&c, one, 1, NULL, NULL, err, sizeof(err)) < 0);
    CHECK(strstr(err, "no current-context") && strstr(err, "'my prod ctx'"));
    const char *both[] = {a, b};
    CHECK(kubeconfig_load_files(&c, both, 2, NULL, NULL, err, sizeof(err)) == 0);
    CHECK_STR(c.context, "my prod ctx");
    CHECK_STR(c.server, "https://10.0.0.1:6443");
    CHECK_STR(c.token, "first"); /* the first file to define u1 wins */
    char hdr[256];
    kube_conn_auth_header(&c, hdr, sizeof(hdr));
    CHECK_STR(hdr, "Authorization: Bearer first");
    kube_conn_free(&c);
}

TEST(kubeconfig_auth_methods_and_errors)
{
    tmp_file("tok", "from-file\n");
    tmp_file("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const char *k = tmp_file(
        "k.yaml",
        "current-context: c\n"
        "clusters:\n- name: c\n  cluster:\n    server: https://kube.example:443\n"
        "    certificate-authority: ca.pem\n    tls-server-name: api.internal\n"
        "    proxy-url: http://proxy:3128\n"
        "contexts:\n- name: c\n  context: {cluster: c, user: u}\n"
        "- name: basic\n  context: {cluster: c, user: b}\n"
        "- name: ex\n  context: {cluster: c, user: e}\n"
        "- name: ap\n  context: {cluster: c, user: a}\n"
        "users:\n- name: u\n  user: {tokenFile: tok}\n"
        "- name: b\n  user: {username: admin, password: secret}\n"
        "- name: a\n  user:\n    auth-provider: {name: gcp}\n"
        "- name: e\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: ./plugin.sh\n      args: [get-token, --x]\n"
        "      env: [{name: FOO, value: bar}]\n      interactiveMode: Never\n"
        "      provideClusterInfo: true\n");
    struct kube_conn c;
    char err[512];
    const char *f[] = {k};
    CHECK(kubeconfig_load_files(&c, f, 1, NULL, NULL, err, sizeof(err)) == 0);
    CHECK_STR(c.token, "from-file");
    CHECK(c.ca.len > 20);
    CHECK_STR(c.proxy_url, "http://proxy:3128");
    struct buf url = {0};
    kube_conn_url(&c, "/api/v1/pods", &url);
    CHECK_STR(buf_cstr(&url), "https://api.internal:443/api/v1/pods");
    CHECK(c.connect_to && strcmp(c.connect_to->data, "api.internal:443:kube.example:443") == 0);
    buf_free(&url);
    kube_conn_free(&c);
    CHECK(kubeconfig_load_files(&c, f, 1, "basic", NULL, err, sizeof(err)) < 0);
    CHECK(strstr(err, "basic auth") != NULL);
    CHECK(kubeconfig_load_files(&c, f, 1, "ap", NULL, err, sizeof(err)) < 0);
    CHECK(strstr(err, "exec credential plugin") != NULL);
    CHECK(kubeconfig_load_files(&c, f, 1, "ex", NULL, err, sizeof(err)) == 0);
    CHECK(c.has_exec);
    CHECK(c.exec.nargs == 3);
    CHECK(strstr(c.exec.command, "/plugin.sh") && c.exec.command[0] == '/');
    CHECK_STR(c.exec.env[0], "FOO=bar");
    char *info = kube_exec_info(&c);
    CHECK(strstr(info, "\"interactive\":false") && strstr(info, "\"cluster\""));
    /* ca.pem is "-----BEGIN CERTIFICATE-----\nMIIB..." */
    CHECK(strstr(info,
                 "\"certificate-authority-data\":\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIK"));
    free(info);
    /* ExecCredential answers */
    const char *good =
        "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
        "\"status\":{\"token\":\"k8s-aws-v1.abc\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}"
        "}";
    CHECK(kube_exec_parse(&c, good, strlen(good), err, sizeof(err)) == 0);
    CHECK_STR(c.token, "k8s-aws-v1.abc");
    CHECK(c.cred_expiry_ms == time_rfc3339_or_zero("2030-01-01T00:00:00Z"));
    CHECK(!kube_exec_needs_refresh(&c, time_rfc3339_or_zero("2029-12-31T23:00:00Z")));
    CHECK(kube_exec_needs_refresh(&c, time_rfc3339_or_zero("2029-12-31T23:59:45Z")));
    const char *beta =
        "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
        "\"status\":{\"token\":\"x\"}}";
    CHECK(kube_exec_parse(&c, beta, strlen(beta), err, sizeof(err)) < 0);
    CHECK(strstr(err, "v1beta1") != NULL);
    CHECK(kube_exec_parse(&c, "nope", 4, err, sizeof(err)) < 0);
    kube_conn_free(&c);
}

TEST(in_cluster_config)
{
    tmp_file("token", "sa-token\n");
    tmp_file("ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    tmp_file("namespace", "monitoring");
    struct kube_conn c;
    char err[256];
    unsetenv("KUBERNETES_SERVICE_HOST");
    CHECK(kube_incluster_load(&c, tmpdir, NULL, err, sizeof(err)) < 0);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    CHECK(kube_incluster_load(&c, tmpdir, NULL, err, sizeof(err)) == 0);
    CHECK_STR(c.server, "https://[fd00::1]:443");
    CHECK_STR(c.token, "sa-token");
    CHECK_STR(c.namespace, "monitoring");
    kube_conn_free(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST(base64_and_selectors)
{
    struct buf b = {0};
    CHECK(kube_b64_decode("aGVs\nbG8=", &b) == 0);
    CHECK_STR(buf_cstr(&b), "hello");
    buf_free(&b);
    CHECK(kube_b64_decode("a$b", &b) < 0);
    buf_free(&b);
    const char *labels = "app=checkout,tier=web,track=canary";
    CHECK(kube_selector_match("app=checkout", labels));
    CHECK(kube_selector_match("app==checkout,tier=web", labels));
    CHECK(!kube_selector_match("app=check", labels));
    CHECK(kube_selector_match("app!=cart", labels));
    CHECK(!kube_selector_match("track!=canary", labels));
    CHECK(kube_selector_match("track", labels));
    CHECK(kube_selector_match("!missing", labels));
    CHECK(!kube_selector_match("!app", labels));
    CHECK(!kube_selector_match("", labels));
    char err[160];
    CHECK(kube_selector_valid("app=x,!y", err, sizeof(err)));
    CHECK(!kube_selector_valid("app in (a,b)", err, sizeof(err)));
}

RUN_TESTS()
