/* Pipeline stages: recent pipelines grouped by project, newest project
 * first. A project header row carries the figures that belong to the
 * project (failure ratio, median duration) once; each pipeline row has its
 * age and its stages as cells sized to the width, so a wide panel shows
 * whole stage names and a narrow one cuts the longest names first. A
 * pipeline with a security verdict (ci/security.c) ends its stage cells
 * with `sec ✓`, `sec ✗ 1 critical` or `sec ?`, taken from its own stage
 * room so the cell outlives stage names at any width. A gate line on top
 * says which SLO blocks which deploys. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define MAX_ROWS   256
#define MAX_LINES  (2 * MAX_ROWS)
#define NAME_MAX_W 20 /* the ref/version column at most */
#define GATE_MIN_H 6  /* body rows below which the header's gate badge says it alone */

/* One line of the list: a project header (p is its newest pipeline) or a pipeline. */
struct line {
    const struct pipeline *p;
    bool header;
};

/* A row's stage cell widths (glyph included), and the gap between cells. */
struct cells_fit {
    int cell[PIPE_STAGES];
    int gap;
    int ncells; /* cells that fit */
};

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
    /* "sec-findings": `/sec-f` lists the pipelines a security check holds */
    snprintf(out, outlen, "%s %s %s #%lld %s %s %s%s", p->provider, p->project, p->ref,
             (long long)p->id, job_status_names[p->status], p->gate_blocked ? "gate" : "",
             p->sec != SEC_NONE ? "sec-" : "", p->sec != SEC_NONE ? sec_verdict_names[p->sec] : "");
}

static bool same_project(const struct pipeline *a, const struct pipeline *b)
{
    return strcmp(a->provider, b->provider) == 0 && strcmp(a->project, b->project) == 0;
}

/* Pipelines passing the filter as lines: each project's header, then its
 * pipelines newest first; projects in the order of their newest pipeline. */
static int collect(struct ui *u, struct panel_view *v, struct line *lines)
{
    struct table *t = engine_table(&u->a->engine, T_PIPELINES);
    static const struct pipeline *rows[MAX_ROWS];
    static bool taken[MAX_ROWS];
    int n = 0;
    for (int i = 0; i < t->count && n < MAX_ROWS; i++) {
        const struct pipeline *p = table_row(t, i);
        char text[512];
        row_text(p, text, sizeof text);
        if (ui_filter_pass(v, text))
            rows[n++] = p;
    }
    qsort(rows, (size_t)n, sizeof rows[0], by_created_desc);
    memset(taken, 0, sizeof taken);
    int nl = 0;
    for (int i = 0; i < n; i++) {
        if (taken[i])
            continue;
        lines[nl++] = (struct line){rows[i], true};
        for (int j = i; j < n; j++)
            if (!taken[j] && same_project(rows[i], rows[j])) {
                taken[j] = true;
                lines[nl++] = (struct line){rows[j], false};
            }
    }
    return nl;
}

