/* Security verdicts per pipeline: did the build behave once deployed?
 *
 * A `pipelines.security` entry ties a project to evidence: the live kernel
 * view of its deploy's namespace (rule findings since the first deploy job
 * started, until the pipeline finished) and/or evidence files written by
 * `lookout observe` (kernel/evidence.c reads and judges them). The verdict
 * is never "clean" when the view had a hole: the kernel side down, events
 * dropped, or findings pushed out of the engine's hot ring before they could
 * be counted; it is then "unknown". docs/pipelines.md, docs/devsecops.md. */
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "ci/pipeline.h"
#include "kernel/evidence.h"

#define OUTAGES      32
#define DROPS        64
#define KSTAT_ROWS   16
#define EV_CACHE     16
#define TOP_FINDINGS 3

/* A judged evidence file, kept until it changes on disk. */
struct ev_cached {
    char path[PATH_LEN];
    int64_t mtime_ns;
    off_t size;
    enum severity fail_on;
    enum sec_verdict verdict;
    int critical, warning;
    char text[SEC_TEXT];
};

static struct {
    struct sec_watch extra[SEC_WATCHES];
    int nextra;
    /* The kernel view's holes, in engine time: outages (from, to) and drops. */
    bool up;
    int64_t first_up;   /* when the view first came up, 0: never yet */
    int64_t down_since; /* while !up after first_up */
    int64_t outage[OUTAGES][2];
    int noutages;
    int64_t drop[DROPS];
    int ndrops;
    struct {
        char name[NAME_LEN];
        uint64_t ring_drops;
    } kstat[KSTAT_ROWS];
    int nkstat;
    struct ev_cached cache[EV_CACHE];
    int ncache, next_slot;
} sec;

bool pipeline_security_watch(const struct sec_watch *w)
{
    if (sec.nextra >= SEC_WATCHES)
        return false;
    sec.extra[sec.nextra++] = *w;
    return true;
}

static const struct sec_watch *watch_for(const char *project)
{
    const struct pipeline_settings *s = pipeline_settings();
    for (int i = 0; i < s->nsec; i++)
        if (fnmatch(s->sec[i].project, project, 0) == 0)
            return &s->sec[i];
    for (int i = 0; i < sec.nextra; i++)
        if (fnmatch(sec.extra[i].project, project, 0) == 0)
            return &sec.extra[i];
    return NULL;
}

/* ---- what one source of evidence says ---- */
struct verdict {
    enum sec_verdict v;
    int critical, warning;
    struct buf text;
};

static void add_line(struct buf *b, const char *line)
{
    if (b->len)
        buf_append(b, "\n", 1);
    buf_append(b, line, strlen(line));
}

/* Counts by severity and the top findings' lines from matched events. */
static void judge_events(const struct kevent *ev, size_t n, enum severity fail_on,
                         struct verdict *out)
{
    struct finding top[TOP_FINDINGS];
    int all = evidence_findings(ev, n, SEV_WARNING, top, TOP_FINDINGS);
    struct finding one;
    int critical = evidence_findings(ev, n, SEV_CRITICAL, &one, 1);
    out->critical += critical;
    out->warning += all - critical;
    for (int i = 0; i < all && i < TOP_FINDINGS; i++) {
        char what[300], line[SEC_TEXT];
        evidence_what(&top[i].ev, what, sizeof(what));
        snprintf(line, sizeof(line), "%s %s: %s", severity_names[top[i].ev.severity],
                 top[i].ev.rule, what);
        add_line(&out->text, line);
    }
    if (all && top[0].ev.severity >= fail_on)
        out->v = SEC_FINDINGS;
}

/* ---- the live kernel view ---- */
static bool view_source(const struct source_info *s)
{
    return strcmp(s->kind, "kernel") == 0 || strcmp(s->kind, "agent") == 0 ||
           strcmp(s->kind, "demo") == 0; /* the demo simulates the kernel side */
}

