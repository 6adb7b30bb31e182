/* Drawing primitives shared by the panels. Every string goes through
 * textsafe before curses sees it. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/loop.h"
#include "base/textsafe.h"
#include "ui.h"

int ui_attr(struct ui *u, enum ui_role role)
{
    if ((int)role >= ROLE_COUNT && (int)role < 2 * ROLE_COUNT)
        return u->header_attr[role - ROLE_COUNT];
    return u->role_attr[role];
}

static bool in_screen(struct ui *u, int y, int x)
{
    return y >= 0 && y < u->rows && x >= 0 && x < u->cols;
}

int ui_text(struct ui *u, int y, int x, int w, enum ui_role role, const char *text)
{
    if (!in_screen(u, y, x) || w <= 0)
        return 0;
    if (x + w > u->cols)
        w = u->cols - x;
    char safe[1024];
    int cells = ts_clip(text ? text : "", w, safe, sizeof safe, !u->utf8);
    attrset(ui_attr(u, role));
    mvaddstr(y, x, safe);
    return cells;
}

int ui_clip(struct ui *u, const char *text, int w, char *out, size_t outlen)
{
    return ts_clip(text ? text : "", w < 0 ? 0 : w, out, outlen, !u->utf8);
}

int ui_textf(struct ui *u, int y, int x, int w, enum ui_role role, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return ui_text(u, y, x, w, role, tmp);
}

int ui_wrap(struct ui *u, struct rect r, enum ui_role role, const char *text)
{
    if (r.h <= 0 || r.w <= 0)
        return 0;
    char safe[2048];
    ts_sanitize(text ? text : "", (size_t)-1, safe, sizeof safe, !u->utf8);
    const char *p = safe;
    int n = 0;
    while (*p && n < r.h) {
        const char *next;
        size_t len = ts_wrap(p, r.w, &next);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        ui_text(u, r.y + n++, r.x, r.w, role, line);
        p = next;
    }
    return n;
}

void ui_fill(struct ui *u, int y, int x, int w, enum ui_role role)
{
    if (!in_screen(u, y, x) || w <= 0)
        return;
    if (x + w > u->cols)
        w = u->cols - x;
    attrset(ui_attr(u, role));
    mvhline(y, x, ' ', w);
}

void ui_bar(struct ui *u, int y, int x, int w, double frac, enum ui_role full)
{
    if (!in_screen(u, y, x) || w <= 0)
        return;
    if (isnan(frac))
        frac = 0;
    frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    int eighths = (int)lround(frac * w * 8);
    static const char *const parts[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    for (int i = 0; i < w && x + i < u->cols; i++) {
        int e = eighths - i * 8;
        if (e >= 8) {
            attrset(ui_attr(u, full));
            mvaddstr(y, x + i, u->utf8 ? "█" : "#");
        } else if (e > 0 && u->utf8 && !u->console) {
            attrset(ui_attr(u, full));
            mvaddstr(y, x + i, parts[e]);
        } else {
            attrset(ui_attr(u, ROLE_BAR_EMPTY));
            mvaddstr(y, x + i, u->utf8 ? "░" : ".");
        }
    }
}

void ui_sparkline(struct ui *u, int y, int x, const double *v, int n, enum ui_role role)
{
    static const char *const ticks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static const char ascii[] = "_.-=*#";
    double max = 0;
    for (int i = 0; i < n; i++)
        if (v[i] > max)
            max = v[i];
    attrset(ui_attr(u, role));
    for (int i = 0; i < n; i++) {
        if (!in_screen(u, y, x + i))
            return;
        if (v[i] <= 0 || max <= 0) {
            mvaddstr(y, x + i, u->utf8 ? " " : " ");
            continue;
        }
        double f = v[i] / max;
        if (u->utf8 && !u->console) {
            mvaddstr(y, x + i, ticks[(int)fmin(7, floor(f * 8))]);
        } else {
            char c[2] = {ascii[(int)fmin(5, floor(f * 6))], 0};
            mvaddstr(y, x + i, c);
        }
    }
}

/* Braille: each cell holds 2x4 dots; bit layout per the Unicode block. */
static const int braille_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
/* The console: each cell is two half blocks, bit 1 the upper, 2 the lower. */
static const int half_bit[4][2] = {{1, 1}, {2, 2}};
static const char *const half_glyph[4] = {" ", "▀", "▄", "█"};

static const char *chart_cell(struct ui *u, int bits, char braille[4])
{
    if (!bits)
        return " ";
    if (u->console)
        return half_glyph[bits & 3];
    if (!u->utf8)
        return "#";
    braille[0] = (char)0xe2;
    braille[1] = (char)(0xa0 | (bits >> 6));
    braille[2] = (char)(0x80 | (bits & 0x3f));
    braille[3] = 0;
    return braille;
}

