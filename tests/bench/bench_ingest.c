/* Kernel event ingest cost in user space, without the kernel: events/s and
 * ns/event through kevent_ingest_post() (attribution + PCRE2 rules + engine
 * ring), with and without rules, the agent's JSON line encoding, and the
 * redaction door (path + argv through redact_field, as the kernel source
 * copies them) against the plain copy it replaced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/attribution.h"
#include "base/intern.h"
#include "bench.h"
#include "kernel/ingest.h"
#include "kernel/event_json.h"
#include "kernel/rules.h"
#include "base/redact.h"

#define NCG 200 /* containers on the node (kubelet allows 110 pods by default) */

static void make_events(struct kevent *evs, int n)
{
    static const char *const paths[] = {"/etc/passwd", "/etc/shadow", "/usr/bin/curl", "/bin/sh"};
    for (int i = 0; i < n; i++) {
        struct kevent *e = &evs[i];
        memset(e, 0, sizeof(*e));
        e->kind = (enum kev_kind[]){KEV_EXEC, KEV_OPEN, KEV_CONNECT, KEV_EXIT}[i % 4];
        e->pid = 1000 + (uint32_t)i % 30000;
        e->uid = i % 3 ? 1000 : 0;
        e->cgroup_id = 100 + (uint64_t)(i % (NCG + 50)); /* a few host cgroups too */
        snprintf(e->comm, sizeof(e->comm), "proc%d", i % 50);
        STR_COPY(e->path, paths[i % 4]);
        STR_COPY(e->args, e->kind == KEV_OPEN ? "O_RDONLY|O_CLOEXEC" : "curl -s http://x/");
        STR_COPY(e->daddr, "10.0.0.9");
        e->dport = i % 7 ? 443 : 4444;
    }
}

static double run(struct kevent_ingest *ki, const struct kevent *evs, int n, int reps)
{
    struct kevent ev;
    double t0 = now_s();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < n; i++) {
            ev = evs[i];
            kevent_ingest_post(ki, &ev);
        }
    return now_s() - t0;
}

/* Real exec lines: most hold no trigger, some a URL, one a password. */
static const char *const door_args[] = {
    "ls -la /var/log",
    "python3 app.py --port 8080 --workers 4",
    "sh -c ./healthcheck.sh",
    "curl -s http://127.0.0.1:8080/healthz",
    "git fetch origin main",
    "kubectl get pods -n shop -o wide",
    "java -Xmx2g -jar /opt/app/app.jar",
    "mysql -h db -u app -pS3cretPw9x shop",
};
enum { NDOOR = sizeof(door_args) / sizeof(door_args[0]) };

/* mode 0: the plain copy (before), 1: redact_field, 2: every rule (no prefilter). */
static void door(const struct kevent *evs, int n, int reps, int mode)
{
    static const char *const names[] = {"plain copy (before)", "redact_field (prefilter)",
                                        "redact_field (every rule)"};
    redactor_set_prefilter(redact_default(), mode != 2);
    char path[256], args[128];
    size_t lens[NDOOR];
    for (int i = 0; i < NDOOR; i++)
        lens[i] = strlen(door_args[i]);
    double t0 = now_s();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < n; i++) {
            const char *a = door_args[i % NDOOR];
            if (mode == 0) {
                STR_COPY(path, evs[i].path);
                STR_COPY(args, a);
            } else {
                redact_field(path, sizeof(path), evs[i].path, strlen(evs[i].path));
                redact_field(args, sizeof(args), a, lens[i % NDOOR]);
            }
        }
    double t = now_s() - t0, m = (double)n * reps;
    printf("   door: path + argv, %-31s %9.0f events/s  %6.0f ns/event\n", names[mode], m / t,
           t / m * 1e9);
    redactor_set_prefilter(redact_default(), true);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    enum { N = 50000 };
    struct kevent *evs = calloc(N, sizeof(*evs));
    make_events(evs, N);
    char err[256];
    const char *names[] = {"full path (attribution + default rules + ring)", "no rules"};
    for (int variant = 0; variant < 2; variant++) {
        struct engine e;
        engine_init(&e);
        struct kevent_ingest *ki = kevent_ingest_new(&e, NULL, err, sizeof(err));
        for (int i = 0; i < NCG; i++) {
            char path[256];
            snprintf(
                path, sizeof(path),
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%08x_0000_0000_"
                "0000_%012d.slice/cri-containerd-%064d.scope",
                i, i, i);
            kevent_ingest_cgroup(ki, 100 + (uint64_t)i, path, false);
            if (i % 2 == 0) { /* half the pods are known to the cluster state */
                struct k8s_pod p;
                schema_zero(&k8s_pod_schema, &p);
                snprintf(p.uid, sizeof(p.uid), "%08x-0000-0000-0000-%012d", i, i);
                char ns[16];
                snprintf(ns, sizeof(ns), "ns%d", i % 10);
                p.namespace = intern_str(ns);
                snprintf(p.name, sizeof(p.name), "pod-%d", i);
                snprintf(p.key, sizeof(p.key), "%s/%s", p.namespace, p.name);
                engine_upsert(&e, T_PODS, &p);
            }
        }
        for (uint64_t id = 100 + NCG; id < 100 + NCG + 50; id++)
            kevent_ingest_cgroup(ki, id, "/system.slice/some.service", false);
        if (variant == 1) {
            struct rule_set *rs = kevent_ingest_rules(ki);
            struct rule_info ri;
            for (int i = 0; rules_info(rs, i, &ri); i++)
                rules_disable(rs, ri.name);
        }
        run(ki, evs, N, 1); /* warm the caches */
        double t = run(ki, evs, N, reps);
        double n = (double)N * reps;
        printf("   ingest %-42s %9.0f events/s  %6.0f ns/event  (rule matches %llu)\n",
               names[variant], n / t, t / n * 1e9,
               (unsigned long long)kevent_ingest_stats(ki)->rule_matches);
        kevent_ingest_free(ki);
        engine_free(&e);
    }
    struct buf b = {0};
    double t0 = now_s();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < N; i++) {
            buf_reset(&b);
            kevent_json_append(&b, &evs[i], "node-a");
        }
    double t = now_s() - t0, n = (double)N * reps;
    printf("   agent JSON line encoding                          %9.0f events/s  %6.0f ns/event\n",
           n / t, t / n * 1e9);
    buf_free(&b);
    for (int mode = 0; mode < 3; mode++)
        door(evs, N, reps, mode);
    redact_default_free();
    free(evs);
    return 0;
}
