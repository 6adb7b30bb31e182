/* `lookout observe`: the eBPF experiment stage of a pipeline. Watches a
 * scope (a namespace, a cgroup subtree or the whole node) with the local
 * kernel source for a while, writes every event in scope, attributed and
 * matched by the rules, to an evidence file (kernel/evidence.h), and says
 * whether a rule fired at or above the policy. Exit 0 clean, 1 findings,
 * 2 usage, 3 could not observe (no privileges or BTF, events lost): a
 * pipeline must be able to tell "nothing happened" from "nothing seen". */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "base/loop.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/textsafe.h"
#include "base/yaml_tree.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/source.h"
#include "kernel/attribution.h"
#include "kernel/config.h"
#include "kernel/event_json.h"
#include "kernel/evidence.h"
#include "kernel/ingest.h"
#include "kernel/rules.h"
#include "kernel/source.h"

#define HEARTBEAT_MS  5000
#define BODY_CAP      (64u << 20) /* events past this are counted, not written */
#define MAX_CGROUPS   4096
#define RESCAN_MIN_MS 200
#define TOP_FINDINGS  10

struct observe_opts {
    int64_t for_ms;
    const char *ns, *cgroup, *out, *config;
    bool all, json;
    enum severity fail_on;
};

struct observe {
    const struct observe_opts *o;
    struct loop *loop;
    struct engine *e;
    struct evidence_header h;
    char cgdir[512];
    uint64_t ids[MAX_CGROUPS];
    int nids;
    int64_t last_scan;
    struct buf body;
    struct evidence matched; /* in-scope rule matches, for the summary */
    uint64_t by_kind[KEV_KIND_COUNT], by_sev[3];
    int64_t started;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: lookout observe --for DURATION (--namespace NS | --cgroup PATH | --all)\n"
               "                       -o EVIDENCE.jsonl [--fail-on warning|critical] [--json]\n"
               "                       [--config FILE]\n"
               "  --for DURATION     how long to watch: 60s, 5m (required)\n"
               "  --namespace NS     events of pods in this namespace\n"
               "  --cgroup PATH      events of this cgroup and those below it (a path under the\n"
               "                     cgroup2 mount, or relative to it)\n"
               "  --all              every event on this node\n"
               "  --fail-on SEV      exit 1 on a rule match at or above SEV (default warning)\n"
               "  --json             the summary as one JSON object on stdout\n"
               "exit: 0 clean, 1 findings, 2 usage, 3 could not observe (no privileges or BTF,\n"
               "events lost); needs root or CAP_BPF+CAP_PERFMON. A heartbeat goes to stderr\n"
               "every 5 s.\n");
}

/* ---- scope ---- */

static void scan_dir(struct observe *ob, const char *dir, int depth)
{
    uint64_t id = attr_cgroup_id(dir);
    if (id && ob->nids < MAX_CGROUPS)
        ob->ids[ob->nids++] = id;
    DIR *d = depth < 16 ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        char sub[sizeof(ob->cgdir) + 256];
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        scan_dir(ob, sub, depth + 1);
    }
    closedir(d);
}

static void rescan(struct observe *ob)
{
    ob->nids = 0;
    scan_dir(ob, ob->cgdir, 0);
    ob->last_scan = loop_mono_ms();
}

static bool in_cgroups(struct observe *ob, uint64_t id)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < ob->nids; i++)
            if (ob->ids[i] == id)
                return true;
        /* a cgroup made after the last scan: look again, not too often */
        if (pass || loop_mono_ms() - ob->last_scan < RESCAN_MIN_MS)
            return false;
        rescan(ob);
    }
    return false;
}

static bool in_scope(struct observe *ob, const struct kevent *k)
{
    if (ob->o->all)
        return true;
    if (ob->o->ns) {
        size_t n = strlen(ob->o->ns);
        return strncmp(k->pod, ob->o->ns, n) == 0 && k->pod[n] == '/';
    }
    return in_cgroups(ob, k->cgroup_id);
}

