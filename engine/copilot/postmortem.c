/* The Markdown post-mortem (see postmortem.h): which incident and why, the
 * impact in numbers, one timeline (the incident's own, with the burn start,
 * the page and the copilot's answer), one cause list (the correlator's),
 * then the copilot's summary and next steps. All data is made inert by
 * copilot/markdown.c before it is written. */
#include "copilot/postmortem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copilot/context.h"
#include "copilot/markdown.h"
#include "core/incident.h"
#include "core/source.h"

#define PM_MAX_ENTRIES (INC_TIMELINE + 24)

struct entry {
    int64_t time;
    char kind[24];
    char text[320];
};

struct timeline {
    struct entry e[PM_MAX_ENTRIES];
    int n;
};

static void add(struct timeline *t, int64_t time, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(struct timeline *t, int64_t time, const char *kind, const char *fmt, ...)
{
    if (!time || t->n >= PM_MAX_ENTRIES)
        return;
    struct entry *x = &t->e[t->n];
    x->time = time;
    STR_COPY(x->kind, kind);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->text, sizeof(x->text), fmt, ap);
    va_end(ap);
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->e[i].text, x->text) == 0)
            return;
    t->n++;
}

static int by_time(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time ? 1 : 0;
}

/* "4 min 12 s", "38 s". */
static void span(int64_t ms, char *out, size_t n)
{
    long long s = (long long)((ms < 0 ? -ms : ms) / 1000);
    if (s >= 60)
        snprintf(out, n, "%lld min %lld s", s / 60, s % 60);
    else
        snprintf(out, n, "%lld s", s);
}

/* The end of the incident's story: when it resolved, else the engine's now. */
static int64_t end_of(struct engine *e, const struct incident *inc)
{
    return inc->closed ? inc->closed : engine_now(e);
}

static bool slo_of(const struct incident *inc, const struct slo *s)
{
    return inc->service[0] && strcmp(s->service, inc->service) == 0;
}

/* What could not be seen: a reader must not take a gap for a quiet source. */
static void write_blind(struct engine *e, struct buf *out)
{
    struct buf raw = {0};
    int n = source_not_reporting(e, &raw);
    if (n) {
        buf_printf(out, "- **Not reporting at the end (figures from them may be missing or "
                        "old):** ");
        md_data(buf_cstr(&raw), out);
        buf_puts(out, "\n");
    }
    buf_free(&raw);
}

static void write_facts(struct engine *e, const struct incident *inc, const char *why,
                        struct buf *out)
{
    char iso[32], d[48];
    int64_t start = incident_start(inc), end = end_of(e, inc);
    buf_puts(out, "- **Incident:** ");
    md_data(inc->id, out);
    buf_printf(out, " (%s, %s, rank tier %s)\n", severity_names[inc->severity],
               inc->state == INC_OPEN ? "open" : "resolved",
               incident_tier_names[incident_tier(inc)]);
    if (why && *why) {
        buf_puts(out, "- **Why this incident:** ");
        md_data(why, out);
        buf_puts(out, "\n");
    }
    buf_puts(out, "- **Service:** ");
    md_data(inc->service[0] ? inc->service : "none (host or node)", out);
    copilot_iso_time(start, iso, sizeof(iso));
    buf_printf(out, "\n- **Trouble began (the reference time):** %s\n", iso);
    copilot_iso_time(inc->opened, iso, sizeof(iso));
    buf_printf(out, "- **Incident opened:** %s\n", iso);
    if (inc->paged) {
        copilot_iso_time(inc->paged, iso, sizeof(iso));
        span(inc->paged - start, d, sizeof d);
        buf_printf(out, "- **Paged:** %s (time to detect: %s)\n", iso, d);
    }
    if (inc->closed) {
        copilot_iso_time(inc->closed, iso, sizeof(iso));
        span(inc->closed - start, d, sizeof d);
        buf_printf(out, "- **Resolved:** %s (time to mitigate: %s)\n", iso, d);
    }
    span(end - start, d, sizeof d);
    buf_printf(out, "- **Duration:** %s%s\n", d, inc->closed ? "" : " so far (still open)");
    buf_printf(out, "- **Signals folded in:** %d\n", inc->signals);
    if (inc->simulated)
        buf_puts(out, "- **Data:** simulated (demo)\n");
    write_blind(e, out);
}

/* Remaining budget at time t from the SLO's history (its last point is
 * now); NaN when the history does not resolve t (too far back, or its step
 * is coarser than the distance). */
static double budget_at(const struct slo *s, int64_t now, int64_t t)
{
    if (t >= now)
        return s->budget_remaining;
    if (s->nhistory <= 0 || s->history_step_ms <= 0 || now - t < s->history_step_ms)
        return NAN;
    int64_t back = (now - t) / s->history_step_ms;
    if (back >= s->nhistory)
        return NAN;
    return s->budget_history[s->nhistory - 1 - back];
}

