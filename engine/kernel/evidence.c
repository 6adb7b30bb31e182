/* Evidence files: writing the header, reading and verifying a file, and
 * judging it; see evidence.h. */
#include "kernel/evidence.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/sha256.h"
#include "base/timeparse.h"
#include "kernel/event_json.h"

#define EVIDENCE_MAX_BYTES (512u << 20)

static void iso(int64_t ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, outlen, "1970-01-01T00:00:00Z");
}

static void add_agents(cJSON *o, const struct evidence_header *h)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "agents");
    for (int i = 0; i < h->nagents; i++) {
        const struct evidence_agent *a = &h->agents[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", a->name);
        cJSON_AddStringToObject(x, "url", a->url);
        cJSON_AddStringToObject(x, "state", a->state);
        cJSON_AddNumberToObject(x, "events", (double)a->events);
        cJSON_AddNumberToObject(x, "lost", (double)a->lost);
        cJSON_AddNumberToObject(x, "ring_drops", (double)a->ring_drops);
        if (a->error[0])
            cJSON_AddStringToObject(x, "error", a->error);
        cJSON_AddItemToArray(arr, x);
    }
}

void evidence_header_json(const struct evidence_header *h, struct buf *out)
{
    char t0[32], t1[32];
    iso(h->start_ms, t0, sizeof(t0));
    iso(h->end_ms, t1, sizeof(t1));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "lookout_evidence", EVIDENCE_FORMAT);
    cJSON *s = cJSON_AddObjectToObject(o, "scope");
    cJSON_AddStringToObject(s, "kind", h->scope_kind);
    cJSON_AddStringToObject(s, "value", h->scope);
    cJSON *w = cJSON_AddObjectToObject(o, "window");
    cJSON_AddStringToObject(w, "start", t0);
    cJSON_AddStringToObject(w, "end", t1);
    cJSON_AddNumberToObject(w, "seconds", (double)(h->end_ms - h->start_ms) / 1000.0);
    cJSON *nodes = cJSON_AddArrayToObject(o, "nodes");
    for (int i = 0; i < h->nagents; i++)
        cJSON_AddItemToArray(nodes, cJSON_CreateString(h->agents[i].name));
    if (!h->nagents)
        cJSON_AddItemToArray(nodes, cJSON_CreateString(h->node));
    if (h->nagents)
        add_agents(o, h);
    cJSON *r = cJSON_AddObjectToObject(o, "rules");
    cJSON_AddNumberToObject(r, "count", h->rules);
    cJSON_AddStringToObject(r, "sha256", h->rules_sha256);
    cJSON *c = cJSON_AddObjectToObject(o, "counters");
    cJSON_AddNumberToObject(c, "seen", (double)h->seen);
    cJSON_AddNumberToObject(c, "events", (double)h->events);
    cJSON_AddNumberToObject(c, "lost", (double)h->lost);
    cJSON_AddNumberToObject(c, "omitted", (double)h->omitted);
    cJSON_AddStringToObject(o, "events_sha256", h->events_sha256);
    cJSON_AddStringToObject(o, "fail_on", severity_names[h->fail_on]);
    cJSON_AddStringToObject(o, "status",
                            h->failed    ? "failed"
                            : h->partial ? "partial"
                                         : "observed");
    if (h->error[0])
        cJSON_AddStringToObject(o, "error", h->error);
    char *txt = cJSON_PrintUnformatted(o);
    buf_puts(out, txt ? txt : "{}");
    buf_puts(out, "\n");
    free(txt);
    cJSON_Delete(o);
}

int evidence_severity_parse(const char *s, enum severity *out)
{
    if (strcmp(s, "warning") == 0)
        *out = SEV_WARNING;
    else if (strcmp(s, "critical") == 0)
        *out = SEV_CRITICAL;
    else
        return -1;
    return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jcount(const cJSON *o, const char *k, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble < 9e15))
        return false;
    *out = (uint64_t)v->valuedouble;
    return true;
}

/* The header's fields, every one required: a header missing one was not
 * written by observe. */