static const struct ci_project *project_of(struct ui *u, const struct pipeline *p)
{
    char key[128];
    snprintf(key, sizeof key, "%s:%s", p->provider, p->project);
    return engine_get(&u->a->engine, T_CI_PROJECTS, key);
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

/* A stage that passed only because an allowed-to-fail job failed gets its
 * own glyph: amber alone is lost on 8 colours and in monochrome. */
static const char *stage_glyph(struct ui *u, const struct stage *s)
{
    if (s->status == JOB_SUCCESS && s->warning)
        return u->utf8 && !u->console ? "⚠" : "!";
    return ui_job_glyph(u, s->status);
}

static enum ui_role stage_role(const struct stage *s)
{
    return s->status == JOB_SUCCESS && s->warning ? ROLE_WARN : ui_job_role(s->status);
}

static int name_cells(struct ui *u, const char *s)
{
    char tmp[160];
    return ui_clip(u, s, 60, tmp, sizeof tmp);
}

/* A pipeline's stage cells in w cells: whole names when they fit; else the
 * longest names are cut first, down to a common cap; then glyphs alone,
 * then as many cells as fit. Each row is fitted on its own, so a run with
 * five stages keeps whole names beside one with seven; runs with the same
 * stages get the same cells, so they line up. */
static void fit_stages(struct ui *u, const struct pipeline *p, int w, struct cells_fit *out)
{
    int n = p->nstages < PIPE_STAGES ? p->nstages : PIPE_STAGES;
    memset(out, 0, sizeof *out);
    for (int k = 0; k < n; k++)
        out->cell[k] = 1 + name_cells(u, p->stages[k].name);
    out->gap = 1;
    out->ncells = n;
    int cap = 0;
    for (int k = 0; k < n; k++)
        cap = out->cell[k] > cap ? out->cell[k] : cap;
    for (; cap >= 2; cap--) {
        int sum = n - 1;
        for (int k = 0; k < n; k++)
            sum += out->cell[k] < cap ? out->cell[k] : cap;
        if (sum <= w)
            break;
    }
    if (cap >= 2) {
        for (int k = 0; k < n; k++)
            out->cell[k] = out->cell[k] < cap ? out->cell[k] : cap;
        return;
    }
    /* Glyphs only: with gaps when they fit, else packed, else what fits. */
    out->gap = 2 * n - 1 <= w ? 1 : 0;
    out->ncells = out->gap ? n : (w < n ? w : n);
    for (int k = 0; k < n; k++)
        out->cell[k] = 1;
}

/* Column widths shared by every row. */
struct cols {
    int name, id, age, dur, gate, stages;
};

static struct cols figure_cols(struct ui *u, const struct line *lines, int nl, int w)
{
    struct cols c = {.age = 4};
    bool any_gate = false;
    for (int i = 0; i < nl; i++) {
        if (lines[i].header)
            continue;
        int nw = name_cells(u, lines[i].p->ref);
        c.name = nw > c.name ? nw : c.name;
        char id[24];
        int iw = snprintf(id, sizeof id, "#%lld", (long long)lines[i].p->id);
        c.id = iw > c.id ? iw : c.id;
        any_gate |= lines[i].p->gate_blocked;
    }
    int name_max = w / 5 < NAME_MAX_W ? w / 5 : NAME_MAX_W;
    c.name = c.name > name_max ? name_max : c.name;
    if (w < 70)
        c.id = 0;
    c.dur = w >= 60 ? 7 : 0;
    c.gate = any_gate && w >= 50 ? 5 : 0;
    /* glyph+space, name+space, id+space, age+space, stages, space+dur, space+gate */
    c.stages = w - 2 - (c.name + 1) - (c.id ? c.id + 1 : 0) - (c.age + 1) -
               (c.dur ? c.dur + 1 : 0) - (c.gate ? c.gate + 1 : 0);
    if (c.stages < 1)
        c.stages = 1;
    return c;
}

static void draw_header(struct ui *u, const struct pipeline *p, int y, struct rect r, bool sel)
{
    enum ui_role base = sel ? ROLE_SELECT : ROLE_ACCENT;
    ui_fill(u, y, r.x, r.w, base);
    int x = r.x, end = r.x + r.w;
    x += ui_textf(u, y, x, end - x, base, "%s ", p->project);
    const struct ci_project *c = project_of(u, p);
    char fail[64] = "fail - (none finished)";
    if (c && c->window > 0)
        snprintf(fail, sizeof fail, "fail %d/%d last %d", c->failures, c->window, c->window);
    enum ui_role fr = sel ? base : c && c->failures > 0 ? ROLE_WARN : ROLE_DIM;
    x += ui_text(u, y, x, end - x, fr, fail);
    char more[160] = "", med[16];
    size_t o = 0;
    if (c && !isnan(c->median_duration_s)) {
        ui_fmt_dur(med, sizeof med, (int64_t)(c->median_duration_s * 1000));
        o += (size_t)snprintf(more + o, sizeof more - o, "  median %s", med);
    }
    if (c && c->active)
        o += (size_t)snprintf(more + o, sizeof more - o, "  %d running", c->active);
    snprintf(more + o, sizeof more - o, "  %s", p->provider);
    ui_text(u, y, x, end - x, sel ? base : ROLE_DIM, more);
}

static void draw_stages(struct ui *u, const struct pipeline *p, int y, int x, int w,
                        const struct cells_fit *g)
{
    if (p->nstages == 0) {
        ui_text(u, y, x, w, ROLE_DIM, "no stages yet");
        return;
    }
    int end = x + w;
    for (int k = 0; k < p->nstages && k < g->ncells && x < end; k++) {
        const struct stage *s = &p->stages[k];
        int cw = g->cell[k] < end - x ? g->cell[k] : end - x;
        char label[96];
        snprintf(label, sizeof label, "%s%s", stage_glyph(u, s), cw > 1 ? s->name : "");
        ui_text(u, y, x, cw, stage_role(s), label);
        x += g->cell[k] + g->gap;
    }
}

/* The security cell, the longest form that leaves the stages their
 * glyphs in w cells; its width in cells, 0 when there is no verdict. */
static int sec_cell(struct ui *u, const struct pipeline *p, int w, char *out, size_t outlen)
{
    out[0] = 0;
    if (p->sec == SEC_NONE)
        return 0;
    const char *glyph = p->sec == SEC_CLEAN      ? ui_job_glyph(u, JOB_SUCCESS)
                        : p->sec == SEC_FINDINGS ? ui_job_glyph(u, JOB_FAILED)
                                                 : "?";
    bool crit = p->sec_critical > 0;
    int n = crit ? p->sec_critical : p->sec_warning;
    char forms[3][48];
    snprintf(forms[0], sizeof forms[0], "sec %s", glyph);
    snprintf(forms[1], sizeof forms[1], "sec %s", glyph);
    snprintf(forms[2], sizeof forms[2], "%s", glyph);
    if (p->sec == SEC_FINDINGS) {
        snprintf(forms[0], sizeof forms[0], "sec %s %d %s", glyph, n,
                 crit ? "critical" : "warning");
        snprintf(forms[1], sizeof forms[1], "sec %s %d %s", glyph, n, crit ? "crit" : "warn");
        snprintf(forms[2], sizeof forms[2], "%s%d", glyph, n);
    }
    int stages_min = p->nstages > 0 ? 2 * p->nstages - 1 : 1;
    for (int f = 0; f < 3; f++) {
        char tmp[64];
        int cw = ui_clip(u, forms[f], 40, tmp, sizeof tmp);
        if (f == 2 || w - cw - 1 >= stages_min) {
            snprintf(out, outlen, "%s", forms[f]);
            return cw < w ? cw : w;
        }
    }
    return 0;
}

static enum ui_role sec_role(const struct pipeline *p)
{
    return p->sec == SEC_CLEAN ? ROLE_OK : p->sec == SEC_FINDINGS ? ROLE_CRIT : ROLE_WARN;
}

static void draw_row(struct ui *u, const struct pipeline *p, int y, struct rect r, bool sel,
                     const struct cols *c, const struct cells_fit *g)
{
    char sec[64];
    int secw = sec_cell(u, p, c->stages, sec, sizeof sec);
    enum ui_role base = sel ? ROLE_SELECT : ROLE_TEXT, dim = sel ? ROLE_SELECT : ROLE_DIM;
    ui_fill(u, y, r.x, r.w, base);
    int x = r.x, end = r.x + r.w;
    const char *glyph = p->status == JOB_SUCCESS && p->warning
                            ? (u->utf8 && !u->console ? "⚠" : "!")
                            : ui_job_glyph(u, p->status);
    enum ui_role st = sel                                      ? ROLE_SELECT
                      : p->status == JOB_SUCCESS && p->warning ? ROLE_WARN
                                                               : ui_job_role(p->status);
    ui_text(u, y, x, 1, st, glyph);
    x += 2;
    ui_text(u, y, x, c->name, base, p->ref);
    x += c->name + 1;
    if (c->id) {
        ui_textf(u, y, x, c->id, dim, "#%lld", (long long)p->id);
        x += c->id + 1;
    }
    char age[16];
    ui_fmt_age(age, sizeof age, p->created ? engine_now(&u->a->engine) - p->created : -1);
    ui_textf(u, y, x, c->age, dim, "%*s", c->age, age);
    x += c->age + 1;
    draw_stages(u, p, y, x, secw ? c->stages - secw - 1 : c->stages, g);
    if (secw)
        ui_text(u, y, x + c->stages - secw, secw, sel ? base : sec_role(p), sec);
    x += c->stages;
    if (c->dur) {
        char dur[16];
        ui_fmt_dur(dur, sizeof dur, duration_ms(u, p));
        ui_textf(u, y, x + 1, c->dur, dim, "%*s", c->dur, dur);
        x += c->dur + 1;
    }
    if (c->gate && p->gate_blocked)
        ui_text(u, y, x + 1, end - x - 1, sel ? base : ROLE_CRIT, "GATE");
}

/* The deploys a closed gate holds back, "job (project #id)" each. */
static void blocked_deploys(struct ui *u, char *out, size_t outlen)
{
    struct table *t = engine_table(&u->a->engine, T_PIPELINES);
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < t->count && o + 1 < outlen; i++) {
        const struct pipeline *p = table_row(t, i);
        for (int j = 0; p->gate_blocked && j < p->njobs && o + 1 < outlen; j++)
            if (p->jobs[j].is_deploy && p->jobs[j].status == JOB_BLOCKED)
                o += (size_t)snprintf(out + o, outlen - o, "%s%s (%s #%lld)", o ? ", " : "",
                                      p->jobs[j].name, p->project, (long long)p->id);
    }
}

