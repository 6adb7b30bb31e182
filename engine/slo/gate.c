/* The deploy gate verdict and its HTTP answer; see gate.h. */
#include "slo/gate.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/httpd.h"
#include "base/urlquery.h"
#include "base/yaml_tree.h"
#include "kernel/evidence.h"
#include "slo/names.h"

const char *const gate_decision_names[] = {"allow", "block", "unknown"};

enum gate_decision gate_decide(const struct slo *row, const struct gate_opts *o, char *reason,
                               size_t reasonlen)
{
    char why[TEXT_LEN];
    slo_pair_reason(row, why, sizeof(why));
    if (row->error[0]) {
        snprintf(reason, reasonlen, "%s: SLI source failed: %s", row->name, row->error);
        return GATE_UNKNOWN;
    }
    if (row->alert == ALERT_PAGE || (o->policy == GATE_TICKET && row->alert == ALERT_TICKET)) {
        snprintf(reason, reasonlen, "%s: %s alert firing (%s)", row->name,
                 row->alert == ALERT_PAGE ? "page" : "ticket", why);
        return GATE_BLOCK;
    }
    if (row->awaiting) {
        snprintf(reason, reasonlen, "%s: no answer from Prometheus yet (first query in flight)",
                 row->name);
        return GATE_UNKNOWN;
    }
    if (isnan(row->budget_remaining) || row->alert == ALERT_NODATA) {
        snprintf(reason, reasonlen, "%s: no data (no traffic or no samples in the SLO window)",
                 row->name);
        return GATE_UNKNOWN;
    }
    if (row->budget_remaining <= 0 || row->budget_remaining < o->min_budget) {
        snprintf(reason, reasonlen, "%s: error budget remaining %.2f%% is below %.2f%%", row->name,
                 row->budget_remaining * 100, (o->min_budget > 0 ? o->min_budget : 0) * 100);
        return GATE_BLOCK;
    }
    if (row->alert == ALERT_BURNING)
        snprintf(reason, reasonlen, "%s: budget remaining %.2f%%, burning (%s)", row->name,
                 row->budget_remaining * 100, why);
    else
        snprintf(reason, reasonlen, "%s: budget remaining %.2f%%, alert %s%s", row->name,
                 row->budget_remaining * 100, alert_state_names[row->alert],
                 row->no_error_series ? " (no error series: 0 errors)" : "");
    return GATE_ALLOW;
}

/* One half of the verdict: the SLO's or the security one. */
struct part {
    const char *kind;
    int decision;
    char reason[TEXT_LEN];
};

static int answer(char *out, size_t outlen, int status, int decision, const char *reason,
                  const struct part *parts, int nparts)
{
    cJSON *root = cJSON_CreateObject(), *data = cJSON_AddObjectToObject(root, "data");
    if (decision >= 0) {
        cJSON_AddBoolToObject(data, "ok", decision == GATE_ALLOW);
        cJSON_AddStringToObject(data, "decision", gate_decision_names[decision]);
    }
    cJSON_AddStringToObject(data, "reason", reason);
    cJSON *arr = nparts ? cJSON_AddArrayToObject(data, "parts") : NULL;
    for (int i = 0; i < nparts; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "kind", parts[i].kind);
        cJSON_AddStringToObject(p, "decision", gate_decision_names[parts[i].decision]);
        cJSON_AddStringToObject(p, "reason", parts[i].reason);
        cJSON_AddItemToArray(arr, p);
    }
    if (status != 200)
        cJSON_AddStringToObject(root, "error", reason);
    char *txt = cJSON_PrintUnformatted(root);
    snprintf(out, outlen, "%s", txt ? txt : "{}");
    free(txt);
    cJSON_Delete(root);
    return status;
}

static int fail(char *out, size_t outlen, int status, const char *reason)
{
    return answer(out, outlen, status, -1, reason, NULL, 0);
}

struct gate_query {
    char slo[128];
    struct gate_opts o;
    char ns[NAME_LEN];
    int security; /* an enum severity, -1: no security half */
    int64_t since_ms;
};

