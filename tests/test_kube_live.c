/* The Kubernetes source against tests/servers/fake_apiserver.py over real
 * TLS (a test CA made by openssl at start-up): every auth method, paging,
 * re-list after 410, resume after a dropped connection, objects split across
 * reads, RBAC 403 on one resource, malformed and oversized objects, context
 * switching. The real client path: kubeconfig -> source -> reflectors ->
 * engine/base/http.h (libcurl multi on the loop). */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "base/buf.h"
#include "kube/decode.h"
#include "kube/services.h"
#include "kube/source.h"
#include "lib/fake_server.h"
#include "test.h"

/* ---- the fake API server ---- */

static struct {
    struct fake_server proc;
    char dir[256];
    char certs[300];
} srv;

static void server_stop(void)
{
    fake_server_stop(&srv.proc);
}

static bool server_start(void)
{
    if (srv.proc.pid)
        return true;
    snprintf(srv.dir, sizeof(srv.dir), "/tmp/lookout-kubelive-XXXXXX");
    if (!mkdtemp(srv.dir))
        return false;
    snprintf(srv.certs, sizeof(srv.certs), "%s/certs", srv.dir);
    if (fake_server_start(&srv.proc, NULL, NULL, "tests/servers/fake_apiserver.py", "--fixtures",
                          "tests/fixtures/k8s", "--tls", srv.certs, "--story", "--bookmark-seconds",
                          "0.5", (char *)NULL) < 0)
        return false;
    atexit(server_stop);
    return true;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    buf_append(ud, p, s * n);
    return s * n;
}

/* Blocking is fine here: this is the test, not the engine. */
static cJSON *http_blocking(const char *method, const char *path, const char *body)
{
    char url[512], ca[400];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", srv.proc.port, path);
    snprintf(ca, sizeof(ca), "%s/ca.crt", srv.certs);
    struct buf out = {0};
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    cJSON *j = rc == CURLE_OK ? cJSON_Parse(buf_cstr(&out)) : NULL;
    buf_free(&out);
    return j;
}

static void ctl(const char *cmd, const char *body)
{
    char path[128];
    snprintf(path, sizeof(path), "/_ctl/%s", cmd);
    cJSON *j = http_blocking("POST", path, body);
    if (!j)
        fprintf(stderr, "  ctl %s failed\n", cmd);
    cJSON_Delete(j);
}

/* Server-side request log entries matching verb/resource (and rv when given). */
static int log_count(const char *verb, const char *res, const char *rv, int status, bool paged_only)
{
    cJSON *st = http_blocking("GET", "/_ctl/state", NULL);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(st, "log"))
    {
        const cJSON *erv = cJSON_GetObjectItem(e, "rv");
        if (strcmp(cJSON_GetObjectItem(e, "verb")->valuestring, verb) != 0 ||
            strcmp(cJSON_GetObjectItem(e, "res")->valuestring, res) != 0)
            continue;
        if (rv && !(cJSON_IsString(erv) && strcmp(erv->valuestring, rv) == 0))
            continue;
        const cJSON *s = cJSON_GetObjectItem(e, "status");
        if (status && !(cJSON_IsNumber(s) && s->valueint == status))
            continue;
        if (paged_only && !cJSON_IsString(cJSON_GetObjectItem(e, "limit")))
            continue;
        n++;
    }
    cJSON_Delete(st);
    return n;
}

static void reset_server(const char *tokens_json)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"tokens\": %s}", tokens_json);
    ctl("tokens", body);
    ctl("forbid", "{\"resources\": []}");
    ctl("absent", "{\"resources\": []}");
    ctl("clear_log", NULL);
}

/* ---- files ---- */