/* Why the gate is what it is: the SLOs that close it and the state they are in. */
static void closing_slos(struct ui *u, enum gate_state want, char *out, size_t outlen)
{
    static const char *const word[] = {[ALERT_OK] = "out of budget",
                                       [ALERT_TICKET] = "ticketing",
                                       [ALERT_PAGE] = "paging",
                                       [ALERT_NODATA] = "has no data",
                                       [ALERT_BURNING] = "burning"};
    struct table *t = engine_table(&u->a->engine, T_SLOS);
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < t->count && o + 1 < outlen; i++) {
        const struct slo *s = table_row(t, i);
        if (s->gate != want)
            continue;
        const char *w = s->alert >= ALERT_OK && s->alert <= ALERT_BURNING ? word[s->alert] : "";
        o += (size_t)snprintf(out + o, outlen - o, "%s%s %s", o ? ", " : "", s->name, w);
    }
}

static void draw_gate_line(struct ui *u, const struct summary *sm, int y, struct rect r)
{
    char slos[256], deploys[512], text[900];
    enum ui_role role = ROLE_OK;
    if (sm->gate == GATE_STATE_CLOSED) {
        closing_slos(u, GATE_STATE_CLOSED, slos, sizeof slos);
        blocked_deploys(u, deploys, sizeof deploys);
        snprintf(text, sizeof text, "gate CLOSED: %s %s", slos[0] ? slos : sm->gate_reason,
                 deploys[0] ? "blocks" : "; no deploy waiting");
        if (deploys[0])
            snprintf(text + strlen(text), sizeof text - strlen(text), " %s", deploys);
        role = ROLE_CRIT;
    } else if (sm->gate == GATE_STATE_UNKNOWN) {
        closing_slos(u, GATE_STATE_UNKNOWN, slos, sizeof slos);
        snprintf(text, sizeof text, "gate UNKNOWN: %s; deploys are not judged",
                 slos[0] ? slos : sm->gate_reason);
        role = ROLE_WARN;
    } else {
        snprintf(text, sizeof text, "gate OPEN: no SLO holds deploys back");
    }
    ui_fill(u, y, r.x, r.w, ROLE_TEXT);
    ui_text(u, y, r.x, r.w, role, text);
}

