/* Error budget & SLO burn: one row per SLO with its columns by priority, so
 * the window pair that pages survives every width; under the rows, the
 * selected SLO's burn per window pair against its threshold and its budget
 * over the SLO window. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "slo/math.h"
#include "ui.h"

#define MAX_ROWS 128

static const char *const alert_badge[] = {"OK", "TICKET", "PAGE", "NODATA", "BURNING"};
/* "paging 6m": the state as a verb, for the time-in-state column */
static const char *const alert_verb[] = {"ok", "ticket", "paging", "no data", "burning"};

static int alert_idx(enum alert_state a)
{
    return a >= ALERT_OK && a <= ALERT_BURNING ? (int)a : ALERT_NODATA;
}

static enum ui_role alert_role(enum alert_state a)
{
    return a == ALERT_PAGE                           ? ROLE_CRIT
           : a == ALERT_TICKET || a == ALERT_BURNING ? ROLE_WARN
           : a == ALERT_OK                           ? ROLE_OK
                                                     : ROLE_DIM;
}

static int collect(struct ui *u, struct panel_view *v, const struct slo **rows)
{
    struct table *t = engine_table(&u->a->engine, T_SLOS);
    int n = 0;
    for (int i = 0; i < t->count && n < MAX_ROWS; i++) {
        const struct slo *s = table_row(t, i);
        char text[256];
        snprintf(text, sizeof text, "%s %s %s", s->name, s->service, alert_state_names[s->alert]);
        if (ui_filter_pass(v, text))
            rows[n++] = s;
    }
    return n;
}

static void fmt_pct(char *out, size_t len, double v, int digits)
{
    if (isnan(v))
        snprintf(out, len, "-");
    else
        snprintf(out, len, "%.*f%%", digits, v * 100);
}

/* Time to exhaustion in words: "never" only when the burn is known to be
 * zero or less; "?" when there is no data to project from. */
static void fmt_exh(char *out, size_t len, int64_t exhaustion_ms)
{
    if (exhaustion_ms == SLO_EXHAUSTION_UNKNOWN) {
        snprintf(out, len, "?");
    } else if (exhaustion_ms < 0) {
        snprintf(out, len, "never");
    } else {
        char d[16];
        ui_fmt_dur(d, sizeof d, exhaustion_ms);
        snprintf(out, len, "%s", d);
    }
}

static const struct slo_pair *row_pair(const struct slo *s)
{
    return s->pair >= 0 && s->pair < s->npairs && s->pair < SLO_PAIRS ? &s->pairs[s->pair] : NULL;
}

/* A window over its factor takes the colour of what the pair would raise. */
static enum ui_role over_role(const struct slo_pair *p, double burn, enum ui_role base)
{
    if (!slo_exceeds(burn, p->factor))
        return base;
    return p->severity == ALERT_PAGE ? ROLE_CRIT : ROLE_WARN;
}

/* The pair's text, full "1h 18.7x · 5m 267x > 14.4" or compact
 * "1h 18.7x·5m 267x>14.4"; the comparison says how the pair stands. */
struct pair_text {
    char lw[40], sw[40], cmp[24];
    int width;
};

static void pair_text(const struct slo_pair *p, bool compact, struct pair_text *t)
{
    char lb[16], sb[16];
    slo_fmt_burn(lb, sizeof lb, p->long_burn);
    slo_fmt_burn(sb, sizeof sb, p->short_burn);
    snprintf(t->lw, sizeof t->lw, "%s %s", p->long_name, lb);
    snprintf(t->sw, sizeof t->sw, "%s %s", p->short_name, sb);
    bool lo = slo_exceeds(p->long_burn, p->factor);
    bool so = slo_exceeds(p->short_burn, p->factor);
    const char *op = lo && so ? ">" : !lo && !so ? "<" : "~";
    snprintf(t->cmp, sizeof t->cmp, compact ? "%s%g" : " %s %g", op, p->factor);
    int sep = compact ? 1 : 3; /* "·" or " · " */
    t->width = (int)(strlen(t->lw) + strlen(t->sw) + strlen(t->cmp)) + sep;
}

