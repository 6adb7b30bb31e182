/* Kernel events <-> JSON lines (see kernel/event_json.h and docs/events.md). */
#include "kernel/event_json.h"
#include "base/json_num.h"
#include "base/redact.h"
#include "base/timeparse.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void rfc3339(int64_t ms, char *out, size_t outlen)
{
    /* Events come in time order: format each second once. */
    static int64_t cached_s = INT64_MIN;
    static char base[32];
    int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    if (sec != cached_s) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm) || !strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm))
            STR_COPY(base, "1970-01-01T00:00:00");
        cached_s = sec;
    }
    snprintf(out, outlen, "%s.%03dZ", base, (int)(ms - sec * 1000));
}

static bool is_sock_kind(enum kev_kind k)
{
    return k == KEV_CONNECT || k == KEV_ACCEPT || k == KEV_RESET || k == KEV_RETRANSMIT;
}

/* A hand-written encoder: cJSON's number printing (printf + scanf round
 * trip) made encoding cost 5-7 us per event; this is ~10x cheaper. */
/* ,"key":number without printf (the encoder's hot path). */
static void put_digits(struct buf *b, bool is_signed, int64_t v, uint64_t u)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    bool neg = is_signed && v < 0;
    uint64_t x = !is_signed ? u : neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + x % 10);
    while ((x /= 10));
    if (neg)
        *--p = '-';
    buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_num(struct buf *b, const char *key, int64_t v, bool is_unsigned, uint64_t u)
{
    buf_append(b, ",\"", 2);
    buf_puts(b, key);
    buf_append(b, "\":", 2);
    put_digits(b, !is_unsigned, v, u);
}
#define PUT_I(b, key, v) put_num((b), (key), (int64_t)(v), false, 0)
#define PUT_U(b, key, v) put_num((b), (key), 0, true, (uint64_t)(v))

/* Length of the valid UTF-8 sequence at s (at most cap bytes), 0 if invalid. */
static size_t utf8_len(const char *s, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = u[0] >= 0xf0 && u[0] <= 0xf4 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc2 ? 2 : 0;
    if (!len || len > cap)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((u[i] & 0xc0) != 0x80)
            return 0;
    if ((len == 3 && u[0] == 0xe0 && u[1] < 0xa0) || (len == 3 && u[0] == 0xed && u[1] >= 0xa0) ||
        (len == 4 && u[0] == 0xf0 && u[1] < 0x90) || (len == 4 && u[0] == 0xf4 && u[1] >= 0x90))
        return 0; /* overlong, surrogate, or past U+10FFFF */
    return len;
}

