/* `lookout check`: the AI check stage of a pipeline. Verifies an evidence
 * file from `lookout observe`, lists its findings, asks the copilot for a
 * security assessment (or writes the offline analysis: each rule
 * explained, with its standard remediation) and writes a Markdown report.
 * The verdict comes from the findings alone, never from the model's words:
 * exit 0 allow, 1 block, 3 unknown (the observation failed or lost
 * events), 2 usage or a bad evidence file (file:line). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/options.h"
#include "base/http.h"
#include "base/loop.h"
#include "base/textsafe.h"
#include "cmd/commands.h"
#include "copilot/context.h"
#include "copilot/copilot.h"
#include "copilot/markdown.h"
#include "core/config.h"
#include "core/engine.h"
#include "kernel/evidence.h"

#define MAX_ROWS 50

struct check_opts {
    const char *evidence, *backend, *out, *config;
    bool json, have_fail_on;
    enum severity fail_on;
    double timeout_s;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lookout check --evidence EVIDENCE.jsonl [--copilot BACKEND] [-o|--output "
            "REPORT.md]\n"
            "                     [--fail-on warning|critical] [--json] [--config FILE]\n"
            "                     [--timeout 150s]\n"
            "  --copilot BACKEND  openai, anthropic, ollama ... (docs/copilot.md); without it the\n"
            "                     offline analysis: each rule explained, with its remediation\n"
            "  --fail-on SEV      block on findings at or above SEV (default: the evidence's)\n"
            "  --json             the verdict as one JSON object on stdout (the report: -o)\n"
            "exit: 0 allow, 1 block, 3 unknown (observation failed or lost events),\n"
            "      2 usage or a bad evidence file; the copilot's words never change it\n");
}

static const char *const decisions[] = {"allow", "block", "unknown"};

/* ---- the report ---- */

static void md_header(const struct evidence *ev, const char *path, int v, const char *reason,
                      struct buf *md)
{
    char t0[32], t1[32];
    copilot_iso_time(ev->h.start_ms, t0, sizeof(t0));
    copilot_iso_time(ev->h.end_ms, t1, sizeof(t1));
    buf_puts(md, "# Lookout security check\n\n**Verdict: ");
    buf_puts(md, decisions[v]);
    buf_puts(md, "**: ");
    md_data(reason, md);
    buf_puts(md, "\n\n- Evidence: ");
    md_data(path, md);
    buf_puts(md, "\n- Scope: ");
    md_data(ev->h.scope_kind, md);
    buf_puts(md, " ");
    md_data(ev->h.scope, md);
    buf_puts(md, " on ");
    md_data(ev->h.node, md);
    buf_printf(md, "\n- Window: %s to %s\n", t0, t1);
    buf_printf(md, "- Events: %llu written, %llu lost, %llu omitted (size cap)\n",
               (unsigned long long)ev->h.events, (unsigned long long)ev->h.lost,
               (unsigned long long)ev->h.omitted);
    buf_printf(md, "- Rules: %d, sha256 %.16s…\n", ev->h.rules, ev->h.rules_sha256);
    if (ev->h.failed) {
        buf_puts(md, "- Observation failed: ");
        md_data(ev->h.error, md);
        buf_puts(md, "\n");
    }
}

static void md_findings(const struct finding *f, int nf, enum severity min, bool unknown,
                        struct buf *md)
{
    buf_printf(md, "\n## Findings (%s and above)\n\n", severity_names[min]);
    if (nf == 0 && unknown) { /* a blind or partial observation: no match is no all-clear */
        buf_puts(md, "No rule matched in what was observed, and the observation is incomplete "
                     "(see above): this is not a clean result.\n");
        return;
    }
    if (nf == 0) {
        buf_puts(md, "No rule matched at or above the policy.\n");
        return;
    }
    buf_puts(md, "| Severity | Rule | What | Count |\n|---|---|---|---|\n");
    for (int i = 0; i < nf && i < MAX_ROWS; i++) {
        char what[600];
        evidence_what(&f[i].ev, what, sizeof(what));
        buf_printf(md, "| %s | ", severity_names[f[i].ev.severity]);
        md_data(f[i].ev.rule, md);
        buf_puts(md, " | ");
        md_data(what, md);
        buf_printf(md, " | %d |\n", f[i].count);
    }
    if (nf > MAX_ROWS)
        buf_printf(md, "\n%d more findings are in the evidence file.\n", nf - MAX_ROWS);
}

