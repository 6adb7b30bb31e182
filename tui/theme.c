/* Theme files and colour fallback; see theme.h and docs/themes.md. */
#include "theme.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"

#ifndef LOOKOUT_PREFIX
#define LOOKOUT_PREFIX "/usr/local"
#endif

const char *const theme_role_names[ROLE_COUNT] = {
    "text", "dim",  "header", "status", "title",    "title_focus", "select", "ok",
    "warn", "crit", "info",   "accent", "bar_full", "bar_empty",   "chart",  "badge",
};

const char *const theme_cycle[] = {"default",        "light",     "high-contrast",
                                   "solarized-dark", "okabe-ito", "monochrome"};
const int theme_cycle_len = (int)(sizeof theme_cycle / sizeof theme_cycle[0]);

/* Built in so that a missing or broken file still leaves a usable screen. */
static const char builtin_default[] = "name = default\n"
                                      "text = default on default\n"
                                      "dim = #8a8a8a\n"
                                      "header = #ffffff on #1c3f5e bold\n"
                                      "status = #c6c6c6 on #262626\n"
                                      "title = #a8a8a8 on #303030\n"
                                      "title_focus = #ffffff on #005f87 bold\n"
                                      "select = reverse\n"
                                      "ok = #5fd75f\n"
                                      "warn = #ffaf00 bold\n"
                                      "crit = #ff5f5f bold\n"
                                      "info = #5fafff\n"
                                      "accent = #d7afff bold\n"
                                      "bar_full = #5fd75f\n"
                                      "bar_empty = #444444\n"
                                      "chart = #87d7ff\n"
                                      "badge = #000000 on #ffaf00 bold\n";

static const char builtin_mono[] = "name = monochrome\n"
                                   "text = default\n"
                                   "dim = default dim\n"
                                   "header = default reverse\n"
                                   "status = default reverse\n"
                                   "title = default underline\n"
                                   "title_focus = default reverse bold\n"
                                   "select = reverse\n"
                                   "ok = default\n"
                                   "warn = default bold\n"
                                   "crit = default bold reverse\n"
                                   "info = default\n"
                                   "accent = default bold\n"
                                   "bar_full = default reverse\n"
                                   "bar_empty = default dim\n"
                                   "chart = default bold\n"
                                   "badge = default reverse bold\n";

static const struct {
    const char *name;
    int index;
} color_names[] = {
    {"black", 0},         {"red", 1},
    {"green", 2},         {"yellow", 3},
    {"blue", 4},          {"magenta", 5},
    {"cyan", 6},          {"white", 7},
    {"bright-black", 8},  {"gray", 8},
    {"grey", 8},          {"bright-red", 9},
    {"bright-green", 10}, {"bright-yellow", 11},
    {"bright-blue", 12},  {"bright-magenta", 13},
    {"bright-cyan", 14},  {"bright-white", 15},
};

static const struct {
    const char *name;
    int bit;
} attr_names[] = {
    {"bold", TA_BOLD}, {"underline", TA_UNDERLINE}, {"reverse", TA_REVERSE}, {"dim", TA_DIM}};

static bool parse_color(const char *w, struct color *c)
{
    if (!strcasecmp(w, "default")) {
        *c = (struct color){COLK_DEFAULT, 0};
        return true;
    }
    if (w[0] == '#') {
        if (strlen(w) != 7)
            return false;
        for (int i = 1; i < 7; i++)
            if (!isxdigit((unsigned char)w[i]))
                return false;
        *c = (struct color){COLK_RGB, (int)strtol(w + 1, NULL, 16)};
        return true;
    }
    for (size_t i = 0; i < sizeof color_names / sizeof color_names[0]; i++) {
        if (!strcasecmp(w, color_names[i].name)) {
            *c = (struct color){COLK_INDEX, color_names[i].index};
            return true;
        }
    }
    const char *digits = !strncasecmp(w, "color", 5) ? w + 5 : w;
    if (*digits && strspn(digits, "0123456789") == strlen(digits) && strlen(digits) <= 3) {
        int v = atoi(digits);
        if (v <= 255) {
            *c = (struct color){COLK_INDEX, v};
            return true;
        }
    }
    return false;
}

