/* Core containers: table, ring, schema codec, YAML tree, durations; the
 * engine's WARN/CRIT ring and reset; the replay player's seeks and jumps;
 * the record tap and snapshot a shared engine streams, its tick lines, and
 * the query decoder of its routes. */
#include "base/buf.h"
#include "base/intern.h"
#include "core/engine.h"
#include "core/record.h"
#include "core/replay.h"
#include "core/snapshot.h"
#include "test.h"
#include "base/urlquery.h"
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

/* A count that may be unknown (F_COUNT): -1 is null in JSON and null reads
 * back as -1, so "unknown" never becomes 0 on the way through a snapshot,
 * a record or a shared engine; a known 0 stays 0. */
TEST(schema_unknown_count_is_null)
{
    struct summary s = {.cluster = CLUSTER_UNKNOWN,
                        .nodes_ready = -1,
                        .nodes_total = -1,
                        .pods_failing = -1},
                   q;
    STR_COPY(s.name, "summary");
    cJSON *j = schema_to_json(&summary_schema, &s);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "pods_failing")));
    CHECK_STR(cJSON_GetObjectItem(j, "cluster")->valuestring, "unknown");
    char err[128];
    CHECK(schema_from_json(&summary_schema, j, &q, err, sizeof(err)) == 0);
    CHECK(q.pods_failing == -1 && q.nodes_total == -1 && q.cluster == CLUSTER_UNKNOWN);
    cJSON_Delete(j);
    s.cluster = CLUSTER_KNOWN;
    s.pods_failing = 0;
    j = schema_to_json(&summary_schema, &s);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, "pods_failing")));
    CHECK(schema_from_json(&summary_schema, j, &q, err, sizeof(err)) == 0 && q.pods_failing == 0);
    cJSON_ReplaceItemInObject(j, "pods_failing", cJSON_CreateString("0"));
    CHECK(schema_from_json(&summary_schema, j, &q, err, sizeof(err)) < 0);
    CHECK(strstr(err, "pods_failing") != NULL);
    cJSON_Delete(j);
}

/* A yes/no that may be unknown (F_TRI): a pair whose windows have no data
 * is null, not false, in JSON, and null reads back unknown; true and false
 * round-trip; anything else is a type error. */
TEST(schema_unknown_firing_is_null)
{
    static const enum tribool v[] = {TB_UNKNOWN, TB_NO, TB_YES};
    static struct slo s, q;
    STR_COPY(s.name, "checkout-availability");
    s.npairs = 3;
    for (int i = 0; i < 3; i++) {
        s.pairs[i].firing = v[i];
        s.pairs[i].long_burn = s.pairs[i].short_burn = i ? 1.0 : NAN;
    }
    cJSON *j = schema_to_json(&slo_schema, &s);
    cJSON *pairs = cJSON_GetObjectItem(j, "pairs");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(pairs, 0), "firing")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(pairs, 1), "firing")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(pairs, 2), "firing")));
    char err[128];
    CHECK(schema_from_json(&slo_schema, j, &q, err, sizeof(err)) == 0);
    CHECK(q.npairs == 3);
    for (int i = 0; i < 3; i++)
        CHECK(q.pairs[i].firing == v[i]);
    /* a record without the field reads unknown, never "not firing" */
    cJSON_DeleteItemFromObject(cJSON_GetArrayItem(pairs, 1), "firing");
    CHECK(schema_from_json(&slo_schema, j, &q, err, sizeof(err)) == 0);
    CHECK(q.pairs[1].firing == TB_UNKNOWN);
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(pairs, 2), "firing", cJSON_CreateNumber(0));
    CHECK(schema_from_json(&slo_schema, j, &q, err, sizeof(err)) < 0);
    CHECK(strstr(err, "firing") != NULL);
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
    struct k8s_pod pod;
    schema_zero(&k8s_pod_schema, &pod);
    STR_COPY(pod.key, "shop/checkout-1");
    pod.problem = intern_str("CrashLoopBackOff");
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
    /* The streamed snapshot is the same document as the built one. */
    char *streamed = NULL;
    size_t slen = 0;
    FILE *mem = open_memstream(&streamed, &slen);
    CHECK(mem && snapshot_print(&a, mem) == 0);
    if (mem)
        fclose(mem);
    cJSON *sp = streamed ? cJSON_Parse(streamed) : NULL;
    CHECK(sp && cJSON_Compare(sp, sa, true));
    CHECK(streamed && strstr(streamed, "\n    {\"key\":\"shop/"));
    cJSON_Delete(sp);
    free(streamed);
    free(ja);
    free(jb);
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    free(text);
    unlink(path);
    engine_free(&a);
    engine_free(&b);
}

static void collect(const char *line, size_t len, void *ud)
{
    buf_append(ud, line, len);
}

