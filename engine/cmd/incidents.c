/* lookout incidents --from RECORD.jsonl [--json]
 *
 * The incidents a record ends with, in rank order (core/incident.h): the
 * one marked current is what the TUI, the war room and `lookout postmortem`
 * would pick. Headless, so a script or a test can check the rank and the
 * causes without a terminal. Exit 0, 2 usage or input error. Sources that
 * were not reporting when the record ends are named (text: under the list,
 * --json: on stderr, the array's shape kept): "no incidents" from a blind
 * Lookout is not "all quiet". */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/textsafe.h"
#include "cmd/commands.h"
#include "core/engine.h"
#include "core/incident.h"
#include "core/record.h"
#include "core/source.h"

#define MAX_LISTED 256

static void usage(FILE *f)
{
    fprintf(f, "usage: lookout incidents --from RECORD.jsonl [--json]\n");
}

static void add_causes(cJSON *o, const struct incident *inc)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "causes");
    for (int i = 0; arr && i < inc->ncauses; i++) {
        const struct cause *c = &inc->causes[i];
        cJSON *x = cJSON_CreateObject();
        if (!x)
            return;
        cJSON_AddStringToObject(x, "title", c->title);
        cJSON_AddNumberToObject(x, "score", c->score);
        cJSON_AddBoolToObject(x, "followed", c->followed);
        cJSON *ev = cJSON_AddArrayToObject(x, "evidence");
        for (const char *l = c->evidence; ev && *l;) {
            const char *nl = strchr(l, '\n');
            size_t len = nl ? (size_t)(nl - l) : strlen(l);
            char line[CAUSE_EVIDENCE];
            snprintf(line, sizeof line, "%.*s", (int)len, l);
            cJSON_AddItemToArray(ev, cJSON_CreateString(line));
            l += len + (nl != NULL);
        }
        cJSON_AddItemToArray(arr, x);
    }
}

static cJSON *incident_json(struct engine *e, const struct incident *inc, int rank, bool current)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char reason[160];
    incident_rank_reason(inc, reason, sizeof reason);
    cJSON_AddNumberToObject(o, "rank", rank);
    cJSON_AddBoolToObject(o, "current", current);
    cJSON_AddStringToObject(o, "id", inc->id);
    cJSON_AddStringToObject(o, "state", inc->state == INC_OPEN ? "open" : "resolved");
    cJSON_AddStringToObject(o, "tier", incident_tier_names[incident_tier(inc)]);
    cJSON_AddStringToObject(o, "severity", severity_names[inc->severity]);
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "service", inc->service);
    cJSON_AddStringToObject(o, "title", inc->title);
    cJSON_AddNumberToObject(o, "signals", inc->signals);
    cJSON_AddNumberToObject(o, "start", (double)incident_start(inc));
    cJSON_AddNumberToObject(o, "opened", (double)inc->opened);
    cJSON_AddNumberToObject(o, "paged", (double)inc->paged);
    cJSON_AddNumberToObject(o, "closed", (double)inc->closed);
    cJSON_AddNumberToObject(o, "age_s", (double)((engine_now(e) - incident_start(inc)) / 1000));
    cJSON_AddNumberToObject(o, "budget_per_hour", inc->budget_per_hour);
    cJSON_AddNumberToObject(o, "slos_hit", inc->slos_hit);
    cJSON_AddNumberToObject(o, "revision", inc->revision);
    add_causes(o, inc);
    return o;
}

/* The sources not reporting at the end of the record, sanitised (their
 * errors quote servers), into safe; how many. */
static int blind_sources(struct engine *e, struct buf *safe)
{
    struct buf raw = {0};
    int n = source_not_reporting(e, &raw);
    if (n)
        ts_sanitize_buf(buf_cstr(&raw), raw.len, safe, 0);
    buf_free(&raw);
    return n;
}

static int print_json(struct engine *e, const struct incident **v, int n, const char *current)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; arr && i < n; i++)
        cJSON_AddItemToArray(arr, incident_json(e, v[i], i + 1, !strcmp(v[i]->id, current)));
    char *s = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    if (!s)
        return 2;
    puts(s);
    free(s);
    struct buf blind = {0};
    int nb = blind_sources(e, &blind);
    if (nb)
        fprintf(stderr,
                "lookout incidents: %d source%s not reporting at the end of the record: %s\n", nb,
                nb == 1 ? " was" : "s were", buf_cstr(&blind));
    buf_free(&blind);
    return 0;
}

/* "3m12s", "1h04m": short enough for a column. */
static void age(int64_t ms, char *out, size_t n)
{
    long long s = (long long)(ms > 0 ? ms / 1000 : 0);
    if (s >= 3600)
        snprintf(out, n, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else
        snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
}

static void print_text(struct engine *e, const struct incident **v, int n, const char *current)
{
    printf("%-4s %-3s %-10s %-8s %-8s %-8s %-16s %7s  %s\n", "RANK", "", "ID", "STATE", "TIER",
           "AGE", "SERVICE", "SIGNALS", "WHY");
    for (int i = 0; i < n; i++) {
        const struct incident *inc = v[i];
        char id[64], svc[96], why[160], a[16];
        ts_clip(inc->id, 10, id, sizeof id, false);
        ts_clip(inc->service[0] ? inc->service : "-", 16, svc, sizeof svc, false);
        incident_rank_reason(inc, why, sizeof why);
        age(engine_now(e) - incident_start(inc), a, sizeof a);
        printf("%-4d %-3s %-10s %-8s %-8s %-8s %-16s %7d  %s\n", i + 1,
               strcmp(inc->id, current) ? "" : "*", id,
               inc->state == INC_OPEN ? "open" : "resolved",
               incident_tier_names[incident_tier(inc)], a, svc, inc->signals, why);
    }
    struct buf blind = {0};
    int nb = blind_sources(e, &blind);
    if (nb)
        printf("%s%d source%s not reporting at the end of the record: %s\n",
               n ? "" : "no incidents seen, but ", nb, nb == 1 ? " was" : "s were",
               buf_cstr(&blind));
    else if (!n)
        printf("no incidents\n");
    buf_free(&blind);
}

int cmd_incidents(int argc, char **argv)
{
    static const struct option longopts[] = {{"from", required_argument, NULL, 'f'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *from = NULL;
    bool json = false;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        if (c == 'f')
            from = optarg;
        else if (c == 'j')
            json = true;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (!from || optind != argc) {
        usage(stderr);
        return 2;
    }
    struct engine *e = calloc(1, sizeof(*e));
    if (!e)
        return 2;
    engine_init(e);
    int rc = 2;
    const struct incident **v = calloc(MAX_LISTED, sizeof(*v));
    if (v && record_load_file(e, from, "lookout incidents") > 0) {
        const struct incident *cur = incident_current(e, NULL, 0);
        int n = incident_ranked(e, v, MAX_LISTED);
        rc = 0;
        if (json)
            rc = print_json(e, v, n, cur ? cur->id : "");
        else
            print_text(e, v, n, cur ? cur->id : "");
    } else if (v) {
        fprintf(stderr, "lookout incidents: %s: no state in the record\n", from);
    }
    free(v);
    engine_free(e);
    free(e);
    return rc;
}