static int parse_header(const char *line, size_t len, struct evidence_header *h, char *why,
                        size_t whylen)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "lookout_evidence");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scope");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "window");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "rules");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "counters");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(o, "nodes");
    const char *kind = jstr(sc, "kind"), *val = jstr(sc, "value"), *t0 = jstr(w, "start"),
               *t1 = jstr(w, "end"), *digest = jstr(o, "events_sha256"), *fail = jstr(o, "fail_on"),
               *status = jstr(o, "status"), *rsha = jstr(r, "sha256");
    uint64_t nrules = 0;
    int rc = -1;
    if (!cJSON_IsObject(o) || !cJSON_IsNumber(fmt)) {
        snprintf(why, whylen, "not a Lookout evidence header");
    } else if (fmt->valueint != EVIDENCE_FORMAT) {
        snprintf(why, whylen, "evidence format %d, this build reads %d", fmt->valueint,
                 EVIDENCE_FORMAT);
    } else if (!kind || !val || !t0 || !t1 || !digest || strlen(digest) != 64 || !fail || !status ||
               !rsha || !jcount(r, "count", &nrules) || !jcount(c, "seen", &h->seen) ||
               !jcount(c, "events", &h->events) || !jcount(c, "lost", &h->lost) ||
               !jcount(c, "omitted", &h->omitted) ||
               evidence_severity_parse(fail, &h->fail_on) < 0 ||
               (strcmp(status, "observed") && strcmp(status, "failed") &&
                strcmp(status, "partial"))) {
        snprintf(why, whylen, "evidence header lacks a field or has a bad value");
    } else {
        STR_COPY(h->scope_kind, kind);
        STR_COPY(h->scope, val);
        h->start_ms = time_rfc3339_or_zero(t0);
        h->end_ms = time_rfc3339_or_zero(t1);
        STR_COPY(h->events_sha256, digest);
        STR_COPY(h->rules_sha256, rsha);
        h->rules = (int)nrules;
        h->failed = strcmp(status, "failed") == 0;
        h->partial = strcmp(status, "partial") == 0;
        const char *err = jstr(o, "error");
        STR_COPY(h->error, err ? err : "");
        const cJSON *n0 = cJSON_GetArrayItem(nodes, 0);
        STR_COPY(h->node, cJSON_IsString(n0) ? n0->valuestring : "");
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

static int add_event(struct evidence *ev, const struct kevent *k)
{
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 64;
        struct kevent *p = realloc(ev->ev, cap * sizeof(*p));
        if (!p)
            return -1;
        ev->ev = p;
        ev->cap = cap;
    }
    ev->ev[ev->n++] = *k;
    return 0;
}

/* The event lines after the header: each one whole and an event. */
static int parse_events(const char *path, const char *p, const char *end, struct evidence *out,
                        char *err, size_t errlen)
{
    int lineno = 1;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            snprintf(err, errlen, "%s:%d: truncated: the last line has no end", path, lineno);
            return -1;
        }
        struct kevent k;
        char why[128];
        if (!kevent_json_parse(p, (size_t)(nl - p), &k, why, sizeof(why))) {
            snprintf(err, errlen, "%s:%d: bad event line: %s", path, lineno, why);
            return -1;
        }
        if (add_event(out, &k) < 0) {
            snprintf(err, errlen, "%s:%d: out of memory", path, lineno);
            return -1;
        }
        p = nl + 1;
    }
    return lineno;
}

static int verify(const char *path, const char *body, size_t len, int lastline,
                  const struct evidence *out, char *err, size_t errlen)
{
    if (out->n != out->h.events) {
        snprintf(err, errlen,
                 "%s:%d: truncated or edited: the header says %llu events, the file "
                 "has %zu",
                 path, lastline, (unsigned long long)out->h.events, out->n);
        return -1;
    }
    char hex[65];
    sha256_hex(body, len, hex);
    if (strcmp(hex, out->h.events_sha256) != 0) {
        snprintf(err, errlen,
                 "%s:1: the events do not match the header's events_sha256 "
                 "(the file was edited)",
                 path);
        return -1;
    }
    return 0;
}