static int draw_pair(struct ui *u, int y, int x, int w, const struct slo_pair *p,
                     const struct pair_text *t, bool compact, enum ui_role base)
{
    int x0 = x, end = x + w;
    x += ui_text(u, y, x, end - x, over_role(p, p->long_burn, base), t->lw);
    const char *dot = u->utf8 ? "·" : ".";
    if (compact) {
        x += ui_text(u, y, x, end - x, base, dot);
    } else {
        x += ui_text(u, y, x, end - x, base, " ");
        x += ui_text(u, y, x, end - x, base, dot);
        x += ui_text(u, y, x, end - x, base, " ");
    }
    x += ui_text(u, y, x, end - x, over_role(p, p->short_burn, base), t->sw);
    x += ui_text(u, y, x, end - x, base, t->cmp);
    return x - x0;
}

/* Columns after state and name, most important first: each is drawn only
 * when it and everything before it fit, so the least important go first. */
enum col { C_BUDGET, C_PAIR, C_SINCE, C_EXH, C_SLI, C_OBJ, C_BAR, C_COUNT };

struct row_text {
    char budget[16], since[32], exh[24], sli[24], obj[16];
    struct pair_text pair, pair_compact;
    const struct slo_pair *p;
};

/* One plan for every visible row, so the columns line up. */
struct layout {
    int name_w;
    bool compact;
    bool on[C_COUNT];
    int w[C_COUNT];
};

