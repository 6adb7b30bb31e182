/* See bench_kube.sh. Prints the figures; exits 1 when a target is missed
 * (sync over 1 s CPU, RSS growth over 64 MiB, watch over 10% of a core). */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "bench.h"
#include "base/buf.h"
#include "kube/source.h"
#include "lib/fake_server.h"

static struct fake_server server;
static int port;

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    buf_append(ud, p, s * n);
    return s * n;
}

static void ctl(const char *cmd, const char *body, struct buf *out)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/_ctl/%s", port, cmd);
    CURL *c = curl_easy_init();
    struct buf tmp = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &tmp);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    buf_free(&tmp);
}

static void stop_server(void)
{
    fake_server_stop(&server);
}

static int start_server(const char *dir, int pods)
{
    char bulk[32], tok[600];
    snprintf(bulk, sizeof(bulk), "%d", pods);
    if (fake_server_start(&server, NULL, NULL, "tests/servers/fake_apiserver.py", "--fixtures",
                          "tests/fixtures/k8s", "--bulk", bulk, "--token", "bench", "--no-split",
                          "--bookmark-seconds", "30", (char *)NULL) < 0)
        return -1;
    port = server.port;
    atexit(stop_server);
    snprintf(tok, sizeof(tok), "%s/kubeconfig", dir);
    FILE *k = fopen(tok, "w");
    fprintf(
        k,
        "current-context: bench\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:%d'}\n"
        "contexts:\n- name: bench\n  context: {cluster: c, user: u}\n"
        "users:\n- name: u\n  user: {token: bench}\n",
        port);
    fclose(k);
    return 0;
}

static uint64_t pod_changes;
static void count_pods(struct engine *e, int table, const void *obj, void *ud)
{
    (void)e, (void)obj, (void)ud;
    if (table == T_PODS)
        pod_changes++;
}

static bool synced(struct app *a)
{
    struct table *t = engine_table(&a->engine, T_SOURCES);
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (strcmp(s->kind, "kubernetes") == 0)
            return s->state == SRC_SYNCED;
    }
    return false;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int pods = argc > 2 ? atoi(argv[2]) : 10000;
    int rate = argc > 3 ? atoi(argv[3]) : 1000;
    int seconds = argc > 4 ? atoi(argv[4]) : 20;
    if (start_server(dir, pods) < 0) {
        fprintf(stderr, "bench_kube: the fake API server did not start\n");
        return 1;
    }
    static struct app a;
    engine_init(&a.engine);
    engine_advance(&a.engine, loop_wall_ms());
    a.loop = loop_new();
    a.http = http_new(a.loop);
    a.ctx = (struct source_ctx){
        .engine = &a.engine, .loop = a.loop, .http = a.http, .config = &a.config};
    engine_observe(&a.engine, count_pods, NULL);
    struct kube_settings set;
    kube_settings_from(&set, NULL);
    snprintf(set.kubeconfig, sizeof(set.kubeconfig), "%s/kubeconfig", dir);
    long rss0 = rss_kb();
    double cpu0 = cpu_s();
    int64_t t0 = loop_mono_ms();
    source_add(&a.sources, &kube_source_ops, "kube:bench", &a.ctx, kube_source_new(&set));
    source_start_all(&a.sources);
    while (!synced(&a) && loop_mono_ms() - t0 < 120000)
        loop_run_once(a.loop, 100);
    double wall = (double)(loop_mono_ms() - t0) / 1000, cpu = cpu_s() - cpu0;
    long rss = rss_kb() - rss0;
    int npods = engine_table(&a.engine, T_PODS)->count;
    printf("   initial sync: %d pods, %d nodes, %d deployments in %.2f s wall, %.3f s CPU, "
           "RSS +%.1f MiB (pod row %zu bytes)\n",
           npods, engine_table(&a.engine, T_NODES)->count,
           engine_table(&a.engine, T_DEPLOYMENTS)->count, wall, cpu, rss / 1024.0,
           sizeof(struct k8s_pod));
    char body[128];
    snprintf(body, sizeof(body), "{\"rate\": %d, \"seconds\": %d}", rate, seconds);
    uint64_t before = pod_changes;
    ctl("churn", body, NULL);
    double c1 = cpu_s();
    int64_t w1 = loop_mono_ms();
    while (loop_mono_ms() - w1 < (int64_t)seconds * 1000)
        loop_run_once(a.loop, 100);
    double wcpu = cpu_s() - c1, wwall = (double)(loop_mono_ms() - w1) / 1000;
    struct buf out = {0};
    ctl("churn_stop", NULL, &out);
    uint64_t got = pod_changes - before;
    printf("   watch: %llu pod updates in %.1f s (%.0f/s; server sent %s), CPU %.1f%% of a core\n",
           (unsigned long long)got, wwall, got / wwall, buf_cstr(&out), 100 * wcpu / wwall);
    buf_free(&out);
    bool ok = cpu < 1.0 && rss < 64 * 1024 && 100 * wcpu / wwall < 10 && npods == pods;
    printf("   targets (sync < 1 s CPU, RSS < 64 MiB, watch < 10%%): %s\n", ok ? "met" : "MISSED");
    source_stop_all(&a.sources);
    http_free(a.http);
    loop_free(a.loop);
    engine_free(&a.engine);
    return ok ? 0 : 1;
}
