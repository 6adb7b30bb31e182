/* War-room mode, for a screen read from across a room: a banner while
 * deploys are frozen, each alerting SLO's budget in block digits sized to
 * the screen with its name and window pair under it, every open incident
 * with its age, then the current incident's timeline. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

/* 3x5 pixel glyphs, one string per row ('#' = lit). */
static const char *glyph(char c)
{
    switch (c) {
    case '0':
        return "###"
               "# #"
               "# #"
               "# #"
               "###";
    case '1':
        return " # "
               "## "
               " # "
               " # "
               "###";
    case '2':
        return "###"
               "  #"
               "###"
               "#  "
               "###";
    case '3':
        return "###"
               "  #"
               "###"
               "  #"
               "###";
    case '4':
        return "# #"
               "# #"
               "###"
               "  #"
               "  #";
    case '5':
        return "###"
               "#  "
               "###"
               "  #"
               "###";
    case '6':
        return "###"
               "#  "
               "###"
               "# #"
               "###";
    case '7':
        return "###"
               "  #"
               "  #"
               "  #"
               "  #";
    case '8':
        return "###"
               "# #"
               "###"
               "# #"
               "###";
    case '9':
        return "###"
               "# #"
               "###"
               "  #"
               "###";
    case '.':
        return "   "
               "   "
               "   "
               "   "
               " # ";
    case '%':
        return "# #"
               "  #"
               " # "
               "#  "
               "# #";
    case 'x':
        return "   "
               "# #"
               " # "
               "# #"
               "   ";
    case '-':
        return "   "
               "   "
               "###"
               "   "
               "   ";
    default:
        return "   "
               "   "
               "   "
               "   "
               "   ";
    }
}

/* Digits are 3x5 pixel glyphs. A pixel is ph columns wide and ph half-rows
 * tall (half blocks: two pixel rows per cell row), so ph 1 draws a digit 3
 * rows tall and each step up adds two or three rows. Without UTF-8 there
 * are no half blocks: a pixel is a whole cell, '#'. */
static int big_rows(struct ui *u, int ph)
{
    return u->utf8 ? (5 * ph + 1) / 2 : 5 * ph;
}

static int big_width(const char *s, int ph)
{
    int n = (int)strlen(s);
    return n ? n * 4 * ph - ph : 0;
}

static bool lit(const char *g, int prow, int pcol)
{
    return prow >= 0 && prow < 5 && g[prow * 3 + pcol] == '#';
}

static void draw_big(struct ui *u, int y, int x, const char *s, int ph, enum ui_role role)
{
    attrset(ui_attr(u, role) | A_BOLD);
    int rows = big_rows(u, ph);
    for (int cy = 0; cy < rows; cy++) {
        if (y + cy < 0 || y + cy >= u->rows)
            continue;
        for (int i = 0; s[i]; i++) {
            const char *g = glyph(s[i]);
            for (int cx = 0; cx < 3 * ph; cx++) {
                int col = x + i * 4 * ph + cx, pcol = cx / ph;
                if (col < 0 || col >= u->cols)
                    continue;
                const char *c;
                if (u->utf8) {
                    bool top = lit(g, 2 * cy / ph, pcol), bot = lit(g, (2 * cy + 1) / ph, pcol);
                    c = top && bot ? "█" : top ? "▀" : bot ? "▄" : " ";
                } else {
                    c = lit(g, cy / ph, pcol) ? "#" : " ";
                }
                mvaddstr(y + cy, col, c);
            }
        }
    }
}