/* Applies every line of text to e; returns the count, -1 on a bad one. */
static int apply_all(struct engine *e, const char *text)
{
    int n = 0;
    for (const char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1, n++) {
        long long t;
        char err[128];
        if (record_apply_line(e, line, (size_t)(nl - line), &t, err, sizeof(err)) < 0)
            return -1;
    }
    return n;
}

TEST(record_tap_sees_what_the_file_gets)
{
    char path[] = "/tmp/lookout-tap-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct engine a;
    engine_init(&a);
    engine_advance(&a, 1000);
    struct k8s_pod pod = {0};
    STR_COPY(pod.key, "shop/before");
    engine_upsert(&a, T_PODS, &pod);
    CHECK(engine_record_open(&a, path) == 0);
    long head = ftell(a.record); /* the file's snapshot: the tap gets changes only */
    struct buf tap = {0}, snap = {0};
    a.record_tap = collect;
    a.record_tap_ud = &tap;
    STR_COPY(pod.key, "shop/after");
    engine_upsert(&a, T_PODS, &pod);
    engine_remove(&a, T_PODS, "shop/before");
    struct kevent ev = {.kind = KEV_EXEC, .pid = 9};
    engine_kevent(&a, &ev);
    engine_record_close(&a);
    size_t len;
    char *text = read_file(path, 1 << 20, &len);
    CHECK(text && head > 0 && (size_t)head < len);
    CHECK(text && tap.len == len - (size_t)head && !memcmp(tap.data, text + head, tap.len));

    /* a viewer's start: the snapshot alone rebuilds the state, ticks move the clock */
    a.record_tap = NULL;
    engine_advance(&a, 5000);
    record_snapshot(&a, collect, &snap);
    buf_puts(&snap, "{\"t\":7000,\"op\":\"tick\",\"share\":{\"name\":\"w\",\"viewers\":2}}\n");
    struct engine b;
    engine_init(&b);
    b.replaying = true;
    CHECK(apply_all(&b, buf_cstr(&snap)) == 4); /* summary, pod, kevent, tick */
    CHECK(engine_get(&b, T_PODS, "shop/after") && !engine_get(&b, T_PODS, "shop/before"));
    CHECK(ring_count(&b.kevents) == 1);
    CHECK(engine_now(&b) == 7000);
    long long t;
    char err[128];
    CHECK(record_apply_line(&b, "{\"op\":\"tick\"}", 13, &t, err, sizeof(err)) < 0);
    free(text);
    buf_free(&tap);
    buf_free(&snap);
    unlink(path);
    engine_free(&a);
    engine_free(&b);
}

TEST(url_query_get_decodes)
{
    char v[16];
    CHECK(url_query_get("kind=incident&key=shop%2Fcheckout+1", "key", v, sizeof v) == 1);
    CHECK_STR(v, "shop/checkout 1");
    CHECK(url_query_get("kind=incident&key=x", "kind", v, sizeof v) == 1);
    CHECK_STR(v, "incident");
    CHECK(url_query_get("akey=1", "key", v, sizeof v) == 0);
    CHECK(url_query_get("", "key", v, sizeof v) == 0);
    CHECK(url_query_get("key=%zz", "key", v, sizeof v) == -1 && !v[0]);
    CHECK(url_query_get("key=%4", "key", v, sizeof v) == -1);
    CHECK(url_query_get("key=a%00b", "key", v, sizeof v) == -1);
    CHECK(url_query_get("key=0123456789abcdefXYZ", "key", v, sizeof v) == -1);
    CHECK(url_query_get("key=", "key", v, sizeof v) == 1 && !v[0]);
}

TEST(engine_hot_ring_keeps_warn_and_crit)
{
    struct engine e;
    engine_init(&e);
    struct kevent ev = {.kind = KEV_OOM, .severity = SEV_CRITICAL};
    uint64_t crit = engine_kevent(&e, &ev)->seq;
    ev.severity = SEV_WARNING;
    uint64_t warn = engine_kevent(&e, &ev)->seq;
    ev.severity = SEV_INFO;
    for (int i = 0; i < KEVENT_RING_CAP + 10; i++)
        engine_kevent(&e, &ev);
    CHECK(((struct kevent *)ring_at(&e.kevents, 0))->seq > warn); /* gone from the main ring */
    CHECK(ring_count(&e.kevents_hot) == 2);
    CHECK(((struct kevent *)ring_at(&e.kevents_hot, 0))->seq == crit);
    CHECK(((struct kevent *)ring_at(&e.kevents_hot, 1))->seq == warn);
    engine_free(&e);
}

static int ticks;
static void count_tick(struct engine *e, int64_t now, void *ud)
{
    (void)e, (void)now, (void)ud;
    ticks++;
}

