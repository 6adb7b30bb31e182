/* The Markdown post-mortem (see postmortem.h): the incident's facts and a
 * timeline gathered from the engine's tables, then the copilot's draft, all
 * of it made inert by copilot/markdown.c before it is written. */
#include "copilot/postmortem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copilot/context.h"
#include "copilot/markdown.h"

#define PM_MAX_ENTRIES 200
#define PM_WINDOW_MS   (2 * 60 * 60 * 1000LL) /* what came before the incident */

struct entry {
    int64_t time;
    char kind[24];
    char text[320];
};

struct timeline {
    struct entry *e;
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
    /* the incident's own timeline already holds many of these */
    for (int i = 0; i < t->n; i++)
        if (t->e[i].time == time && strcmp(t->e[i].text, x->text) == 0)
            return;
    t->n++;
}

static int by_time(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time ? 1 : 0;
}

static void collect(struct engine *e, const struct incident *inc, const char *service,
                    struct timeline *t)
{
    int64_t from = inc->opened - PM_WINDOW_MS;
    for (int i = 0; i < inc->ntimeline; i++)
        add(t, inc->timeline[i].time, inc->timeline[i].kind, "%s", inc->timeline[i].text);
    struct table *tb = engine_table(e, T_SLOS);
    for (int i = 0; i < tb->count; i++) {
        const struct slo *s = table_row(tb, i);
        if (strcmp(s->service, service) != 0)
            continue;
        add(t, s->burn_started, "slo", "error budget of %s starts burning", s->name);
        if (s->alert != ALERT_OK)
            add(t, s->alert_since, "alert", "%s alert: %s", s->name, alert_state_names[s->alert]);
    }
    tb = engine_table(e, T_DEPLOYMENTS);
    for (int i = 0; i < tb->count; i++) {
        const struct k8s_deployment *d = table_row(tb, i);
        if (d->changed >= from && strcmp(d->name, service) == 0)
            add(t, d->changed, "deploy", "deployment %s at revision %s (%s), %d/%d ready", d->key,
                d->revision, d->image, d->ready, d->desired);
    }
    tb = engine_table(e, T_PIPELINES);
    for (int i = 0; i < tb->count; i++) {
        const struct pipeline *p = table_row(tb, i);
        for (int j = 0; j < p->njobs; j++) {
            const struct job *jb = &p->jobs[j];
            if (jb->finished >= from && (jb->is_deploy || jb->status == JOB_FAILED))
                add(t, jb->finished, "pipeline", "%s %s job %s %s (%s)", p->project,
                    p->version[0] ? p->version : p->ref, jb->name, job_status_names[jb->status],
                    jb->environment);
        }
    }
    tb = engine_table(e, T_K8S_EVENTS);
    for (int i = 0; i < tb->count; i++) {
        const struct k8s_event *ev = table_row(tb, i);
        if (strcmp(ev->type, "Warning") == 0 && ev->last_seen >= from &&
            strstr(ev->object_name, service))
            add(t, ev->first_seen, "event", "%s %s/%s: %s (x%d)", ev->reason, ev->object_kind,
                ev->object_name, ev->message, ev->count);
    }
    int n = ring_count(&e->kevents);
    for (int i = 0; i < n; i++) {
        const struct kevent *k = ring_at(&e->kevents, i);
        if (k->time >= from && k->rule[0] && k->severity >= SEV_WARNING &&
            (!k->pod[0] || strstr(k->pod, service)))
            add(t, k->time, "kernel", "%s (%s): %s pid %u in %s %s", k->rule,
                severity_names[k->severity], k->comm, k->pid, k->pod[0] ? k->pod : "host", k->path);
    }
    if (inc->closed)
        add(t, inc->closed, "resolved", "incident resolved");
}

/* Every string from the engine's state is untrusted data (names, event
 * messages and evidence come from the cluster, CI and the kernel): each goes
 * through md_data, so it cannot break the table, run HTML or form a link. */