static void row_text(struct ui *u, const struct slo *s, struct row_text *t)
{
    memset(t, 0, sizeof *t);
    fmt_pct(t->budget, sizeof t->budget, s->budget_remaining, 0);
    int64_t now = engine_now(&u->a->engine);
    char d[16];
    ui_fmt_dur(d, sizeof d, s->alert_since && now >= s->alert_since ? now - s->alert_since : -1);
    if (s->awaiting) /* not "no data": nobody has said there is none yet */
        snprintf(t->since, sizeof t->since, "awaiting Prometheus %s", d);
    else
        snprintf(t->since, sizeof t->since, "%s %s", alert_verb[alert_idx(s->alert)], d);
    fmt_exh(d, sizeof d, s->exhaustion_ms);
    snprintf(t->exh, sizeof t->exh, "exh %s", d);
    char v[16];
    fmt_pct(v, sizeof v, s->sli, 3);
    snprintf(t->sli, sizeof t->sli, "SLI %s", v);
    fmt_pct(t->obj, sizeof t->obj, s->objective, s->objective >= 0.999 ? 2 : 1);
    t->p = row_pair(s);
    if (t->p) {
        pair_text(t->p, false, &t->pair);
        pair_text(t->p, true, &t->pair_compact);
    } else {
        t->pair.width = t->pair_compact.width = 1;
    }
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static void plan(struct ui *u, const struct slo *const *rows, int n, int width, struct layout *L)
{
    memset(L, 0, sizeof *L);
    int name_len = 0, compact_w = 0;
    for (int i = 0; i < n; i++) {
        struct row_text t;
        row_text(u, rows[i], &t);
        name_len = max_int(name_len, (int)strlen(rows[i]->name));
        L->w[C_BUDGET] = 4;
        L->w[C_PAIR] = max_int(L->w[C_PAIR], t.pair.width);
        compact_w = max_int(compact_w, t.pair_compact.width);
        L->w[C_SINCE] = max_int(L->w[C_SINCE], (int)strlen(t.since));
        L->w[C_EXH] = max_int(L->w[C_EXH], (int)strlen(t.exh));
        L->w[C_SLI] = max_int(L->w[C_SLI], (int)strlen(t.sli));
        L->w[C_OBJ] = max_int(L->w[C_OBJ], (int)strlen(t.obj));
    }
    L->w[C_BAR] = 10;
    /* the name ranks second: whole (up to 30) unless the pair needs room */
    int name_min = name_len < 12 ? name_len : 12;
    L->name_w = name_len < 30 ? name_len : 30;
    int used = 8 + L->name_w; /* state badge and a space, the name */
    for (int k = 0; k < C_COUNT; k++) {
        if (k <= C_PAIR && used + 1 + L->w[k] > width) {
            int give = used + 1 + L->w[k] - width;
            give = give < L->name_w - name_min ? give : L->name_w - name_min;
            L->name_w -= give;
            used -= give;
        }
        if (k == C_PAIR && used + 1 + L->w[k] > width) {
            /* a narrow panel keeps the pair, without the spaces */
            L->compact = true;
            L->w[k] = compact_w;
        }
        if (used + 1 + L->w[k] > width)
            break;
        L->on[k] = true;
        used += 1 + L->w[k];
    }
    int spare = width - used;
    if (L->on[C_BAR] && spare > 0)
        L->w[C_BAR] += spare < 6 ? spare : 6;
}

static void draw_row(struct ui *u, const struct slo *s, int y, struct rect r, bool sel,
                     const struct layout *L)
{
    enum ui_role base = sel ? ROLE_SELECT : ROLE_TEXT;
    enum ui_role dim = sel ? ROLE_SELECT : ROLE_DIM;
    ui_fill(u, y, r.x, r.w, base);
    struct row_text t;
    row_text(u, s, &t);
    int x = r.x, end = r.x + r.w;
    int a = alert_idx(s->alert);
    enum ui_role state_role = alert_role((enum alert_state)a);
    /* WAIT, not NODATA, while Prometheus has not answered: nothing says there is none */
    ui_textf(u, y, x, 7, state_role, "%-7s", s->awaiting ? "WAIT" : alert_badge[a]);
    x += 8;
    ui_text(u, y, x, L->name_w, base, s->name);
    x += L->name_w;
    double rem = s->budget_remaining;
    /* a paging SLO's budget is never drawn green, whatever is left */
    bool alerting = s->alert != ALERT_OK && s->alert != ALERT_NODATA;
    enum ui_role budget_role = s->alert == ALERT_PAGE || rem < 0.1 ? ROLE_CRIT
                               : rem < 0.5 || alerting             ? ROLE_WARN
                                                                   : base;
    for (int k = 0; k < C_COUNT && L->on[k]; k++) {
        x += 1;
        int w = end - x;
        switch (k) {
        case C_BUDGET:
            ui_textf(u, y, x, w, sel ? base : budget_role, "%4s", t.budget);
            break;
        case C_PAIR:
            if (t.p)
                draw_pair(u, y, x, w, t.p, L->compact ? &t.pair_compact : &t.pair, L->compact,
                          base);
            else
                ui_text(u, y, x, w, dim, "-");
            break;
        case C_SINCE:
            ui_text(u, y, x, w, sel ? base : state_role, t.since);
            break;
        case C_EXH:
            ui_text(u, y, x, w, s->exhaustion_ms >= 0 ? (sel ? base : ROLE_WARN) : dim, t.exh);
            break;
        case C_SLI:
            ui_text(u, y, x, w, base, t.sli);
            break;
        case C_OBJ:
            ui_text(u, y, x, w, dim, t.obj);
            break;
        case C_BAR:
            ui_bar(u, y, x, L->w[k], isnan(rem) ? 0 : rem,
                   budget_role == base ? ROLE_BAR_FULL : budget_role);
            break;
        }
        x += L->w[k];
    }
}

#define LABEL_W 8 /* left of each chart: the pair or the budget scale */

/* Log scale from 0.1x: burn rates run from 0.2x to several hundred, and the
 * thresholds (1, 3, 6, 14.4) must stay apart. */
/* NaN stays NaN (a gap in the chart): no data is not a burn of 0. */
static double burn_log(double b)
{
    return isnan(b) ? NAN : log10(b < 0.1 ? 0.1 : b);
}

/* The dot level of v in a chart of rect c on [lo, hi], as ui_chart places
 * the top of its fill, and the screen row it falls in. */
static int dot_level(struct ui *u, struct rect c, double v, double lo, double hi)
{
    int dots_h = c.h * (u->utf8 ? 4 : 1);
    double f = (v - lo) / (hi - lo);
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return (int)lround(f * (dots_h - 1));
}

static int dot_row(struct ui *u, struct rect c, int level)
{
    int sub = u->utf8 ? 4 : 1;
    return c.y + (c.h * sub - 1 - level) / sub;
}

/* Time axis under a chart: the span's start at the left, "now" at the right
 * and the middle between when there is room. */
static void time_axis(struct ui *u, int y, struct rect c, int64_t span_ms)
{
    char a[16], m[16];
    ui_fmt_dur(a, sizeof a, span_ms);
    ui_fmt_dur(m, sizeof m, span_ms / 2);
    ui_textf(u, y, c.x, c.w, ROLE_DIM, "-%s", a);
    ui_text(u, y, c.x + c.w - 3, 3, ROLE_DIM, "now");
    if (c.w >= 24)
        ui_textf(u, y, c.x + c.w / 2 - (int)(strlen(m) + 1) / 2, (int)strlen(m) + 1, ROLE_DIM,
                 "-%s", m);
}

/* One pair's burn over the last hours, its factor drawn across where the
 * burn stays under it. */
static void draw_pair_band(struct ui *u, const struct slo_pair *p, struct rect r)
{
    const char *dot = u->utf8 ? "·" : ".";
    enum ui_role lr = p->firing == TB_YES ? (p->severity == ALERT_PAGE ? ROLE_CRIT : ROLE_WARN)
                      : p->firing == TB_UNKNOWN ? ROLE_DIM
                                                : ROLE_ACCENT;
    ui_textf(u, r.y, r.x, LABEL_W - 1, lr, "%s%s%s", p->long_name, dot, p->short_name);
    if (r.h >= 2)
        ui_textf(u, r.y + 1, r.x, LABEL_W - 1, ROLE_DIM, ">%g", p->factor);
    struct rect c = {r.y, r.x + LABEL_W, r.h, r.w - LABEL_W};
    if (c.w < 4 || p->nhistory < 2)
        return;
    float v[SLO_BURN_HISTORY];
    double lo = burn_log(0.1), hi = burn_log(p->factor * 10);
    int n = p->nhistory < SLO_BURN_HISTORY ? p->nhistory : SLO_BURN_HISTORY;
    for (int i = 0; i < n; i++) {
        v[i] = (float)burn_log(p->burn_history[i]);
        if (v[i] > hi)
            hi = v[i];
    }
    ui_chart(u, c, v, n, lo, hi);
    int trow = dot_row(u, c, dot_level(u, c, burn_log(p->factor), lo, hi));
    const char *line = u->utf8 ? "┄" : "-";
    enum ui_role tr = p->severity == ALERT_PAGE ? ROLE_CRIT : ROLE_WARN;
    int sub_x = u->utf8 ? 2 : 1, dots_w = c.w * sub_x;
    for (int cx = 0; cx < c.w; cx++) {
        int i = dots_w > 1 ? (int)((double)cx * sub_x * (n - 1) / (dots_w - 1) + 0.5) : n - 1;
        if (isnan(v[i]) || dot_row(u, c, dot_level(u, c, v[i], lo, hi)) > trow)
            ui_text(u, trow, c.x + cx, 1, tr, line);
    }
}

/* Bands for as many pairs as the rows allow (two rows each), the pair the
 * state is about first when not all fit. */
static void draw_burn(struct ui *u, const struct slo *s, struct rect r)
{
    char span[16];
    ui_fmt_dur(span, sizeof span, s->burn_step_ms * (SLO_BURN_HISTORY - 1));
    ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT,
             "Burn rate by window pair, last %s (log scale, the lower of the two windows)", span);
    int rows = r.h - 2, npairs = s->npairs < SLO_PAIRS ? s->npairs : SLO_PAIRS;
    int nb = npairs < rows / 2 ? npairs : rows / 2;
    if (nb < 1 && rows >= 1 && npairs > 0)
        nb = 1;
    if (nb < 1) {
        if (rows >= 1)
            ui_text(u, r.y + 1, r.x + 1, r.w - 1, ROLE_DIM, "no window pairs");
        return;
    }
    int order[SLO_PAIRS], k = 0;
    bool first_pick = nb < npairs && s->pair >= 0 && s->pair < npairs;
    if (first_pick)
        order[k++] = s->pair;
    for (int i = 0; i < npairs && k < nb; i++)
        if (!first_pick || i != s->pair)
            order[k++] = i;
    int y = r.y + 1;
    for (int b = 0; b < nb; b++) {
        int h = rows / nb + (b < rows % nb ? 1 : 0);
        draw_pair_band(u, &s->pairs[order[b]], (struct rect){y, r.x, h, r.w});
        y += h;
    }
    struct rect c = {y, r.x + LABEL_W, 1, r.w - LABEL_W};
    time_axis(u, y, c, s->burn_step_ms * (SLO_BURN_HISTORY - 1));
}