/* "6m", "45s", "2h05m": ages read from across a room. */
static void short_age(char *out, size_t n, int64_t ms)
{
    int64_t s = ms < 0 ? 0 : ms / 1000;
    if (s < 60)
        snprintf(out, n, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(out, n, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(out, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(out, n, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static const char *const state_verb[] = {"ok", "ticket", "paging", "no data", "burning"};
static const char *const state_badge[] = {"OK", "TICKET", "PAGE", "NO DATA", "BURNING"};

static int state_idx(enum alert_state a)
{
    return a >= ALERT_OK && a <= ALERT_BURNING ? (int)a : ALERT_NODATA;
}

/* The most pressing first: paging, ticket, burning, no data, ok; then the
 * least budget left. */
static int severity_rank(enum alert_state a)
{
    static const int rank[] = {0, 3, 4, 1, 2};
    return rank[state_idx(a)];
}

static bool before(const struct slo *a, const struct slo *b)
{
    int ra = severity_rank(a->alert), rb = severity_rank(b->alert);
    if (ra != rb)
        return ra > rb;
    double ba = isnan(a->budget_remaining) ? 2 : a->budget_remaining;
    double bb = isnan(b->budget_remaining) ? 2 : b->budget_remaining;
    return ba < bb;
}

#define FIGS 3
static int pick_slos(struct ui *u, const struct slo **out, int cap)
{
    struct table *t = engine_table(&u->a->engine, T_SLOS);
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        const struct slo *s = table_row(t, i);
        int j = n < cap ? n++ : cap;
        if (j == cap && !before(s, out[cap - 1]))
            continue;
        if (j == cap)
            j = cap - 1;
        while (j > 0 && before(s, out[j - 1])) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = s;
    }
    return n;
}

/* The budget's colour follows the alert: a paging SLO is never green. */
static enum ui_role figure_role(const struct slo *s)
{
    double b = s->budget_remaining;
    switch (s->alert) {
    case ALERT_PAGE:
        return ROLE_CRIT;
    case ALERT_TICKET:
    case ALERT_BURNING:
        return ROLE_WARN;
    case ALERT_NODATA:
        return ROLE_DIM;
    default:
        return isnan(b) ? ROLE_DIM : b < 0.1 ? ROLE_CRIT : b < 0.5 ? ROLE_WARN : ROLE_OK;
    }
}

static void budget_text(const struct slo *s, char *out, size_t n)
{
    double b = s->budget_remaining;
    if (isnan(b))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.0f%%", b < -9.99 ? -999 : b * 100);
}

/* "1h 19.1x · 5m 360x > 14.4", or without the spaces when w is short. */
static void pair_line(struct ui *u, const struct slo *s, int w, char *out, size_t n)
{
    if (s->pair < 0 || s->pair >= s->npairs || s->pair >= SLO_PAIRS) {
        snprintf(out, n, "no window data");
        return;
    }
    const struct slo_pair *p = &s->pairs[s->pair];
    char lb[16], sb[16];
    slo_fmt_burn(lb, sizeof lb, p->long_burn);
    slo_fmt_burn(sb, sizeof sb, p->short_burn);
    bool lo = p->long_burn > p->factor, so = p->short_burn > p->factor;
    const char *op = p->firing == TB_UNKNOWN ? "?"
                     : lo && so              ? ">"
                     : !lo && !so            ? "<"
                                             : "~",
               *dot = u->utf8 ? "·" : ".";
    int len = snprintf(out, n, "%s %s %s %s %s %s %g", p->long_name, lb, dot, p->short_name, sb, op,
                       p->factor);
    if (len - (u->utf8 ? 1 : 0) > w)
        snprintf(out, n, "%s %s%s%s %s%s%g", p->long_name, lb, dot, p->short_name, sb, op,
                 p->factor);
}

/* One SLO: its budget left in big digits; under it the name, the window
 * pair and the state with its age. */
#define FIG_TEXT 3
static void draw_figure(struct ui *u, const struct slo *s, int y, int x, int w, int ph)
{
    char v[16], pair[TEXT_LEN], age[16];
    budget_text(s, v, sizeof v);
    enum ui_role role = figure_role(s);
    draw_big(u, y, x, v, ph, role);
    y += big_rows(u, ph);
    ui_text(u, y, x, w, ROLE_ACCENT, s->name);
    pair_line(u, s, w, pair, sizeof pair);
    ui_text(u, y + 1, x, w, role == ROLE_OK ? ROLE_TEXT : role, pair);
    int a = state_idx(s->alert);
    short_age(age, sizeof age, engine_now(&u->a->engine) - s->alert_since);
    int dx =
        ui_textf(u, y + 2, x, w, role, "%s", s->awaiting ? "AWAITING PROMETHEUS" : state_badge[a]);
    ui_textf(u, y + 2, x + dx, w - dx, ROLE_DIM, " for %s", age);
}

/* Full width while the gate is closed; one quiet line otherwise. */
static int draw_banner(struct ui *u, struct rect r)
{
    const struct summary *sm = engine_get(&u->a->engine, T_SUMMARY, "summary");
    if (!sm || sm->gate != GATE_STATE_CLOSED) {
        bool unknown = sm && sm->gate == GATE_STATE_UNKNOWN;
        ui_textf(u, r.y, r.x + 2, r.w - 2, unknown ? ROLE_WARN : ROLE_DIM, "deploy gate %s",
                 !sm || sm->gate == GATE_STATE_NONE ? "n/a"
                 : unknown                          ? "UNKNOWN"
                                                    : "open");
        return 2;
    }
    char text[TEXT_LEN] = "DEPLOYS FROZEN";
    struct table *t = engine_table(&u->a->engine, T_SLOS);
    for (int i = 0; i < t->count; i++) {
        const struct slo *s = table_row(t, i);
        if (s->gate != GATE_STATE_CLOSED)
            continue;
        char age[16];
        short_age(age, sizeof age, engine_now(&u->a->engine) - s->alert_since);
        snprintf(text, sizeof text, "DEPLOYS FROZEN %s %s %s %s", u->utf8 ? "·" : "-", s->name,
                 state_verb[state_idx(s->alert)], age);
        break;
    }
    attrset(ui_attr(u, ROLE_CRIT) | A_REVERSE | A_BOLD);
    for (int x = r.x; x < r.x + r.w; x++)
        mvaddstr(r.y, x, " ");
    int len = (int)strlen(text) - (u->utf8 ? 1 : 0); /* "·" is two bytes, one cell */
    int x = r.x + (r.w > len ? (r.w - len) / 2 : 0);
    mvaddnstr(r.y, x, text, r.x + r.w - x);
    return 2;
}

/* Every open incident with its age, ticking with the clock. */
static int draw_incidents(struct ui *u, struct rect r)
{
    struct table *t = engine_table(&u->a->engine, T_INCIDENTS);
    int y = r.y, open = 0;
    int64_t now = engine_now(&u->a->engine);
    for (int i = 0; i < t->count && y < r.y + r.h; i++) {
        const struct incident *inc = table_row(t, i);
        if (inc->state != INC_OPEN)
            continue;
        open++;
        char age[16];
        ui_fmt_dur(age, sizeof age, now - inc->opened);
        int x = r.x + 2;
        x += ui_textf(u, y, x, 12, ROLE_CRIT, "%s", inc->id) + 2;
        x += ui_textf(u, y, x, 16, ROLE_WARN, "open %s", age) + 2;
        ui_text(u, y, x, r.x + r.w - x, ROLE_TEXT, inc->title);
        y++;
    }
    int blind, starting;
    ui_source_health(u, &blind, &starting);
    if (!open && r.h > 0 && blind) /* no incident from a blind source is not a quiet night */
        ui_textf(u, y++, r.x + 2, r.w - 2, ROLE_WARN,
                 "NO OPEN INCIDENTS, BUT %d SOURCE%s NOT REPORTING", blind,
                 blind == 1 ? " IS" : "S ARE");
    else if (!open && r.h > 0 && !starting && !ui_sources_on(u))
        ui_text(u, y++, r.x + 2, r.w - 2, ROLE_WARN, "NO OPEN INCIDENTS, BUT NO SOURCE IS ON");
    else if (!open && r.h > 0)
        ui_text(u, y++, r.x + 2, r.w - 2, starting ? ROLE_DIM : ROLE_OK,
                starting ? "NO OPEN INCIDENTS YET: SOURCES STARTING" : "NO OPEN INCIDENTS");
    return y - r.y;
}

static void draw_entry(struct ui *u, int y, struct rect r, const struct timeline_entry *t)
{
    char c[16];
    ui_fmt_clock(c, sizeof c, t->time);
    int x = r.x + 2;
    x += ui_text(u, y, x, 10, ROLE_DIM, c) + 2;
    x += ui_textf(u, y, x, 11, ROLE_TEXT, "%-10s", t->kind) + 1;
    ui_text(u, y, x, r.x + r.w - x, ROLE_TEXT, t->text);
}

/* The current incident's timeline: where it began, then the newest entries
 * that fit. The first entry is kept because a cause comes before its
 * effects (the demo's deploy, then its crash loops, OOM kills and the
 * page): showing only the newest would leave a small screen with the
 * effects and not what started them. */
static void draw_timeline(struct ui *u, struct rect r)
{
    const struct incident *inc = ui_current_incident(u);
    if (r.h < 2 || !inc || inc->state != INC_OPEN)
        return;
    ui_textf(u, r.y, r.x + 2, r.w - 2, ROLE_ACCENT, "Timeline of %s", inc->id);
    int n = inc->ntimeline < INC_TIMELINE ? inc->ntimeline : INC_TIMELINE;
    int rows = r.h - 1, y = r.y + 1, first = 0;
    if (n > rows && rows >= 3) {
        draw_entry(u, y++, r, &inc->timeline[0]);
        first = n - (rows - 2);
        ui_textf(u, y++, r.x + 2, r.w - 2, ROLE_DIM, "%s %d more", u->utf8 ? "⋮" : ":", first - 1);
    } else if (n > rows) {
        first = n - rows;
    }
    for (int i = first; i < n; i++)
        draw_entry(u, y++, r, &inc->timeline[i]);
}

/* The largest pixel that fits: the digits leave 14 rows and half of the
 * rest to the incidents (so 3 rows at 80x24), and the widest value fits
 * its column. */
static int pick_scale(struct ui *u, const struct slo **f, int nf, int col_w, int h)
{
    int widest = 0;
    for (int i = 0; i < nf; i++) {
        char v[16];
        budget_text(f[i], v, sizeof v);
        int w = big_width(v, 1);
        widest = w > widest ? w : widest;
    }
    int ph = 1;
    while (big_rows(u, ph + 1) <= (h - 14) / 2 && widest * (ph + 1) <= col_w - 2)
        ph++;
    return ph;
}

void ui_draw_war_room(struct ui *u, struct rect r)
{
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    int y = r.y + draw_banner(u, r);
    const struct slo *f[FIGS];
    int nf = pick_slos(u, f, FIGS);
    /* as many columns as fit a value at the smallest size with its name */
    while (nf > 1 && r.w / nf < 26)
        nf--;
    if (nf > 0) {
        int col_w = r.w / nf;
        int ph = pick_scale(u, f, nf, col_w, r.h);
        int fig_h = big_rows(u, ph) + FIG_TEXT;
        if (y + fig_h <= r.y + r.h) {
            for (int i = 0; i < nf; i++)
                draw_figure(u, f[i], y, r.x + 2 + i * col_w, col_w - 3, ph);
            y += fig_h + 1;
        }
    }
    if (y < r.y + r.h) {
        ui_text(u, y, r.x + 2, r.w - 2, ROLE_ACCENT, "OPEN INCIDENTS");
        y += 1 + draw_incidents(u, (struct rect){y + 1, r.x, r.y + r.h - y - 1, r.w});
    }
    draw_timeline(u, (struct rect){y + 1, r.x, r.y + r.h - y - 1, r.w});
}
