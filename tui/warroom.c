/* War-room mode: a few numbers in large block digits for a shared screen,
 * then the incident timeline; no small print. */
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

/* Width in cells of text in big digits (each pixel is two cells wide). */
static int big_width(const char *s)
{
    int n = (int)strlen(s);
    return n ? n * 8 - 2 : 0;
}

static void draw_big(struct ui *u, int y, int x, const char *s, enum ui_role role)
{
    const char *px = u->utf8 ? "██" : "##";
    attrset(ui_attr(u, role) | A_BOLD);
    for (int row = 0; row < 5; row++) {
        for (int i = 0; s[i]; i++) {
            const char *g = glyph(s[i]);
            for (int col = 0; col < 3; col++) {
                int cx = x + i * 8 + col * 2;
                if (y + row >= u->rows || cx + 1 >= u->cols || y + row < 0)
                    continue;
                mvaddstr(y + row, cx, g[row * 3 + col] == '#' ? px : "  ");
            }
        }
    }
}

struct figure {
    const char *label;
    char value[16];
    enum ui_role role;
};

static void figures(struct ui *u, struct figure f[3])
{
    struct table *t = engine_table(&u->a->engine, T_SLOS);
    double budget = NAN, burn = NAN;
    for (int i = 0; i < t->count; i++) {
        const struct slo *s = table_row(t, i);
        if (!isnan(s->budget_remaining) && (isnan(budget) || s->budget_remaining < budget))
            budget = s->budget_remaining;
        if (s->nwindows > 0 && !isnan(s->windows[0].burn_rate) &&
            (isnan(burn) || s->windows[0].burn_rate > burn))
            burn = s->windows[0].burn_rate;
    }
    const struct summary *sm = engine_get(&u->a->engine, T_SUMMARY, "summary");
    int inc = sm ? sm->open_incidents : 0;
    f[0].label = "LOWEST ERROR BUDGET LEFT";
    if (isnan(budget))
        snprintf(f[0].value, sizeof f[0].value, "-");
    else
        snprintf(f[0].value, sizeof f[0].value, "%.0f%%", budget < -9.99 ? -999 : budget * 100);
    f[0].role = isnan(budget)  ? ROLE_DIM
                : budget < 0.1 ? ROLE_CRIT
                : budget < 0.5 ? ROLE_WARN
                               : ROLE_OK;
    f[1].label = "WORST BURN RATE";
    if (isnan(burn))
        snprintf(f[1].value, sizeof f[1].value, "-");
    else
        snprintf(f[1].value, sizeof f[1].value, burn >= 100 ? "%.0fx" : "%.1fx", burn);
    f[1].role = isnan(burn) ? ROLE_DIM : burn >= 14.4 ? ROLE_CRIT : burn >= 1 ? ROLE_WARN : ROLE_OK;
    f[2].label = "OPEN INCIDENTS";
    snprintf(f[2].value, sizeof f[2].value, "%d", inc);
    f[2].role = inc ? ROLE_CRIT : ROLE_OK;
}

static void draw_timeline(struct ui *u, struct rect r)
{
    const struct incident *inc = ui_current_incident(u);
    if (r.h < 2)
        return;
    if (!inc) {
        ui_text(u, r.y, r.x + 2, r.w - 2, ROLE_OK, "NO OPEN INCIDENTS");
        return;
    }
    ui_textf(u, r.y, r.x + 2, r.w - 2, ROLE_CRIT, "%s  %s", inc->id, inc->title);
    int n = inc->ntimeline < INC_TIMELINE ? inc->ntimeline : INC_TIMELINE;
    int rows = r.h - 2;
    int first = n > rows ? n - rows : 0; /* the newest entries that fit */
    for (int i = first, y = r.y + 2; i < n; i++, y++) {
        char c[16];
        ui_fmt_clock(c, sizeof c, inc->timeline[i].time);
        int x = r.x + 2;
        x += ui_text(u, y, x, 10, ROLE_ACCENT, c) + 2;
        x += ui_textf(u, y, x, 11, ROLE_TEXT, "%-10s", inc->timeline[i].kind) + 1;
        ui_text(u, y, x, r.x + r.w - x, ROLE_TEXT, inc->timeline[i].text);
    }
}

void ui_draw_war_room(struct ui *u, struct rect r)
{
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    struct figure f[3];
    figures(u, f);
    int widest = 0;
    for (int i = 0; i < 3; i++)
        if (big_width(f[i].value) > widest)
            widest = big_width(f[i].value);
    int col_w = widest + 4 > 28 ? widest + 4 : 28;
    int y = r.y + 1;
    if (r.h >= 10 && r.w >= 3 * col_w) {
        for (int i = 0; i < 3; i++) {
            int x = r.x + 2 + i * (r.w / 3);
            ui_text(u, y, x, r.w / 3 - 2, ROLE_ACCENT, f[i].label);
            draw_big(u, y + 2, x, f[i].value, f[i].role);
        }
        y += 8;
    } else if (r.h >= 24 && r.w >= col_w) {
        for (int i = 0; i < 3; i++) {
            ui_text(u, y, r.x + 2, r.w - 2, ROLE_ACCENT, f[i].label);
            draw_big(u, y + 1, r.x + 2, f[i].value, f[i].role);
            y += 7;
        }
    } else {
        for (int i = 0; i < 3 && y < r.y + r.h; i++, y++)
            ui_textf(u, y, r.x + 2, r.w - 2, f[i].role, "%s  %s", f[i].label, f[i].value);
        y++;
    }
    draw_timeline(u, (struct rect){y, r.x, r.y + r.h - y, r.w});
}