/* The glyphs, on a spare last row. */
static void draw_legend(struct ui *u, int y, struct rect r)
{
    bool uni = u->utf8 && !u->console;
    char text[256];
    snprintf(text, sizeof text,
             "%s passed  %s allowed failure  %s failed  %s running  %s waiting  %s manual  %s "
             "blocked by gate  %s skipped",
             ui_job_glyph(u, JOB_SUCCESS), uni ? "⚠" : "!", ui_job_glyph(u, JOB_FAILED),
             ui_job_glyph(u, JOB_RUNNING), ui_job_glyph(u, JOB_PENDING),
             ui_job_glyph(u, JOB_MANUAL), ui_job_glyph(u, JOB_BLOCKED),
             ui_job_glyph(u, JOB_SKIPPED));
    ui_text(u, y, r.x, r.w, ROLE_DIM, text);
}

/* Why there is no pipeline to show: none configured, a CI source not
 * answering (said with its error: "no pipelines configured" would send the
 * reader to the config), one still starting, or the filter. */
static void draw_empty(struct ui *u, struct rect r)
{
    if (engine_table(&u->a->engine, T_PIPELINES)->count > 0) {
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_DIM, "no pipelines match the filter");
        return;
    }
    struct table *t = engine_table(&u->a->engine, T_SOURCES);
    const struct source_info *blind = NULL, *starting = NULL;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (strcmp(s->kind, "gitlab") != 0 && strcmp(s->kind, "github") != 0)
            continue;
        if (ui_source_blind(s))
            blind = blind ? blind : s;
        else if (s->state == SRC_STARTING)
            starting = starting ? starting : s;
    }
    if (blind)
        ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_WARN, "no pipelines yet: %s %s%s%s", blind->name,
                 source_state_names[blind->state], blind->error[0] ? ": " : "", blind->error);
    else if (starting)
        ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_DIM, "waiting for %s's first answer",
                 starting->name);
    else
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_DIM, "no pipelines configured");
}

