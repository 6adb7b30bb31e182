/* See bench_kube.sh. One cluster size per run (a fresh process, so the peak
 * RSS is this size's): Lookout's sync beside `kubectl get pods -A` against
 * the same loopback API server over TLS with a bearer token, then, when
 * asked, 1,000 MODIFIED events/s healthy and with a 20% crash mix, Lookout's
 * CPU beside `kubectl get pods -A --watch` on the same stream. Lookout runs
 * whole (app_init: every module, the incidents and the summary included).
 * Exits 1 when a target is missed. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/app.h"
#include "base/buf.h"
#include "base/intern.h"
#include "bench.h"
#define FAKE_SERVER_WAIT_MS 300000 /* seeding 50k pods in Python takes a while */
#include "lib/fake_server.h"

#define NODES       500
#define DEPLOYMENTS 2000

static struct fake_server server;
static char dir[512], kubeconfig[600], cafile[600];
static int port;

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    buf_append(ud, p, s * n);
    return s * n;
}

static void ctl(const char *cmd, const char *body, struct buf *out)
{
    char url[256];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/_ctl/%s", port, cmd);
    CURL *c = curl_easy_init();
    struct buf tmp = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
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

static int start_server(int pods)
{
    char bulk[32], nodes[16], deps[16], tls[600];
    snprintf(bulk, sizeof(bulk), "%d", pods);
    snprintf(nodes, sizeof(nodes), "%d", NODES);
    snprintf(deps, sizeof(deps), "%d", DEPLOYMENTS);
    snprintf(tls, sizeof(tls), "%s/certs", dir);
    if (fake_server_start(&server, NULL, NULL, "tests/servers/fake_apiserver.py", "--fixtures",
                          "tests/fixtures/k8s", "--tls", tls, "--bulk", bulk, "--nodes", nodes,
                          "--deployments", deps, "--token", "bench", "--no-split",
                          "--bookmark-seconds", "30", (char *)NULL) < 0)
        return -1;
    port = server.port;
    atexit(stop_server);
    snprintf(cafile, sizeof(cafile), "%s/ca.crt", tls);
    snprintf(kubeconfig, sizeof(kubeconfig), "%s/kubeconfig", dir);
    FILE *k = fopen(kubeconfig, "w");
    if (!k)
        return -1;
    fprintf(k,
            "current-context: bench\nclusters:\n- name: c\n"
            "  cluster: {server: 'https://127.0.0.1:%d', certificate-authority: '%s'}\n"
            "contexts:\n- name: bench\n  context: {cluster: c, user: u}\n"
            "users:\n- name: u\n  user: {token: bench}\n",
            port, cafile);
    fclose(k);
    return 0;
}

/* ---- kubectl, the baseline ---- */

static bool have_kubectl(void)
{
    return system("command -v kubectl >/dev/null 2>&1") == 0;
}

/* Starts kubectl ARGS with its stdout on *out_fd (non-blocking), or on
 * /dev/null when out_fd is NULL; HOME is the scratch dir (its cache). */
static pid_t kubectl_start(const char *const *args, int *out_fd)
{
    int fds[2] = {-1, -1};
    if (out_fd && pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(out_fd ? fds[1] : null, 1);
        dup2(null, 2);
        setenv("HOME", dir, 1);
        const char *argv[16] = {"kubectl", "--kubeconfig", kubeconfig};
        int n = 3;
        for (int i = 0; args[i] && n < 15; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execvp("kubectl", (char *const *)argv);
        _exit(127);
    }
    if (out_fd) {
        close(fds[1]);
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        *out_fd = fds[0];
    }
    return pid;
}

/* CPU seconds a child has used so far (/proc/PID/stat utime + stime). */
static double child_cpu_s(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *ok = fgets(line, sizeof(line), f);
    fclose(f);
    const char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* `kubectl get pods -A` to /dev/null: wall, CPU, peak RSS; false when it failed. */
static bool kubectl_table(double *wall, double *cpu, double *rss_mb)
{
    static const char *const args[] = {"get", "pods", "-A", NULL};
    double t0 = now_s();
    pid_t pid = kubectl_start(args, NULL);
    int st = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return false;
    *wall = now_s() - t0;
    *cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
    *rss_mb = (double)ru.ru_maxrss / 1024;
    return true;
}

/* Reads what is there; returns the newlines seen. */
static long drain(int fd)
{
    char b[65536];
    long lines = 0;
    ssize_t n;
    while ((n = read(fd, b, sizeof(b))) > 0)
        for (ssize_t i = 0; i < n; i++)
            lines += b[i] == '\n';
    return lines;
}

/* ---- Lookout ---- */

static bool synced(struct app *a)
{
    struct table *t = engine_table(&a->engine, T_SOURCES);
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (strcmp(s->kind, "kubernetes") == 0)
            return s->state == SRC_SYNCED || s->state == SRC_PARTIAL;
    }
    return false;
}

static int app_up(struct app *a)
{
    char cfg[700], err[512];
    snprintf(cfg, sizeof(cfg), "%s/config.yaml", dir);
    FILE *f = fopen(cfg, "w");
    if (!f)
        return -1;
    fprintf(f, "kubernetes:\n  enabled: true\n  kubeconfig: %s\n", kubeconfig);
    fclose(f);
    struct run_options opt = {.config_path = cfg, .no_kernel = true, .seed = 1};
    if (app_init(a, &opt, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench_kube: %s\n", err);
        return -1;
    }
    return 0;
}

/* One watch phase: rate events/s for seconds, crash_pct of them crashes. */
static bool watch_phase(struct app *a, int pods, int rate, int seconds, int crash_pct, bool kubectl)
{
    static const char *const args[] = {"get", "pods", "-A", "--watch", NULL};
    int fd = -1;
    pid_t k = kubectl ? kubectl_start(args, &fd) : -1;
    long lines = 0;
    double t0 = now_s();
    /* kubectl lists first: its watch starts once every pod is printed */
    while (k > 0 && lines < pods && now_s() - t0 < 300) {
        loop_run_once(a->loop, 20);
        lines += drain(fd);
    }
    char body[128];
    snprintf(body, sizeof(body), "{\"rate\": %d, \"seconds\": %d, \"crash_pct\": %d}", rate,
             seconds, crash_pct);
    ctl("churn", body, NULL);
    double c0 = cpu_s(), k0 = k > 0 ? child_cpu_s(k) : 0, w0 = now_s();
    while (now_s() - w0 < seconds) {
        loop_run_once(a->loop, 20);
        if (k > 0)
            drain(fd);
    }
    double wall = now_s() - w0, cpu = 100 * (cpu_s() - c0) / wall;
    double kcpu = k > 0 ? 100 * (child_cpu_s(k) - k0) / wall : -1;
    struct buf out = {0};
    ctl("churn_stop", NULL, &out);
    if (k > 0) {
        kill(k, SIGTERM);
        waitpid(k, NULL, 0);
        close(fd);
    }
    char kc[32] = "n/a (no kubectl)";
    if (kcpu >= 0)
        snprintf(kc, sizeof(kc), "%.1f%%", kcpu);
    printf("   | %s, %d pods, %d s at %d/s (server: %s) | %.1f%% | %s | < 10%% | %s |\n",
           crash_pct ? "20% crash mix" : "healthy", pods, seconds, rate, buf_cstr(&out), cpu, kc,
           cpu < 10 ? "met" : "MISSED");
    buf_free(&out);
    return cpu < 10;
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "/tmp");
    int pods = argc > 2 ? atoi(argv[2]) : 10000;
    int rate = argc > 3 ? atoi(argv[3]) : 1000;
    int seconds = argc > 4 ? atoi(argv[4]) : 0;
    if (start_server(pods) < 0) {
        fprintf(stderr, "bench_kube: the fake API server did not start\n");
        return 1;
    }
    static struct app a;
    long rss0 = rss_kb();
    if (app_up(&a) < 0)
        return 1;
    double cpu0 = cpu_s(), t0 = now_s();
    app_start(&a);
    while (!synced(&a) && now_s() - t0 < 300)
        loop_run_once(a.loop, 100);
    double wall = now_s() - t0, cpu = cpu_s() - cpu0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double peak = (double)ru.ru_maxrss / 1024, steady = (double)rss_kb() / 1024;
    int kept = engine_table(&a.engine, T_PODS)->count;
    double per_pod = kept ? (double)(rss_kb() - rss0) * 1024 / kept : 0;
    double kw, kcpu, krss;
    char kcol[96] = "SKIP (kubectl not installed)";
    if (have_kubectl())
        snprintf(kcol, sizeof(kcol), "%s",
                 kubectl_table(&kw, &kcpu, &krss) ? "" : "failed against the fake server");
    if (!kcol[0])
        snprintf(kcol, sizeof(kcol), "%.2f s / %.2f s / %.0f MB", kw, kcpu, krss);
    bool ok = kept == pods;
    if (pods == 50000) /* the targets are set at 50k */
        ok &= cpu < 2.0 && peak < 150;
    printf("   | %dk | %.2f s / %.2f s / %.0f MB (steady %.0f MB, %.0f B/pod) | %s | %s |\n",
           pods / 1000, wall, cpu, peak, steady, per_pod, kcol,
           kept == pods ? (pods == 50000 ? (ok ? "met" : "MISSED") : "all kept") : "PODS MISSING");
    struct intern *in = intern_pool();
    printf("   (interned strings after the sync: %zu, %zu KB)\n", intern_count(in),
           in->bytes >> 10);
    fflush(stdout);
    if (seconds > 0) {
        bool k = have_kubectl();
        ok &= watch_phase(&a, pods, rate, seconds, 0, k);
        ok &= watch_phase(&a, pods, rate, seconds, 20, k);
        /* MODIFIED events reuse the pooled strings: the count stays put */
        printf("   (interned strings after the watch: %zu, %zu KB, %llu refused)\n",
               intern_count(in), in->bytes >> 10, (unsigned long long)in->refused);
    }
    app_free(&a);
    return ok ? 0 : 1;
}