/* PATH under the cgroup2 mount, absolute or relative to it. */
static int resolve_cgroup(struct observe *ob, const char *path, char *err, size_t errlen)
{
    char root[256];
    attr_cgroup2_root(root, sizeof(root));
    if (!root[0]) {
        snprintf(err, errlen, "no cgroup2 mount on this host");
        return -1;
    }
    size_t rl = strlen(root);
    if (strncmp(path, root, rl) == 0 && (path[rl] == '/' || !path[rl]))
        snprintf(ob->cgdir, sizeof(ob->cgdir), "%s", path);
    else
        snprintf(ob->cgdir, sizeof(ob->cgdir), "%s/%s", root, path[0] == '/' ? path + 1 : path);
    struct stat st;
    if (stat(ob->cgdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--cgroup: %s is not a cgroup directory", ob->cgdir);
        return -1;
    }
    rescan(ob);
    return 0;
}

/* ---- events ---- */

static void on_kevent(struct engine *e, int table, const void *obj, void *ud)
{
    (void)e;
    struct observe *ob = ud;
    const struct kevent *k = obj;
    if (table != OBS_KEVENT || !k)
        return;
    ob->h.seen++;
    if (!in_scope(ob, k))
        return;
    ob->by_kind[k->kind]++;
    if (k->kind == KEV_GAP)
        ob->h.lost += k->lost;
    if (k->rule[0]) {
        ob->by_sev[k->severity]++;
        if (ob->matched.n < 100000) {
            if (ob->matched.n == ob->matched.cap) {
                size_t cap = ob->matched.cap ? ob->matched.cap * 2 : 64;
                struct kevent *p = realloc(ob->matched.ev, cap * sizeof(*p));
                if (p) {
                    ob->matched.ev = p;
                    ob->matched.cap = cap;
                }
            }
            if (ob->matched.n < ob->matched.cap)
                ob->matched.ev[ob->matched.n++] = *k;
        }
    }
    /* rule matches are always written: the verdict is made from them */
    if (ob->body.len >= BODY_CAP && !k->rule[0]) {
        ob->h.omitted++;
        return;
    }
    /* argv and paths may carry secrets (a token on a command line) */
    struct kevent r = *k;
    REDACT_COPY(r.args, k->args);
    REDACT_COPY(r.path, k->path);
    kevent_json_append(&ob->body, &r, ob->h.node);
    ob->h.events++;
}

static void heartbeat(void *ud)
{
    struct observe *ob = ud;
    int64_t el = loop_mono_ms() - ob->started;
    fprintf(stderr,
            "lookout observe: %llds/%llds, %llu events seen, %llu in scope, rule matches: "
            "%llu critical, %llu warning, %llu lost\n",
            (long long)(el / 1000), (long long)(ob->o->for_ms / 1000),
            (unsigned long long)ob->h.seen, (unsigned long long)ob->h.events + ob->h.omitted,
            (unsigned long long)ob->by_sev[SEV_CRITICAL],
            (unsigned long long)ob->by_sev[SEV_WARNING], (unsigned long long)ob->h.lost);
    loop_timer_start(ob->loop, HEARTBEAT_MS, heartbeat, ob);
}

static void on_deadline(void *ud)
{
    loop_stop(ud);
}

/* ---- the rule set's identity ---- */

static void rules_identity(struct engine *e, const struct config *cfg, struct evidence_header *h)
{
    char err[256];
    struct kevent_ingest *ki = kevent_ingest_new(e, cfg, err, sizeof(err));
    struct rule_set *rs = ki ? kevent_ingest_rules(ki) : NULL;
    struct buf b = {0};
    h->rules = rs ? rules_count(rs) : 0;
    for (int i = 0; i < h->rules; i++) {
        struct rule_info ri;
        if (rules_info(rs, i, &ri))
            buf_printf(&b, "%s\t%s\t%s\t%s\n", ri.name, severity_names[ri.severity], ri.title,
                       ri.tags ? ri.tags : "");
    }
    sha256_hex(b.data ? b.data : "", b.len, h->rules_sha256);
    buf_free(&b);
    kevent_ingest_free(ki);
}

/* ---- the evidence file: a temp file beside it, renamed when whole ---- */

struct outfile {
    char tmp[1100];
    const char *path;
    FILE *f;
};

static int out_open(struct outfile *of, const char *path)
{
    of->path = path;
    snprintf(of->tmp, sizeof(of->tmp), "%s.tmp.%d", path, (int)getpid());
    of->f = fopen(of->tmp, "wx");
    if (!of->f)
        fprintf(stderr, "lookout observe: %s: %m\n", of->tmp);
    return of->f ? 0 : -1;
}

static int out_commit(struct outfile *of, struct observe *ob)
{
    sha256_hex(ob->body.data ? ob->body.data : "", ob->body.len, ob->h.events_sha256);
    struct buf head = {0};
    evidence_header_json(&ob->h, &head);
    bool ok = fwrite(head.data, 1, head.len, of->f) == head.len &&
              fwrite(ob->body.data ? ob->body.data : "", 1, ob->body.len, of->f) == ob->body.len &&
              fflush(of->f) == 0 && fsync(fileno(of->f)) == 0;
    ok = fclose(of->f) == 0 && ok;
    of->f = NULL;
    buf_free(&head);
    if (ok && rename(of->tmp, of->path) == 0)
        return 0;
    fprintf(stderr, "lookout observe: %s: %m\n", of->path);
    unlink(of->tmp);
    return -1;
}

static void out_abort(struct outfile *of)
{
    if (of->f) {
        fclose(of->f);
        unlink(of->tmp);
    }
}

/* ---- the summary ---- */

static void summary_text(struct observe *ob, const struct finding *f, int nf, int shown, int rc,
                         const char *reason)
{
    printf("lookout observe: %s in %s%s%s for %llds on %s: %llu events in scope (%llu seen, "
           "%llu lost, %llu omitted)\n",
           rc == 0   ? "clean"
           : rc == 1 ? "findings"
                     : "cannot tell",
           ob->h.scope_kind, ob->h.scope[0] ? " " : "", ob->h.scope,
           (long long)((ob->h.end_ms - ob->h.start_ms) / 1000), ob->h.node,
           (unsigned long long)(ob->h.events + ob->h.omitted), (unsigned long long)ob->h.seen,
           (unsigned long long)ob->h.lost, (unsigned long long)ob->h.omitted);
    printf("events by kind:");
    for (int k = 0; k < KEV_KIND_COUNT; k++)
        if (ob->by_kind[k])
            printf(" %s %llu", kev_kind_names[k], (unsigned long long)ob->by_kind[k]);
    printf("\nrule matches: critical %llu, warning %llu, info %llu\n",
           (unsigned long long)ob->by_sev[SEV_CRITICAL],
           (unsigned long long)ob->by_sev[SEV_WARNING], (unsigned long long)ob->by_sev[SEV_INFO]);
    for (int i = 0; i < shown; i++) {
        char what[600], safe[600];
        evidence_what(&f[i].ev, what, sizeof(what));
        ts_sanitize(what, strlen(what), safe, sizeof(safe), false);
        printf("  %s: %s [%s]%s\n", severity_names[f[i].ev.severity], safe, f[i].ev.rule,
               f[i].count > 1 ? " (repeated)" : "");
    }
    if (nf > shown)
        printf("  ... %d more\n", nf - shown);
    char safe[TEXT_LEN];
    ts_sanitize(reason, strlen(reason), safe, sizeof(safe), false);
    printf("verdict: %s (exit %d)\n", safe, rc);
}

static void summary_json(struct observe *ob, const struct finding *f, int shown, int rc,
                         const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "evidence", ob->o->out);
    cJSON_AddStringToObject(o, "verdict", rc == 0 ? "clean" : rc == 1 ? "findings" : "unknown");
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddNumberToObject(o, "exit", rc);
    cJSON_AddNumberToObject(o, "events", (double)ob->h.events);
    cJSON_AddNumberToObject(o, "lost", (double)ob->h.lost);
    cJSON *k = cJSON_AddObjectToObject(o, "by_kind");
    for (int i = 0; i < KEV_KIND_COUNT; i++)
        if (ob->by_kind[i])
            cJSON_AddNumberToObject(k, kev_kind_names[i], (double)ob->by_kind[i]);
    cJSON *s = cJSON_AddObjectToObject(o, "rule_matches");
    for (int i = 0; i < 3; i++)
        cJSON_AddNumberToObject(s, severity_names[i], (double)ob->by_sev[i]);
    cJSON *arr = cJSON_AddArrayToObject(o, "findings");
    for (int i = 0; i < shown; i++) {
        char what[600];
        evidence_what(&f[i].ev, what, sizeof(what));
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "severity", severity_names[f[i].ev.severity]);
        cJSON_AddStringToObject(x, "rule", f[i].ev.rule);
        cJSON_AddStringToObject(x, "what", what);
        cJSON_AddNumberToObject(x, "count", f[i].count);
        cJSON_AddItemToArray(arr, x);
    }
    char *txt = cJSON_PrintUnformatted(o);
    printf("%s\n", txt ? txt : "{}");
    free(txt);
    cJSON_Delete(o);
}