static void pipeline_draw(struct ui *u, struct panel_view *v, struct rect r)
{
    static struct line lines[MAX_LINES];
    int nl = collect(u, v, lines);
    v->nrows = nl;
    if (nl == 0) {
        draw_empty(u, r);
        return;
    }
    const struct summary *sm = engine_get(&u->a->engine, T_SUMMARY, "summary");
    if (sm && sm->gate != GATE_STATE_NONE && r.h >= GATE_MIN_H) {
        draw_gate_line(u, sm, r.y, r);
        r.y++;
        r.h--;
        v->row_y0 = r.y;
    }
    bool legend = r.h - nl >= 2;
    ui_view_clamp(v, r.h);
    struct cols c = figure_cols(u, lines, nl, r.w);
    for (int i = 0; i < r.h && v->top + i < nl; i++) {
        const struct line *l = &lines[v->top + i];
        if (l->header) {
            draw_header(u, l->p, r.y + i, r, v->top + i == v->sel);
            continue;
        }
        struct cells_fit g;
        char sec[64];
        int secw = sec_cell(u, l->p, c.stages, sec, sizeof sec);
        fit_stages(u, l->p, secw ? c.stages - secw - 1 : c.stages, &g);
        draw_row(u, l->p, r.y + i, r, v->top + i == v->sel, &c, &g);
    }
    if (legend)
        draw_legend(u, r.y + r.h - 1, r);
}

static const struct line *selected(struct ui *u, struct panel_view *v)
{
    static struct line lines[MAX_LINES];
    int n = collect(u, v, lines);
    return v->sel >= 0 && v->sel < n ? &lines[v->sel] : NULL;
}

static void project_detail(struct ui *u, const struct pipeline *p, struct buf *out)
{
    const struct ci_project *c = project_of(u, p);
    buf_printf(out, "Project %s (%s)\n", p->project, p->provider);
    if (!c) {
        buf_printf(out, "no figures yet\n");
        return;
    }
    if (c->window > 0)
        buf_printf(out, "failed %d of the last %d finished pipelines (%.0f%%)\n", c->failures,
                   c->window, c->failure_ratio * 100);
    else
        buf_printf(out, "no finished pipelines yet\n");
    char d[16];
    if (!isnan(c->median_duration_s)) {
        ui_fmt_dur(d, sizeof d, (int64_t)(c->median_duration_s * 1000));
        buf_printf(out, "median duration %s\n", d);
    }
    /* running_stage is the first active or blocked stage: a deploy waiting
     * on the gate is in it, not running it */
    buf_printf(out, "active pipelines %d%s%s\n", c->active,
               c->running_stage[0] ? ", current stage " : "", c->running_stage);
    if (c->last_deploy) {
        ui_fmt_age(d, sizeof d, engine_now(&u->a->engine) - c->last_deploy);
        buf_printf(out, "last deploy %s ago: %s to %s, version %s (pipeline #%lld, %s)\n", d,
                   c->last_deploy_job, c->last_deploy_env, c->last_deploy_version,
                   (long long)c->last_deploy_pipeline, job_status_names[c->last_deploy_status]);
    }
    if (c->gate_blocked)
        buf_printf(out, "pipelines waiting on the deploy gate: %d\n", c->gate_blocked);
}