static int attr_bit(const char *w)
{
    for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
        if (!strcasecmp(w, attr_names[i].name))
            return attr_names[i].bit;
    return 0;
}

static int role_index(const char *w)
{
    for (int i = 0; i < ROLE_COUNT; i++)
        if (!strcmp(w, theme_role_names[i]))
            return i;
    return -1;
}

/* "FG [on BG] [attr ...]" or just attributes; -1 with a message on error. */
static int parse_style(char *value, struct style *st, char *msg, size_t msglen)
{
    struct style s = {.fg = {COLK_DEFAULT, 0}, .bg = {COLK_DEFAULT, 0}, .attrs = 0};
    int ncolors = 0;
    bool want_bg = false;
    for (char *save = NULL, *w = strtok_r(value, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        int bit = attr_bit(w);
        if (!strcasecmp(w, "on")) {
            if (want_bg || ncolors != 1) {
                snprintf(msg, msglen, "'on' must follow a foreground colour");
                return -1;
            }
            want_bg = true;
        } else if (bit) {
            s.attrs |= bit;
        } else {
            struct color c;
            if (!parse_color(w, &c)) {
                snprintf(msg, msglen,
                         "bad colour '%.40s' (use #rrggbb, a name such as red or bright-blue, "
                         "0-255, or default)",
                         w);
                return -1;
            }
            if (ncolors == 0) {
                s.fg = c;
            } else if (want_bg && ncolors == 1) {
                s.bg = c;
                want_bg = false;
            } else {
                snprintf(msg, msglen, "too many colours (expected FG [on BG] [attributes])");
                return -1;
            }
            ncolors++;
        }
    }
    if (want_bg) {
        snprintf(msg, msglen, "'on' without a background colour");
        return -1;
    }
    *st = s;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

static int parse_into(struct theme *t, const char *text, const char *file, char *err, size_t errlen)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512], msg[200];
        lineno++;
        if (len >= sizeof line) {
            snprintf(err, errlen, "%s:%d: line too long", file, lineno);
            return -1;
        }
        memcpy(line, p, len);
        line[len] = 0;
        p += len + (nl ? 1 : 0);
        /* A comment is a line starting with '#', or " # text" after a value:
         * "#rrggbb" (no blank after the '#') is a colour. */
        char *first = trim(line);
        if (*first == '#')
            *first = 0;
        for (char *h = strchr(line, '#'); h; h = strchr(h + 1, '#')) {
            if (h > line && isspace((unsigned char)h[-1]) &&
                (!h[1] || isspace((unsigned char)h[1]))) {
                *h = 0;
                break;
            }
        }
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'role = colour [on colour] [attributes]'", file,
                     lineno);
            return -1;
        }
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        if (!strcmp(key, "name")) {
            STR_COPY(t->name, value);
            continue;
        }
        int r = role_index(key);
        if (r < 0) {
            snprintf(err, errlen, "%s:%d: unknown role '%.40s'", file, lineno, key);
            return -1;
        }
        if (!*value) {
            snprintf(err, errlen, "%s:%d: role '%s' has no value", file, lineno, key);
            return -1;
        }
        if (parse_style(value, &t->roles[r], msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s:%d: %s", file, lineno, msg);
            return -1;
        }
    }
    return 0;
}

bool theme_builtin(struct theme *t, const char *name)
{
    char err[16];
    memset(t, 0, sizeof *t);
    if (parse_into(t, builtin_default, "builtin", err, sizeof err) < 0)
        return false;
    if (!strcmp(name, "default"))
        return true;
    if (!strcmp(name, "monochrome"))
        return parse_into(t, builtin_mono, "builtin", err, sizeof err) == 0;
    return false;
}

int theme_parse(struct theme *t, const char *text, const char *file, char *err, size_t errlen)
{
    struct theme tmp;
    theme_builtin(&tmp, "default");
    tmp.name[0] = 0;
    if (parse_into(&tmp, text, file, err, errlen) < 0)
        return -1;
    *t = tmp;
    return 0;
}