static int conclude(struct observe *ob)
{
    struct evidence judged = ob->matched;
    judged.h = ob->h;
    char reason[TEXT_LEN];
    enum evidence_verdict v = evidence_judge(&judged, ob->o->fail_on, reason, sizeof(reason));
    int rc = v == EVIDENCE_BLOCK ? 1 : v == EVIDENCE_UNKNOWN ? 3 : 0;
    struct finding f[TOP_FINDINGS];
    int nf = evidence_findings(ob->matched.ev, ob->matched.n, SEV_WARNING, f, TOP_FINDINGS);
    int shown = nf < TOP_FINDINGS ? nf : TOP_FINDINGS;
    if (ob->o->json)
        summary_json(ob, f, shown, rc, reason);
    else
        summary_text(ob, f, nf, shown, rc, reason);
    fflush(stdout);
    return rc;
}

/* ---- the run ---- */

static void watch(struct observe *ob, struct source *ks)
{
    loop_timer_start(ob->loop, ob->o->for_ms, on_deadline, ob->loop);
    loop_timer_start(ob->loop, HEARTBEAT_MS, heartbeat, ob);
    while (!loop_stopped(ob->loop)) {
        loop_run_once(ob->loop, 200);
        engine_advance(ob->e, loop_wall_ms());
    }
    kernel_source_flush(ks); /* what the ring still holds belongs to the window */
    const struct kstats *k = engine_get(ob->e, T_KSTATS, "kernel");
    if (k)
        ob->h.lost += k->ring_drops;
}