TEST(engine_reset_empties_state_keeps_hooks)
{
    struct engine e;
    engine_init(&e);
    engine_add_hook(&e, "count", 1000, count_tick, NULL);
    engine_advance(&e, 5000);
    struct k8s_node n = {0};
    STR_COPY(n.name, "node-a");
    engine_upsert(&e, T_NODES, &n);
    struct kevent ev = {.kind = KEV_OOM, .severity = SEV_CRITICAL};
    engine_kevent(&e, &ev);
    engine_reset(&e);
    CHECK(engine_table(&e, T_NODES)->count == 0);
    CHECK(engine_get(&e, T_SUMMARY, "summary") != NULL);
    CHECK(ring_count(&e.kevents) == 0 && ring_count(&e.kevents_hot) == 0);
    CHECK(e.now == 0 && e.kevent_seq == 0);
    CHECK(e.nhooks == 1);
    engine_free(&e);
}

/* A record of three nodes (x at 1 s, y at 2 s, z at 3 s) and an incident
 * opening at 4 s, played by the replay source on a real loop. */
static const char player_record[] =
    "{\"t\":1000,\"op\":\"upsert\",\"table\":\"nodes\",\"obj\":{\"name\":\"x\"}}\n"
    "{\"t\":2000,\"op\":\"upsert\",\"table\":\"nodes\",\"obj\":{\"name\":\"y\"}}\n"
    "{\"t\":3000,\"op\":\"upsert\",\"table\":\"nodes\",\"obj\":{\"name\":\"z\"}}\n"
    "{\"t\":4000,\"op\":\"upsert\",\"table\":\"incidents\","
    "\"obj\":{\"id\":\"INC-1\",\"state\":\"open\"}}\n"
    "{\"t\":9000,\"op\":\"upsert\",\"table\":\"nodes\",\"obj\":{\"name\":\"w\"}}\n";

static bool has_node(struct engine *e, const char *name)
{
    return engine_get(e, T_NODES, name) != NULL;
}

TEST(replay_player_seeks_and_jumps)
{
    char path[] = "/tmp/lookout-player-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, player_record, sizeof player_record - 1) > 0);
    close(fd);
    struct engine e;
    engine_init(&e);
    struct loop *l = loop_new();
    struct source_ctx ctx = {.engine = &e, .loop = l};
    static struct source_set set;
    memset(&set, 0, sizeof set);
    char err[256];
    void *priv = replay_new(path, 1, err, sizeof err);
    CHECK(priv != NULL);
    struct source *s = source_add(&set, &replay_source_ops, "replay", &ctx, priv);
    CHECK(s && replay_find(&set) == s);
    source_start_all(&set);
    replay_toggle_pause(s);
    struct replay_status st;
    replay_get_status(s, &st);
    /* The clock ran between start and pause (a few ms, more on a loaded
     * machine), so the pause position is only bounded; back to the start
     * makes every position below exact. */
    CHECK(st.first == 1000 && st.last == 9000 && st.paused && !st.ended);
    CHECK(st.pos >= 1000 && st.pos <= 9000 && has_node(&e, "x"));
    replay_seek_by(s, -st.pos);
    replay_get_status(s, &st);
    CHECK(st.pos == 1000 && st.paused && has_node(&e, "x") && !has_node(&e, "y"));
    replay_seek_by(s, 1500); /* 2.5 s: x and y */
    replay_get_status(s, &st);
    CHECK(st.pos == 2500 && e.now == 2500 && has_node(&e, "y") && !has_node(&e, "z"));
    replay_seek_by(s, -1000); /* back to 1.5 s: y is not there yet */
    replay_get_status(s, &st);
    CHECK(st.pos == 1500 && e.now == 1500 && has_node(&e, "x") && !has_node(&e, "y"));
    CHECK(replay_jump(s, 1) == 0); /* the incident at 4 s */
    replay_get_status(s, &st);
    CHECK(st.pos == 4000 && engine_get(&e, T_INCIDENTS, "INC-1") && has_node(&e, "z"));
    CHECK(replay_jump(s, 1) == -1 && replay_jump(s, -1) == -1);
    replay_speed_step(s, 1);
    replay_get_status(s, &st);
    CHECK(st.speed == 2);
    replay_seek_by(s, 60000);
    replay_get_status(s, &st);
    CHECK(st.ended && st.pos == 9000 && has_node(&e, "w"));
    replay_toggle_pause(s); /* at the end: from the start again */
    replay_get_status(s, &st);
    CHECK(!st.ended && st.pos == 1000 && !has_node(&e, "y"));
    source_stop_all(&set);
    loop_free(l);
    engine_free(&e);
    unlink(path);
    char missing[] = "/tmp/lookout-player-missing.jsonl";
    CHECK(replay_new(missing, 1, err, sizeof err) == NULL);
    CHECK(strstr(err, missing) && strstr(err, "No such file"));
}

RUN_TESTS()
