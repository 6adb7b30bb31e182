/* `lookout gate --slo NAME`: may a deploy proceed? Exit 0 allow, 1 block,
 * 3 unknown (or what --on-unknown says), 2 usage or config error; a
 * one-line reason on stderr, one JSON line on stdout with --json. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "slo/gate.h"
#include "slo/slo.h"
#include "slo/cli.h"

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: lookout gate --slo NAME [--policy page|ticket] [--min-budget 0.1]\n"
            "                    [--on-unknown allow|block] [--at UNIX_TIME] [--json]\n"
            "                    [--prometheus URL] [--slo-spec FILE]... [--config FILE]\n"
            "                    [--tenant ID] [--timeout 10s]\n"
            "NAME: the SLO id (lookout slo status lists them), the bare name from a Sloth\n"
            "file, or a sloth_id label copied from an alert\n"
            "exit: 0 allow, 1 block, 3 unknown, 2 usage or config error\n");
    return rc;
}

/* The verdict: a line on stderr and, with --json, one object on stdout.
 * d < 0 is an error (exit 2): "decision": "error", so a pipeline reading
 * the JSON never sees a verdict that was not reached. */
static void report(bool json, const char *slo, int d, const char *reason, int rc)
{
    char safe[TEXT_LEN];
    const char *decision = d < 0 ? "error" : gate_decision_names[d];
    gate_term_safe(safe, sizeof(safe), reason);
    fprintf(stderr, "lookout gate: %s: %s\n", decision, safe);
    if (!json)
        return;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "slo", slo);
    cJSON_AddBoolToObject(j, "ok", d == GATE_ALLOW);
    cJSON_AddStringToObject(j, "decision", decision);
    cJSON_AddStringToObject(j, "reason", reason);
    cJSON_AddNumberToObject(j, "exit", rc);
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s ? s : "{}");
    fflush(stdout);
    free(s);
    cJSON_Delete(j);
}

int cmd_gate(int argc, char **argv)
{
    static const struct option longopts[] = {
        SLO_CLI_LONGOPTS,
        {"slo", required_argument, NULL, 's'},
        {"policy", required_argument, NULL, 'p'},
        {"min-budget", required_argument, NULL, 'm'},
        {"on-unknown", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    setlocale(LC_NUMERIC, "C");
    struct slo_cli o = {0};
    struct gate_opts g = {GATE_PAGE, 0};
    const char *name = NULL;
    int on_unknown = 3;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char err[300];
        int rc = slo_cli_option(&o, c, optarg, err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, "lookout gate: %s\n", err);
            return usage(2);
        }
        if (rc == 1)
            continue;
        char *end;
        switch (c) {
        case 's':
            name = optarg;
            break;
        case 'p':
            if (strcmp(optarg, "page") && strcmp(optarg, "ticket")) {
                fprintf(stderr, "lookout gate: --policy must be page or ticket\n");
                return 2;
            }
            g.policy = strcmp(optarg, "ticket") == 0 ? GATE_TICKET : GATE_PAGE;
            break;
        case 'm':
            g.min_budget = strtod(optarg, &end);
            if (end == optarg || *end || !(g.min_budget >= 0 && g.min_budget <= 1)) {
                fprintf(stderr, "lookout gate: --min-budget must be between 0 and 1\n");
                return 2;
            }
            break;
        case 'u':
            if (strcmp(optarg, "allow") && strcmp(optarg, "block")) {
                fprintf(stderr, "lookout gate: --on-unknown must be allow or block\n");
                return 2;
            }
            on_unknown = strcmp(optarg, "allow") == 0 ? 0 : 1;
            break;
        case 'h':
            return usage(0);
        default:
            return usage(2);
        }
    }
    if (!name || optind < argc) {
        fprintf(stderr, "lookout gate: %s\n",
                name ? "unexpected argument" : "--slo NAME is required");
        return usage(2);
    }
    static struct engine e;
    engine_init(&e);
    char err[512];
    int failed = 0, rc;
    o.want = name;
    const struct slo *row = NULL;
    if (slo_cli_evaluate(&o, &e, &failed, err, sizeof(err)) < 0) {
        rc = 2;
        report(o.json, name, -1, err, rc);
    } else if (!(row = engine_get(&e, T_SLOS, o.id))) {
        rc = 2; /* resolved, then gone: cannot happen, but never read NULL */
        report(o.json, name, -1, "SLO vanished during evaluation", rc);
    } else {
        char reason[TEXT_LEN];
        enum gate_decision d = gate_decide(row, &g, reason, sizeof(reason));
        rc = d == GATE_ALLOW ? 0 : d == GATE_BLOCK ? 1 : on_unknown;
        report(o.json, o.id, (int)d, reason, rc);
    }
    slo_detach(&e);
    engine_free(&e);
    return rc;
}