int evidence_read(const char *path, struct evidence *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    size_t len = 0;
    char *text = read_file(path, EVIDENCE_MAX_BYTES, &len);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read (missing, unreadable or over 512 MiB)", path);
        return -1;
    }
    const char *nl = memchr(text, '\n', len);
    char why[160];
    int rc = -1;
    if (!nl) {
        snprintf(err, errlen, "%s:1: %s", path, len ? "truncated header" : "empty file");
    } else if (parse_header(text, (size_t)(nl - text), &out->h, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s:1: %s", path, why);
    } else {
        const char *body = nl + 1, *end = text + len;
        int last = parse_events(path, body, end, out, err, errlen);
        if (last > 0)
            rc = verify(path, body, (size_t)(end - body), last, out, err, errlen);
    }
    free(text);
    if (rc < 0)
        evidence_free(out);
    return rc;
}

void evidence_free(struct evidence *ev)
{
    free(ev->ev);
    ev->ev = NULL;
    ev->n = ev->cap = 0;
}

void evidence_where(const struct kevent *ev, char *out, size_t outlen)
{
    if (ev->node[0] && ev->pod[0])
        snprintf(out, outlen, "%s on %s", ev->pod, ev->node);
    else if (ev->pod[0])
        snprintf(out, outlen, "%s", ev->pod);
    else if (ev->container[0])
        snprintf(out, outlen, "container %.12s", ev->container);
    else if (ev->cgroup_id)
        snprintf(out, outlen, "cgroup %llu", (unsigned long long)ev->cgroup_id);
    else
        snprintf(out, outlen, "host");
}

static const char *open_verb(const char *flags)
{
    return strstr(flags, "O_WRONLY") || strstr(flags, "O_RDWR") || strstr(flags, "O_CREAT")
               ? "written"
               : "read";
}

void evidence_what(const struct kevent *ev, char *out, size_t outlen)
{
    char where[sizeof(ev->pod) + NAME_LEN + 8];
    evidence_where(ev, where, sizeof(where));
    switch (ev->kind) {
    case KEV_OPEN:
        snprintf(out, outlen, "%s %s by %s in %s", ev->path, open_verb(ev->args), ev->comm, where);
        break;
    case KEV_EXEC:
        snprintf(out, outlen, "%s executed by %s in %s", ev->path, ev->comm, where);
        break;
    case KEV_CONNECT:
        snprintf(out, outlen, "connection to %s:%d by %s in %s", ev->daddr, ev->dport, ev->comm,
                 where);
        break;
    case KEV_PRIV:
        snprintf(out, outlen, "%s(%s) by %s (uid %u) in %s", ev->path, ev->args, ev->comm, ev->uid,
                 where);
        break;
    case KEV_OOM:
        snprintf(out, outlen, "%s killed by the OOM killer in %s", ev->comm, where);
        break;
    default:
        snprintf(out, outlen, "%s by %s in %s", ev->title[0] ? ev->title : kev_kind_names[ev->kind],
                 ev->comm, where);
    }
}

static bool same_finding(const struct kevent *a, const struct kevent *b)
{
    return strcmp(a->rule, b->rule) == 0 && strcmp(a->pod, b->pod) == 0 &&
           strcmp(a->container, b->container) == 0 && a->cgroup_id == b->cgroup_id &&
           strcmp(a->comm, b->comm) == 0 && strcmp(a->path, b->path) == 0 &&
           strcmp(a->daddr, b->daddr) == 0 && a->dport == b->dport;
}

/* Distinct findings are few (a rule in a place), so a linear search over
 * them is enough even for a long file. */
