#include "kube/derive.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"

/* Waiting reasons that mean the container cannot run, not that it is starting. */
static bool waiting_is_problem(const char *reason)
{
    static const char *const bad[] = {
        "CrashLoopBackOff",           "ImagePullBackOff",     "ErrImagePull",
        "CreateContainerConfigError", "CreateContainerError", "InvalidImageName",
        "RunContainerError",          "ErrImageNeverPull",    NULL};
    for (int i = 0; bad[i]; i++)
        if (strcmp(reason, bad[i]) == 0)
            return true;
    return false;
}

/* The problem of one container, "" when fine. OOMKilled wins over the
 * CrashLoopBackOff it causes: it is the thing to fix. */
static const char *container_problem(const struct container_status *c)
{
    bool oom_now = strcmp(c->state, "terminated") == 0 && strcmp(c->reason, "OOMKilled") == 0;
    bool oom_last = strcmp(c->last_reason, "OOMKilled") == 0;
    if (oom_now)
        return "OOMKilled";
    if (strcmp(c->state, "waiting") == 0 && waiting_is_problem(c->reason))
        return oom_last ? "OOMKilled" : c->reason;
    if (oom_last && !c->ready)
        return "OOMKilled"; /* restarted after an OOM kill and not ready yet */
    return "";
}

static void set_pending(struct k8s_pod *p, int64_t now, int64_t limit)
{
    if (strcmp(p->phase, "Pending") == 0 && p->created > 0 && now - p->created > limit)
        p->problem = intern_str("Pending");
}

void kube_derive_pod(struct k8s_pod *p, const struct container_status *cs, int n, int ninit,
                     int64_t now, int64_t pending_limit_ms)
{
    p->problem = intern_str("");
    for (int i = 0; i < n; i++) {
        const char *pr = container_problem(&cs[i]);
        if (!*pr)
            continue;
        char init[POD_REASON_LEN];
        if (i < ninit)
            snprintf(init, sizeof(init), "Init:%s", pr);
        p->problem = intern_cut(i < ninit ? init : pr, POD_REASON_LEN);
        return;
    }
    if (strcmp(p->phase, "Failed") == 0) {
        p->problem = intern_str("Failed");
        return;
    }
    set_pending(p, now, pending_limit_ms);
}

bool kube_recheck_pending(struct k8s_pod *p, int64_t now, int64_t pending_limit_ms)
{
    if (p->problem[0] || strcmp(p->phase, "Pending") != 0)
        return false;
    set_pending(p, now, pending_limit_ms);
    return p->problem[0] != 0;
}

void kube_derive_node(struct k8s_node *n, const char *ready_status)
{
    n->problem[0] = 0;
    n->ready = strcmp(ready_status, "True") == 0;
    if (!n->ready)
        STR_COPY(n->problem, "NotReady"); /* False (kubelet unhealthy) or Unknown (silent) */
    else if (n->memory_pressure)
        STR_COPY(n->problem, "MemoryPressure");
    else if (n->disk_pressure)
        STR_COPY(n->problem, "DiskPressure");
    else if (n->pid_pressure)
        STR_COPY(n->problem, "PIDPressure");
}

void kube_derive_deployment(struct k8s_deployment *d, const char *available_status,
                            const char *progressing_status, const char *progressing_reason)
{
    d->problem[0] = 0;
    d->progressing = strcmp(progressing_status, "True") == 0;
    if (strcmp(progressing_reason, "ProgressDeadlineExceeded") == 0)
        STR_COPY(d->problem, "ProgressDeadlineExceeded");
    else if (strcmp(available_status, "False") == 0 || (d->desired > 0 && d->available == 0))
        STR_COPY(d->problem, "Unavailable");
}