/* The verdict and its findings, one a line (the detail sanitises them). */
static void security_detail(const struct pipeline *p, struct buf *out)
{
    static const char *const word[] = {[SEC_NONE] = "",
                                       [SEC_CLEAN] = "clean",
                                       [SEC_FINDINGS] = "FINDINGS",
                                       [SEC_UNKNOWN] = "UNKNOWN"};
    if (p->sec == SEC_NONE)
        return;
    buf_printf(out, "security: %s (%s): %d critical, %d warning\n", word[p->sec], p->sec_scope,
               p->sec_critical, p->sec_warning);
    for (const char *l = p->sec_text; *l;) {
        size_t n = strcspn(l, "\n");
        buf_printf(out, "  %.*s\n", (int)n, l);
        l += n + (l[n] == '\n');
    }
}

static bool pipeline_detail(struct ui *u, struct panel_view *v, struct buf *out)
{
    const struct line *l = selected(u, v);
    if (!l)
        return false;
    const struct pipeline *p = l->p;
    if (l->header) {
        project_detail(u, p, out);
        return true;
    }
    char dur[16], age[16];
    ui_fmt_dur(dur, sizeof dur, duration_ms(u, p));
    ui_fmt_age(age, sizeof age, p->created ? engine_now(&u->a->engine) - p->created : -1);
    buf_printf(out, "Pipeline %s #%lld (%s)\n", p->project, (long long)p->id, p->provider);
    buf_printf(out, "ref %s  sha %.12s  version %s\n", p->ref, p->sha,
               p->version[0] ? p->version : "-");
    buf_printf(out, "status %s%s  created %s ago  duration %s\n", job_status_names[p->status],
               p->warning ? " (with warnings)" : "", age, dur);
    if (p->gate_blocked)
        buf_printf(out, "deploy gate: BLOCKED: %s\n", p->gate_reason);
    if (p->web_url[0])
        buf_printf(out, "%s\n", p->web_url);
    security_detail(p, out);
    /* every job counts in its stage, kept as a row or not */
    buf_printf(out, "\nStages:");
    for (int i = 0; i < p->nstages; i++)
        buf_printf(out, " %s %s (%d)%s", p->stages[i].name, job_status_names[p->stages[i].status],
                   p->stages[i].jobs, i + 1 < p->nstages ? "," : "");
    buf_printf(out, "\nJobs:\n");
    for (int i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        char jd[16] = "-";
        if (j->started)
            ui_fmt_dur(jd, sizeof jd,
                       (j->finished ? j->finished : engine_now(&u->a->engine)) - j->started);
        /* step: GitHub's running or failing step, or the child pipeline a bridge started */
        buf_printf(out, "  %-10s %-24s %-16s %7s%s%s%s%s%s%s\n", j->stage, j->name,
                   job_status_names[j->status], jd, j->allow_failure ? " allow-failure" : "",
                   j->is_deploy ? " deploy" : "", j->failure_reason[0] ? " reason: " : "",
                   j->failure_reason, j->step[0] ? " -> " : "", j->step);
    }
    if (p->jobs_dropped)
        buf_printf(out, "  (%d more jobs not kept)\n", p->jobs_dropped);
    return true;
}

static bool pipeline_subject(struct ui *u, struct panel_view *v, char *kind, size_t kindlen,
                             char *key, size_t keylen)
{
    const struct line *l = selected(u, v);
    if (!l || l->header)
        return false;
    snprintf(kind, kindlen, "pipeline");
    snprintf(key, keylen, "%s", l->p->key);
    return true;
}

const struct panel_class pipeline_panel = {
    .title = "Pipeline stages",
    .short_title = "Pipelines",
    .dirty_mask = (1u << T_PIPELINES) | (1u << T_CI_PROJECTS) | (1u << T_SUMMARY) | (1u << T_SLOS),
    .draw = pipeline_draw,
    .detail = pipeline_detail,
    .subject = pipeline_subject,
    .filterable = true,
};