static const char *file_in(const char *name, const char *text)
{
    static char paths[8][400];
    static int n;
    char *p = paths[n++ % 8];
    snprintf(p, 400, "%s/%s", srv.dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    chmod(p, 0700);
    return p;
}

static char *b64_file(const char *name)
{
    char path[400], cmd[512];
    snprintf(path, sizeof(path), "%s/%s", srv.certs, name);
    snprintf(cmd, sizeof(cmd), "base64 -w0 %s", path);
    FILE *p = popen(cmd, "r");
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        buf_append(&b, chunk, n);
    pclose(p);
    return b.data;
}

/* A kubeconfig with one context "ctx" (plus extra contexts text). */
static const char *kubeconfig(const char *name, const char *cluster_extra, const char *user_yaml,
                              const char *extra_contexts)
{
    struct buf b = {0};
    buf_printf(&b,
               "apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"
               "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%d\n%s"
               "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n%s"
               "users:\n- name: u\n  user:\n%s",
               srv.proc.port, cluster_extra, extra_contexts ? extra_contexts : "", user_yaml);
    const char *p = file_in(name, buf_cstr(&b));
    buf_free(&b);
    return p;
}

static char ca_line[512];
static const char *ca_file(void)
{
    snprintf(ca_line, sizeof(ca_line), "    certificate-authority: %s/ca.crt\n", srv.certs);
    return ca_line;
}

/* ---- a minimal app holding the source ---- */

static struct app app;

static bool rig_start(const char *kubeconfig_path, const char *context, int page_size,
                      size_t max_object)
{
    memset(&app, 0, sizeof(app));
    engine_init(&app.engine);
    engine_advance(&app.engine, loop_wall_ms());
    app.loop = loop_new();
    app.http = http_new(app.loop);
    app.ctx = (struct source_ctx){
        .engine = &app.engine, .loop = app.loop, .http = app.http, .config = &app.config};
    struct kube_settings set;
    kube_settings_from(&set, NULL);
    STR_COPY(set.kubeconfig, kubeconfig_path);
    if (context)
        STR_COPY(set.context, context);
    set.page_size = page_size;
    set.max_object_bytes = max_object;
    if (!kubeconfig_path[0])
        set.in_cluster = 1;
    source_add(&app.sources, &kube_source_ops, "kube:test", &app.ctx, kube_source_new(&set));
    source_start_all(&app.sources);
    return true;
}

static void rig_stop(void)
{
    source_stop_all(&app.sources);
    http_free(app.http);
    loop_free(app.loop);
    engine_free(&app.engine);
}

static const struct source_info *kube_row(void)
{
    struct table *t = engine_table(&app.engine, T_SOURCES);
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (strcmp(s->kind, "kubernetes") == 0)
            return s;
    }
    return NULL;
}

typedef bool (*pred_fn)(const void *arg);

/* Runs the loop for ms (lets bookmarks and events arrive). */
static void run_for(int ms)
{
    int64_t end = loop_mono_ms() + ms;
    while (loop_mono_ms() < end)
        loop_run_once(app.loop, 50);
}

static bool run_until(pred_fn pred, const void *arg, int timeout_ms)
{
    int64_t end = loop_mono_ms() + timeout_ms;
    while (loop_mono_ms() < end) {
        if (pred(arg))
            return true;
        loop_run_once(app.loop, 50);
    }
    return pred(arg);
}

static bool settled(const void *arg)
{
    (void)arg;
    const struct source_info *s = kube_row();
    return s && s->state != SRC_STARTING;
}

static bool has_pod(const void *key)
{
    return engine_get(&app.engine, T_PODS, key) != NULL;
}

static bool no_pod(const void *key)
{
    return engine_get(&app.engine, T_PODS, key) == NULL;
}

static bool detail_has(const void *text)
{
    const struct source_info *s = kube_row();
    return s && strstr(s->detail, text);
}

static const char *state_name(void)
{
    const struct source_info *s = kube_row();
    return s ? source_state_names[s->state] : "none";
}

static bool is_synced(const void *arg)
{
    (void)arg;
    const struct source_info *s = kube_row();
    return s && s->state == SRC_SYNCED;
}

/* The server has logged a watch on this resource: the watch starts when the
 * list is done, but its request reaches the server some turns later (much
 * later on a loaded machine), so a check right after sync would race it. */
static bool watch_logged(const void *res)
{
    return log_count("watch", res, NULL, 200, false) >= 1;
}

static void put_pod(const char *name)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"template\": \"pod_running\", \"namespace\": \"shop\", \"name\": \"%s\"}", name);
    ctl("put_fixture_pod", body);
}

/* ---- tests ---- */

