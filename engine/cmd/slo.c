/* `lookout slo check FILE...` and `lookout slo status`: SLO definitions
 * and their state at an instant, from the command line. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/buf.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "slo/gate.h"
#include "base/http.h"
#include "base/loop.h"
#include "base/secret.h"
#include "slo/slo.h"
#include "slo/cli.h"
#include "slo/config.h"
#include "slo/names.h"
#include "slo/prom.h"
#include "slo/spec.h"

int slo_cli_option(struct slo_cli *o, int code, const char *arg, char *err, size_t errlen)
{
    snprintf(err, errlen, "bad value '%.200s'", arg ? arg : "");
    switch (code - SLO_CLI_OPT_BASE) {
    case 0:
        o->config_path = arg;
        return 1;
    case 1:
        o->prometheus_url = arg;
        return 1;
    case 2:
        if (o->nspecs >= SLO_CLI_MAX_SPECS)
            return -1;
        o->specs[o->nspecs++] = arg;
        return 1;
    case 3: {
        char *end;
        double t = strtod(arg, &end);
        if (end == arg || *end || !(t > 0 && t < 1e11))
            return -1;
        o->at_ms = (int64_t)llround(t * 1000);
        return 1;
    }
    case 4:
        o->json = true;
        return 1;
    case 5:
        o->tenant = arg;
        return http_header_value_check("--tenant", arg, err, errlen) < 0 ? -1 : 1;
    case 6: {
        int64_t ms;
        if (parse_duration_ms(arg, &ms) < 0 || ms < 100 || ms > 600000) {
            snprintf(err, errlen, "--timeout '%.100s': want a duration from 100ms to 10m (10s)",
                     arg);
            return -1;
        }
        o->timeout_ms = (long)ms;
        return 1;
    }
    }
    return 0;
}

/* Evaluates the loaded SLOs, asking Prometheus when a PromQL one needs it. */
static int evaluate_with(const struct slo_cli *o, struct engine *e, struct prom_config *pc,
                         int64_t at, int *failed, char *err, size_t errlen)
{
    if (!slo_count(e))
        return snprintf(err, errlen, "no SLO defined (give --slo-spec FILE or --config FILE)"), -1;
    if (o->prometheus_url)
        STR_COPY(pc->url, o->prometheus_url);
    if (o->tenant)
        STR_COPY(pc->tenant, o->tenant);
    if (o->timeout_ms)
        pc->timeout_ms = o->timeout_ms;
    if (!slo_prom_wanted(e)) {
        slo_evaluate_all(e);
        return 0;
    }
    if (!pc->url[0])
        return snprintf(err, errlen,
                        "PromQL SLOs need a Prometheus: give --prometheus URL or a "
                        "prometheus section in the config"),
               -1;
    struct loop *l = loop_new();
    struct http *h = l ? http_new(l) : NULL;
    if (!h) {
        loop_free(l);
        return snprintf(err, errlen, "cannot create the event loop"), -1;
    }
    long timeout = pc->timeout_ms ? pc->timeout_ms : 10000;
    *failed = slo_prom_eval_once(e, l, h, pc, at, timeout + 2000);
    http_free(h);
    loop_free(l);
    return 0;
}

int slo_cli_evaluate(struct slo_cli *o, struct engine *e, int *failed, char *err, size_t errlen)
{
    struct config cfg;
    int64_t at = o->at_ms ? o->at_ms : loop_wall_ms();
    *failed = 0;
    e->now = at;
    /* the default config is read only when no spec is given on the command line */
    if (config_load(&cfg, o->config_path ? o->config_path : NULL, modules, err, errlen) < 0)
        return -1;
    int rc = 0;
    struct gate_opts g;
    if (slo_alerting_load(config_section(&cfg, "alerting"), &g, err, errlen) < 0)
        rc = -1;
    if (rc == 0 && (o->config_path || !o->nspecs))
        rc = slo_load_definitions(e, &cfg, err, errlen);
    struct slo_spec_set set = {0};
    for (int i = 0; rc == 0 && i < o->nspecs; i++)
        rc = slo_spec_load_file(&set, o->specs[i], err, errlen);
    for (int i = 0; rc == 0 && i < set.n; i++) {
        struct slo_def d;
        slo_spec_to_def(&set.items[i], &d);
        rc = slo_define(e, &d, err, errlen);
    }
    slo_spec_free(&set);
    if (rc == 0 && o->want && slo_resolve_name(e, o->want, o->id, sizeof(o->id), err, errlen) < 0)
        rc = -1;
    struct prom_config pc;
    memset(&pc, 0, sizeof(pc));
    if (rc == 0)
        rc = prom_config_load(&pc, config_section(&cfg, "prometheus"), err, errlen);
    config_free(&cfg);
    if (rc == 0)
        rc = evaluate_with(o, e, &pc, at, failed, err, errlen);
    secret_wipe(&pc, sizeof(pc)); /* the bearer token and password */
    return rc;
}

