/* Error budget & SLO burn: one row per SLO, burn-down chart of the selected. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

#define MAX_ROWS 128

static const char *const alert_badge[] = {"OK", "TICKET", "PAGE", "NODATA"};

static enum ui_role alert_role(enum alert_state a)
{
    return a == ALERT_PAGE     ? ROLE_CRIT
           : a == ALERT_TICKET ? ROLE_WARN
           : a == ALERT_OK     ? ROLE_OK
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

static void draw_row(struct ui *u, const struct slo *s, int y, struct rect r, bool sel)
{
    enum ui_role base = sel ? ROLE_SELECT : ROLE_TEXT;
    enum ui_role dim = sel ? ROLE_SELECT : ROLE_DIM;
    ui_fill(u, y, r.x, r.w, base);
    int x = r.x, end = r.x + r.w;
    int alert = s->alert >= ALERT_OK && s->alert <= ALERT_NODATA ? (int)s->alert : ALERT_NODATA;
    ui_textf(u, y, x, 8, alert_role((enum alert_state)alert), "%-6s", alert_badge[alert]);
    x += 7;
    int name_w = r.w >= 120 ? 30 : r.w >= 50 ? 22 : r.w - 8;
    ui_text(u, y, x, name_w - 1, base, s->name);
    x += name_w;
    if (end - x < 10)
        return;
    char obj[16], sli[16];
    fmt_pct(obj, sizeof obj, s->objective, s->objective >= 0.999 ? 2 : 1);
    fmt_pct(sli, sizeof sli, s->sli, 3);
    x += ui_textf(u, y, x, end - x, dim, "%-7s", obj) + 1;
    if (end - x < 10)
        return;
    x += ui_textf(u, y, x, end - x, base, "SLI %-8s", sli) + 1;
    int bar_w = r.w >= 120 ? 16 : 10;
    if (end - x < bar_w + 6)
        return;
    double rem = s->budget_remaining;
    enum ui_role bar_role = rem < 0.1 ? ROLE_CRIT : rem < 0.5 ? ROLE_WARN : ROLE_BAR_FULL;
    ui_bar(u, y, x, bar_w, rem, bar_role);
    x += bar_w + 1;
    char rb[16];
    fmt_pct(rb, sizeof rb, rem, 0);
    x += ui_textf(u, y, x, end - x, rem < 0.1 ? ROLE_CRIT : base, "%5s", rb) + 1;
    /* Burn in each window while it fits: "5m 14.4x 1h 13.9x". */
    for (int i = 0; i < s->nwindows && i < SLO_WINDOWS; i++) {
        const struct slo_window *w = &s->windows[i];
        char b[40];
        if (isnan(w->burn_rate))
            snprintf(b, sizeof b, "%s -", w->name);
        else
            snprintf(b, sizeof b, "%s %.1fx", w->name, w->burn_rate);
        if ((int)strlen(b) + 14 > end - x)
            break;
        enum ui_role br = isnan(w->burn_rate)    ? dim
                          : w->burn_rate >= 14.4 ? ROLE_CRIT
                          : w->burn_rate >= 1    ? ROLE_WARN
                                                 : base;
        x += ui_text(u, y, x, end - x, sel ? base : br, b) + 1;
    }
    if (end - x >= 8) {
        char exh[24];
        if (s->exhaustion_ms < 0)
            snprintf(exh, sizeof exh, "exh never");
        else {
            char d[16];
            ui_fmt_dur(d, sizeof d, s->exhaustion_ms);
            snprintf(exh, sizeof exh, "exh %s", d);
        }
        ui_text(u, y, x, end - x, s->exhaustion_ms >= 0 ? (sel ? base : ROLE_WARN) : dim, exh);
    }
}

static void draw_chart(struct ui *u, const struct slo *s, struct rect r)
{
    char period[16];
    ui_fmt_dur(period, sizeof period, s->period_ms);
    ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT, "Budget burn-down: %s (window %s)", s->name,
             period);
    struct rect c = {r.y + 1, r.x + 7, r.h - 1, r.w - 8};
    if (c.h < 1 || c.w < 4)
        return;
    if (s->nhistory < 2) {
        ui_text(u, c.y, c.x, c.w, ROLE_DIM, "no budget history yet");
        return;
    }
    double lo = 0, hi = 1;
    for (int i = 0; i < s->nhistory; i++)
        if (s->budget_history[i] < lo)
            lo = s->budget_history[i];
    ui_text(u, c.y, r.x, 6, ROLE_DIM, "100%");
    ui_textf(u, c.y + c.h - 1, r.x, 6, ROLE_DIM, "%3.0f%%", lo * 100);
    ui_chart(u, c, s->budget_history, s->nhistory, lo, hi);
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
        if (chart_h > 10)
            chart_h = 10; /* a taller chart says nothing more */
    } else {
        chart_h = 0;
    }
    ui_view_clamp(v, list_h);
    for (int i = 0; i < list_h && v->top + i < n; i++) {
        int idx = v->top + i;
        draw_row(u, rows[idx], r.y + i, r, idx == v->sel);
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
    char period[16], exh[16];
    ui_fmt_dur(period, sizeof period, s->period_ms);
    ui_fmt_dur(exh, sizeof exh, s->exhaustion_ms);
    buf_printf(out, "SLO %s (service %s)\n", s->name, s->service);
    if (s->description[0])
        buf_printf(out, "%s\n", s->description);
    buf_printf(out, "objective %.4f%% over %s, SLI source %s\n", s->objective * 100, period,
               s->source);
    buf_printf(out, "SLI now %.4f%%  budget remaining %.1f%%  exhaustion %s\n", s->sli * 100,
               s->budget_remaining * 100, s->exhaustion_ms < 0 ? "never" : exh);
    buf_printf(out, "alert %s\n", alert_state_names[s->alert]);
    static const char *const gate_label[] = {"n/a", "open", "CLOSED", "UNKNOWN"};
    int g = s->gate >= GATE_STATE_NONE && s->gate <= GATE_STATE_UNKNOWN ? (int)s->gate : 0;
    buf_printf(out, "deploy gate %s: %s\n", gate_label[g], s->gate_reason);
    buf_printf(out, "\nWindows:\n");
    for (int i = 0; i < s->nwindows && i < SLO_WINDOWS; i++)
        buf_printf(out, "  %-6s error ratio %.5f  burn %.2fx\n", s->windows[i].name,
                   s->windows[i].error_ratio, s->windows[i].burn_rate);
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