/* The start of the current alert, on the axis where its time falls. */
static void mark_alert(struct ui *u, const struct slo *s, int y, struct rect c, int64_t span)
{
    int64_t now = engine_now(&u->a->engine);
    if (!(s->alert == ALERT_PAGE || s->alert == ALERT_TICKET) || span <= 0 || s->alert_since > now)
        return;
    double f = 1 - (double)(now - s->alert_since) / (double)span;
    int mx = c.x + (int)lround((f < 0 ? 0 : f) * (c.w - 1));
    char t[16], m[48];
    ui_fmt_clock(t, sizeof t, s->alert_since);
    snprintf(m, sizeof m, " %s since %s ", alert_verb[alert_idx(s->alert)], t);
    int mw = (int)strlen(m);
    int x = mx - mw >= c.x ? mx - mw : c.x;
    ui_text(u, y, x, mw, ROLE_CRIT, m);
    ui_text(u, y, mx, 1, ROLE_CRIT, u->utf8 ? "▲" : "^");
}

/* Remaining budget over the SLO window, scaled to what it spans so a live
 * drop shows, with the start of the current alert marked under it. */
static void draw_budget(struct ui *u, const struct slo *s, struct rect r)
{
    char period[16], left[16];
    ui_fmt_dur(period, sizeof period, s->period_ms);
    fmt_pct(left, sizeof left, s->budget_remaining, 1);
    ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT, "Budget left over %s: %s", period, left);
    struct rect c = {r.y + 1, r.x + LABEL_W, r.h - 2, r.w - LABEL_W};
    if (c.h < 1 || c.w < 4)
        return;
    if (s->nhistory < 2) {
        ui_text(u, c.y, c.x, c.w, ROLE_DIM, "no budget history yet");
        return;
    }
    float v[SLO_HISTORY];
    double lo = 1;
    int n = s->nhistory < SLO_HISTORY ? s->nhistory : SLO_HISTORY, known = 0;
    for (int i = 0; i < n; i++) {
        v[i] = s->budget_history[i]; /* NaN: a gap, never drawn as a full budget */
        if (!isnan(v[i]) && v[i] < lo)
            lo = v[i];
        known += !isnan(v[i]);
    }
    if (!known) {
        ui_text(u, c.y, c.x, c.w, ROLE_DIM, "no budget data in the window yet");
        return;
    }
    lo = floor(lo * 10 - 1) / 10; /* a tenth below the lowest point */
    ui_text(u, c.y, r.x, LABEL_W - 1, ROLE_DIM, "100%");
    if (c.h >= 2)
        ui_textf(u, c.y + c.h - 1, r.x, LABEL_W - 1, ROLE_DIM, "%.0f%%", lo * 100);
    ui_chart(u, c, v, n, lo, 1);
    int64_t span = s->history_step_ms * (n - 1);
    time_axis(u, c.y + c.h, c, span);
    mark_alert(u, s, c.y + c.h, c, span);
}