/* One key=value of the query; NULL or the reason it is bad. */
static const char *query_kv(struct gate_query *q, const char *k, const char *v)
{
    char *end;
    if (strcmp(k, "slo") == 0) {
        if (!STR_COPY(q->slo, v))
            return "slo must be an SLO name";
    } else if (strcmp(k, "policy") == 0) {
        if (strcmp(v, "page") && strcmp(v, "ticket"))
            return "policy must be page or ticket";
        q->o.policy = strcmp(v, "ticket") == 0 ? GATE_TICKET : GATE_PAGE;
    } else if (strcmp(k, "min_budget") == 0) {
        q->o.min_budget = strtod(v, &end);
        if (end == v || *end || !isfinite(q->o.min_budget))
            return "min_budget must be a number";
    } else if (strcmp(k, "namespace") == 0) {
        if (!v[0] || !STR_COPY(q->ns, v))
            return "namespace must be a namespace name";
    } else if (strcmp(k, "security") == 0) {
        enum severity sev;
        if (evidence_severity_parse(v, &sev) < 0)
            return "security must be warning or critical";
        q->security = (int)sev;
    } else if (strcmp(k, "since") == 0) {
        if (parse_duration_ms(v, &q->since_ms) < 0 || q->since_ms <= 0)
            return "since must be a duration, e.g. 10m";
    }
    return NULL;
}

/* The parameters the gate reads; any other is ignored, and the first of a
 * repeated one counts (url_query_get). */
static const char *const query_keys[] = {"slo",       "policy",   "min_budget",
                                         "namespace", "security", "since"};

static const char *parse_query(const char *query, struct gate_query *q)
{
    *q = (struct gate_query){.o = {GATE_PAGE, 0}, .security = -1};
    for (size_t i = 0; i < sizeof(query_keys) / sizeof(query_keys[0]); i++) {
        char v[1024];
        int got = url_query_get(query, query_keys[i], v, sizeof(v));
        if (got < 0)
            return "bad percent-encoding or a value too long in query";
        const char *bad = got ? query_kv(q, query_keys[i], v) : NULL;
        if (bad)
            return bad;
    }
    if (q->security >= 0 && !q->ns[0])
        return "security= needs namespace=NS";
    if (q->ns[0] && q->security < 0)
        return "namespace= needs security=warning|critical";
    if (q->since_ms && q->security < 0)
        return "since= applies to security=";
    if (!q->slo[0] && q->security < 0)
        return "missing slo=NAME (or namespace=NS&security=warning|critical)";
    return NULL;
}

/* block beats unknown beats allow */
static int stricter(int a, int b)
{
    if (a == GATE_BLOCK || b == GATE_BLOCK)
        return GATE_BLOCK;
    return a == GATE_UNKNOWN || b == GATE_UNKNOWN ? GATE_UNKNOWN : GATE_ALLOW;
}

int gate_http_answer(struct engine *e, const char *query, char *json_out, size_t outlen)
{
    struct gate_query q;
    const char *bad = parse_query(query, &q);
    if (bad)
        return fail(json_out, outlen, 400, bad);
    struct part parts[2];
    int n = 0;
    if (q.slo[0]) {
        char id[96], why[TEXT_LEN];
        if (slo_resolve_name(e, q.slo, id, sizeof(id), why, sizeof(why)) < 0)
            return fail(json_out, outlen, 404, why);
        const struct slo *row = engine_get(e, T_SLOS, id);
        if (!row)
            return fail(json_out, outlen, 404, "unknown SLO");
        parts[n].kind = "slo";
        parts[n].decision = gate_decide(row, &q.o, parts[n].reason, sizeof(parts[n].reason));
        n++;
    }
    if (q.security >= 0) {
        int64_t since = q.since_ms ? engine_now(e) - q.since_ms : 0;
        parts[n].kind = "security";
        parts[n].decision = gate_security(e, q.ns, (enum severity)q.security, since,
                                          parts[n].reason, sizeof(parts[n].reason));
        n++;
    }
    int d = n == 2 ? stricter(parts[0].decision, parts[1].decision) : parts[0].decision;
    char reason[2 * TEXT_LEN + 4];
    snprintf(reason, sizeof(reason), "%s%s%s", parts[0].reason, n == 2 ? "; " : "",
             n == 2 ? parts[1].reason : "");
    return answer(json_out, outlen, 200, d, reason, parts, q.security >= 0 ? n : 0);
}

void gate_httpd_handler(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    char body[16384]; /* two reasons and their parts, JSON-escaped */
    int status = gate_http_answer(ud, r->query, body, sizeof(body));
    httpd_respond(c, status, "application/json", body, strlen(body));
}

void gate_term_safe(char *dst, size_t dstlen, const char *src)
{
    size_t o = 0;
    if (!dstlen)
        return;
    for (const unsigned char *p = (const unsigned char *)src; *p && o + 1 < dstlen; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            dst[o++] = '?';
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            dst[o++] = '?';
            p++;
        } else {
            dst[o++] = (char)*p;
        }
    }
    dst[o] = 0;
}