int evidence_findings(const struct kevent *ev, size_t n, enum severity min, struct finding *out,
                      int max)
{
    struct finding *all = NULL;
    int total = 0, cap = 0;
    for (int sev = SEV_CRITICAL; sev >= (int)min; sev--) {
        for (size_t i = 0; i < n; i++) {
            const struct kevent *k = &ev[i];
            if (!k->rule[0] || (int)k->severity != sev)
                continue;
            int f = total - 1;
            while (f >= 0 && !(all[f].ev.severity == k->severity && same_finding(&all[f].ev, k)))
                f--;
            if (f >= 0) {
                all[f].count++;
                continue;
            }
            if (total == cap) {
                int ncap = cap ? cap * 2 : 16;
                struct finding *p = realloc(all, (size_t)ncap * sizeof(*p));
                if (!p)
                    break; /* what fits is still reported */
                all = p;
                cap = ncap;
            }
            all[total++] = (struct finding){.ev = *k, .count = 1};
        }
    }
    for (int f = 0; f < total && f < max; f++)
        out[f] = all[f];
    free(all);
    return total;
}

enum evidence_verdict evidence_judge(const struct evidence *ev, enum severity min, char *reason,
                                     size_t reasonlen)
{
    struct finding top;
    int nf = evidence_findings(ev->ev, ev->n, min, &top, 1);
    if (nf > 0) {
        char what[512];
        evidence_what(&top.ev, what, sizeof(what));
        snprintf(reason, reasonlen, "%d finding%s at or above %s; %s: %s (%s)", nf,
                 nf == 1 ? "" : "s", severity_names[min], severity_names[top.ev.severity], what,
                 top.ev.rule);
        return EVIDENCE_BLOCK;
    }
    if (ev->h.failed) {
        snprintf(reason, reasonlen, "the observation failed: %s",
                 ev->h.error[0] ? ev->h.error : "no reason given");
        return EVIDENCE_UNKNOWN;
    }
    if (ev->h.partial) {
        snprintf(reason, reasonlen, "no finding, but not every node was observed: %s",
                 ev->h.error[0] ? ev->h.error : "no reason given");
        return EVIDENCE_UNKNOWN;
    }
    /* omitted events matched no rule (matches are always written): no doubt */
    if (ev->h.lost) {
        snprintf(reason, reasonlen, "no finding, but incomplete: %llu events lost",
                 (unsigned long long)ev->h.lost);
        return EVIDENCE_UNKNOWN;
    }
    snprintf(reason, reasonlen, "%llu events in %s%s%s, no finding at or above %s",
             (unsigned long long)ev->h.events, ev->h.scope_kind, ev->h.scope[0] ? " " : "",
             ev->h.scope, severity_names[min]);
    return EVIDENCE_ALLOW;
}

const char *evidence_remediation(const char *rule)
{
    static const struct {
        const char *rule, *fix;
    } fixes[] = {
        {"sensitive_file_read",
         "Credential files are not for applications: run the container as a non-root user, "
         "mount no host paths over /etc, drop the service account token "
         "(automountServiceAccountToken: false) when the app does not call the API, and find "
         "which code path opened the file."},
        {"shell_in_container",
         "A production image needs no shell: build from a distroless or scratch base, remove "
         "debug entrypoints, and look for command injection in whatever spawned it."},
        {"account_database_read_in_container",
         "Reading /etc/passwd inside a container is account discovery: check whether the "
         "workload serves files from its root filesystem (path traversal), make the root "
         "filesystem read-only and run as a non-root user."},
        {"write_below_etc",
         "Configuration must not change at run time: set readOnlyRootFilesystem: true, mount "
         "the few writable paths as emptyDir, and rebuild the image instead of patching it."},
        {"unusual_outbound_port",
         "Restrict egress with a NetworkPolicy to the ports and peers the service needs, and "
         "find which code opened the connection."},
        {"privilege_escalation_uid0",
         "Set allowPrivilegeEscalation: false and runAsNonRoot: true, drop all capabilities, "
         "and remove setuid binaries from the image."},
        {"oom_kill",
         "Size the memory limit from the service's measured peak, and look for a leak if the "
         "usage grows with time."},
    };
    for (size_t i = 0; i < sizeof(fixes) / sizeof(fixes[0]); i++)
        if (strcmp(fixes[i].rule, rule) == 0)
            return fixes[i].fix;
    return "A local rule: read its description in the rule file, decide whether the behaviour "
           "is expected for this service, and either fix the workload or add an `unless` "
           "exception with a comment saying why.";
}