static void write_pair_peaks(const struct slo *s, int64_t now, int64_t start, struct buf *out)
{
    int written = 0;
    for (int k = 0; k < s->npairs && k < SLO_PAIRS; k++) {
        const struct slo_pair *p = &s->pairs[k];
        double peak = NAN;
        for (int i = 0; i < p->nhistory && i < SLO_BURN_HISTORY; i++) {
            int64_t t = now - (int64_t)(p->nhistory - 1 - i) * s->burn_step_ms;
            if (t >= start && isfinite(p->burn_history[i]) && !(p->burn_history[i] <= peak))
                peak = p->burn_history[i];
        }
        if (!isfinite(peak))
            continue;
        buf_printf(out, "%s%s/%s %.1fx", written++ ? ", " : "", p->long_name, p->short_name, peak);
    }
    if (!written)
        buf_puts(out, "no burn data");
}

static void write_impact(struct engine *e, const struct incident *inc, struct buf *out)
{
    struct table *t = engine_table(e, T_SLOS);
    int n = 0;
    int64_t start = incident_start(inc), now = engine_now(e);
    for (int i = 0; i < t->count; i++) {
        const struct slo *s = table_row(t, i);
        if (!slo_of(inc, s))
            continue;
        if (!n++)
            buf_puts(out,
                     "\n## Impact\n\n| SLO | objective | budget left at start | budget left "
                     "at end | consumed | peak burn per window pair |\n|---|---|---|---|---|---|"
                     "\n");
        buf_puts(out, "| ");
        md_data(s->name, out);
        /* The history's step (hours) rarely resolves a start minutes ago:
         * then the budget when the SLO first alerted, which the incident kept. */
        double from = budget_at(s, now, start), to = budget_at(s, now, end_of(e, inc));
        bool at_alert = !isfinite(from) && !strcmp(inc->budget_slo, s->name);
        if (at_alert)
            from = inc->budget_alerted;
        buf_printf(out, " | %.3f%% | ", s->objective * 100);
        if (isfinite(from))
            buf_printf(out, "%.1f%%%s | ", from * 100, at_alert ? " (when it first alerted)" : "");
        else
            buf_puts(out, "unknown | ");
        if (isfinite(to)) /* no data is "unknown", never an exhausted 0% */
            buf_printf(out, "%.1f%% | ", to * 100);
        else
            buf_puts(out, "unknown | ");
        if (isfinite(from) && isfinite(to))
            buf_printf(out, "%.1f points | ", (from - to) * 100);
        else
            buf_puts(out, "unknown | ");
        write_pair_peaks(s, now, start, out);
        buf_puts(out, " |\n");
    }
    if (!n)
        buf_puts(out, "\n## Impact\n\nNo SLO covers this incident's service: no budget figures.\n");
}

static void write_timeline(struct engine *e, const struct incident *inc,
                           const struct copilot_answer *ans, struct buf *out)
{
    struct timeline *t = calloc(1, sizeof(*t));
    if (!t)
        return;
    for (int i = 0; i < inc->ntimeline; i++)
        add(t, inc->timeline[i].time, inc->timeline[i].kind, "%s", inc->timeline[i].text);
    struct table *tb = engine_table(e, T_SLOS);
    for (int i = 0; i < tb->count; i++) {
        const struct slo *s = table_row(tb, i);
        if (slo_of(inc, s) && s->burn_started >= incident_start(inc) - 15 * 60000)
            add(t, s->burn_started, "slo", "error budget of %s starts burning", s->name);
    }
    if (inc->closed)
        add(t, inc->closed, "resolved", "incident resolved");
    if (ans && ans->finished)
        add(t, ans->finished, "copilot", "%s answered%s%s", ans->backend,
            ans->error[0]     ? ": "
            : ans->incomplete ? ", incomplete"
                              : "",
            ans->error);
    qsort(t->e, (size_t)t->n, sizeof(t->e[0]), by_time);
    char iso[32];
    buf_puts(out, "\n## Timeline (UTC)\n\n| time | kind | what |\n|---|---|---|\n");
    for (int i = 0; i < t->n; i++) {
        copilot_iso_time(t->e[i].time, iso, sizeof(iso));
        buf_printf(out, "| %s | ", iso);
        md_data(t->e[i].kind, out);
        buf_puts(out, " | ");
        md_data(t->e[i].text, out);
        buf_puts(out, " |\n");
    }
    free(t);
}

static void write_causes(const struct incident *inc, struct buf *out)
{
    buf_puts(out, "\n## Causes\n\nRanked by the correlator; the score (0 to 1) orders "
                  "hypotheses and is not a probability. Evidence times are measured from the "
                  "reference time.\n\n");
    if (!inc->ncauses)
        buf_puts(out, "No candidate cause: inconclusive.\n");
    for (int i = 0; i < inc->ncauses; i++) {
        const struct cause *c = &inc->causes[i];
        buf_printf(out, "%d. ", i + 1);
        md_data(c->title, out);
        buf_printf(out, " (score %.2f%s)\n", c->score,
                   c->followed ? "; followed the start: a consequence" : "");
        for (const char *l = c->evidence; *l;) {
            const char *nl = strchr(l, '\n');
            size_t len = nl ? (size_t)(nl - l) : strlen(l);
            char line[CAUSE_EVIDENCE];
            snprintf(line, sizeof line, "%.*s", (int)len, l);
            buf_puts(out, "   - ");
            md_data(line, out);
            buf_puts(out, "\n");
            l += len + (nl != NULL);
        }
    }
}