static void put_str(struct buf *b, const char *key, const char *s, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[2 * PATH_LEN + 8];
    size_t n = 0;
    buf_append(b, "\"", 1);
    buf_puts(b, key);
    buf_append(b, "\":\"", 3);
    for (size_t i = 0; i < cap && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (n + 7 > sizeof(tmp)) {
            buf_append(b, tmp, n);
            n = 0;
        }
        if (c == '"' || c == '\\') {
            tmp[n++] = '\\';
            tmp[n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(tmp + n, "\\u00", 4);
            tmp[n + 4] = hex[c >> 4];
            tmp[n + 5] = hex[c & 15];
            n += 6;
        } else if (c < 0x80) {
            tmp[n++] = (char)c;
        } else {
            size_t len = utf8_len(s + i, cap - i);
            if (len) { /* a valid sequence passes through */
                memcpy(tmp + n, s + i, len);
                n += len;
                i += len - 1;
            } else { /* untrusted bytes: never invalid UTF-8 on the wire */
                memcpy(tmp + n, "\\ufffd", 6);
                n += 6;
            }
        }
    }
    buf_append(b, tmp, n);
    buf_append(b, "\"", 1);
}
#define PUT_STR(b, key, field) put_str((b), (key), (field), sizeof(field))

static void put_pod(struct buf *b, const struct kevent *ev)
{
    const char *slash = strchr(ev->pod, '/');
    bool any = false;
    buf_puts(b, ",\"pod\":{");
    if (strncmp(ev->pod, "uid:", 4) == 0) {
        put_str(b, "uid", ev->pod + 4, sizeof(ev->pod) - 4);
        any = true;
    } else if (slash) {
        put_str(b, "namespace", ev->pod, (size_t)(slash - ev->pod));
        buf_puts(b, ",");
        put_str(b, "name", slash + 1, sizeof(ev->pod) - (size_t)(slash + 1 - ev->pod));
        any = true;
    }
    if (ev->container[0]) {
        buf_puts(b, any ? ",\"container\":{" : "\"container\":{");
        PUT_STR(b, "id", ev->container);
        buf_puts(b, "}");
    }
    buf_puts(b, "}");
}

void kevent_json_append(struct buf *out, const struct kevent *ev, const char *node)
{
    char ts[40];
    unsigned k = (unsigned)ev->kind < KEV_KIND_COUNT ? (unsigned)ev->kind : 0;
    rfc3339(ev->time, ts, sizeof(ts));
    buf_puts(out, "{\"time\":\"");
    buf_puts(out, ts);
    buf_puts(out, "\",");
    if (ev->node[0])
        PUT_STR(out, "node_name", ev->node);
    else
        put_str(out, "node_name", node ? node : "", NAME_LEN);
    buf_puts(out, ",\"kind\":\"");
    buf_puts(out, kev_kind_names[k]);
    buf_puts(out, "\",\"severity\":\"");
    buf_puts(out, severity_names[(unsigned)ev->severity % 3]);
    buf_puts(out, "\"");
    PUT_U(out, "seq", ev->seq);
    buf_puts(out, ",\"process\":{\"pid\":");
    put_digits(out, false, 0, ev->pid);
    PUT_U(out, "ppid", ev->ppid);
    PUT_U(out, "uid", ev->uid);
    buf_puts(out, ",");
    PUT_STR(out, "comm", ev->comm);
    if (ev->kind == KEV_EXEC) {
        buf_puts(out, ",");
        PUT_STR(out, "binary", ev->path);
        buf_puts(out, ",");
        PUT_STR(out, "arguments", ev->args);
    }
    PUT_U(out, "cgroup_id", ev->cgroup_id);
    if (ev->pod[0] || ev->container[0])
        put_pod(out, ev);
    buf_puts(out, "}");
    if (ev->kind == KEV_OPEN) {
        buf_puts(out, ",\"file\":{");
        PUT_STR(out, "path", ev->path);
        buf_puts(out, ",");
        PUT_STR(out, "flags", ev->args);
        buf_puts(out, "}");
    } else if (ev->kind != KEV_EXEC && (ev->path[0] || ev->args[0])) {
        buf_puts(out, ",\"syscall\":{");
        PUT_STR(out, "name", ev->path);
        buf_puts(out, ",");
        PUT_STR(out, "args", ev->args);
        buf_puts(out, "}");
    }
    if (is_sock_kind(ev->kind) || ev->saddr[0] || ev->daddr[0]) {
        buf_puts(out, ",\"sock\":{");
        PUT_STR(out, "saddr", ev->saddr);
        PUT_I(out, "sport", ev->sport);
        buf_puts(out, ",");
        PUT_STR(out, "daddr", ev->daddr);
        PUT_I(out, "dport", ev->dport);
        buf_puts(out, "}");
    }
    PUT_I(out, "ret", ev->ret);
    if (ev->kind == KEV_GAP || ev->lost)
        PUT_U(out, "lost", ev->lost);
    if (ev->rule[0]) {
        buf_puts(out, ",\"rule\":{");
        PUT_STR(out, "name", ev->rule);
        buf_puts(out, ",");
        PUT_STR(out, "title", ev->title);
        buf_puts(out, "}");
    }
    if (ev->real)
        buf_puts(out, ",\"real\":true");
    buf_puts(out, ev->simulated ? ",\"simulated\":true}\n" : "}\n");
}

/* ---- parsing ---- */

/* Every string of a remote event is untrusted: redacted, then cut. */
static void get_str(const cJSON *o, const char *key, char *out, size_t outlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v))
        redact_field(out, outlen, v->valuestring, strlen(v->valuestring));
}

/* A missing or non-numeric field reads as 0. */
static double get_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}
#define U32(o, k) num_to_u32(get_num((o), (k)))
#define I32(o, k) num_to_int(get_num((o), (k)))
#define U64(o, k) num_to_u64(get_num((o), (k)))

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
    ev->time = time_rfc3339_or_zero(tmp);
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
    ev->real = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "real"));
    cJSON_Delete(o);
    return true;
}