TEST(live_token_auth_ca_file_paging_and_derived_problems)
{
    CHECK(server_start());
    reset_server("[\"tok-static\"]");
    rig_start(kubeconfig("kc-token", ca_file(), "    token: tok-static\n", NULL), NULL, 2, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    const struct k8s_pod *p = engine_get(&app.engine, T_PODS, "shop/cart-crash");
    CHECK(p && strcmp(p->problem, "CrashLoopBackOff") == 0);
    p = engine_get(&app.engine, T_PODS, "shop/search-oom");
    CHECK(p && strcmp(p->problem, "OOMKilled") == 0);
    p = engine_get(&app.engine, T_PODS, "data/vsystem-init");
    CHECK(p && strcmp(p->problem, "Init:CrashLoopBackOff") == 0);
    p = engine_get(&app.engine, T_PODS, "shop/checkout-7d9f8b6c5d-0");
    CHECK(p && strcmp(p->deployment, "checkout") == 0 && p->problem[0] == 0);
    CHECK(engine_table(&app.engine, T_PODS)->count == 6);
    const struct k8s_node *n = engine_get(&app.engine, T_NODES, "node-c");
    CHECK(n && !n->ready && strcmp(n->problem, "NotReady") == 0);
    const struct k8s_deployment *d = engine_get(&app.engine, T_DEPLOYMENTS, "shop/guestbook-ui");
    CHECK(d && strcmp(d->problem, "ProgressDeadlineExceeded") == 0);
    struct table *ev = engine_table(&app.engine, T_K8S_EVENTS);
    CHECK(ev->count == 4); /* Warning only: the Normal one is filtered by the server */
    for (int i = 0; i < ev->count; i++)
        CHECK_STR(((const struct k8s_event *)table_row(ev, i))->type, "Warning");
    const struct summary *s = engine_get(&app.engine, T_SUMMARY, "summary");
    CHECK(s && s->nodes_total == 3 && s->nodes_ready == 2 && s->pods_failing == 3);
    CHECK(s && strcmp(s->context, "ctx") == 0);
    /* Page size 2: pods came in pages with continue tokens; first list from "0". */
    CHECK(log_count("list", "pods", "0", 200, true) == 1);
    CHECK(log_count("list", "pods", NULL, 200, true) >= 3);
    CHECK(run_until(watch_logged, "pods", 15000));
    rig_stop();
}

TEST(live_client_certificate_data_and_ca_data)
{
    CHECK(server_start());
    reset_server("[]"); /* no token works: only the certificate can */
    char *ca = b64_file("ca.crt"), *crt = b64_file("client.crt"), *key = b64_file("client.key");
    struct buf cl = {0}, us = {0};
    buf_printf(&cl, "    certificate-authority-data: %s\n", ca);
    buf_printf(&us, "    client-certificate-data: %s\n    client-key-data: %s\n", crt, key);
    rig_start(kubeconfig("kc-cert", buf_cstr(&cl), buf_cstr(&us), NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    CHECK(engine_table(&app.engine, T_PODS)->count == 6);
    rig_stop();
    free(ca);
    free(crt);
    free(key);
    buf_free(&cl);
    buf_free(&us);
}

TEST(live_bad_token_is_a_clear_401)
{
    CHECK(server_start());
    reset_server("[\"right\"]");
    rig_start(kubeconfig("kc-bad", ca_file(), "    token: wrong\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "failed");
    const struct source_info *s = kube_row();
    CHECK(s && strstr(s->error, "401 Unauthorized: cannot list"));
    rig_stop();
}

TEST(live_token_file_reread_on_401)
{
    CHECK(server_start());
    reset_server("[\"file-1\"]");
    const char *tok = file_in("tokenfile", "file-1\n");
    char user[512];
    snprintf(user, sizeof(user), "    tokenFile: %s\n", tok);
    rig_start(kubeconfig("kc-tokfile", ca_file(), user, NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    run_for(1200);
    /* The projected token rotates: the old one is refused from now on. */
    ctl("clear_log", NULL);
    file_in("tokenfile", "file-2\n");
    ctl("tokens", "{\"tokens\": [\"file-2\"]}");
    ctl("drop", NULL);
    put_pod("after-rotation");
    CHECK(run_until(has_pod, "shop/after-rotation", 15000));
    CHECK(log_count("watch", "pods", NULL, 401, false) == 1);
    CHECK(log_count("list", "pods", NULL, 0, false) == 0);
    CHECK_STR(state_name(), "synced");
    rig_stop();
}

static const char *exec_plugin(void)
{
    return file_in(
        "plugin.sh",
        "#!/bin/sh\n"
        "n=$(cat \"$PLUGDIR/exec_count\" 2>/dev/null || echo 0)\n"
        "echo $((n+1)) > \"$PLUGDIR/exec_count\"\n"
        "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$PLUGDIR/exec_info\"\n"
        "if [ \"$MODE\" = cert ]; then\n"
        "  exec python3 -c 'import json,sys,os; d=os.environ[\"CERTS\"]; "
        "print(json.dumps({\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
        "\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":open(d+\"/"
        "client.crt\").read(),"
        "\"clientKeyData\":open(d+\"/client.key\").read()}}))'\n"
        "fi\n"
        "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
        "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}' "
        "\"$(cat \"$PLUGDIR/exec_token\")\"\n");
}

static int exec_count(void)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/exec_count", srv.dir);
    size_t len;
    char *s = read_file(path, 64, &len);
    int n = s ? atoi(s) : 0;
    free(s);
    return n;
}

TEST(live_exec_plugin_v1_token_rerun_on_401)
{
    CHECK(server_start());
    reset_server("[\"exec-1\"]");
    file_in("exec_token", "exec-1");
    file_in("exec_count", "0");
    const char *plugin = exec_plugin();
    char user[1024];
    snprintf(user, sizeof(user),
             "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: %s\n"
             "      args: [token]\n      interactiveMode: Never\n"
             "      env:\n      - {name: PLUGDIR, value: %s}\n      - {name: MODE, value: token}\n",
             plugin, srv.dir);
    rig_start(kubeconfig("kc-exec", ca_file(), user, NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    CHECK(exec_count() == 1); /* one run serves all four resources */
    char path[400];
    snprintf(path, sizeof(path), "%s/exec_info", srv.dir);
    size_t len;
    char *info = read_file(path, 4096, &len);
    CHECK(info && strstr(info, "\"interactive\":false") &&
          strstr(info, "client.authentication.k8s.io/v1"));
    free(info);
    run_for(1200);
    file_in("exec_token", "exec-2");
    ctl("tokens", "{\"tokens\": [\"exec-2\"]}");
    ctl("drop", NULL);
    put_pod("after-exec-rotation");
    CHECK(run_until(has_pod, "shop/after-exec-rotation", 15000));
    CHECK(exec_count() == 2);
    rig_stop();
}

TEST(live_exec_plugin_v1beta1_client_certificate)
{
    CHECK(server_start());
    reset_server("[]");
    file_in("exec_count", "0");
    const char *plugin = exec_plugin();
    char user[1024];
    snprintf(
        user, sizeof(user),
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: %s\n"
        "      env:\n      - {name: PLUGDIR, value: %s}\n      - {name: MODE, value: cert}\n"
        "      - {name: CERTS, value: %s}\n",
        plugin, srv.dir, srv.certs);
    rig_start(kubeconfig("kc-exec-cert", ca_file(), user, NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    CHECK(engine_table(&app.engine, T_NODES)->count == 3);
    rig_stop();
}

TEST(live_exec_plugin_missing_shows_install_hint)
{
    CHECK(server_start());
    reset_server("[]");
    rig_start(kubeconfig("kc-exec-missing", ca_file(),
                         "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                         "      command: no-such-auth-plugin\n"
                         "      installHint: install it with apt-get install foo\n",
                         NULL),
              NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "failed");
    const struct source_info *s = kube_row();
    CHECK(s && strstr(s->error, "not found") && strstr(s->error, "apt-get install foo"));
    rig_stop();
}

TEST(live_insecure_skip_verify_is_loudly_warned)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    rig_start(
        kubeconfig("kc-insecure", "    insecure-skip-tls-verify: true\n", "    token: t\n", NULL),
        NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    const struct source_info *s = kube_row();
    CHECK(s && strstr(s->error, "INSECURE") && strstr(s->detail, "INSECURE"));
    rig_stop();
}

TEST(live_tls_verification_and_tls_server_name)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    /* No CA: the test CA is not trusted, verification stays on. */
    rig_start(kubeconfig("kc-noca", "", "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "failed");
    rig_stop();
    char cl[700];
    snprintf(cl, sizeof(cl), "%s    tls-server-name: wrong.test\n", ca_file());
    rig_start(kubeconfig("kc-sni-bad", cl, "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "failed");
    rig_stop();
    snprintf(cl, sizeof(cl), "%s    tls-server-name: kubernetes.test\n", ca_file());
    rig_start(kubeconfig("kc-sni", cl, "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    rig_stop();
}

static bool pods_list_count_at_least(const void *arg)
{
    const int *want = arg;
    return log_count("list", "pods", NULL, 200, false) >= *want;
}

TEST(live_relist_after_410_expired)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    rig_start(kubeconfig("kc-410", ca_file(), "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    put_pod("doomed");
    CHECK(run_until(has_pod, "shop/doomed", 10000));
    ctl("clear_log", NULL);
    /* The watch gets HTTP 200 + ERROR 410; the object goes away meanwhile. */
    ctl("expire", NULL);
    ctl("delete", "{\"resource\": \"pods\", \"key\": \"shop/doomed\"}");
    CHECK(run_until(no_pod, "shop/doomed", 15000));
    int one = 1;
    CHECK(run_until(pods_list_count_at_least, &one, 10000));
    /* Re-list "not older than" the last RV: not paged, not from "". */
    CHECK(log_count("list", "pods", "", 200, false) == 0);
    CHECK(log_count("list", "pods", "0", 200, false) == 0);
    /* A 410 on that list drops to "" with paging. */
    ctl("clear_log", NULL);
    ctl("expire_next_list", "{\"resource\": \"pods\"}");
    ctl("expire", NULL);
    put_pod("after-double-410");
    CHECK(run_until(has_pod, "shop/after-double-410", 15000));
    /* a 410 soon after another one waits out a backoff: STALE until the list */
    CHECK(run_until(is_synced, NULL, 15000));
    CHECK(log_count("list", "pods", "", 200, true) == 1);
    rig_stop();
}

TEST(live_resume_after_dropped_connection_without_relist)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    rig_start(kubeconfig("kc-drop", ca_file(), "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    run_for(1200); /* a healthy stretch with bookmarks: not a "very short watch" */
    ctl("clear_log", NULL);
    ctl("drop", NULL);
    put_pod("after-drop");
    CHECK(run_until(has_pod, "shop/after-drop", 15000));
    CHECK(log_count("list", "pods", NULL, 0, false) == 0);
    CHECK(log_count("watch", "pods", NULL, 200, false) >= 1);
    rig_stop();
}

TEST(live_429_on_watch_backs_off_and_rewatches_without_relist)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    rig_start(kubeconfig("kc-429", ca_file(), "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    run_for(1200);
    ctl("clear_log", NULL);
    ctl("watch_fail", "{\"resource\": \"pods\", \"status\": 429}");
    ctl("drop", NULL);
    put_pod("after-429");
    int64_t t0 = loop_mono_ms();
    CHECK(run_until(has_pod, "shop/after-429", 15000));
    CHECK(loop_mono_ms() - t0 >= 700); /* backed off (0.8 s and up) before re-watching */
    CHECK(log_count("watch", "pods", NULL, 429, false) == 1);
    CHECK(log_count("list", "pods", NULL, 0, false) == 0);
    rig_stop();
}

TEST(live_very_short_watch_backs_off_and_relists)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    rig_start(kubeconfig("kc-short", ca_file(), "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    run_for(1200);
    /* The client times a watch from its request, so on a loaded machine the
     * new connection's TLS handshake alone can pass the 1 s: that watch is
     * rightly not "very short" and is resumed. Each try is the same shape
     * (a watch with bookmarks dropped, the next one ends at once), so the
     * one that is short enough must re-list. */
    int one = 1;
    bool relisted = false;
    for (int try = 0; try < 4 && !relisted; try++) {
        ctl("clear_log", NULL);
        ctl("watch_fail", "{\"resource\": \"pods\", \"status\": 200}");
        ctl("drop", NULL);
        relisted = run_until(pods_list_count_at_least, &one, 8000);
    }
    CHECK(relisted);
    /* client-go's "very short watch": re-list "not older than" the RV, unpaged. */
    CHECK(log_count("list", "pods", NULL, 200, true) == 0);
    put_pod("after-short-watch");
    CHECK(run_until(has_pod, "shop/after-short-watch", 15000));
    rig_stop();
}

TEST(live_in_cluster_service_account)
{
    CHECK(server_start());
    reset_server("[\"sa-token\"]");
    char sa[400], cmd[900], port[16];
    snprintf(sa, sizeof(sa), "%s/sa", srv.dir);
    snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s/ca.crt %s/ca.crt", sa, srv.certs, sa);
    CHECK(system(cmd) == 0);
    file_in("sa/token", "sa-token\n");
    file_in("sa/namespace", "shop");
    snprintf(port, sizeof(port), "%d", srv.proc.port);
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);
    setenv("LOOKOUT_SA_DIR", sa, 1);
    rig_start("", NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    CHECK(engine_get(&app.engine, T_PODS, "shop/cart-crash") != NULL);
    CHECK(engine_get(&app.engine, T_PODS, "data/vsystem-init") == NULL); /* its namespace only */
    CHECK(engine_get(&app.engine, T_SOURCES, "kube:in-cluster") != NULL);
    rig_stop();
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    unsetenv("LOOKOUT_SA_DIR");
}

TEST(live_rbac_403_on_events_others_work)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    ctl("forbid", "{\"resources\": [\"events\", \"events.events.k8s.io\"]}");
    rig_start(kubeconfig("kc-rbac", ca_file(), "    token: t\n", NULL), NULL, 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    CHECK(engine_table(&app.engine, T_PODS)->count >= 6);
    CHECK(engine_table(&app.engine, T_NODES)->count == 3);
    CHECK(engine_table(&app.engine, T_K8S_EVENTS)->count == 0);
    const struct source_info *s = kube_row();
    CHECK(s && strstr(s->error, "403 Forbidden: not allowed to list events (events.k8s.io/v1 "
                                "and core/v1) cluster-wide"));
    CHECK(s && !strstr(s->detail, "events:"));
    /* Watching goes on for the rest. */
    put_pod("rbac-still-works");
    CHECK(run_until(has_pod, "shop/rbac-still-works", 10000));
    ctl("forbid", "{\"resources\": []}");
    rig_stop();
}

static bool has_events(const void *arg)
{
    return engine_table(&app.engine, T_K8S_EVENTS)->count >= *(const int *)arg;
}

/* The Warning events of the story, whichever API served them. */
static bool backoff_event_present(void)
{
    struct table *t = engine_table(&app.engine, T_K8S_EVENTS);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_event *ev = table_row(t, i);
        if (strcmp(ev->reason, "BackOff") == 0 && strcmp(ev->type, "Warning") == 0 &&
            strcmp(ev->object_name, "cart-crash") == 0 && ev->count >= 5 && ev->last_seen > 0 &&
            strstr(ev->message, "Back-off restarting"))
            return true;
    }
    return false;
}

/* Runs one events API case: forbid (or make absent) what, expect the
 * detail's events part and who served the list. */
static void events_case(const char *ctl_cmd, const char *what, const char *detail,
                        const char *served_by)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    char body[128];
    snprintf(body, sizeof(body), "{\"resources\": [\"%s\"]}", what);
    ctl(ctl_cmd, body);
    rig_start(kubeconfig("kc-events", ca_file(), "    token: t\n", NULL), NULL, 0, 0);
    int want = 4;
    CHECK(run_until(has_events, &want, 15000));
    CHECK(run_until(settled, NULL, 5000));
    CHECK_STR(state_name(), "synced");
    CHECK(engine_table(&app.engine, T_K8S_EVENTS)->count == 4); /* Normal ones filtered */
    CHECK(backoff_event_present());
    const struct source_info *s = kube_row();
    CHECK(s && strstr(s->detail, detail));
    CHECK(s && s->error[0] == 0);
    CHECK(log_count("list", "events", NULL, 0, false) >= 1);
    CHECK(run_until(watch_logged, "events", 15000));
    /* the watch goes to the API that listed */
    cJSON *st = http_blocking("GET", "/_ctl/state", NULL);
    int watches = 0, wrong = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(st, "log"))
    {
        if (strcmp(cJSON_GetObjectItem(e, "verb")->valuestring, "watch") != 0 ||
            strcmp(cJSON_GetObjectItem(e, "res")->valuestring, "events") != 0)
            continue;
        watches++;
        wrong += strcmp(cJSON_GetObjectItem(e, "api")->valuestring, served_by) != 0;
    }
    cJSON_Delete(st);
    CHECK(watches >= 1 && wrong == 0);
    ctl(ctl_cmd, "{\"resources\": []}");
    rig_stop();
}

TEST(live_events_prefer_events_k8s_io_when_core_is_forbidden)
{
    events_case("forbid", "events", "events: events.k8s.io/v1", "events.events.k8s.io");
}

TEST(live_events_fall_back_to_core_when_events_k8s_io_is_forbidden)
{
    events_case("forbid", "events.events.k8s.io", "events: core/v1 (events.k8s.io forbidden)",
                "events");
}

TEST(live_events_fall_back_to_core_when_events_k8s_io_is_absent)
{
    events_case("absent", "events.events.k8s.io", "events: core/v1 (events.k8s.io absent)",
                "events");
}

TEST(live_malformed_and_oversized_objects_are_skipped_and_counted)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    ctl("raw", "{\"resource\": \"pods:list\", \"line\": "
               "\"{\\\"kind\\\":\\\"Pod\\\",\\\"metadata\\\":{}}\"}");
    rig_start(kubeconfig("kc-bad-obj", ca_file(), "    token: t\n", NULL), NULL, 0, 65536);
    CHECK(run_until(settled, NULL, 15000));
    CHECK_STR(state_name(), "synced");
    CHECK(detail_has("skipped 1 malformed"));
    ctl("raw", "{\"resource\": \"pods\", \"line\": \"{not json at all\"}");
    ctl("raw_big", "{\"resource\": \"pods\", \"bytes\": 100000}");
    put_pod("after-garbage");
    CHECK(run_until(has_pod, "shop/after-garbage", 10000));
    CHECK(run_until(detail_has, "skipped 2 malformed, 1 oversized", 5000));
    if (!detail_has("skipped 2 malformed, 1 oversized"))
        fprintf(stderr, "  detail: %s\n", kube_row()->detail);
    CHECK(engine_get(&app.engine, T_PODS, "x/huge") == NULL);
    rig_stop();
}

TEST(live_context_switch_resyncs_cleanly)
{
    CHECK(server_start());
    reset_server("[\"t\"]");
    const char *kc =
        kubeconfig("kc-switch", ca_file(), "    token: t\n",
                   "- name: shop ns\n  context: {cluster: c, user: u, namespace: shop}\n"
                   "- name: data-ns\n  context: {cluster: c, user: u, namespace: data}\n");
    rig_start(kc, "shop ns", 0, 0);
    CHECK(run_until(settled, NULL, 15000));
    CHECK(engine_get(&app.engine, T_PODS, "shop/cart-crash") != NULL);
    CHECK(engine_get(&app.engine, T_PODS, "data/vsystem-init") == NULL);
    char err[256];
    CHECK(kube_switch_context(&app.sources, "nope", err, sizeof(err)) < 0);
    CHECK(strstr(err, "'nope' not found") != NULL);
    CHECK(kube_switch_context(&app.sources, "data-ns", err, sizeof(err)) == 0);
    CHECK(engine_get(&app.engine, T_SOURCES, "kube:shop ns") == NULL);
    CHECK(run_until(settled, NULL, 15000));
    CHECK(engine_get(&app.engine, T_PODS, "data/vsystem-init") != NULL);
    CHECK(engine_get(&app.engine, T_PODS, "shop/cart-crash") == NULL);
    CHECK(engine_get(&app.engine, T_SOURCES, "kube:data-ns") != NULL);
    const struct summary *s = engine_get(&app.engine, T_SUMMARY, "summary");
    CHECK(s && strcmp(s->context, "data-ns") == 0);
    rig_stop();
}

RUN_TESTS()
