/* Kernel events <-> JSON lines (see kevent_json.h and docs/events.md). */
#include "kevent_json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void rfc3339(int64_t ms, char *out, size_t outlen)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%03dZ", base, (int)(ms % 1000 + 1000) % 1000);
}

static bool is_sock_kind(enum kev_kind k)
{
    return k == KEV_CONNECT || k == KEV_ACCEPT || k == KEV_RESET || k == KEV_RETRANSMIT;
}

static cJSON *pod_object(const struct kevent *ev)
{
    cJSON *pod = cJSON_CreateObject();
    const char *slash = strchr(ev->pod, '/');
    if (strncmp(ev->pod, "uid:", 4) == 0) {
        cJSON_AddStringToObject(pod, "uid", ev->pod + 4);
    } else if (slash) {
        char ns[NAME_LEN];
        snprintf(ns, sizeof(ns), "%.*s", (int)(slash - ev->pod), ev->pod);
        cJSON_AddStringToObject(pod, "namespace", ns);
        cJSON_AddStringToObject(pod, "name", slash + 1);
    }
    if (ev->container[0]) {
        cJSON *ctr = cJSON_AddObjectToObject(pod, "container");
        cJSON_AddStringToObject(ctr, "id", ev->container);
    }
    return pod;
}

void kevent_json_append(struct buf *out, const struct kevent *ev, const char *node)
{
    char ts[40];
    cJSON *o = cJSON_CreateObject();
    rfc3339(ev->time, ts, sizeof(ts));
    cJSON_AddStringToObject(o, "time", ts);
    cJSON_AddStringToObject(o, "node_name", ev->node[0] ? ev->node : node ? node : "");
    unsigned k = (unsigned)ev->kind < KEV_KIND_COUNT ? (unsigned)ev->kind : 0;
    cJSON_AddStringToObject(o, "kind", kev_kind_names[k]);
    cJSON_AddStringToObject(o, "severity", severity_names[(unsigned)ev->severity % 3]);
    cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
    cJSON *p = cJSON_AddObjectToObject(o, "process");
    cJSON_AddNumberToObject(p, "pid", ev->pid);
    cJSON_AddNumberToObject(p, "ppid", ev->ppid);
    cJSON_AddNumberToObject(p, "uid", ev->uid);
    cJSON_AddStringToObject(p, "comm", ev->comm);
    if (ev->kind == KEV_EXEC) {
        cJSON_AddStringToObject(p, "binary", ev->path);
        cJSON_AddStringToObject(p, "arguments", ev->args);
    }
    cJSON_AddNumberToObject(p, "cgroup_id", (double)ev->cgroup_id);
    if (ev->pod[0] || ev->container[0])
        cJSON_AddItemToObject(p, "pod", pod_object(ev));
    if (ev->kind == KEV_OPEN) {
        cJSON *f = cJSON_AddObjectToObject(o, "file");
        cJSON_AddStringToObject(f, "path", ev->path);
        cJSON_AddStringToObject(f, "flags", ev->args);
    } else if (ev->kind != KEV_EXEC && (ev->path[0] || ev->args[0])) {
        cJSON *s = cJSON_AddObjectToObject(o, "syscall");
        cJSON_AddStringToObject(s, "name", ev->path);
        cJSON_AddStringToObject(s, "args", ev->args);
    }
    if (is_sock_kind(ev->kind) || ev->saddr[0] || ev->daddr[0]) {
        cJSON *s = cJSON_AddObjectToObject(o, "sock");
        cJSON_AddStringToObject(s, "saddr", ev->saddr);
        cJSON_AddNumberToObject(s, "sport", ev->sport);
        cJSON_AddStringToObject(s, "daddr", ev->daddr);
        cJSON_AddNumberToObject(s, "dport", ev->dport);
    }
    cJSON_AddNumberToObject(o, "ret", ev->ret);
    if (ev->kind == KEV_GAP || ev->lost)
        cJSON_AddNumberToObject(o, "lost", (double)ev->lost);
    if (ev->rule[0]) {
        cJSON *r = cJSON_AddObjectToObject(o, "rule");
        cJSON_AddStringToObject(r, "name", ev->rule);
        cJSON_AddStringToObject(r, "title", ev->title);
    }
    if (ev->simulated)
        cJSON_AddTrueToObject(o, "simulated");
    char *text = cJSON_PrintUnformatted(o);
    if (text) {
        buf_puts(out, text);
        buf_append(out, "\n", 1);
        cJSON_free(text);
    }
    cJSON_Delete(o);
}