/* Starts the kernel source; false with h.error when it cannot observe. */
static bool start_kernel(struct observe *ob, struct source_set *set, struct config *cfg)
{
    struct kernel_options ko;
    bool enabled = true;
    char err[256];
    if (kernel_options_from_config(cfg, &ko, &enabled, err, sizeof(err)) < 0 || !enabled) {
        snprintf(ob->h.error, sizeof(ob->h.error), "%s",
                 enabled ? err : "kernel events are off in the config (kernel.enabled: false)");
        return false;
    }
    struct source_ctx ctx = {.engine = ob->e, .loop = ob->loop, .config = cfg};
    source_add(set, &kernel_source_ops, "kernel", &ctx, kernel_source_new(&ko));
    source_start_all(set);
    const struct source_info *si = engine_get(ob->e, T_SOURCES, "kernel");
    if (!si || si->state == SRC_FAILED || si->state == SRC_DISABLED) {
        snprintf(ob->h.error, sizeof(ob->h.error), "kernel source: %s",
                 si && si->error[0] ? si->error : "cannot start");
        return false;
    }
    fprintf(stderr, "lookout observe: watching %s%s%s for %llds\n", ob->h.scope_kind,
            ob->h.scope[0] ? " " : "", ob->h.scope, (long long)(ob->o->for_ms / 1000));
    return true;
}

