/* The deploy gate verdict and its HTTP answer; see gate.h. */
#include "slo/gate.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/httpd.h"
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

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Decodes application/x-www-form-urlencoded text in place. */
static bool url_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '+') {
            *o++ = ' ';
        } else if (*s == '%') {
            int h = hexval((unsigned char)s[1]), l = h < 0 ? -1 : hexval((unsigned char)s[2]);
            if (h < 0 || l < 0)
                return false;
            *o++ = (char)(h * 16 + l);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
    return true;
}

static int answer(char *out, size_t outlen, int status, int decision, const char *reason)
{
    cJSON *root = cJSON_CreateObject(), *data = cJSON_AddObjectToObject(root, "data");
    if (decision >= 0) {
        cJSON_AddBoolToObject(data, "ok", decision == GATE_ALLOW);
        cJSON_AddStringToObject(data, "decision", gate_decision_names[decision]);
    }
    cJSON_AddStringToObject(data, "reason", reason);
    if (status != 200)
        cJSON_AddStringToObject(root, "error", reason);
    char *txt = cJSON_PrintUnformatted(root);
    snprintf(out, outlen, "%s", txt ? txt : "{}");
    free(txt);
    cJSON_Delete(root);
    return status;
}

int gate_http_answer(struct engine *e, const char *query, char *json_out, size_t outlen)
{
    char q[1024], name[128] = "";
    struct gate_opts o = {GATE_PAGE, 0};
    if (!query || strlen(query) >= sizeof(q))
        return answer(json_out, outlen, 400, -1, "query missing or too long");
    STR_COPY(q, query);
    char *save = NULL;
    for (char *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = 0;
        char *v = eq + 1;
        if (!url_decode(v))
            return answer(json_out, outlen, 400, -1, "bad percent-encoding in query");
        if (strcmp(kv, "slo") == 0) {
            STR_COPY(name, v);
        } else if (strcmp(kv, "policy") == 0) {
            if (strcmp(v, "page") && strcmp(v, "ticket"))
                return answer(json_out, outlen, 400, -1, "policy must be page or ticket");
            o.policy = strcmp(v, "ticket") == 0 ? GATE_TICKET : GATE_PAGE;
        } else if (strcmp(kv, "min_budget") == 0) {
            char *end;
            o.min_budget = strtod(v, &end);
            if (end == v || *end || !isfinite(o.min_budget))
                return answer(json_out, outlen, 400, -1, "min_budget must be a number");
        }
    }
    if (!name[0])
        return answer(json_out, outlen, 400, -1, "missing slo=NAME");
    char id[96], why[TEXT_LEN];
    if (slo_resolve_name(e, name, id, sizeof(id), why, sizeof(why)) < 0)
        return answer(json_out, outlen, 404, -1, why);
    const struct slo *row = engine_get(e, T_SLOS, id);
    if (!row)
        return answer(json_out, outlen, 404, -1, "unknown SLO");
    char reason[TEXT_LEN];
    enum gate_decision d = gate_decide(row, &o, reason, sizeof(reason));
    return answer(json_out, outlen, 200, d, reason);
}

void gate_httpd_handler(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    char body[1024];
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