/* Up: some kernel-side source delivers and none that should is stale,
 * failed or still starting (one node's agent down leaves its pods unseen).
 * A disabled one (kernel events off by choice) is not a hole. */
static bool view_up(struct engine *e)
{
    struct table *t = engine_table(e, T_SOURCES);
    bool any = false;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (!view_source(s) || s->state == SRC_DISABLED)
            continue;
        if (s->state != SRC_SYNCED && s->state != SRC_PARTIAL)
            return false;
        any = true;
    }
    return any;
}

static void track_view(struct engine *e)
{
    bool up = view_up(e);
    if (up == sec.up)
        return;
    sec.up = up;
    if (up && !sec.first_up) {
        sec.first_up = e->now;
        return;
    }
    if (!up) {
        sec.down_since = e->now;
        return;
    }
    if (sec.noutages == OUTAGES) { /* keep the newest: windows are recent */
        memmove(sec.outage, sec.outage + 1, sizeof(sec.outage[0]) * (OUTAGES - 1));
        sec.noutages--;
    }
    sec.outage[sec.noutages][0] = sec.down_since;
    sec.outage[sec.noutages][1] = e->now;
    sec.noutages++;
}

static void note_drop(int64_t t)
{
    if (sec.ndrops == DROPS) {
        memmove(sec.drop, sec.drop + 1, sizeof(sec.drop[0]) * (DROPS - 1));
        sec.ndrops--;
    }
    sec.drop[sec.ndrops++] = t;
}

/* Why the view of [from, to] is incomplete, or NULL. */
static const char *view_hole(int64_t from, int64_t to)
{
    if (!sec.first_up || from < sec.first_up)
        return "Lookout was not watching when the deploy started";
    if (!sec.up && sec.down_since <= to)
        return "the kernel view is down";
    for (int i = 0; i < sec.noutages; i++)
        if (sec.outage[i][0] <= to && sec.outage[i][1] >= from)
            return "the kernel view was down during the window";
    for (int i = 0; i < sec.ndrops; i++)
        if (sec.drop[i] >= from && sec.drop[i] <= to)
            return "kernel events were dropped during the window";
    return NULL;
}

static bool in_namespace(const struct kevent *k, const char *ns)
{
    size_t n = strlen(ns);
    return strncmp(k->pod, ns, n) == 0 && k->pod[n] == '/';
}

/* When the first deploy job started; 0: nothing deployed yet. */
static int64_t deploy_started(const struct pipeline *p)
{
    int64_t t = 0;
    for (int i = 0; i < p->njobs; i++)
        if (p->jobs[i].is_deploy && p->jobs[i].started && (!t || p->jobs[i].started < t))
            t = p->jobs[i].started;
    return t;
}

static void judge_view(struct engine *e, const struct pipeline *p, const struct sec_watch *w,
                       struct verdict *out)
{
    int64_t from = deploy_started(p), to = p->finished ? p->finished : e->now;
    struct ring *hot = &e->kevents_hot;
    int n = ring_count(hot);
    struct kevent *match = calloc((size_t)n + 1, sizeof(*match));
    size_t nm = 0;
    for (int i = 0; match && i < n; i++) {
        const struct kevent *k = ring_at(hot, i);
        if (k->time >= from && k->time <= to && k->rule[0] && kevent_may_correlate(k) &&
            in_namespace(k, w->namespace))
            match[nm++] = *k;
    }
    judge_events(match, nm, w->fail_on, out);
    free(match);
    if (out->v == SEC_FINDINGS)
        return; /* a finding stands whatever was missed beside it */
    const char *hole = view_hole(from, to);
    /* The hot ring forgot findings of the window: cannot tell they were none. */
    if (!hole && hot->evicted && n && ((const struct kevent *)ring_at(hot, 0))->time > from)
        hole = "findings of the window were pushed out of memory";
    if (!hole && !match)
        hole = "out of memory";
    if (hole) {
        out->v = SEC_UNKNOWN;
        add_line(&out->text, hole);
    }
}