void postmortem_markdown(struct engine *e, const char *incident_id,
                         const struct copilot_answer *ans, struct buf *out)
{
    const struct incident *inc = engine_get(e, T_INCIDENTS, incident_id);
    char iso[32];
    if (!inc) {
        buf_puts(out, "# Post-mortem\n\nNo incident ");
        md_data(incident_id, out);
        buf_puts(out, " in the engine's state.\n");
        return;
    }
    buf_puts(out, "# Post-mortem: ");
    md_data(inc->title, out);
    buf_puts(out, "\n\n- **Incident:** ");
    md_data(inc->id, out);
    copilot_iso_time(inc->opened, iso, sizeof(iso));
    buf_printf(out, " (%s, %s)\n- **Service:** ", severity_names[inc->severity],
               inc->state == INC_OPEN ? "open" : "resolved");
    md_data(inc->service, out);
    buf_printf(out, "\n- **Opened:** %s\n", iso);
    if (inc->closed) {
        copilot_iso_time(inc->closed, iso, sizeof(iso));
        buf_printf(out, "- **Resolved:** %s (%lld min)\n", iso,
                   (long long)((inc->closed - inc->opened) / 60000));
    }
    buf_printf(out, "- **Signals folded in:** %d\n", inc->signals);
    if (inc->simulated)
        buf_puts(out, "- **Data:** simulated (demo)\n");

    struct timeline t = {.e = calloc(PM_MAX_ENTRIES, sizeof(struct entry))};
    if (t.e) {
        collect(e, inc, inc->service, &t);
        if (ans && ans->finished)
            add(&t, ans->finished, "copilot", "%s answered (%s)", ans->backend,
                ans->error[0]     ? ans->error
                : ans->incomplete ? "incomplete"
                                  : "complete");
        qsort(t.e, (size_t)t.n, sizeof(t.e[0]), by_time);
        buf_puts(out, "\n## Timeline (UTC)\n\n| time | kind | what |\n|---|---|---|\n");
        for (int i = 0; i < t.n; i++) {
            copilot_iso_time(t.e[i].time, iso, sizeof(iso));
            buf_printf(out, "| %s | ", iso);
            md_data(t.e[i].kind, out);
            buf_puts(out, " | ");
            md_data(t.e[i].text, out);
            buf_puts(out, " |\n");
        }
        free(t.e);
    }
    if (inc->ncauses) {
        buf_puts(out, "\n## Candidate causes (correlation)\n\n");
        for (int i = 0; i < inc->ncauses; i++) {
            buf_printf(out, "%d. ", i + 1);
            md_data(inc->causes[i].title, out);
            buf_printf(out, " (score %.2f): ", inc->causes[i].score);
            md_data(inc->causes[i].evidence, out);
            buf_puts(out, "\n");
        }
    }
    buf_puts(out, "\n## Copilot draft\n\n");
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
    md_answer(ans->text, out);
}

const struct incident *postmortem_pick_incident(struct engine *e)
{
    struct table *t = engine_table(e, T_INCIDENTS);
    const struct incident *best = NULL;
    for (int i = 0; i < t->count; i++) {
        const struct incident *x = table_row(t, i);
        if (!best) {
            best = x;
            continue;
        }
        int xs = (x->state == INC_OPEN) * 4 + (int)x->severity;
        int bs = (best->state == INC_OPEN) * 4 + (int)best->severity;
        if (xs > bs || (xs == bs && x->opened > best->opened))
            best = x;
    }
    return best;
}

int postmortem_write(struct engine *e, const char *incident_id, const char *path, char *err,
                     size_t errlen)
{
    struct buf md = {0};
    postmortem_markdown(e, incident_id, engine_get(e, T_COPILOT, incident_id), &md);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fwrite(buf_cstr(&md), 1, md.len, f) != md.len) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (f && fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    buf_free(&md);
    return rc;
}
