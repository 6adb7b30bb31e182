/* Copilot suggestions: the current incident's answer, wrapped and scrollable,
 * Markdown headings as sections, labelled with the backend that wrote it,
 * when it was written, and whether the incident moved on since (stale). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/textsafe.h"
#include "ui.h"

#include "copilot/copilot.h"

static const char *const state_label[] = {"idle", "waiting…", "streaming…",
                                          "done", "error",    "capped"};

struct line {
    size_t off, len;
    enum ui_role role;
    int indent;
};

/* The answer shown: the last `a` question's until an incident opens after
 * it, then the current incident's, else the newest. */
static const struct copilot_answer *current_answer(struct ui *u, const struct incident **inc_out)
{
    const struct incident *inc = ui_current_incident(u);
    *inc_out = inc;
    if (u->asked[0] && inc && inc->state == INC_OPEN && inc->opened > u->asked_at)
        u->asked[0] = '\0';
    if (u->asked[0]) {
        const struct copilot_answer *a = engine_get(&u->a->engine, T_COPILOT, u->asked);
        if (a) {
            *inc_out = engine_get(&u->a->engine, T_INCIDENTS, a->incident);
            return a;
        }
    }
    if (inc) {
        const struct copilot_answer *a = engine_get(&u->a->engine, T_COPILOT, inc->id);
        if (a)
            return a;
    }
    struct table *t = engine_table(&u->a->engine, T_COPILOT);
    const struct copilot_answer *best = NULL;
    for (int i = 0; i < t->count; i++) {
        const struct copilot_answer *a = table_row(t, i);
        if (!best || a->started > best->started)
            best = a;
    }
    if (best && (!inc || strcmp(best->incident, inc->id) != 0)) {
        const struct incident *other = engine_get(&u->a->engine, T_INCIDENTS, best->incident);
        if (other)
            *inc_out = other;
    }
    return best;
}

/* Sanitises the text line by line into safe, then wraps it into lines. */
static int layout(struct ui *u, const char *text, int width, struct buf *safe, struct line **lines)
{
    int n = 0, cap = 0;
    *lines = NULL;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        enum ui_role role = ROLE_TEXT;
        int indent = 0;
        const char *s = p;
        size_t slen = len;
        if (slen > 0 && s[0] == '#') {
            while (slen && (*s == '#' || *s == ' '))
                s++, slen--;
            role = ROLE_ACCENT;
        } else if (slen > 1 && (s[0] == '-' || s[0] == '*') && s[1] == ' ') {
            indent = 2;
        }
        char raw[2048], tmp[2048];
        snprintf(raw, sizeof raw, "%.*s", (int)(slen < sizeof raw ? slen : sizeof raw - 1), s);
        ts_sanitize(raw, (size_t)-1, tmp, sizeof tmp, !u->utf8);
        size_t base = safe->len;
        /* Advice never runs; a destructive command is marked so a tired
         * reader does not paste it blindly. */
        if (copilot_line_is_destructive(raw)) {
            role = ROLE_CRIT;
            buf_puts(safe,
                     u->utf8 ? COPILOT_DESTRUCTIVE_MARK " " : COPILOT_DESTRUCTIVE_MARK_ASCII " ");
        }
        buf_puts(safe, tmp);
        buf_append(safe, "", 1); /* keep each source line NUL-terminated */
        const char *q = safe->data + base;
        bool first = true;
        do {
            const char *next;
            int w = width - (first ? 0 : indent);
            size_t l = ts_wrap(q, w < 4 ? 4 : w, &next);
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                *lines = realloc(*lines, (size_t)cap * sizeof **lines);
            }
            (*lines)[n++] = (struct line){(size_t)(q - safe->data), l, role, first ? 0 : indent};
            first = false;
            q = next;
        } while (*q);
        p += len + (nl ? 1 : 0);
    }
    return n;
}