/* ---- parsing ---- */

static void get_str(const cJSON *o, const char *key, char *out, size_t outlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v))
        snprintf(out, outlen, "%s", v->valuestring);
}

/* Numbers from the wire are clamped before any integer conversion. */
static double get_num_in(const cJSON *o, const char *key, double lo, double hi)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    return d >= lo && d <= hi ? d : d > hi ? hi : lo; /* NaN -> lo */
}
#define U32(o, k) ((uint32_t)get_num_in((o), (k), 0, 4294967295.0))
#define I32(o, k) ((int)get_num_in((o), (k), -2147483648.0, 2147483647.0))
#define U64(o, k) ((uint64_t)get_num_in((o), (k), 0, 18446744073709549568.0))

static int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    int ms = 0;
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return 0;
    if (*rest == '.')
        sscanf(rest + 1, "%3d", &ms);
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int name_index(const char *const *names, int n, const char *want)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], want) == 0)
            return i;
    return -1;
}

bool kevent_json_parse(const char *line, size_t len, struct kevent *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    cJSON *o = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        snprintf(err, errlen, "not a JSON object");
        return false;
    }
    char tmp[64] = "";
    get_str(o, "kind", tmp, sizeof(tmp));
    int k = name_index(kev_kind_names, KEV_KIND_COUNT, tmp);
    if (k < 0) {
        cJSON_Delete(o);
        snprintf(err, errlen, "unknown event kind '%.32s'", tmp);
        return false;
    }
    ev->kind = (enum kev_kind)k;
    tmp[0] = '\0';
    get_str(o, "severity", tmp, sizeof(tmp));
    int s = name_index(severity_names, 3, tmp);
    ev->severity = s < 0 ? SEV_INFO : (enum severity)s;
    tmp[0] = '\0';
    get_str(o, "time", tmp, sizeof(tmp));
    ev->time = parse_time(tmp);
    get_str(o, "node_name", ev->node, sizeof(ev->node));
    ev->seq = U64(o, "seq");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "process");
    ev->pid = U32(p, "pid");
    ev->ppid = U32(p, "ppid");
    ev->uid = U32(p, "uid");
    ev->cgroup_id = U64(p, "cgroup_id");
    get_str(p, "comm", ev->comm, sizeof(ev->comm));
    get_str(p, "binary", ev->path, sizeof(ev->path));
    get_str(p, "arguments", ev->args, sizeof(ev->args));
    const cJSON *pod = cJSON_GetObjectItemCaseSensitive(p, "pod");
    if (pod) {
        char ns[NAME_LEN] = "", name[OBJ_LEN] = "", uid[48] = "";
        get_str(pod, "namespace", ns, sizeof(ns));
        get_str(pod, "name", name, sizeof(name));
        get_str(pod, "uid", uid, sizeof(uid));
        if (name[0])
            snprintf(ev->pod, sizeof(ev->pod), "%s/%s", ns, name);
        else if (uid[0])
            snprintf(ev->pod, sizeof(ev->pod), "uid:%s", uid);
        get_str(cJSON_GetObjectItemCaseSensitive(pod, "container"), "id", ev->container,
                sizeof(ev->container));
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "file");
    get_str(f, "path", ev->path, sizeof(ev->path));
    get_str(f, "flags", ev->args, sizeof(ev->args));
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "syscall");
    get_str(sc, "name", ev->path, sizeof(ev->path));
    get_str(sc, "args", ev->args, sizeof(ev->args));
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(o, "sock");
    get_str(sk, "saddr", ev->saddr, sizeof(ev->saddr));
    get_str(sk, "daddr", ev->daddr, sizeof(ev->daddr));
    ev->sport = I32(sk, "sport");
    ev->dport = I32(sk, "dport");
    ev->ret = I32(o, "ret");
    ev->lost = U64(o, "lost");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "rule");
    get_str(r, "name", ev->rule, sizeof(ev->rule));
    get_str(r, "title", ev->title, sizeof(ev->title));
    ev->simulated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "simulated"));
    cJSON_Delete(o);
    return true;
}