/* Burn bands above, budget below; a short panel keeps only the burn. */
static void draw_chart(struct ui *u, const struct slo *s, struct rect r)
{
    if (r.h < 8) {
        draw_burn(u, s, r);
        return;
    }
    int bud = (r.h - 4) * 2 / 5 + 2;
    draw_burn(u, s, (struct rect){r.y, r.x, r.h - bud, r.w});
    draw_budget(u, s, (struct rect){r.y + r.h - bud, r.x, bud, r.w});
}

static void slo_draw(struct ui *u, struct panel_view *v, struct rect r)
{
    const struct slo *rows[MAX_ROWS];
    int n = collect(u, v, rows);
    v->nrows = n;
    if (n == 0) {
        bool any = engine_table(&u->a->engine, T_SLOS)->count > 0;
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_DIM,
                any ? "no SLOs match the filter" : "no SLOs configured");
        return;
    }
    /* The chart gets what the rows leave, if that is enough to read. */
    int list_h = r.h;
    int chart_h = r.h - n - 1;
    if (chart_h >= 4) {
        list_h = n;
        /* zoomed, the chart takes the height; beside other panels it stays short */
        if (chart_h > 12 && u->zoom != P_SLO)
            chart_h = 12;
    } else {
        chart_h = 0;
    }
    ui_view_clamp(v, list_h);
    int shown = n - v->top < list_h ? n - v->top : list_h;
    struct layout L;
    plan(u, rows + v->top, shown, r.w, &L);
    for (int i = 0; i < shown; i++) {
        int idx = v->top + i;
        draw_row(u, rows[idx], r.y + i, r, idx == v->sel, &L);
    }
    if (chart_h) {
        struct rect c = {r.y + list_h + 1, r.x, chart_h, r.w};
        draw_chart(u, rows[v->sel], c);
    }
}