/* ---- evidence files ---- */
static void judge_file(const char *path, enum severity fail_on, struct ev_cached *c)
{
    struct evidence ev = {0};
    char err[SEC_TEXT], reason[SEC_TEXT];
    c->critical = c->warning = 0;
    c->text[0] = 0;
    if (evidence_read(path, &ev, err, sizeof(err)) < 0) {
        c->verdict = SEC_UNKNOWN;
        STR_COPY(c->text, err);
        return;
    }
    struct verdict v = {.v = SEC_CLEAN};
    judge_events(ev.ev, ev.n, fail_on, &v);
    enum evidence_verdict j = evidence_judge(&ev, fail_on, reason, sizeof(reason));
    c->verdict = j == EVIDENCE_BLOCK ? SEC_FINDINGS : j == EVIDENCE_UNKNOWN ? SEC_UNKNOWN : v.v;
    c->critical = v.critical;
    c->warning = v.warning;
    if (j == EVIDENCE_UNKNOWN)
        add_line(&v.text, reason);
    snprintf(c->text, sizeof(c->text), "%.*s", (int)v.text.len, v.text.data ? v.text.data : "");
    buf_free(&v.text);
    evidence_free(&ev);
}

static const struct ev_cached *judged(const char *path, enum severity fail_on)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return NULL;
    int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    for (int i = 0; i < sec.ncache; i++) {
        struct ev_cached *c = &sec.cache[i];
        if (strcmp(c->path, path) == 0 && c->mtime_ns == mt && c->size == st.st_size &&
            c->fail_on == fail_on)
            return c;
    }
    struct ev_cached *c = &sec.cache[sec.next_slot];
    sec.next_slot = (sec.next_slot + 1) % EV_CACHE;
    if (sec.ncache < EV_CACHE)
        sec.ncache++;
    STR_COPY(c->path, path);
    c->mtime_ns = mt;
    c->size = st.st_size;
    c->fail_on = fail_on;
    judge_file(path, fail_on, c);
    return c;
}

/* The watch's pattern with {id} replaced by the pipeline id. */
static void expand(const char *pat, int64_t id, char *out, size_t outlen)
{
    const char *at = strstr(pat, "{id}");
    if (!at)
        snprintf(out, outlen, "%s", pat);
    else
        snprintf(out, outlen, "%.*s%lld%s", (int)(at - pat), pat, (long long)id, at + 4);
}

static int judge_evidence(const struct pipeline *p, const struct sec_watch *w, struct verdict *out)
{
    char pat[PATH_LEN + 24];
    expand(w->evidence, p->id, pat, sizeof(pat));
    glob_t g;
    if (glob(pat, 0, NULL, &g) != 0)
        return 0;
    int files = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const struct ev_cached *c = judged(g.gl_pathv[i], w->fail_on);
        if (!c)
            continue;
        files++;
        out->critical += c->critical;
        out->warning += c->warning;
        if (c->text[0])
            add_line(&out->text, c->text);
        if (c->verdict == SEC_FINDINGS || (c->verdict == SEC_UNKNOWN && out->v != SEC_FINDINGS))
            out->v = c->verdict;
    }
    globfree(&g);
    return files;
}