/* Candidate directories, in lookup order. */
static int theme_dirs(char dirs[][PATH_MAX], int max)
{
    int n = 0;
    snprintf(dirs[n++], PATH_MAX, "themes");
    const char *env = getenv("LOOKOUT_THEME_DIR");
    if (env && *env && n < max)
        snprintf(dirs[n++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0 && n < max) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(dirs[n++], PATH_MAX, "%.3000s/../share/lookout/themes", exe);
        }
    }
    if (n < max)
        snprintf(dirs[n++], PATH_MAX, "%s/share/lookout/themes", LOOKOUT_PREFIX);
    return n;
}

static int load_file(struct theme *t, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = read_file(path, 64 * 1024, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = theme_parse(t, text, path, err, errlen);
    free(text);
    return rc;
}

int theme_load(struct theme *t, const char *name, char *err, size_t errlen)
{
    int rc = -1;
    if (strchr(name, '/') || strstr(name, ".theme")) {
        rc = load_file(t, name, err, errlen);
    } else {
        char dirs[4][PATH_MAX];
        int n = theme_dirs(dirs, 4);
        bool found = false;
        for (int i = 0; i < n && !found; i++) {
            char path[PATH_MAX + 80];
            snprintf(path, sizeof path, "%.3800s/%.60s.theme", dirs[i], name);
            if (access(path, R_OK) == 0) {
                found = true;
                rc = load_file(t, path, err, errlen);
            }
        }
        if (!found) {
            if (theme_builtin(t, name))
                return 0;
            snprintf(err, errlen,
                     "theme '%.60s' not found (looked in ./themes, "
                     "$LOOKOUT_THEME_DIR, <prefix>/share/lookout/themes)",
                     name);
        }
    }
    if (rc == 0) {
        if (!t->name[0])
            STR_COPY(t->name, name);
        return 0;
    }
    theme_builtin(t, "default");
    return -1;
}

/* ---- colour fallback ---- */

enum color_depth color_depth_detect(const char *no_color, bool has_colors, int colors,
                                    const char *colorterm, bool can_change)
{
    if ((no_color && *no_color) || !has_colors || colors < 8)
        return DEPTH_MONO;
    bool ct24 = colorterm && (!strcmp(colorterm, "truecolor") || !strcmp(colorterm, "24bit"));
    if (colors >= 0x1000000 || (ct24 && can_change && colors >= 256))
        return DEPTH_TRUE;
    if (colors >= 256)
        return DEPTH_256;
    if (colors >= 16)
        return DEPTH_16;
    return DEPTH_8;
}

static const int ansi16_rgb[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};
static const int cube_levels[6] = {0, 95, 135, 175, 215, 255};

int color_256_rgb(int idx)
{
    if (idx < 16)
        return ansi16_rgb[idx < 0 ? 0 : idx];
    if (idx < 232) {
        idx -= 16;
        return cube_levels[idx / 36] << 16 | cube_levels[(idx / 6) % 6] << 8 | cube_levels[idx % 6];
    }
    int g = 8 + (idx - 232) * 10;
    return g << 16 | g << 8 | g;
}

static int dist2(int a, int b)
{
    int dr = ((a >> 16) & 255) - ((b >> 16) & 255);
    int dg = ((a >> 8) & 255) - ((b >> 8) & 255);
    int db = (a & 255) - (b & 255);
    return dr * dr * 2 + dg * dg * 4 + db * db * 3; /* rough perceptual weights */
}

static int nearest_level(int v)
{
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(cube_levels[i] - v) < abs(cube_levels[best] - v))
            best = i;
    return best;
}

int color_rgb_to_256(int rgb)
{
    int r = nearest_level((rgb >> 16) & 255), g = nearest_level((rgb >> 8) & 255),
        b = nearest_level(rgb & 255);
    int cube = 16 + 36 * r + 6 * g + b;
    int avg = (((rgb >> 16) & 255) + ((rgb >> 8) & 255) + (rgb & 255)) / 3;
    int gi = avg < 8 ? 0 : avg > 238 ? 23 : (avg - 8 + 5) / 10;
    if (gi > 23)
        gi = 23;
    int gray = 232 + gi;
    return dist2(color_256_rgb(gray), rgb) < dist2(color_256_rgb(cube), rgb) ? gray : cube;
}

