/* Pipeline stages: recent pipelines, one row each, stages as coloured cells. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define MAX_ROWS 256

static int by_created_desc(const void *a, const void *b)
{
    const struct pipeline *x = *(const struct pipeline *const *)a;
    const struct pipeline *y = *(const struct pipeline *const *)b;
    if (x->created != y->created)
        return x->created < y->created ? 1 : -1;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

static void row_text(const struct pipeline *p, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s %s %s #%lld %s %s", p->provider, p->project, p->ref, (long long)p->id,
             job_status_names[p->status], p->gate_blocked ? "gate" : "");
}

/* Pipelines passing the filter, newest first. */
static int collect(struct ui *u, struct panel_view *v, const struct pipeline **rows)
{
    struct table *t = engine_table(&u->a->engine, T_PIPELINES);
    int n = 0;
    for (int i = 0; i < t->count && n < MAX_ROWS; i++) {
        const struct pipeline *p = table_row(t, i);
        char text[512];
        row_text(p, text, sizeof text);
        if (ui_filter_pass(v, text))
            rows[n++] = p;
    }
    qsort(rows, (size_t)n, sizeof rows[0], by_created_desc);
    return n;
}

static void failure_ratio(struct ui *u, const struct pipeline *p, char *out, size_t outlen)
{
    char key[128];
    snprintf(key, sizeof key, "%s:%s", p->provider, p->project);
    const struct ci_project *c = engine_get(&u->a->engine, T_CI_PROJECTS, key);
    if (!c || c->window <= 0)
        snprintf(out, outlen, "fail -");
    else
        snprintf(out, outlen, "fail %d/%d", c->failures, c->window);
}

static int64_t duration_ms(struct ui *u, const struct pipeline *p)
{
    if (!isnan(p->duration_s) && p->duration_s > 0)
        return (int64_t)(p->duration_s * 1000);
    int64_t start = p->started ? p->started : p->created;
    if (!start)
        return -1;
    int64_t end = p->finished ? p->finished : engine_now(&u->a->engine);
    return end - start;
}

static void draw_row(struct ui *u, const struct pipeline *p, int y, struct rect r, bool sel)
{
    enum ui_role base = sel ? ROLE_SELECT : ROLE_TEXT;
    ui_fill(u, y, r.x, r.w, base);
    int x = r.x, end = r.x + r.w;
    enum ui_role st = sel ? ROLE_SELECT : ui_job_role(p->status);
    x += ui_text(u, y, x, end - x, st, ui_job_glyph(u, p->status));
    x += 1;
    int name_w = r.w >= 120 ? 34 : r.w >= 80 ? 24 : r.w / 3;
    char name[160];
    snprintf(name, sizeof name, "%s %s", p->project, p->ref);
    ui_text(u, y, x, name_w - 1, base, name);
    x += name_w;
    char idbuf[24];
    snprintf(idbuf, sizeof idbuf, "#%lld", (long long)p->id);
    if (r.w >= 70) {
        ui_text(u, y, x, 8, sel ? base : ROLE_DIM, idbuf);
        x += 8;
    }
    /* Right side: duration and failure ratio, when there is room. */
    char dur[16], fail[24];
    ui_fmt_dur(dur, sizeof dur, duration_ms(u, p));
    failure_ratio(u, p, fail, sizeof fail);
    int right_w = r.w >= 60 ? 26 : 0;
    int stages_w = end - x - right_w;
    if (p->nstages > 0 && stages_w >= 4) {
        int cell = stages_w / p->nstages;
        if (cell > 14)
            cell = 14;
        for (int i = 0; i < p->nstages && x + 2 <= end - right_w; i++) {
            const struct stage *s = &p->stages[i];
            enum ui_role role = ui_job_role(s->status);
            if (s->status == JOB_SUCCESS && s->warning)
                role = ROLE_WARN;
            int w = cell >= 3 ? cell - 1 : 2;
            char label[64];
            snprintf(label, sizeof label, "%s%s", ui_job_glyph(u, s->status), w > 2 ? s->name : "");
            ui_text(u, y, x, w, role, label);
            x += cell >= 3 ? cell : 2;
        }
    } else if (p->nstages == 0) {
        ui_text(u, y, x, stages_w, ROLE_DIM, "no stages yet");
    }
    if (right_w) {
        int rx = end - right_w;
        if (p->gate_blocked)
            ui_text(u, y, rx, 4, ROLE_CRIT, "GATE");
        ui_textf(u, y, rx + 5, 8, sel ? base : ROLE_DIM, "%7s", dur);
        ui_text(u, y, rx + 14, right_w - 14, sel ? base : ROLE_DIM, fail);
    }
}