/* Each rule once, with what it means and the standard fix. */
static void md_offline(const struct finding *f, int nf, bool unknown, struct buf *md)
{
    buf_puts(md, "\n## Offline analysis\n\n");
    if (nf == 0) {
        buf_puts(md, unknown ? "Nothing to explain in what was observed; what was not observed "
                               "cannot be judged.\n"
                             : "Nothing to explain: no finding at or above the policy.\n");
        return;
    }
    for (int i = 0; i < nf && i < MAX_ROWS; i++) {
        int j = 0;
        while (j < i && strcmp(f[j].ev.rule, f[i].ev.rule) != 0)
            j++;
        if (j < i)
            continue;
        int times = 0;
        for (int k = i; k < nf && k < MAX_ROWS; k++)
            if (strcmp(f[k].ev.rule, f[i].ev.rule) == 0)
                times += f[k].count;
        char what[600];
        evidence_what(&f[i].ev, what, sizeof(what));
        buf_puts(md, "### ");
        md_data(f[i].ev.rule, md);
        buf_printf(md, " (%s)\n\n", severity_names[f[i].ev.severity]);
        md_data(f[i].ev.title[0] ? f[i].ev.title : f[i].ev.rule, md);
        buf_printf(md, ": matched %d time%s, for example ", times, times == 1 ? "" : "s");
        md_data(what, md);
        buf_puts(md, ".\n\n**Remediation:** ");
        buf_puts(md, evidence_remediation(f[i].ev.rule));
        buf_puts(md, "\n\n");
    }
}

/* ---- the copilot ---- */

static bool settled(const struct copilot_answer *a)
{
    return a && (a->state == COP_DONE || a->state == COP_ERROR || a->state == COP_CAPPED);
}

/* Loads the rule matches into an engine, asks, waits for the answer and
 * appends it (or the error) to md. False when no answer came whole. */
static bool assess(const struct check_opts *o, const struct evidence *ev, struct config *cfg,
                   struct buf *md)
{
    char err[512] = "", key[160], id[200];
    struct copilot_settings s;
    if (copilot_settings_load(cfg, o->backend, &s, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout check: %s\n", err);
        return false;
    }
    s.auto_trigger = false; /* only the question asked here */
    struct engine *e = calloc(1, sizeof(*e));
    struct loop *l = e ? loop_new() : NULL;
    struct http *h = l ? http_new(l) : NULL;
    if (e)
        engine_init(e);
    for (size_t i = 0; e && i < ev->n; i++)
        if (ev->ev[i].rule[0]) {
            engine_advance(e, ev->ev[i].time);
            engine_kevent(e, &ev->ev[i]);
        }
    if (e)
        engine_advance(e, ev->h.end_ms);
    struct copilot *c = h ? copilot_new(e, l, h, &s, err, sizeof(err)) : NULL;
    copilot_settings_clear(&s);
    snprintf(key, sizeof(key), "%s %s", ev->h.scope_kind, ev->h.scope);
    copilot_subject_id("evidence", key, id, sizeof(id));
    const struct copilot_answer *a = NULL;
    if (c && copilot_ask(c, "evidence", key, err, sizeof(err)) == 0) {
        int64_t deadline = loop_mono_ms() + (int64_t)(o->timeout_s * 1000);
        while ((!settled(a = engine_get(e, T_COPILOT, id)) || copilot_busy(c)) &&
               loop_mono_ms() < deadline)
            loop_run_once(l, 100);
    }
    bool ok = a && a->state == COP_DONE && !a->incomplete && !a->error[0];
    buf_puts(md, "\n## Copilot assessment (");
    md_data(c ? copilot_backend_label(c) : o->backend, md);
    buf_puts(md, ")\n\n> The verdict above comes from the findings; this text does not change "
                 "it.\n\n");
    /* a partial answer is kept (marked by the error below); the copilot's own
     * fallback text for an unusable backend is not: our offline analysis follows */
    if (a && a->text[0] && (ok || a->incomplete))
        md_answer(a->text, md);
    if (!ok) {
        const char *why = a && a->error[0] ? a->error : err[0] ? err : "no answer in time";
        buf_puts(md, "\n> **Copilot error:** ");
        md_data(why, md);
        buf_puts(md, "\n");
        char safe[TEXT_LEN];
        ts_sanitize(why, strlen(why), safe, sizeof(safe), false);
        fprintf(stderr, "lookout check: copilot: %s\n", safe);
    }
    copilot_free(c);
    http_free(h);
    loop_free(l);
    if (e)
        engine_free(e);
    free(e);
    return ok;
}

/* ---- the verdict ---- */

static void print_json(const struct check_opts *o, int v, const char *reason, int rc,
                       const struct finding *f, int nf, int copilot_state)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "evidence", o->evidence);
    cJSON_AddBoolToObject(j, "ok", v == EVIDENCE_ALLOW);
    cJSON_AddStringToObject(j, "decision", decisions[v]);
    cJSON_AddStringToObject(j, "reason", reason);
    cJSON_AddNumberToObject(j, "exit", rc);
    cJSON *arr = cJSON_AddArrayToObject(j, "findings");
    for (int i = 0; i < nf && i < MAX_ROWS; i++) {
        char what[600];
        evidence_what(&f[i].ev, what, sizeof(what));
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "severity", severity_names[f[i].ev.severity]);
        cJSON_AddStringToObject(x, "rule", f[i].ev.rule);
        cJSON_AddStringToObject(x, "what", what);
        cJSON_AddNumberToObject(x, "count", f[i].count);
        cJSON_AddItemToArray(arr, x);
    }
    cJSON_AddStringToObject(j, "analysis",
                            copilot_state < 0 ? "offline"
                            : copilot_state   ? "copilot"
                                              : "copilot failed, offline");
    if (o->out)
        cJSON_AddStringToObject(j, "report", o->out);
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s ? s : "{}");
    free(s);
    cJSON_Delete(j);
}