void ui_chart(struct ui *u, struct rect r, const float *v, int n, double lo, double hi)
{
    if (r.h <= 0 || r.w <= 0 || n <= 0 || hi <= lo)
        return;
    bool braille = u->utf8 && !u->console;
    int sub_x = braille ? 2 : 1, sub_y = braille ? 4 : u->console ? 2 : 1;
    const int(*bit)[2] = braille ? braille_bit : half_bit;
    int dots_w = r.w * sub_x, dots_h = r.h * sub_y;
    attrset(ui_attr(u, ROLE_CHART));
    for (int cy = 0; cy < r.h; cy++) {
        for (int cx = 0; cx < r.w; cx++) {
            int bits = 0;
            for (int sx = 0; sx < sub_x; sx++) {
                int dx = cx * sub_x + sx;
                int i = dots_w > 1 ? (int)((double)dx * (n - 1) / (dots_w - 1) + 0.5) : n - 1;
                if (isnan(v[i]))
                    continue; /* no data there: a gap, never a level it did not have */
                double f = ((double)v[i] - lo) / (hi - lo);
                f = f < 0 ? 0 : f > 1 ? 1 : f;
                int level = (int)lround(f * (dots_h - 1)); /* 0 = bottom */
                for (int sy = 0; sy < sub_y; sy++) {
                    int dy = dots_h - 1 - (cy * sub_y + sy);
                    /* Filled area under the line: a burn-down reads at a glance. */
                    if (dy <= level)
                        bits |= bit[sy][sx];
                }
            }
            char cell[4];
            if (in_screen(u, r.y + cy, r.x + cx))
                mvaddstr(r.y + cy, r.x + cx, chart_cell(u, bits, cell));
        }
    }
}

void ui_fmt_dur(char *out, size_t outlen, int64_t ms)
{
    if (ms < 0) {
        snprintf(out, outlen, "-");
        return;
    }
    int64_t s = ms / 1000;
    if (s < 60)
        snprintf(out, outlen, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(out, outlen, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(out, outlen, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s % 86400 < 3600)
        snprintf(out, outlen, "%lldd", (long long)(s / 86400));
    else
        snprintf(out, outlen, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

void ui_fmt_age(char *out, size_t outlen, int64_t ms)
{
    int64_t s = ms / 1000;
    if (ms < 0)
        snprintf(out, outlen, "-");
    else if (s < 60)
        snprintf(out, outlen, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(out, outlen, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(out, outlen, "%lldh", (long long)(s / 3600));
    else
        snprintf(out, outlen, "%lldd", (long long)(s / 86400));
}

void ui_fmt_clock(char *out, size_t outlen, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%H:%M:%S", &tm);
}

const char *ui_job_glyph(struct ui *u, int status)
{
    static const char *const utf[] = {
        [JOB_CREATED] = "○",   [JOB_PENDING] = "○",  [JOB_RUNNING] = "●",   [JOB_SUCCESS] = "✓",
        [JOB_FAILED] = "✗",    [JOB_CANCELED] = "⊘", [JOB_SKIPPED] = "»",   [JOB_MANUAL] = "▷",
        [JOB_SCHEDULED] = "◷", [JOB_WAITING] = "○",  [JOB_PREPARING] = "◌", [JOB_BLOCKED] = "■",
    };
    static const char *const asc[] = {
        [JOB_CREATED] = ".",   [JOB_PENDING] = ".",  [JOB_RUNNING] = ">",   [JOB_SUCCESS] = "+",
        [JOB_FAILED] = "x",    [JOB_CANCELED] = "/", [JOB_SKIPPED] = "-",   [JOB_MANUAL] = "m",
        [JOB_SCHEDULED] = "s", [JOB_WAITING] = ".",  [JOB_PREPARING] = ".", [JOB_BLOCKED] = "#",
    };
    if (status < 0 || status > JOB_BLOCKED)
        return "?";
    return u->utf8 ? utf[status] : asc[status];
}

enum ui_role ui_job_role(int status)
{
    switch (status) {
    case JOB_SUCCESS:
        return ROLE_OK;
    case JOB_FAILED:
    case JOB_BLOCKED:
        return ROLE_CRIT;
    case JOB_RUNNING:
    case JOB_PREPARING:
        return ROLE_INFO;
    case JOB_MANUAL:
    case JOB_CANCELED:
        return ROLE_WARN;
    default:
        return ROLE_DIM;
    }
}

bool ui_filter_pass(struct panel_view *v, const char *text)
{
    if (!v->re)
        return true;
    int rc = pcre2_match(v->re, (PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, 0, v->md, NULL);
    return rc >= 0;
}

void ui_view_clamp(struct panel_view *v, int h)
{
    if (h < 1)
        h = 1;
    if (v->sel >= v->nrows)
        v->sel = v->nrows - 1;
    if (v->sel < 0)
        v->sel = 0;
    if (v->top > v->sel)
        v->top = v->sel;
    if (v->sel >= v->top + h)
        v->top = v->sel - h + 1;
    if (v->top > v->nrows - h)
        v->top = v->nrows - h;
    if (v->top < 0)
        v->top = 0;
}

void ui_message(struct ui *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->message, sizeof u->message, fmt, ap);
    va_end(ap);
    u->message_until = loop_mono_ms() + 5000;
    u->input_dirty = true;
}
