/* `lookout gate --slo NAME [--evidence FILE]...`: may a deploy proceed?
 * Is production healthy (the SLO) and did the new build behave (evidence
 * files from `lookout observe`)? The stricter verdict wins: block over
 * unknown over allow, and the reason names every part. Exit 0 allow,
 * 1 block, 3 unknown (or what --on-unknown says), 2 usage, config error or a
 * bad evidence file (file:line); a one-line reason on stderr, one JSON line
 * on stdout with --json. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "kernel/evidence.h"
#include "slo/gate.h"
#include "slo/slo.h"
#include "slo/cli.h"

#define MAX_EVIDENCE 8

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: lookout gate [--slo NAME] [--evidence FILE]... [--policy page|ticket]\n"
            "                    [--min-budget 0.1] [--on-unknown allow|block] [--at UNIX_TIME]\n"
            "                    [--json] [--prometheus URL] [--slo-spec FILE]... [--config FILE]\n"
            "                    [--tenant ID] [--timeout 10s]\n"
            "NAME: the SLO id (lookout slo status lists them), the bare name from a Sloth\n"
            "file, or a sloth_id label copied from an alert\n"
            "FILE: an evidence file from lookout observe (blocks on findings at or above\n"
            "its --fail-on; unknown when the observation failed or lost events)\n"
            "At least one of --slo and --evidence; the stricter verdict wins.\n"
            "exit: 0 allow, 1 block, 3 unknown, 2 usage, config or evidence file error\n");
    return rc;
}

/* One part of the verdict: the SLO or one evidence file. */
struct part {
    const char *kind; /* "slo", "evidence" */
    char name[256];
    int d; /* enum gate_decision, -1: error */
    char reason[TEXT_LEN];
};

/* block > unknown > allow; an error beats them all. */
static int stricter(int a, int b)
{
    static const int rank[] = {[GATE_ALLOW] = 0, [GATE_UNKNOWN] = 1, [GATE_BLOCK] = 2};
    if (a < 0 || b < 0)
        return -1;
    return rank[a] >= rank[b] ? a : b;
}

/* The verdict: a line on stderr and, with --json, one object on stdout.
 * d < 0 is an error (exit 2): "decision": "error", so a pipeline reading
 * the JSON never sees a verdict that was not reached. */
static void report(bool json, const struct part *p, int np, int d, int rc)
{
    char reason[TEXT_LEN * 2] = "", safe[TEXT_LEN * 2];
    const char *decision = d < 0 ? "error" : gate_decision_names[d];
    for (int i = 0; i < np; i++) {
        size_t l = strlen(reason);
        if (np == 1)
            snprintf(reason, sizeof(reason), "%s", p[i].reason);
        else
            snprintf(reason + l, sizeof(reason) - l, "%s%s %s: %s", i ? "; " : "", p[i].kind,
                     p[i].kind[0] == 'e' ? p[i].name : "", p[i].reason);
    }
    gate_term_safe(safe, sizeof(safe), reason);
    fprintf(stderr, "lookout gate: %s: %s\n", decision, safe);
    if (!json)
        return;
    cJSON *j = cJSON_CreateObject();
    for (int i = 0; i < np; i++)
        if (strcmp(p[i].kind, "slo") == 0)
            cJSON_AddStringToObject(j, "slo", p[i].name);
    cJSON_AddBoolToObject(j, "ok", d == GATE_ALLOW);
    cJSON_AddStringToObject(j, "decision", decision);
    cJSON_AddStringToObject(j, "reason", reason);
    cJSON_AddNumberToObject(j, "exit", rc);
    cJSON *arr = cJSON_AddArrayToObject(j, "parts");
    for (int i = 0; i < np; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", p[i].kind);
        cJSON_AddStringToObject(o, p[i].kind[0] == 'e' ? "file" : "slo", p[i].name);
        cJSON_AddStringToObject(o, "decision", p[i].d < 0 ? "error" : gate_decision_names[p[i].d]);
        cJSON_AddStringToObject(o, "reason", p[i].reason);
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s ? s : "{}");
    fflush(stdout);
    free(s);
    cJSON_Delete(j);
}

/* One evidence file judged with its own policy; an unreadable, cut or
 * edited file is an error (exit 2), never a verdict. */
static void judge_evidence(const char *path, struct part *p)
{
    struct evidence ev;
    p->kind = "evidence";
    STR_COPY(p->name, path);
    if (evidence_read(path, &ev, p->reason, sizeof(p->reason)) < 0) {
        p->d = -1;
        return;
    }
    enum evidence_verdict v = evidence_judge(&ev, ev.h.fail_on, p->reason, sizeof(p->reason));
    p->d = v == EVIDENCE_BLOCK ? GATE_BLOCK : v == EVIDENCE_UNKNOWN ? GATE_UNKNOWN : GATE_ALLOW;
    evidence_free(&ev);
}

static void judge_slo(struct slo_cli *o, const struct gate_opts *g, const char *name,
                      struct part *p)
{
    static struct engine e;
    engine_init(&e);
    int failed = 0;
    o->want = name;
    p->kind = "slo";
    STR_COPY(p->name, name);
    p->d = -1;
    const struct slo *row = NULL;
    if (slo_cli_evaluate(o, &e, &failed, p->reason, sizeof(p->reason)) < 0) {
        /* the message is in p->reason */
    } else if (!(row = engine_get(&e, T_SLOS, o->id))) {
        /* resolved, then gone: cannot happen, but never read NULL */
        STR_COPY(p->reason, "SLO vanished during evaluation");
    } else {
        STR_COPY(p->name, o->id);
        p->d = (int)gate_decide(row, g, p->reason, sizeof(p->reason));
    }
    slo_detach(&e);
    engine_free(&e);
}

int cmd_gate(int argc, char **argv)
{
    static const struct option longopts[] = {
        SLO_CLI_LONGOPTS,
        {"slo", required_argument, NULL, 's'},
        {"policy", required_argument, NULL, 'p'},
        {"min-budget", required_argument, NULL, 'm'},
        {"on-unknown", required_argument, NULL, 'u'},
        {"evidence", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    setlocale(LC_NUMERIC, "C");
    struct slo_cli o = {0};
    struct gate_opts g = {GATE_PAGE, 0};
    const char *name = NULL, *files[MAX_EVIDENCE];
    int on_unknown = 3, nfiles = 0;
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
        case 'e':
            if (nfiles == MAX_EVIDENCE) {
                fprintf(stderr, "lookout gate: at most %d --evidence files\n", MAX_EVIDENCE);
                return 2;
            }
            files[nfiles++] = optarg;
            break;
        case 'h':
            return usage(0);
        default:
            return usage(2);
        }
    }
    if ((!name && !nfiles) || optind < argc) {
        fprintf(stderr, "lookout gate: %s\n",
                optind < argc ? "unexpected argument"
                              : "--slo NAME or --evidence FILE is required");
        return usage(2);
    }
    struct part parts[MAX_EVIDENCE + 1];
    int np = 0, d = GATE_ALLOW;
    if (name)
        judge_slo(&o, &g, name, &parts[np++]);
    for (int i = 0; i < nfiles; i++)
        judge_evidence(files[i], &parts[np++]);
    for (int i = 0; i < np; i++)
        d = stricter(d, parts[i].d);
    int rc = d < 0 ? 2 : d == GATE_ALLOW ? 0 : d == GATE_BLOCK ? 1 : on_unknown;
    report(o.json, parts, np, d, rc);
    return rc;
}