int color_256_to_16(int idx)
{
    if (idx < 16)
        return idx;
    int rgb = color_256_rgb(idx), best = 0;
    for (int i = 1; i < 16; i++)
        if (dist2(ansi16_rgb[i], rgb) < dist2(ansi16_rgb[best], rgb))
            best = i;
    return best;
}

static int luma(int rgb)
{
    return (((rgb >> 16) & 255) * 299 + ((rgb >> 8) & 255) * 587 + (rgb & 255) * 114) / 1000;
}

/* Nearest of the 8 standard colours. Folding a bright index onto its base
 * (idx & 7) would turn bright black (gray) into black: invisible on a dark
 * screen, so the choice is by distance. */
static int rgb_to_8(int rgb)
{
    int r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
    int hi = r > g ? (r > b ? r : b) : (g > b ? g : b),
        lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
    if (hi - lo < 40) /* a gray: black or white, never a hue it does not have */
        return luma(rgb) >= 96 ? 7 : 0;
    int best = 0;
    for (int i = 1; i < 8; i++)
        if (dist2(ansi16_rgb[i], rgb) < dist2(ansi16_rgb[best], rgb))
            best = i;
    return best;
}

int color_resolve(struct color c, enum color_depth d)
{
    if (c.kind == COLK_DEFAULT || d == DEPTH_MONO)
        return -1;
    if (d == DEPTH_TRUE)
        return c.kind == COLK_RGB ? (c.value | COLOR_RGB_FLAG) : c.value;
    int idx = c.kind == COLK_RGB ? color_rgb_to_256(c.value) : c.value;
    if (d == DEPTH_256)
        return idx;
    if (d == DEPTH_16)
        return color_256_to_16(idx);
    if (idx < 8)
        return idx;
    return rgb_to_8(c.kind == COLK_RGB ? c.value : color_256_rgb(idx));
}

/* ---- a role's colours at a depth ---- */

static int rgb_of(int v)
{
    return (v & COLOR_RGB_FLAG) ? (v & 0xffffff) : color_256_rgb(v & 255);
}

/* At 8 and 16 colours two colours this close read as one (bright red on
 * red, white on bright white); with more colours only an exact match does. */
static bool too_close(int a, int b, enum color_depth d)
{
    return d <= DEPTH_16 ? dist2(a, b) < 20000 : a == b;
}

/* The standard colour of a state role at 8 and 16 colours, -1 for others.
 * A theme's shade of green may land on cyan or gray in 16 colours; state
 * must stay red/green/yellow/blue. Named and indexed colours are the user's
 * palette choice and are kept. */
static int state_color(int r, struct color c, enum color_depth d)
{
    int base = r == ROLE_OK ? 2 : r == ROLE_WARN ? 3 : r == ROLE_CRIT ? 1 : r == ROLE_INFO ? 4 : -1;
    if (base < 0 || c.kind != COLK_RGB || (d != DEPTH_8 && d != DEPTH_16))
        return -1;
    return d == DEPTH_16 && luma(c.value) >= 128 ? base + 8 : base;
}

/* The text role's colours, and what its "default" stands for when colours
 * are compared: the terminal's own colours are unknown, so text that is
 * itself dark is taken to sit on white, anything else on black. */
struct screen {
    int fg, bg;         /* resolved (-1 for the terminal's default) */
    int fg_rgb, bg_rgb; /* assumed RGB */
};

static struct screen screen_of(const struct theme *t, enum color_depth d)
{
    struct screen s = {color_resolve(t->roles[ROLE_TEXT].fg, d),
                       color_resolve(t->roles[ROLE_TEXT].bg, d), 0, 0};
    bool dark_text = s.fg >= 0 && luma(rgb_of(s.fg)) < 128;
    s.bg_rgb = s.bg >= 0 ? rgb_of(s.bg) : dark_text ? ansi16_rgb[7] : ansi16_rgb[0];
    s.fg_rgb = s.fg >= 0 ? rgb_of(s.fg) : luma(s.bg_rgb) < 128 ? ansi16_rgb[7] : ansi16_rgb[0];
    if (s.fg >= 0 && s.bg >= 0 && too_close(s.fg_rgb, s.bg_rgb, d)) {
        s.fg = s.bg = -1; /* the theme's text is unreadable here: the terminal's own */
        s.fg_rgb = ansi16_rgb[7];
        s.bg_rgb = ansi16_rgb[0];
    }
    return s;
}

