/* Core containers: table, ring, schema codec, YAML tree, durations. */
#include "base/buf.h"
#include "core/engine.h"
#include "core/record.h"
#include "core/snapshot.h"
#include "test.h"
#include "base/yaml_tree.h"

#include <unistd.h>

TEST(table_upsert_get_remove)
{
    struct table t;
    table_init(&t, &k8s_node_schema, 3);
    struct k8s_node n = {0};
    for (int i = 0; i < 4; i++) {
        snprintf(n.name, sizeof(n.name), "node-%d", i);
        n.ready = i % 2;
        table_upsert(&t, &n);
    }
    CHECK(t.count == 3);
    CHECK(t.dropped == 1);
    struct k8s_node *got = table_get(&t, "node-1");
    CHECK(got && got->ready);
    CHECK(table_remove(&t, "node-1"));
    CHECK(table_get(&t, "node-1") == NULL);
    CHECK(t.count == 2);
    CHECK(table_get(&t, "node-2") != NULL);
    CHECK_STR(((struct k8s_node *)table_row(&t, 1))->name, "node-2");
    table_free(&t);
}

TEST(table_grows_index)
{
    struct table t;
    table_init(&t, &k8s_node_schema, 100000);
    struct k8s_node n = {0};
    for (int i = 0; i < 5000; i++) {
        snprintf(n.name, sizeof(n.name), "n%d", i);
        table_upsert(&t, &n);
    }
    CHECK(t.count == 5000);
    int found = 0;
    for (int i = 0; i < 5000; i += 7) {
        snprintf(n.name, sizeof(n.name), "n%d", i);
        found += table_get(&t, n.name) != NULL;
    }
    CHECK(found == 715);
    table_free(&t);
}

TEST(ring_evicts_oldest)
{
    struct ring r;
    ring_init(&r, &kevent_schema, 4);
    for (int i = 1; i <= 6; i++)
        ((struct kevent *)ring_push(&r))->pid = (uint32_t)i;
    CHECK(ring_count(&r) == 4);
    CHECK(r.evicted == 2);
    CHECK(((struct kevent *)ring_at(&r, 0))->pid == 3);
    CHECK(((struct kevent *)ring_at(&r, 3))->pid == 6);
    ring_free(&r);
}

TEST(schema_roundtrip)
{
    struct pipeline p = {0}, q;
    STR_COPY(p.key, "gitlab:shop/checkout:42");
    p.id = 42;
    p.status = JOB_RUNNING;
    p.nstages = 2;
    STR_COPY(p.stages[0].name, "build");
    p.stages[1].status = JOB_FAILED;
    p.njobs = 1;
    STR_COPY(p.jobs[0].name, "deploy-prod");
    p.jobs[0].is_deploy = true;
    cJSON *j = schema_to_json(&pipeline_schema, &p);
    char err[128];
    CHECK(schema_from_json(&pipeline_schema, j, &q, err, sizeof(err)) == 0);
    CHECK(memcmp(&p, &q, sizeof(p)) == 0);
    CHECK_STR(cJSON_GetObjectItem(j, "status")->valuestring, "running");
    cJSON_Delete(j);
}

TEST(schema_rejects_wrong_type)
{
    cJSON *j = cJSON_Parse("{\"name\":\"a\",\"ready\":\"yes\"}");
    struct k8s_node n;
    char err[128] = "";
    CHECK(schema_from_json(&k8s_node_schema, j, &n, err, sizeof(err)) < 0);
    CHECK(strstr(err, "ready") != NULL);
    cJSON_Delete(j);
}

TEST(yaml_tree_and_errors)
{
    const char *text = "a: 1\nb:\n  c: hello\n  d: [1, 2]\nflag: true\n";
    char err[256];
    struct ynode *doc = ytree_load_string(text, strlen(text), "t.yaml", err, sizeof(err));
    CHECK(doc != NULL);
    const struct ynode *b = ymap_get(doc, "b");
    char s[16];
    CHECK(yget_str(b, "c", s, sizeof(s), err, sizeof(err)) == 1);
    CHECK_STR(s, "hello");
    CHECK(ymap_get(b, "c")->line == 3);
    CHECK(yseq_len(ymap_get(b, "d")) == 2);
    double v;
    CHECK(yget_double(doc, "flag", &v, err, sizeof(err)) == -1);
    CHECK(strncmp(err, "t.yaml:5: ", 10) == 0);
    const char *keys[] = {"a", "b", NULL};
    CHECK(ycheck_keys(doc, keys, err, sizeof(err)) == -1);
    CHECK_STR(err, "t.yaml:5: unknown key 'flag'");
    ytree_free(doc);

    const char *bad = "a: 1\nb: [unclosed\n";
    CHECK(ytree_load_string(bad, strlen(bad), "bad.yaml", err, sizeof(err)) == NULL);
    CHECK(strncmp(err, "bad.yaml:", 9) == 0);
}

TEST(durations)
{
    int64_t ms;
    CHECK(parse_duration_ms("30d", &ms) == 0 && ms == 30LL * 86400000);
    CHECK(parse_duration_ms("1h30m", &ms) == 0 && ms == 5400000);
    CHECK(parse_duration_ms("250ms", &ms) == 0 && ms == 250);
    CHECK(parse_duration_ms("5x", &ms) < 0);
    CHECK(parse_duration_ms("", &ms) < 0);
    CHECK(parse_duration_ms("777777777777777777d", &ms) < 0); /* overflow: an error, not UB */
}

TEST(record_replay_roundtrip)
{
    char path[] = "/tmp/lookout-rec-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct engine a, b;
    engine_init(&a);
    engine_advance(&a, 1000);
    CHECK(engine_record_open(&a, path) == 0);
    struct k8s_pod pod = {0};
    STR_COPY(pod.key, "shop/checkout-1");
    STR_COPY(pod.problem, "CrashLoopBackOff");
    engine_upsert(&a, T_PODS, &pod);
    engine_advance(&a, 2000);
    struct kevent ev = {.kind = KEV_OPEN, .pid = 7};
    STR_COPY(ev.path, "/etc/passwd");
    engine_kevent(&a, &ev);
    STR_COPY(pod.key, "shop/gone");
    engine_upsert(&a, T_PODS, &pod);
    engine_remove(&a, T_PODS, "shop/gone");
    engine_record_close(&a);

    engine_init(&b);
    b.replaying = true;
    size_t len;
    char *text = read_file(path, 1 << 20, &len);
    CHECK(text != NULL);
    char *line = text, *nl;
    int lines = 0;
    while (text && (nl = strchr(line, '\n'))) {
        long long t;
        char err[128];
        CHECK(record_apply_line(&b, line, (size_t)(nl - line), &t, err, sizeof(err)) == 0);
        line = nl + 1;
        lines++;
    }
    CHECK(lines >= 4);
    cJSON *sa = snapshot_build(&a), *sb = snapshot_build(&b);
    char *ja = cJSON_PrintUnformatted(sa), *jb = cJSON_PrintUnformatted(sb);
    CHECK_STR(ja, jb);
    free(ja);
    free(jb);
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    free(text);
    unlink(path);
    engine_free(&a);
    engine_free(&b);
}

RUN_TESTS()