static void draw_offline(struct ui *u, const struct incident *inc, struct rect r)
{
    int y = r.y;
    ui_text(u, y++, r.x + 1, r.w - 1, ROLE_ACCENT, "Likely causes (offline analysis)");
    if (inc->ncauses == 0 && y < r.y + r.h)
        ui_text(u, y++, r.x + 3, r.w - 3, ROLE_DIM, "none ranked yet");
    for (int i = 0; i < inc->ncauses && i < INC_CAUSES && y < r.y + r.h; i++)
        ui_textf(u, y++, r.x + 1, r.w - 1, ROLE_TEXT, "score %.2f  %s%s", inc->causes[i].score,
                 inc->causes[i].title, inc->causes[i].followed ? " (followed)" : "");
    if (y + 1 < r.y + r.h)
        ui_text(u, ++y, r.x + 1, r.w - 1, ROLE_DIM, "press a to ask the copilot");
}

/* "analysed 14:01:39 (6m00s ago) · a: ask again", and under it what made
 * the answer stale, if anything did. Returns the next free row. */
static int draw_age(struct ui *u, const struct copilot_answer *ans, struct rect r)
{
    int y = r.y;
    if (!ans->finished || y >= r.y + r.h)
        return y;
    char at[16], ago[24];
    ui_fmt_clock(at, sizeof at, ans->finished);
    int64_t now = engine_now(&u->a->engine);
    ui_fmt_dur(ago, sizeof ago, now >= ans->finished ? now - ans->finished : 0);
    ui_textf(u, y++, r.x + 1, r.w - 1, ROLE_DIM, "analysed %s (%s ago) %s a: ask again", at, ago,
             u->utf8 ? "\xc2\xb7" : "-");
    if (ans->stale && y < r.y + r.h) {
        ui_fmt_clock(at, sizeof at, ans->changed);
        ui_textf(u, y++, r.x + 1, r.w - 1, ROLE_WARN, "STALE: %s at %s", ans->stale_reason, at);
    }
    return y;
}

/* "All quiet" only when every source reports: no incident from a blind
 * source is not a quiet one, nor from no source at all. */
static void draw_quiet(struct ui *u, int y, struct rect r)
{
    int blind, starting;
    ui_source_health(u, &blind, &starting);
    if (blind)
        ui_textf(u, y, r.x + 1, r.w - 1, ROLE_WARN,
                 "no incidents, but %d source%s not reporting (S)", blind,
                 blind == 1 ? " is" : "s are");
    else if (starting)
        ui_textf(u, y, r.x + 1, r.w - 1, ROLE_DIM, "no open incidents yet: %d source%s starting",
                 starting, starting == 1 ? "" : "s");
    else if (!ui_sources_on(u))
        ui_text(u, y, r.x + 1, r.w - 1, ROLE_WARN, "no incidents, but no source is on (S)");
    else
        ui_text(u, y, r.x + 1, r.w - 1, ROLE_OK, "no open incidents: all quiet");
}

