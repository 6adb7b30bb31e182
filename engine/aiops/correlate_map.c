/* Topology for the correlator: which service a pod, deployment, pipeline or
 * series belongs to (T_SERVICES maps a service to a namespace + selector). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "aiops/correlate_internal.h"

void corr_textf(char *dst, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, len, fmt, ap);
    va_end(ap);
}

void corr_count(char *dst, size_t len, int64_t n)
{
    struct buf b = {0};
    buf_count(&b, n);
    str_copy(dst, len, buf_cstr(&b));
    buf_free(&b);
}

/* True when "k=v" (len n) occurs as a whole item of the "k=v,k=v" list. */
static bool has_label(const char *labels, const char *kv, size_t n)
{
    for (const char *p = labels; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        if (len == n && strncmp(p, kv, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

bool corr_selector_matches(const char *selector, const char *labels)
{
    if (!selector || !*selector)
        return false;
    for (const char *p = selector; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if (len && !has_label(labels, p, len))
            return false;
        p = end ? end + 1 : NULL;
    }
    return true;
}

static const struct service *service_named(struct engine *e, const char *name)
{
    return *name ? engine_get(e, T_SERVICES, name) : NULL;
}

void corr_pod_service(struct engine *e, const struct k8s_pod *p, char *out, size_t outlen)
{
    struct table *t = engine_table(e, T_SERVICES);
    for (int i = 0; i < t->count; i++) {
        const struct service *s = table_row(t, i);
        if (s->namespace[0] && strcmp(s->namespace, p->namespace) != 0)
            continue;
        if (corr_selector_matches(s->selector, p->labels)) {
            str_copy(out, outlen, s->name);
            return;
        }
    }
    str_copy(out, outlen, p->deployment[0] ? p->deployment : "");
}

/* "checkout-7d9f8b6c4-x2x9z" -> "checkout": drops the ReplicaSet hash and
 * the pod suffix, the way Deployments name their pods. */
static void guess_deployment(const char *pod, char *out, size_t outlen)
{
    str_copy(out, outlen, pod);
    for (int cut = 0; cut < 2; cut++) {
        char *dash = strrchr(out, '-');
        if (!dash || dash == out)
            break;
        *dash = 0;
    }
}

void corr_podkey_service(struct engine *e, const char *podkey, char *out, size_t outlen)
{
    out[0] = 0;
    if (!podkey || !*podkey)
        return;
    const struct k8s_pod *p = engine_get(e, T_PODS, podkey);
    if (p) {
        corr_pod_service(e, p, out, outlen);
        return;
    }
    const char *slash = strchr(podkey, '/');
    char dep[OBJ_LEN];
    guess_deployment(slash ? slash + 1 : podkey, dep, sizeof(dep));
    str_copy(out, outlen, dep);
}

void corr_deployment_service(struct correlator *c, const char *ns, const char *name, char *out,
                             size_t outlen)
{
    if (service_named(c->e, name)) {
        str_copy(out, outlen, name);
        return;
    }
    /* The service its pods map to, kept by the pod counters: no walk of
     * the pods table on every Deployment update. */
    if (!corr_pods_owner_service(c, ns, name, out, outlen))
        str_copy(out, outlen, name);
}

/* True when name occurs in s as a whole token (bounded by non-alphanumerics). */
static bool has_token(const char *s, const char *name)
{
    size_t n = strlen(name);
    if (!n)
        return false;
    for (const char *p = strstr(s, name); p; p = strstr(p + 1, name)) {
        bool left = p == s || !((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= '0' && p[-1] <= '9'));
        char r = p[n];
        bool right = !((r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'));
        if (left && right)
            return true;
    }
    return false;
}

void corr_pipeline_service(struct engine *e, const struct pipeline *p, char *out, size_t outlen)
{
    const char *slash = strrchr(p->project, '/');
    const char *last = slash ? slash + 1 : p->project;
    if (service_named(e, last)) {
        str_copy(out, outlen, last);
        return;
    }
    struct table *t = engine_table(e, T_SERVICES);
    for (int i = 0; i < t->count; i++) {
        const struct service *s = table_row(t, i);
        if (has_token(p->project, s->name)) {
            str_copy(out, outlen, s->name);
            return;
        }
        for (int j = 0; j < p->njobs && j < PIPE_JOBS; j++)
            if (p->jobs[j].is_deploy && has_token(p->jobs[j].name, s->name)) {
                str_copy(out, outlen, s->name);
                return;
            }
    }
    str_copy(out, outlen, last);
}

void corr_subject_service(struct engine *e, const char *subject, char *out, size_t outlen)
{
    if (strchr(subject, '/')) {
        corr_podkey_service(e, subject, out, outlen);
        return;
    }
    str_copy(out, outlen, subject);
}