/* ---- slo check ---- */

static void print_policy(const struct slo_policy *p)
{
    for (int i = 0; i < p->npairs; i++) {
        char lw[16], sw[16];
        slo_format_window(p->pairs[i].long_ms, lw, sizeof(lw));
        slo_format_window(p->pairs[i].short_ms, sw, sizeof(sw));
        printf("    %-6s burn > %g over %s and %s (%.3g%% of the budget in %s)\n",
               alert_state_names[p->pairs[i].severity], p->pairs[i].factor, lw, sw,
               p->pairs[i].budget_pct, lw);
    }
}

static int slo_check(int argc, char **argv)
{
    /* --help is asked for: the usage on stdout, exit 0; not a file name */
    bool help = argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
    if (argc < 1 || help) {
        fprintf(help ? stdout : stderr, "usage: lookout slo check FILE...\n");
        return help ? 0 : 2;
    }
    int bad = 0;
    for (int f = 0; f < argc; f++) {
        struct slo_spec_set set = {0};
        char err[512];
        if (slo_spec_load_file(&set, argv[f], err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            bad++;
            slo_spec_free(&set);
            continue;
        }
        for (int i = 0; i < set.n; i++) {
            const struct slo_spec_item *it = &set.items[i];
            char per[16];
            slo_format_window(it->period_ms, per, sizeof(per));
            printf("%s (%s, %s)\n", it->name, it->format, it->origin);
            printf("  service %s, objective %.6g%%, %s %s\n", it->service[0] ? it->service : "-",
                   it->objective * 100, it->period_kind == SLO_ROLLING ? "rolling" : "calendar",
                   it->period_kind == SLO_CALENDAR_MONTH  ? "month"
                   : it->period_kind == SLO_CALENDAR_WEEK ? "week"
                                                          : per);
            printf("  errors: %s\n  total:  %s\n", it->error_query, it->total_query);
            struct slo_policy p = it->policy;
            if (!it->has_policy)
                slo_policy_default(&p, it->period_ms);
            printf("  alerts:\n");
            print_policy(&p);
        }
        slo_spec_free(&set);
    }
    return bad ? 2 : 0;
}

/* ---- slo status ---- */

static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* The --json "exhaustion" field: what exhaustion_s (a number or null) means. */
static const char *exhaustion_state(int64_t ms)
{
    if (ms == SLO_EXHAUSTION_UNKNOWN)
        return "unknown";
    if (ms < 0)
        return "never";
    return ms == 0 ? "exhausted" : "projected";
}

static cJSON *slo_json(const struct slo *r, const struct gate_opts *g)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", r->name);
    cJSON_AddStringToObject(j, "service", r->service);
    cJSON_AddItemToObject(j, "objective", num(r->objective));
    cJSON_AddNumberToObject(j, "period_s", (double)r->period_ms / 1000);
    cJSON_AddStringToObject(j, "alert", alert_state_names[r->alert]);
    cJSON_AddItemToObject(j, "budget_remaining", num(r->budget_remaining));
    cJSON_AddItemToObject(j, "exhaustion_s",
                          r->exhaustion_ms < 0
                              ? cJSON_CreateNull()
                              : cJSON_CreateNumber((double)r->exhaustion_ms / 1000));
    /* exhaustion_s is null both for "never" and for "no data": say which */
    cJSON_AddStringToObject(j, "exhaustion", exhaustion_state(r->exhaustion_ms));
    cJSON *ws = cJSON_AddArrayToObject(j, "windows");
    for (int i = 0; i < r->nwindows; i++) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "window", r->windows[i].name);
        cJSON_AddNumberToObject(w, "seconds", (double)r->windows[i].length_ms / 1000);
        cJSON_AddItemToObject(w, "error_ratio", num(r->windows[i].error_ratio));
        cJSON_AddItemToObject(w, "burn_rate", num(r->windows[i].burn_rate));
        cJSON_AddItemToArray(ws, w);
    }
    char why[TEXT_LEN];
    slo_pair_reason(r, why, sizeof(why));
    cJSON_AddStringToObject(j, "window_pair", why);
    cJSON *hist = cJSON_AddArrayToObject(j, "budget_history");
    for (int i = 0; i < r->nhistory; i++)
        cJSON_AddItemToArray(hist, num(r->budget_history[i]));
    cJSON_AddNumberToObject(j, "history_step_s", (double)r->history_step_ms / 1000);
    char reason[TEXT_LEN];
    enum gate_decision d = gate_decide(r, g, reason, sizeof(reason));
    cJSON_AddStringToObject(j, "gate", gate_decision_names[d]);
    cJSON_AddStringToObject(j, "gate_reason", reason);
    if (r->error[0])
        cJSON_AddStringToObject(j, "error", r->error);
    return j;
}