/* Black or white, whichever stands out more on bg. */
static int contrast_on(int bg_rgb, enum color_depth d)
{
    int white = d == DEPTH_8 ? 7 : 15;
    return dist2(ansi16_rgb[0], bg_rgb) > dist2(ansi16_rgb[white], bg_rgb) ? 0 : white;
}

struct role_colors theme_role_colors(const struct theme *t, int r, bool on_header,
                                     enum color_depth d)
{
    struct theme mono;
    theme_builtin(&mono, "monochrome");
    const struct style *s = &t->roles[r], *h = &t->roles[ROLE_HEADER];
    int mono_attrs = mono.roles[r].attrs | (on_header ? mono.roles[ROLE_HEADER].attrs : 0);
    if (d == DEPTH_MONO)
        return (struct role_colors){-1, -1, mono_attrs};
    struct screen sc = screen_of(t, d);
    /* A role without its own colours takes the text's, or inside the header
     * strip the header's; the strip's reverse belongs to the strip alone. */
    struct color fgc = s->fg, bgc = s->bg;
    int attrs = s->attrs;
    if (on_header) {
        fgc = s->fg.kind != COLK_DEFAULT ? s->fg : h->fg;
        bgc = s->bg.kind != COLK_DEFAULT ? s->bg : h->bg;
        attrs = (s->attrs | h->attrs) & ~TA_REVERSE;
    }
    if (r == ROLE_TEXT && !on_header)
        return (struct role_colors){sc.fg, sc.bg, attrs};
    bool own_bg = bgc.kind != COLK_DEFAULT;
    int st = s->bg.kind == COLK_DEFAULT ? state_color(r, fgc, d) : -1;
    struct role_colors rc = {st >= 0                    ? st
                             : fgc.kind == COLK_DEFAULT ? sc.fg
                                                        : color_resolve(fgc, d),
                             own_bg ? color_resolve(bgc, d) : sc.bg, attrs};
    /* A strip (header, status, title, badge) whose background is lost on the
     * screen's: the monochrome attributes draw it instead (reverse for the
     * header and status line, underline for a title). Inside a lost header
     * strip a state keeps its colour, reversed into a block. */
    int bg_rgb = rc.bg >= 0 ? rgb_of(rc.bg) : sc.bg_rgb;
    if (own_bg && d <= DEPTH_16 && rc.bg >= 0 && too_close(bg_rgb, sc.bg_rgb, d)) {
        bool state = on_header && s->bg.kind == COLK_DEFAULT &&
                     (r == ROLE_OK || r == ROLE_WARN || r == ROLE_CRIT || r == ROLE_INFO);
        if (!state)
            rc.fg = sc.fg;
        rc.bg = sc.bg;
        rc.attrs |= state ? TA_REVERSE | TA_BOLD : mono_attrs;
        bg_rgb = sc.bg_rgb;
    }
    int fg_rgb = rc.fg >= 0 ? rgb_of(rc.fg) : sc.fg_rgb;
    if (too_close(fg_rgb, bg_rgb, d)) {
        /* Cannot be told from its background: the screen's own text colour
         * on the screen, black or white on a colour, marked by attribute. */
        rc.fg = rc.bg < 0 || rc.bg == sc.bg ? sc.fg : contrast_on(bg_rgb, d);
        if (rc.fg < 0 && rc.bg >= 0)
            rc.fg = contrast_on(bg_rgb, d);
        rc.attrs |= mono_attrs & ~TA_REVERSE;
    } else if (!own_bg && d <= DEPTH_16 && fgc.kind != COLK_DEFAULT &&
               too_close(fg_rgb, sc.fg_rgb, d)) {
        /* Same as the text at this depth (dim gray becomes white): the
         * monochrome attribute keeps the role apart. */
        rc.attrs |= mono_attrs;
    }
    return rc;
}