void pipeline_security_apply(struct engine *e, struct pipeline *p)
{
    const struct sec_watch *w = watch_for(p->project);
    p->sec = SEC_NONE;
    p->sec_critical = p->sec_warning = 0;
    p->sec_scope[0] = p->sec_text[0] = 0;
    if (!w)
        return;
    struct verdict view = {.v = SEC_CLEAN}, files = {.v = SEC_CLEAN};
    bool have_view = w->namespace[0] && deploy_started(p);
    /* A window that closed before Lookout watched anything: nothing attached. */
    if (have_view && p->finished && (!sec.first_up || p->finished < sec.first_up))
        have_view = false;
    if (have_view)
        judge_view(e, p, w, &view);
    int nfiles = w->evidence[0] ? judge_evidence(p, w, &files) : 0;
    if (have_view || nfiles) {
        enum sec_verdict a = have_view ? view.v : SEC_CLEAN, b = nfiles ? files.v : SEC_CLEAN;
        p->sec = a == SEC_FINDINGS || b == SEC_FINDINGS ? SEC_FINDINGS
                 : a == SEC_UNKNOWN || b == SEC_UNKNOWN ? SEC_UNKNOWN
                                                        : SEC_CLEAN;
        p->sec_critical = view.critical + files.critical;
        p->sec_warning = view.warning + files.warning;
        snprintf(p->sec_scope, sizeof(p->sec_scope), "%s%s%s%s", have_view ? "namespace " : "",
                 have_view ? w->namespace : "", have_view && nfiles ? " + " : "",
                 nfiles == 1 ? "1 evidence file"
                 : nfiles    ? "evidence files"
                             : "");
        if (view.text.len && files.text.len)
            buf_append(&view.text, "\n", 1);
        buf_append(&view.text, files.text.data ? files.text.data : "", files.text.len);
        snprintf(p->sec_text, sizeof(p->sec_text), "%.*s", (int)view.text.len,
                 view.text.data ? view.text.data : "");
    }
    buf_free(&view.text);
    buf_free(&files.text);
}

/* ---- keeping verdicts current ---- */
/* Re-judges the watched pipelines whose window reaches t. */
static void rejudge(struct engine *e, int64_t t)
{
    if (!pipeline_settings()->nsec && !sec.nextra)
        return;
    struct table *tb = engine_table(e, T_PIPELINES);
    struct pipeline *p = malloc(sizeof(*p));
    if (!p)
        return;
    for (int i = 0; i < tb->count; i++) {
        const struct pipeline *row = table_row(tb, i);
        if ((row->finished && row->finished < t) || !deploy_started(row) ||
            !watch_for(row->project))
            continue;
        memcpy(p, row, sizeof(*p));
        pipeline_post(e, p); /* skips the upsert when nothing changed */
    }
    free(p);
}

static void kstat_drops(struct engine *e, const struct kstats *k)
{
    int i = 0;
    while (i < sec.nkstat && strcmp(sec.kstat[i].name, k->name) != 0)
        i++;
    if (i == sec.nkstat) {
        if (sec.nkstat == KSTAT_ROWS)
            return;
        sec.nkstat++;
        STR_COPY(sec.kstat[i].name, k->name);
        sec.kstat[i].ring_drops = k->ring_drops;
        return; /* drops before the first look belong to no window we judge */
    }
    if (k->ring_drops > sec.kstat[i].ring_drops) {
        note_drop(e->now);
        rejudge(e, e->now);
    }
    sec.kstat[i].ring_drops = k->ring_drops;
}

static void on_change(struct engine *e, int table, const void *obj, void *ud)
{
    (void)ud;
    if (e->replaying)
        return; /* the record carries the verdicts */
    if (table == T_SOURCES) {
        bool was = sec.up;
        track_view(e);
        if (was != sec.up)
            rejudge(e, e->now);
    } else if (table == T_KSTATS && obj) {
        kstat_drops(e, obj);
    } else if (table == OBS_KEVENT) {
        const struct kevent *k = obj;
        if (!kevent_may_correlate(k))
            return;
        if (k->kind == KEV_GAP)
            note_drop(k->time);
        if (k->kind == KEV_GAP || (k->rule[0] && k->severity >= SEV_WARNING))
            rejudge(e, k->time);
    }
}

void pipeline_security_attach(struct engine *e)
{
    for (int i = 0; i < e->nobservers; i++)
        if (e->observers[i].fn == on_change)
            return;
    /* A new engine: what the last one saw of its kernel view is not ours. */
    sec.up = false;
    sec.first_up = sec.down_since = 0;
    sec.noutages = sec.ndrops = sec.nkstat = 0;
    track_view(e);
    engine_observe(e, on_change, NULL);
}