static int emit(const struct check_opts *o, const struct buf *md)
{
    if (o->out) {
        if (write_file_atomic(o->out, md->data ? md->data : "", md->len) == 0)
            return 0;
        fprintf(stderr, "lookout check: %s: %m\n", o->out);
        return -1;
    }
    if (!o->json)
        fwrite(md->data ? md->data : "", 1, md->len, stdout);
    return fflush(stdout) == 0 ? 0 : -1;
}

static int judge(const struct check_opts *o, struct config *cfg)
{
    struct evidence ev;
    char err[600];
    if (evidence_read(o->evidence, &ev, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout check: %s\n", err);
        return 2;
    }
    enum severity min = o->have_fail_on ? o->fail_on : ev.h.fail_on;
    char reason[TEXT_LEN];
    enum evidence_verdict v = evidence_judge(&ev, min, reason, sizeof(reason));
    int rc = v == EVIDENCE_BLOCK ? 1 : v == EVIDENCE_UNKNOWN ? 3 : 0;
    struct finding *f = calloc(MAX_ROWS, sizeof(*f));
    int nf = f ? evidence_findings(ev.ev, ev.n, min, f, MAX_ROWS) : 0;
    struct buf md = {0};
    md_header(&ev, o->evidence, (int)v, reason, &md);
    md_findings(f, nf, min, v == EVIDENCE_UNKNOWN, &md);
    int cop = -1;
    if (o->backend)
        cop = assess(o, &ev, cfg, &md) ? 1 : 0;
    if (cop != 1)
        md_offline(f, nf, v == EVIDENCE_UNKNOWN, &md);
    if (emit(o, &md) < 0)
        rc = 2;
    char safe[TEXT_LEN];
    ts_sanitize(reason, strlen(reason), safe, sizeof(safe), false);
    fprintf(stderr, "lookout check: %s: %s\n", decisions[v], safe);
    if (o->json)
        print_json(o, (int)v, reason, rc, f, nf, cop);
    buf_free(&md);
    free(f);
    evidence_free(&ev);
    return rc;
}

static int parse(int argc, char **argv, struct check_opts *o)
{
    static const struct option longopts[] = {
        {"evidence", required_argument, NULL, 'e'},
        {"copilot", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},
        {"fail-on", required_argument, NULL, 'F'},
        {"json", no_argument, NULL, 'j'},
        {"config", required_argument, NULL, 'C'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct check_opts){.timeout_s = 150};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            o->evidence = optarg;
            break;
        case 'c':
            o->backend = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'F':
            if (evidence_severity_parse(optarg, &o->fail_on) < 0) {
                fprintf(stderr, "lookout check: --fail-on must be warning or critical\n");
                return -1;
            }
            o->have_fail_on = true;
            break;
        case 'j':
            o->json = true;
            break;
        case 'C':
            o->config = optarg;
            break;
        case 't':
            if (app_parse_timeout("check", optarg, &o->timeout_s) < 0)
                return -1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            return -1;
        }
    }
    if (!o->evidence || optind < argc) {
        fprintf(stderr, "lookout check: %s\n",
                o->evidence ? "unexpected argument" : "--evidence FILE is required");
        return -1;
    }
    return 0;
}

int cmd_check(int argc, char **argv)
{
    struct check_opts o;
    int p = parse(argc, argv, &o);
    if (p != 0) {
        if (p < 0)
            usage(stderr);
        return p < 0 ? 2 : 0;
    }
    char err[512];
    struct config cfg;
    if (config_load(&cfg, o.config, modules, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout check: %s\n", err);
        return 2;
    }
    int rc = judge(&o, &cfg);
    config_free(&cfg);
    return rc;
}