static void fmt_duration(int64_t ms, char *out, size_t n)
{
    if (ms == SLO_EXHAUSTION_UNKNOWN)
        snprintf(out, n, "unknown (no data)");
    else if (ms < 0)
        snprintf(out, n, "never");
    else if (ms == 0)
        snprintf(out, n, "exhausted");
    else if (ms < 2 * MS_HOUR)
        snprintf(out, n, "%.0fm", (double)ms / MS_MINUTE);
    else if (ms < 3 * MS_DAY)
        snprintf(out, n, "%.1fh", (double)ms / MS_HOUR);
    else
        snprintf(out, n, "%.1fd", (double)ms / MS_DAY);
}

/* A number, or "no data" for NaN. */
static const char *numtxt(char *buf, size_t n, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(buf, n, "no data");
    else
        snprintf(buf, n, fmt, v);
    return buf;
}

static void slo_text(const struct slo *r)
{
    char ex[32], b1[32], b2[32];
    fmt_duration(r->exhaustion_ms, ex, sizeof(ex));
    printf("%s  objective %.6g%%  alert %s  budget remaining %s  exhaustion %s\n", r->name,
           r->objective * 100, alert_state_names[r->alert],
           numtxt(b1, sizeof(b1), "%.2f%%", r->budget_remaining * 100), ex);
    char why[TEXT_LEN];
    slo_pair_reason(r, why, sizeof(why));
    printf("  window pair: %s\n", why);
    if (r->error[0]) {
        char safe[TEXT_LEN];
        gate_term_safe(safe, sizeof(safe), r->error);
        printf("  error: %s\n", safe);
    }
    printf("  %-8s %14s %12s\n", "window", "error ratio", "burn rate");
    for (int i = 0; i < r->nwindows; i++)
        printf("  %-8s %14s %12s\n", r->windows[i].name,
               numtxt(b1, sizeof(b1), "%.8f", r->windows[i].error_ratio),
               numtxt(b2, sizeof(b2), "%.4f", r->windows[i].burn_rate));
}

static int slo_status(int argc, char **argv)
{
    static const struct option longopts[] = {
        SLO_CLI_LONGOPTS, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    struct slo_cli o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char err[300];
        int rc = slo_cli_option(&o, c, optarg, err, sizeof(err));
        if (rc == 1)
            continue;
        if (rc < 0)
            fprintf(stderr, "lookout slo status: %s\n", err);
        fprintf(c == 'h' ? stdout : stderr,
                "usage: lookout slo status [--config FILE] [--prometheus URL] "
                "[--slo-spec FILE]... [--tenant ID] [--at UNIX_TIME] [--timeout 10s]\n"
                "                         [--json]\n"
                "exit: 0 every query answered, 3 one got no answer (its error is shown),\n"
                "2 usage or spec error\n");
        return c == 'h' ? 0 : 2;
    }
    static struct engine e;
    engine_init(&e);
    char err[512];
    int failed = 0;
    int rc = 0;
    if (slo_cli_evaluate(&o, &e, &failed, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout slo status: %s\n", err);
        rc = 2;
    } else {
        struct table *t = engine_table(&e, T_SLOS);
        struct gate_opts g = {GATE_PAGE, 0};
        cJSON *all = cJSON_CreateObject();
        cJSON_AddNumberToObject(all, "at", (double)engine_now(&e) / 1000);
        cJSON *arr = cJSON_AddArrayToObject(all, "slos");
        for (int i = 0; i < t->count; i++) {
            const struct slo *r = table_row(t, i);
            if (o.json)
                cJSON_AddItemToArray(arr, slo_json(r, &g));
            else
                slo_text(r);
        }
        if (o.json) {
            char *s = cJSON_PrintUnformatted(all);
            printf("%s\n", s ? s : "{}");
            free(s);
        }
        cJSON_Delete(all);
        rc = failed ? 3 : 0;
    }
    slo_detach(&e);
    engine_free(&e);
    return rc;
}

int cmd_slo(int argc, char **argv)
{
    setlocale(LC_NUMERIC, "C");
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return slo_check(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return slo_status(argc - 1, argv + 1);
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fprintf(
        help ? stdout : stderr,
        "usage: lookout slo check FILE...      validate SLO spec files, print what they define\n"
        "       lookout slo status [options]   burn rates, budget and alert of each SLO\n"
        "                                      (lookout slo status --help)\n");
    return help ? 0 : 2;
}