static void copilot_draw(struct ui *u, struct panel_view *v, struct rect r)
{
    const struct incident *inc;
    const struct copilot_answer *ans = current_answer(u, &inc);
    int y = r.y;
    if (!inc && !ans) {
        v->nrows = 0;
        draw_quiet(u, y, r);
        if (r.h > 1)
            ui_text(u, y + 1, r.x + 1, r.w - 1, ROLE_DIM,
                    "select a row in another panel and press a to ask the copilot");
        return;
    }
    if (inc) {
        enum ui_role role = inc->state == INC_OPEN ? ROLE_CRIT : ROLE_OK;
        int x = r.x + 1;
        x += ui_textf(u, y, x, r.w - 1, role, "%s %s", inc->id,
                      inc->state == INC_OPEN ? "OPEN" : "resolved");
        ui_text(u, y, x + 1, r.x + r.w - x - 1, ROLE_TEXT, inc->title);
        y++;
    }
    if (y >= r.y + r.h)
        return;
    if (!ans) {
        v->nrows = 0;
        draw_offline(u, inc, (struct rect){y, r.x, r.y + r.h - y, r.w});
        return;
    }
    int state = ans->state >= COP_IDLE && ans->state <= COP_CAPPED ? (int)ans->state : 0;
    int x = r.x + 1;
    x += ui_textf(u, y, x, r.w - 1, ROLE_BADGE, " %s%s%s ", ans->backend[0] ? ans->backend : "?",
                  ans->model[0] ? " " : "", ans->model);
    x += ui_textf(u, y, x + 1, r.x + r.w - x - 1, ans->state == COP_ERROR ? ROLE_CRIT : ROLE_DIM,
                  "%s%s%s%s", state_label[state], ans->incomplete ? " (incomplete)" : "",
                  ans->error[0] ? ": " : "", ans->error);
    y = draw_age(u, ans, (struct rect){y + 1, r.x, r.y + r.h - y - 1, r.w});
    struct rect body = {y, r.x + 1, r.y + r.h - y, r.w - 2};
    if (body.h <= 0 || body.w <= 4)
        return;
    struct buf safe = {0};
    struct line *lines;
    int n = layout(u, ans->text, body.w, &safe, &lines);
    /* sel is the first line shown; it follows the stream while at the end. */
    int max_top = n > body.h ? n - body.h : 0;
    bool following = v->sel >= v->nrows - body.h || v->sel >= max_top;
    v->nrows = n;
    if (state == COP_STREAMING && following)
        v->sel = max_top;
    if (v->sel > max_top)
        v->sel = max_top;
    if (v->sel < 0)
        v->sel = 0;
    v->top = v->sel;
    for (int i = 0; i < body.h && v->top + i < n; i++) {
        const struct line *l = &lines[v->top + i];
        char row[2048];
        size_t len = l->len < sizeof row - 1 ? l->len : sizeof row - 1;
        memcpy(row, safe.data + l->off, len);
        row[len] = 0;
        attrset(ui_attr(u, l->role));
        /* Already sanitised and wrapped to the width: write as is. */
        mvaddstr(body.y + i, body.x + l->indent, row);
    }
    if (n == 0)
        ui_text(u, body.y, body.x, body.w, ROLE_DIM, "(no text yet)");
    free(lines);
    buf_free(&safe);
}

static bool copilot_detail(struct ui *u, struct panel_view *v, struct buf *out)
{
    (void)v;
    const struct incident *inc;
    const struct copilot_answer *ans = current_answer(u, &inc);
    if (!inc && !ans)
        return false;
    if (inc) {
        buf_printf(out, "Incident %s: %s\n", inc->id, inc->title);
        buf_printf(out, "service %s  severity %s  %s  signals %d\n", inc->service,
                   severity_names[inc->severity <= SEV_CRITICAL ? inc->severity : 0],
                   inc->state == INC_OPEN ? "OPEN" : "resolved", inc->signals);
        buf_printf(out, "\nTimeline:\n");
        for (int i = 0; i < inc->ntimeline && i < INC_TIMELINE; i++) {
            char c[16];
            ui_fmt_clock(c, sizeof c, inc->timeline[i].time);
            buf_printf(out, "  %s  %-9s %s\n", c, inc->timeline[i].kind, inc->timeline[i].text);
        }
        buf_printf(out, "\nCauses (correlation scores 0-1, not probabilities):\n");
        for (int i = 0; i < inc->ncauses && i < INC_CAUSES; i++) {
            const struct cause *c = &inc->causes[i];
            buf_printf(out, "  score %.2f  %s%s\n", c->score, c->title,
                       c->followed ? " (followed the start)" : "");
            for (const char *l = c->evidence; *l;) {
                size_t len = strcspn(l, "\n");
                buf_printf(out, "        %.*s\n", (int)len, l);
                l += len + (l[len] == '\n');
            }
        }
    }
    if (ans && ans->stale)
        buf_printf(out, "\nSTALE: %s\n", ans->stale_reason);
    if (ans)
        buf_printf(out, "\nCopilot (%s):\n%s\n", ans->backend, ans->text);
    return true;
}

static bool copilot_subject(struct ui *u, struct panel_view *v, char *kind, size_t kindlen,
                            char *key, size_t keylen)
{
    (void)v;
    const struct incident *inc = ui_current_incident(u);
    if (!inc)
        return false;
    snprintf(kind, kindlen, "incident");
    snprintf(key, keylen, "%s", inc->id);
    return true;
}

const struct panel_class copilot_panel = {
    .title = "Copilot suggestions",
    .short_title = "Copilot",
    .dirty_mask = (1u << T_COPILOT) | (1u << T_INCIDENTS),
    .draw = copilot_draw,
    .detail = copilot_detail,
    .subject = copilot_subject,
    .filterable = false,
};