static int run(const struct observe_opts *o, struct config *cfg, struct outfile *of)
{
    struct observe *ob = calloc(1, sizeof(*ob));
    struct engine *e = calloc(1, sizeof(*e));
    struct loop *l = loop_new();
    if (!ob || !e || !l) {
        free(ob);
        free(e);
        loop_free(l);
        return 3;
    }
    engine_init(e);
    *ob = (struct observe){.o = o, .loop = l, .e = e, .h.fail_on = o->fail_on};
    STR_COPY(ob->h.scope_kind, o->all ? "all" : o->ns ? "namespace" : "cgroup");
    STR_COPY(ob->h.scope, o->ns ? o->ns : o->cgroup ? o->cgroup : "");
    if (gethostname(ob->h.node, sizeof(ob->h.node) - 1) < 0)
        STR_COPY(ob->h.node, "localhost");
    engine_advance(e, loop_wall_ms());
    rules_identity(e, cfg, &ob->h);
    char err[256] = "";
    int rc = 3;
    if (o->cgroup && resolve_cgroup(ob, o->cgroup, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout observe: %s\n", err);
        rc = 2;
        goto done;
    }
    engine_observe(e, on_kevent, ob);
    int sfd = loop_stop_on_signals(l);
    struct source_set set = {0};
    ob->h.start_ms = loop_wall_ms();
    bool ok = start_kernel(ob, &set, cfg);
    /* the window opens once the programs are attached: nothing before is seen */
    ob->started = loop_mono_ms();
    ob->h.start_ms = loop_wall_ms();
    if (ok)
        watch(ob, &set.items[0]);
    else
        fprintf(stderr, "lookout observe: cannot observe: %s\n", ob->h.error);
    ob->h.failed = !ok;
    ob->h.end_ms = loop_wall_ms();
    source_stop_all(&set);
    loop_close_signals(l, sfd);
    rc = conclude(ob);
    if (out_commit(of, ob) < 0)
        rc = 3;
done:
    free(ob->matched.ev);
    buf_free(&ob->body);
    free(ob);
    engine_free(e);
    free(e);
    loop_free(l);
    return rc;
}

static int parse(int argc, char **argv, struct observe_opts *o)
{
    static const struct option longopts[] = {
        {"for", required_argument, NULL, 'f'},    {"namespace", required_argument, NULL, 'n'},
        {"cgroup", required_argument, NULL, 'g'}, {"all", no_argument, NULL, 'a'},
        {"output", required_argument, NULL, 'o'}, {"fail-on", required_argument, NULL, 'F'},
        {"json", no_argument, NULL, 'j'},         {"config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    /* warning, not critical: the built-in rules rate a sensitive-file read in
     * a container (the seed's honeypot reading /etc/passwd) as a warning, and
     * a pipeline stage that observes a workload before production must stop
     * on that unless told otherwise */
    *o = (struct observe_opts){.fail_on = SEV_WARNING};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (parse_duration_ms(optarg, &o->for_ms) < 0 || o->for_ms < 1000) {
                fprintf(stderr, "lookout observe: --for: a duration of 1s or more, e.g. 60s\n");
                return -1;
            }
            break;
        case 'n':
            o->ns = optarg;
            break;
        case 'g':
            o->cgroup = optarg;
            break;
        case 'a':
            o->all = true;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'F':
            if (evidence_severity_parse(optarg, &o->fail_on) < 0) {
                fprintf(stderr, "lookout observe: --fail-on must be warning or critical\n");
                return -1;
            }
            break;
        case 'j':
            o->json = true;
            break;
        case 'C':
            o->config = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            return -1;
        }
    }
    int scopes = (o->ns != NULL) + (o->cgroup != NULL) + o->all;
    const char *bad = optind < argc ? "unexpected argument"
                      : !o->for_ms  ? "--for DURATION is required"
                      : !o->out     ? "-o EVIDENCE.jsonl is required"
                      : scopes != 1 ? "exactly one of --namespace, --cgroup, --all"
                                    : NULL;
    if (bad)
        fprintf(stderr, "lookout observe: %s\n", bad);
    return bad ? -1 : 0;
}

int cmd_observe(int argc, char **argv)
{
    struct observe_opts o;
    int p = parse(argc, argv, &o);
    if (p != 0) {
        if (p < 0)
            usage(stderr);
        return p < 0 ? 2 : 0;
    }
    char err[512];
    struct config cfg;
    if (config_load(&cfg, o.config, modules, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout observe: %s\n", err);
        return 2;
    }
    struct outfile of = {0};
    int rc = out_open(&of, o.out) < 0 ? 2 : run(&o, &cfg, &of);
    out_abort(&of);
    config_free(&cfg);
    return rc;
}