static void pipeline_draw(struct ui *u, struct panel_view *v, struct rect r)
{
    const struct pipeline *rows[MAX_ROWS];
    int n = collect(u, v, rows);
    v->nrows = n;
    if (n == 0) {
        bool any = engine_table(&u->a->engine, T_PIPELINES)->count > 0;
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_DIM,
                any ? "no pipelines match the filter" : "no pipelines configured");
        return;
    }
    ui_view_clamp(v, r.h);
    for (int i = 0; i < r.h && v->top + i < n; i++) {
        int idx = v->top + i;
        draw_row(u, rows[idx], r.y + i, r, idx == v->sel);
    }
}

static const struct pipeline *selected(struct ui *u, struct panel_view *v)
{
    const struct pipeline *rows[MAX_ROWS];
    int n = collect(u, v, rows);
    return v->sel >= 0 && v->sel < n ? rows[v->sel] : NULL;
}

static bool pipeline_detail(struct ui *u, struct panel_view *v, struct buf *out)
{
    const struct pipeline *p = selected(u, v);
    if (!p)
        return false;
    char dur[16];
    ui_fmt_dur(dur, sizeof dur, duration_ms(u, p));
    buf_printf(out, "Pipeline %s #%lld (%s)\n", p->project, (long long)p->id, p->provider);
    buf_printf(out, "ref %s  sha %.12s  version %s\n", p->ref, p->sha,
               p->version[0] ? p->version : "-");
    buf_printf(out, "status %s%s  duration %s\n", job_status_names[p->status],
               p->warning ? " (with warnings)" : "", dur);
    if (p->gate_blocked)
        buf_printf(out, "deploy gate: BLOCKED: %s\n", p->gate_reason);
    if (p->web_url[0])
        buf_printf(out, "%s\n", p->web_url);
    buf_printf(out, "\nJobs:\n");
    for (int i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        char jd[16] = "-";
        if (j->started)
            ui_fmt_dur(jd, sizeof jd,
                       (j->finished ? j->finished : engine_now(&u->a->engine)) - j->started);
        buf_printf(out, "  %-10s %-24s %-16s %7s%s%s%s%s\n", j->stage, j->name,
                   job_status_names[j->status], jd, j->allow_failure ? " allow-failure" : "",
                   j->is_deploy ? " deploy" : "", j->failure_reason[0] ? " reason: " : "",
                   j->failure_reason);
    }
    if (p->jobs_dropped)
        buf_printf(out, "  (%d more jobs not kept)\n", p->jobs_dropped);
    return true;
}

static bool pipeline_subject(struct ui *u, struct panel_view *v, char *kind, size_t kindlen,
                             char *key, size_t keylen)
{
    const struct pipeline *p = selected(u, v);
    if (!p)
        return false;
    snprintf(kind, kindlen, "pipeline");
    snprintf(key, keylen, "%s", p->key);
    return true;
}

const struct panel_class pipeline_panel = {
    .title = "Pipeline stages",
    .short_title = "Pipelines",
    .dirty_mask = (1u << T_PIPELINES) | (1u << T_CI_PROJECTS),
    .draw = pipeline_draw,
    .detail = pipeline_detail,
    .subject = pipeline_subject,
    .filterable = true,
};
