/* The demo's simulated kernel events: health-check execs, service-to-service
 * connections, the honeypot read during the pipeline's eBPF experiment,
 * the crash-looping checkout binary, its OOM kill, and a payments
 * container reading /etc/passwd. Real kernel events arrive beside
 * these only with --host-kernel (kernel/source.c), marked real. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/redact.h"
#include "demo/internal.h"

/* The n-th pod of a deployment, or NULL. */
static const struct k8s_pod *pod_of(struct engine *e, const char *deployment, int n)
{
    struct table *t = engine_table(e, T_PODS);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (strcmp(p->deployment, deployment) == 0 && n-- == 0)
            return p;
    }
    return NULL;
}

static struct kevent base_event(const struct k8s_pod *p, enum kev_kind kind, uint32_t pid,
                                const char *comm)
{
    struct kevent ev = {.kind = kind, .pid = pid, .ppid = 1, .uid = 1000, .simulated = true};
    STR_COPY(ev.comm, comm);
    if (p) {
        STR_COPY(ev.pod, p->key);
        /* "containerd://<id>": keep the first 12 hex digits, as crictl shows. */
        const char *id = strstr(p->containers[0].id, "://");
        snprintf(ev.container, sizeof(ev.container), "%.12s", id ? id + 3 : "");
        ev.cgroup_id = 4096 + (uint64_t)(p->uid[0] & 0x7f) * 131 + (uint64_t)(p->uid[1] & 0x7f);
    }
    return ev;
}

static void health_check(struct demo *d, struct engine *e, int64_t s)
{
    const struct k8s_pod *fe = pod_of(e, "frontend", (int)(s % 3));
    struct kevent ev = base_event(fe, KEV_EXEC, 20000 + (uint32_t)(demo_rand(d) % 9000), "curl");
    STR_COPY(ev.path, "/usr/bin/curl");
    STR_COPY(ev.args, "curl -fsS http://127.0.0.1:8080/healthz");
    demo_post_kevent(d, e, &ev);
}

static void service_call(struct demo *d, struct engine *e, int64_t s)
{
    const struct k8s_pod *fe = pod_of(e, "frontend", (int)(s % 3));
    const struct k8s_pod *pay = pod_of(e, "payments", (int)(s % 2));
    int sport = 32768 + (int)(demo_rand(d) % 28000);
    struct kevent c = base_event(fe, KEV_CONNECT, 1200 + (uint32_t)(s % 7), "frontend");
    snprintf(c.saddr, sizeof(c.saddr), "10.0.%d.%d", 1 + (int)(s % 3), 20 + (int)(s % 40));
    STR_COPY(c.daddr, "10.0.2.57");
    c.sport = sport;
    c.dport = 8080;
    demo_post_kevent(d, e, &c);
    struct kevent a = base_event(pay, KEV_ACCEPT, 900 + (uint32_t)(s % 5), "payments");
    STR_COPY(a.saddr, "10.0.2.57");
    STR_COPY(a.daddr, c.saddr);
    a.sport = 8080;
    a.dport = sport;
    demo_post_kevent(d, e, &a);
}

static void checkout_restart(struct demo *d, struct engine *e, int64_t s)
{
    const struct k8s_pod *p = pod_of(e, "checkout", 3); /* the first new pod */
    uint32_t pid = 48000 + (uint32_t)s;
    struct kevent ex = base_event(p, KEV_EXEC, pid, "checkout");
    STR_COPY(ex.path, "/app/checkout");
    STR_COPY(ex.args, "/app/checkout --config /etc/checkout/config.yaml");
    ex.uid = 10001;
    demo_post_kevent(d, e, &ex);
    struct kevent rst = base_event(p, KEV_RESET, pid, "checkout");
    STR_COPY(rst.saddr, "10.0.1.33");
    STR_COPY(rst.daddr, "10.0.3.12");
    rst.sport = 8080;
    rst.dport = 51544;
    demo_post_kevent(d, e, &rst);
    struct kevent exit = base_event(p, KEV_EXIT, pid, "checkout");
    exit.ret = 1;
    exit.uid = 10001;
    demo_post_kevent(d, e, &exit);
}

static void passwd_read(struct demo *d, struct engine *e)
{
    const struct k8s_pod *p = pod_of(e, "payments", 0);
    struct kevent ev = base_event(p, KEV_OPEN, 31337, "python3");
    STR_COPY(ev.path, "/etc/passwd");
    STR_COPY(ev.args, "O_RDONLY|O_CLOEXEC"); /* open flags, as the kernel source reports */
    ev.ret = 3;
    demo_post_kevent(d, e, &ev);
}

/* The seed's beat: something in the honeypot reads the account database
 * during the pipeline's eBPF experiment, as an intruder probing it would. */
static void honeypot_read(struct demo *d, struct engine *e)
{
    const struct k8s_pod *p = pod_of(e, "honeypot", 0);
    struct kevent ev = base_event(p, KEV_OPEN, 4242, "cat");
    STR_COPY(ev.path, "/etc/passwd");
    STR_COPY(ev.args, "O_RDONLY");
    ev.uid = 0;
    ev.ret = 3;
    demo_post_kevent(d, e, &ev);
}

static void oom_kill(struct demo *d, struct engine *e)
{
    const struct k8s_pod *p = pod_of(e, "checkout", 4); /* the second new pod */
    struct kevent ev = base_event(p, KEV_OOM, 48213, "checkout");
    ev.uid = 10001;
    STR_COPY(ev.args, "oom-kill: constraint=CONSTRAINT_MEMCG, anon-rss 1048576kB");
    demo_post_kevent(d, e, &ev);
}

static void injected(struct demo *d, struct engine *e)
{
    const struct k8s_pod *p = pod_of(e, "frontend", 0);
    struct kevent ev = base_event(p, KEV_EXEC, 6666, "");
    REDACT_COPY(ev.comm, d->opt.inject_comm ? d->opt.inject_comm : "sh");
    REDACT_COPY(ev.path, d->opt.inject_path ? d->opt.inject_path : "/bin/sh");
    REDACT_COPY(ev.args, d->opt.inject_path ? d->opt.inject_path : "/bin/sh");
    demo_post_kevent(d, e, &ev);
}

/* A process on the host itself (no pod) taking uid 0: the incident tests
 * use it to check that host trouble neither takes over nor joins the
 * story's service incident. */
static void host_priv(struct demo *d, struct engine *e)
{
    struct kevent ev = base_event(NULL, KEV_PRIV, 7777, "python3");
    STR_COPY(ev.path, "setuid");
    STR_COPY(ev.args, "0");
    demo_post_kevent(d, e, &ev);
}

void demo_kernel_step(struct demo *d, struct engine *e, int64_t s)
{
    if (s % 3 == 0)
        health_check(d, e, s);
    if (demo_uniform(d) < 0.5)
        service_call(d, e, s);
    if (s == 2 && (d->opt.inject_comm || d->opt.inject_path))
        injected(d, e);
    if (s >= BEAT_CRASHLOOP && (s - BEAT_CRASHLOOP) % 15 == 0)
        checkout_restart(d, e, s);
    if (s == BEAT_HONEYPOT_READ)
        honeypot_read(d, e);
    if (s == BEAT_OOMKILL)
        oom_kill(d, e);
    if (s == BEAT_PASSWD_READ)
        passwd_read(d, e);
    if (d->opt.host_priv_at > 0 && s == d->opt.host_priv_at)
        host_priv(d, e);
}