static const struct slo *selected(struct ui *u, struct panel_view *v)
{
    const struct slo *rows[MAX_ROWS];
    int n = collect(u, v, rows);
    return v->sel >= 0 && v->sel < n ? rows[v->sel] : NULL;
}

static bool slo_detail(struct ui *u, struct panel_view *v, struct buf *out)
{
    const struct slo *s = selected(u, v);
    if (!s)
        return false;
    char period[16], exh[16], sli[16], budget[16];
    ui_fmt_dur(period, sizeof period, s->period_ms);
    fmt_exh(exh, sizeof exh, s->exhaustion_ms);
    fmt_pct(sli, sizeof sli, s->sli, 4);
    fmt_pct(budget, sizeof budget, s->budget_remaining, 1);
    buf_printf(out, "SLO %s (service %s)\n", s->name, s->service);
    if (s->description[0])
        buf_printf(out, "%s\n", s->description);
    buf_printf(out, "objective %.4f%% over %s, SLI source %s\n", s->objective * 100, period,
               s->source);
    buf_printf(out, "SLI now %s  budget remaining %s  exhaustion %s\n",
               isnan(s->sli) ? "no data" : sli, isnan(s->budget_remaining) ? "no data" : budget,
               exh);
    char why[TEXT_LEN], since[16];
    slo_pair_reason(s, why, sizeof why);
    ui_fmt_dur(since, sizeof since, engine_now(&u->a->engine) - s->alert_since);
    buf_printf(out, "alert %s for %s: %s\n", alert_state_names[s->alert], since, why);
    static const char *const gate_label[] = {"n/a", "open", "CLOSED", "UNKNOWN"};
    int g = s->gate >= GATE_STATE_NONE && s->gate <= GATE_STATE_UNKNOWN ? (int)s->gate : 0;
    buf_printf(out, "deploy gate %s: %s\n", gate_label[g], s->gate_reason);
    buf_printf(out, "\nWindows:\n");
    for (int i = 0; i < s->nwindows && i < SLO_WINDOWS; i++) {
        const struct slo_window *w = &s->windows[i];
        if (isnan(w->error_ratio))
            buf_printf(out, "  %-6s no data\n", w->name);
        else
            buf_printf(out, "  %-6s error ratio %.5f  burn %.2fx\n", w->name, w->error_ratio,
                       w->burn_rate);
    }
    buf_printf(out, "\nWindow pairs (fire when both windows are over the factor):\n");
    for (int i = 0; i < s->npairs && i < SLO_PAIRS; i++) {
        const struct slo_pair *p = &s->pairs[i];
        char lb[16], sb[16];
        slo_fmt_burn(lb, sizeof lb, p->long_burn);
        slo_fmt_burn(sb, sizeof sb, p->short_burn);
        buf_printf(out, "  %-6s %-4s %-8s %-4s %-8s factor %-6g %s%s\n",
                   alert_state_names[p->severity], p->long_name, lb, p->short_name, sb, p->factor,
                   p->firing == TB_YES       ? "FIRING"
                   : p->firing == TB_UNKNOWN ? "unknown (no data)"
                                             : "",
                   i == s->pair ? "  <- the row's pair" : "");
    }
    if (s->error[0])
        buf_printf(out, "\nlast error: %s\n", s->error);
    return true;
}

static bool slo_subject(struct ui *u, struct panel_view *v, char *kind, size_t kindlen, char *key,
                        size_t keylen)
{
    const struct slo *s = selected(u, v);
    if (!s)
        return false;
    snprintf(kind, kindlen, "slo");
    snprintf(key, keylen, "%s", s->name);
    return true;
}

const struct panel_class slo_panel = {
    .title = "Error budget & SLO burn",
    .short_title = "SLOs",
    .dirty_mask = 1u << T_SLOS,
    .draw = slo_draw,
    .detail = slo_detail,
    .subject = slo_subject,
    .filterable = true,
};
