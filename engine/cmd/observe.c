/* `lookout observe`: the eBPF experiment stage of a pipeline. Watches a
 * scope (a namespace, pods by label, a cgroup subtree or the whole node)
 * with the local kernel source, or through node agents (--agent, or found
 * through Kubernetes with --discover), for a
 * while, writes every event in scope, attributed and matched by the rules,
 * to an evidence file (kernel/evidence.h), and says whether a rule fired at
 * or above the policy. Exit 0 clean, 1 findings, 2 usage, 3 could not
 * observe (no privileges or BTF, an agent down, events lost): a pipeline
 * must be able to tell "nothing happened" from "nothing seen". */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "base/http.h"
#include "base/loop.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/textsafe.h"
#include "base/yaml_tree.h"
#include "cmd/commands.h"
#include "cmd/observe.h"
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
#define RESCAN_MIN_MS 200
#define TOP_FINDINGS  10

static void usage(FILE *f)
{
    fprintf(f, "usage: lookout observe --for DURATION\n"
               "                       (--namespace NS | --pod-selector K=V[,K=V] | --cgroup PATH"
               " | --all)\n"
               "                       [--agent [NAME=]URL]... [--agent-token-file FILE]"
               " [--discover]\n"
               "                       -o|--output EVIDENCE.jsonl [--fail-on warning|critical]\n"
               "                       [--json] [--config FILE]\n"
               "  --for DURATION     how long to watch: 60s, 5m (required)\n"
               "  --namespace NS     events of pods in this namespace\n"
               "  --pod-selector S   events of the pods with these labels (in NS with\n"
               "                     --namespace), listed from the config's Kubernetes cluster\n"
               "  --cgroup PATH      events of this cgroup and those below it (a path under the\n"
               "                     cgroup2 mount, or relative to it); local kernel only\n"
               "  --all              every event on the node(s)\n"
               "  --agent URL        stream from this node agent instead of the local kernel\n"
               "                     (repeatable; NAME= names the node, default the URL's host)\n"
               "  --agent-token-file FILE  the --agent agents' bearer token\n"
               "  --discover         stream from every node's agent pod (as --agent does; with\n"
               "                     --agent, both), listed once at the start through the\n"
               "                     config's agents.discover and kubernetes; a node whose\n"
               "                     agent pod is not ready counts as not observed\n"
               "  --fail-on SEV      exit 1 on a rule match at or above SEV (default warning)\n"
               "  --json             the summary as one JSON object on stdout\n"
               "exit: 0 clean, 1 findings, 2 usage, 3 could not observe (no privileges or BTF,\n"
               "an agent down during the window, events lost); the local kernel needs root or\n"
               "CAP_BPF+CAP_PERFMON. A heartbeat goes to stderr every 5 s.\n");
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

static bool in_scope(struct observe *ob, struct kevent *k)
{
    if (ob->o->selector)
        return observe_in_pods(ob, k);
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

/* A rule match in scope, for the summary and the verdict. */
static void keep_match(struct observe *ob, const struct kevent *k)
{
    ob->by_sev[k->severity]++;
    if (ob->matched.n >= 100000)
        return;
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

static void on_kevent(struct engine *e, int table, const void *obj, void *ud)
{
    (void)e;
    struct observe *ob = ud;
    if (table != OBS_KEVENT || !obj)
        return;
    struct kevent r = *(const struct kevent *)obj, *k = &r;
    struct remote *from = k->node[0] ? observe_remote_of(ob, k->node) : NULL;
    /* an agent's backlog (also after a reconnect) comes before it syncs */
    if (from && (!ob->open || !observe_remote_streaming(ob, from)))
        return;
    ob->h.seen++;
    if (from && k->kind == KEV_GAP) { /* a loss on that node, whatever the scope */
        from->a.lost += k->lost;
        ob->h.lost += k->lost;
    }
    if (!in_scope(ob, k))
        return;
    ob->by_kind[k->kind]++;
    if (from)
        from->a.events++;
    if (k->kind == KEV_GAP && !from)
        ob->h.lost += k->lost;
    if (k->rule[0])
        keep_match(ob, k);
    /* rule matches are always written: the verdict is made from them */
    if (ob->body.len >= BODY_CAP && !k->rule[0]) {
        ob->h.omitted++;
        return;
    }
    /* argv and paths may carry secrets (a token on a command line) */
    char args[sizeof(r.args)], path[sizeof(r.path)];
    STR_COPY(args, r.args);
    STR_COPY(path, r.path);
    redact_field(r.args, sizeof(r.args), args, strlen(args));
    redact_field(r.path, sizeof(r.path), path, strlen(path));
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
    for (int i = 0; i < ob->nremotes; i++) {
        const struct remote *r = &ob->remotes[i];
        bool up = observe_remote_streaming(ob, r);
        char why[sizeof(r->a.error)]; /* a server's words may be in it */
        ts_sanitize(r->a.error, strlen(r->a.error), why, sizeof(why), false);
        fprintf(stderr, "lookout observe:   agent %s: %s, %llu events in scope, %llu lost%s%s\n",
                r->a.name, up ? "streaming" : "NOT streaming", (unsigned long long)r->a.events,
                (unsigned long long)r->a.lost, up ? "" : ": ", up ? "" : why);
    }
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

/* "node-a, node-b" (the agents) or this host's name. */
static void node_list(const struct observe *ob, char *out, size_t outlen)
{
    size_t len = 0;
    snprintf(out, outlen, "%s", ob->nremotes ? "" : ob->h.node);
    for (int i = 0; i < ob->nremotes && len < outlen; i++) {
        int w = snprintf(out + len, outlen - len, "%s%s", i ? ", " : "", ob->remotes[i].a.name);
        len = w > 0 ? len + (size_t)w : len;
    }
}

static void summary_agents(const struct observe *ob)
{
    for (int i = 0; i < ob->nremotes; i++) {
        const struct evidence_agent *a = &ob->remotes[i].a;
        char safe[sizeof(a->error)];
        ts_sanitize(a->error, strlen(a->error), safe, sizeof(safe), false);
        printf("agent %s (%s): %s, %llu events in scope, %llu lost, %llu ring drops%s%s\n", a->name,
               a->url, a->state, (unsigned long long)a->events, (unsigned long long)a->lost,
               (unsigned long long)a->ring_drops, a->error[0] ? ": " : "", safe);
    }
}

static void summary_text(struct observe *ob, const struct finding *f, int nf, int shown, int rc,
                         const char *reason)
{
    char nodes[512];
    node_list(ob, nodes, sizeof(nodes));
    printf("lookout observe: %s in %s%s%s for %llds on %s: %llu events in scope (%llu seen, "
           "%llu lost, %llu omitted)\n",
           rc == 0   ? "clean"
           : rc == 1 ? "findings"
                     : "cannot tell",
           ob->h.scope_kind, ob->h.scope[0] ? " " : "", ob->h.scope,
           (long long)((ob->h.end_ms - ob->h.start_ms) / 1000), nodes,
           (unsigned long long)(ob->h.events + ob->h.omitted), (unsigned long long)ob->h.seen,
           (unsigned long long)ob->h.lost, (unsigned long long)ob->h.omitted);
    summary_agents(ob);
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
    cJSON *ag = cJSON_AddArrayToObject(o, "agents");
    for (int i = 0; i < ob->nremotes; i++) {
        const struct evidence_agent *a = &ob->remotes[i].a;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", a->name);
        cJSON_AddStringToObject(x, "state", a->state);
        cJSON_AddNumberToObject(x, "events", (double)a->events);
        cJSON_AddNumberToObject(x, "lost", (double)a->lost);
        cJSON_AddNumberToObject(x, "ring_drops", (double)a->ring_drops);
        cJSON_AddStringToObject(x, "error", a->error);
        cJSON_AddItemToArray(ag, x);
    }
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
        observe_remotes_track(ob);
    }
    if (!ks)
        return;
    kernel_source_flush(ks); /* what the ring still holds belongs to the window */
    const struct kstats *k = engine_get(ob->e, T_KSTATS, "kernel");
    if (k)
        ob->h.lost += k->ring_drops;
}

/* Before the window opens: every agent streams or has failed once, and the
 * selected pods are listed; at most START_WAIT_MS. */
static bool settled(struct observe *ob)
{
    const struct kube_reflector *r = &ob->pods.refl;
    if (ob->pods.started && !r->synced && !r->failing && r->phase != KR_FORBIDDEN)
        return false;
    for (int i = 0; i < ob->nremotes; i++) {
        const struct source_info *si = engine_get(ob->e, T_SOURCES, ob->remotes[i].source);
        if (!ob->remotes[i].unready && (!si || si->state == SRC_STARTING))
            return false;
    }
    return true;
}

static void wait_settled(struct observe *ob)
{
    int64_t until = loop_mono_ms() + START_WAIT_MS;
    while (!settled(ob) && !loop_stopped(ob->loop) && loop_mono_ms() < until) {
        loop_run_once(ob->loop, 100);
        engine_advance(ob->e, loop_wall_ms());
    }
}

/* Opens the window: who streams now, which pods are picked. */
static void open_window(struct observe *ob)
{
    ob->open = true;
    ob->started = loop_mono_ms();
    ob->h.start_ms = loop_wall_ms();
    observe_remotes_open(ob);
    ob->pods.dirty = true;
}

/* Starts the kernel source; false with h.error when it cannot observe. */
static bool start_kernel(struct observe *ob, struct source_set *set, struct config *cfg,
                         const struct source_ctx *ctx)
{
    struct kernel_options ko;
    bool enabled = true;
    char err[256];
    if (kernel_options_from_config(cfg, &ko, &enabled, err, sizeof(err)) < 0 || !enabled) {
        snprintf(ob->h.error, sizeof(ob->h.error), "%s",
                 enabled ? err : "kernel events are off in the config (kernel.enabled: false)");
        return false;
    }
    source_add(set, &kernel_source_ops, "kernel", ctx, kernel_source_new(&ko));
    source_start_all(set);
    const struct source_info *si = engine_get(ob->e, T_SOURCES, "kernel");
    if (!si || si->state == SRC_FAILED || si->state == SRC_DISABLED) {
        snprintf(ob->h.error, sizeof(ob->h.error), "kernel source: %s",
                 si && si->error[0] ? si->error : "cannot start");
        return false;
    }
    return true;
}

/* The local kernel or the agents, and the pods when selecting by label;
 * false with h.error when nothing can be observed. */
static bool start_sources(struct observe *ob, struct source_set *set, struct config *cfg)
{
    struct source_ctx ctx = {.engine = ob->e, .loop = ob->loop, .http = ob->http, .config = cfg};
    char err[256];
    if (ob->o->selector && observe_pods_start(ob, cfg, err, sizeof(err)) < 0) {
        snprintf(ob->h.error, sizeof(ob->h.error), "pods: %s", err);
        return false;
    }
    bool remote = ob->o->nagents || ob->o->discover;
    if (remote && observe_remotes_start(ob, set, &ctx, err, sizeof(err)) < 0) {
        snprintf(ob->h.error, sizeof(ob->h.error), "%s", err);
        return false;
    }
    if (remote)
        source_start_all(set);
    else if (!start_kernel(ob, set, cfg, &ctx))
        return false;
    wait_settled(ob);
    const struct kube_reflector *r = &ob->pods.refl;
    if (ob->pods.started && !r->synced) {
        snprintf(ob->h.error, sizeof(ob->h.error), "pods (%s) not listed: %s", ob->o->selector,
                 r->error[0] ? r->error : "no answer from the API server");
        return false;
    }
    fprintf(stderr, "lookout observe: watching %s%s%s for %llds", ob->h.scope_kind,
            ob->h.scope[0] ? " " : "", ob->h.scope, (long long)(ob->o->for_ms / 1000));
    if (ob->pods.started)
        fprintf(stderr, " (%d pods now)", engine_table(ob->e, T_PODS)->count);
    if (ob->nremotes)
        fprintf(stderr, " through %d agent%s", ob->nremotes, ob->nremotes == 1 ? "" : "s");
    if (ob->o->discover)
        fprintf(stderr, " (%d discovered, %d not ready)", ob->discovered, ob->unready);
    fprintf(stderr, "\n");
    return true;
}

static void scope_of(struct observe *ob)
{
    const struct observe_opts *o = ob->o;
    STR_COPY(ob->h.scope_kind, o->selector ? "pods"
                               : o->all    ? "all"
                               : o->ns     ? "namespace"
                                           : "cgroup");
    if (o->selector)
        snprintf(ob->h.scope, sizeof(ob->h.scope), "%s%s%s", o->ns ? o->ns : "", o->ns ? ":" : "",
                 o->selector);
    else
        STR_COPY(ob->h.scope, o->ns ? o->ns : o->cgroup ? o->cgroup : "");
    if (gethostname(ob->h.node, sizeof(ob->h.node) - 1) < 0)
        STR_COPY(ob->h.node, "localhost");
}

static void observe_window(struct observe *ob, struct config *cfg)
{
    engine_observe(ob->e, on_kevent, ob);
    int sfd = loop_stop_on_signals(ob->loop);
    struct source_set set = {0};
    ob->h.start_ms = loop_wall_ms();
    bool ok = start_sources(ob, &set, cfg);
    /* the window opens once the programs are attached (the agents stream,
     * the pods are listed): nothing before is seen */
    open_window(ob);
    if (ok)
        watch(ob, ob->nremotes ? NULL : &set.items[0]);
    else
        fprintf(stderr, "lookout observe: cannot observe: %s\n", ob->h.error);
    ob->h.failed = !ok;
    ob->h.end_ms = loop_wall_ms();
    source_stop_all(&set);
    loop_close_signals(ob->loop, sfd);
    if (ok && ob->nremotes)
        observe_remotes_conclude(ob);
    if (ob->pods.started)
        observe_pods_conclude(ob);
}

static int run(const struct observe_opts *o, struct config *cfg, struct outfile *of)
{
    struct observe *ob = calloc(1, sizeof(*ob));
    struct engine *e = calloc(1, sizeof(*e));
    struct loop *l = loop_new();
    struct http *http = l ? http_new(l) : NULL;
    if (!ob || !e || !l || !http) {
        free(ob);
        free(e);
        if (http)
            http_free(http);
        loop_free(l);
        return 3;
    }
    engine_init(e);
    *ob = (struct observe){.o = o, .loop = l, .e = e, .http = http, .h.fail_on = o->fail_on};
    scope_of(ob);
    engine_advance(e, loop_wall_ms());
    rules_identity(e, cfg, &ob->h);
    char err[256] = "";
    int rc = 2;
    if (o->cgroup && resolve_cgroup(ob, o->cgroup, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout observe: %s\n", err);
    } else {
        observe_window(ob, cfg);
        rc = conclude(ob);
        if (out_commit(of, ob) < 0)
            rc = 3;
    }
    observe_pods_stop(&ob->pods);
    free(ob->matched.ev);
    buf_free(&ob->body);
    free(ob);
    engine_free(e);
    free(e);
    http_free(http);
    loop_free(l);
    return rc;
}

/* The agent's URL is well formed and its node name new. */
static int check_agent_arg(const struct observe_opts *o, const char *arg)
{
    char name[NAME_LEN - 8], other[NAME_LEN - 8];
    const char *url;
    if (observe_agent_name(arg, name, sizeof(name), &url) < 0) {
        fprintf(stderr, "lookout observe: --agent %s: [NAME=]http(s)://HOST:PORT\n", arg);
        return -1;
    }
    for (int i = 0; i < o->nagents; i++)
        if (observe_agent_name(o->agents[i], other, sizeof(other), &url) == 0 &&
            strcmp(name, other) == 0) {
            fprintf(stderr, "lookout observe: --agent: node name '%s' used twice (NAME=URL)\n",
                    name);
            return -1;
        }
    return 0;
}

/* k=v[,k=v]: the terms every API server and the fake one understand. */
static bool selector_ok(const char *s)
{
    char copy[256], *save = NULL;
    if (!str_copy(copy, sizeof(copy), s) || !s[0])
        return false;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t || !eq[1] || strchr(eq + 1, '=') || strchr(t, '!'))
            return false;
    }
    return true;
}

static int parse(int argc, char **argv, struct observe_opts *o)
{
    static const struct option longopts[] = {
        {"for", required_argument, NULL, 'f'},
        {"namespace", required_argument, NULL, 'n'},
        {"cgroup", required_argument, NULL, 'g'},
        {"all", no_argument, NULL, 'a'},
        {"output", required_argument, NULL, 'o'},
        {"fail-on", required_argument, NULL, 'F'},
        {"json", no_argument, NULL, 'j'},
        {"config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {"agent", required_argument, NULL, 'A'},
        {"pod-selector", required_argument, NULL, 'l'},
        {"agent-token-file", required_argument, NULL, 'T'},
        {"discover", no_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
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
        case 'A':
            if (o->nagents == MAX_AGENTS || check_agent_arg(o, optarg) < 0)
                return -1;
            o->agents[o->nagents++] = optarg;
            break;
        case 'l':
            o->selector = optarg;
            break;
        case 'T':
            o->token_file = optarg;
            break;
        case 'D':
            o->discover = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            return -1;
        }
    }
    /* --namespace narrows --pod-selector; otherwise one scope */
    int scopes = (o->ns && !o->selector) + (o->selector != NULL) + (o->cgroup != NULL) + o->all;
    const char *bad = optind < argc ? "unexpected argument"
                      : !o->for_ms  ? "--for DURATION is required"
                      : !o->out     ? "-o EVIDENCE.jsonl is required"
                      : scopes != 1 ? "exactly one of --namespace, --pod-selector, --cgroup, --all"
                      : o->cgroup && (o->nagents || o->discover)
                          ? "--cgroup names a cgroup of this host; with --agent or --discover use "
                            "--namespace, --pod-selector or --all"
                      : o->discover && !o->config
                          ? "--discover needs --config FILE with agents.discover and kubernetes"
                      : o->token_file && !o->nagents ? "--agent-token-file without --agent"
                      : o->selector && !selector_ok(o->selector)
                          ? "--pod-selector: K=V[,K=V] (equality terms only)"
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
    const struct ynode *ag = config_section(&cfg, "agents");
    if (o.discover && !(ag && ag->type == Y_MAP && ymap_get(ag, "discover"))) {
        fprintf(stderr, "lookout observe: --discover: %s has no agents.discover section\n",
                o.config);
        config_free(&cfg);
        return 2;
    }
    struct outfile of = {0};
    int rc = out_open(&of, o.out) < 0 ? 2 : run(&o, &cfg, &of);
    out_abort(&of);
    config_free(&cfg);
    return rc;
}