/* The answer without the sections this document already has: its cause
 * list and its draft (a second timeline), and for the offline analysis its
 * evidence, which is the causes' evidence again. One of each, not two. */
static void answer_rest(const char *text, bool offline, struct buf *out)
{
    static const char *const dropped[] = {"## Likely cause", "## Post-mortem draft", "## Evidence"};
    size_t ndropped = offline ? 3 : 2;
    bool keep = true;
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
        if (!strncmp(l, "## ", 3)) {
            keep = true;
            for (size_t k = 0; k < ndropped; k++)
                keep &= strncmp(l, dropped[k], strlen(dropped[k])) != 0;
        }
        if (keep)
            buf_append(out, l, len);
        l += len;
    }
}

static void write_answer(const struct copilot_answer *ans, struct buf *out)
{
    buf_puts(out, "\n## Copilot\n\n");
    if (!ans) {
        buf_puts(out, "_No copilot answer._\n");
        return;
    }
    if (strcmp(ans->backend, "offline analysis") == 0) {
        buf_puts(out, "_Source: offline analysis (Lookout's own rules, no LLM). Commands are for "
                      "a human to review, never run automatically._\n\n");
    } else {
        buf_puts(out, "_Source: ");
        md_data(ans->backend, out);
        if (ans->model[0]) {
            buf_puts(out, ", model ");
            md_data(ans->model, out);
        }
        buf_puts(out, ". AI suggestion, unverified; commands are for a human to review, never "
                      "run automatically._\n\n");
    }
    if (ans->error[0]) {
        buf_puts(out, "> **Copilot error:** ");
        md_data(ans->error, out);
        buf_puts(out, "\n\n");
    }
    if (ans->incomplete)
        buf_puts(out,
                 "> **Incomplete:** the answer stream ended early; what arrived is below.\n\n");
    struct buf rest = {0};
    answer_rest(ans->text, !strcmp(ans->backend, "offline analysis"), &rest);
    md_answer(buf_cstr(&rest), out);
    buf_free(&rest);
}

/* Every string from the engine's state is untrusted data (names, event
 * messages and evidence come from the cluster, CI and the kernel): each goes
 * through md_data, so it cannot break the table, run HTML or form a link. */
void postmortem_markdown(struct engine *e, const char *incident_id, const char *why,
                         const struct copilot_answer *ans, struct buf *out)
{
    const struct incident *inc = engine_get(e, T_INCIDENTS, incident_id);
    if (!inc) {
        buf_puts(out, "# Post-mortem\n\nNo incident ");
        md_data(incident_id, out);
        buf_puts(out, " in the engine's state.\n");
        return;
    }
    buf_puts(out, "# Post-mortem: ");
    md_data(inc->title, out);
    buf_puts(out, "\n\n");
    write_facts(e, inc, why, out);
    write_impact(e, inc, out);
    write_timeline(e, inc, ans, out);
    write_causes(inc, out);
    write_answer(ans, out);
}

/* Creates dir and its parents, private to the user. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            break;
        *p = '/';
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int postmortem_write(struct engine *e, const char *incident_id, const char *why, const char *path,
                     char *err, size_t errlen)
{
    struct buf md = {0};
    postmortem_markdown(e, incident_id, why, engine_get(e, T_COPILOT, incident_id), &md);
    /* 0600: a post-mortem names hosts, pods and processes. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;
    if (fd < 0 || fchmod(fd, 0600) < 0 || write(fd, buf_cstr(&md), md.len) != (ssize_t)md.len) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    buf_free(&md);
    return rc;
}

int postmortem_export(struct engine *e, const char *dir, const char *incident_id, const char *why,
                      char *path, size_t pathlen, char *err, size_t errlen)
{
    if (make_dirs(dir, err, errlen) < 0)
        return -1;
    char abs[PATH_MAX];
    if (!realpath(dir, abs)) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(path, pathlen, "%s/lookout-postmortem-%s.md", abs, incident_id) >=
        pathlen) {
        snprintf(err, errlen, "%s: path too long", abs);
        return -1;
    }
    return postmortem_write(e, incident_id, why, path, err, errlen);
}

void postmortem_default_dir(char *out, size_t n)
{
    const char *st = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (st && *st == '/')
        snprintf(out, n, "%s/lookout", st);
    else if (home && *home)
        snprintf(out, n, "%s/.local/state/lookout", home);
    else
        snprintf(out, n, "/tmp/lookout-%u", (unsigned)getuid());
}
