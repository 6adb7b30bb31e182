/* Themes: a colour and attributes per UI role, read from themes/NAME.theme
 * (format in docs/themes.md). Parsing and colour arithmetic are pure (no
 * curses) so they are unit-tested; tui/color.c applies a theme to curses. */
#ifndef LOOKOUT_THEME_H
#define LOOKOUT_THEME_H

#include <stdbool.h>
#include <stddef.h>

enum ui_role {
    ROLE_TEXT,        /* ordinary text and panel background */
    ROLE_DIM,         /* secondary text: times, units, hints */
    ROLE_HEADER,      /* the header strip */
    ROLE_STATUS,      /* the status / key-hint line */
    ROLE_TITLE,       /* panel title bars */
    ROLE_TITLE_FOCUS, /* the focused panel's title bar */
    ROLE_SELECT,      /* the selected row */
    ROLE_OK,          /* passed, healthy, gate open */
    ROLE_WARN,        /* ticket, warning, running late */
    ROLE_CRIT,        /* page, failed, critical */
    ROLE_INFO,        /* running, informational */
    ROLE_ACCENT,      /* section headings, keys in help */
    ROLE_BAR_FULL,    /* budget bar, filled part */
    ROLE_BAR_EMPTY,   /* budget bar, empty part */
    ROLE_CHART,       /* burn-down chart and sparklines */
    ROLE_BADGE,       /* SIMULATED / STALE badges */
    ROLE_COUNT
};

enum color_kind { COLK_DEFAULT, COLK_INDEX, COLK_RGB };
struct color {
    enum color_kind kind;
    int value; /* palette index 0-255, or 0xRRGGBB */
};

#define TA_BOLD      1
#define TA_UNDERLINE 2
#define TA_REVERSE   4
#define TA_DIM       8

struct style {
    struct color fg, bg;
    int attrs;
};

struct theme {
    char name[64];
    struct style roles[ROLE_COUNT];
};

extern const char *const theme_role_names[ROLE_COUNT];
/* The themes `t` cycles through, in order; "default" and "monochrome" are
 * also built in, so they work without any file. */
extern const char *const theme_cycle[];
extern const int theme_cycle_len;

/* Parses theme text over the built-in default (roles not named keep the
 * default's style). -1 with "file:line: message" in err. */
int theme_parse(struct theme *t, const char *text, const char *file, char *err, size_t errlen);
/* The built-in themes by name ("default", "monochrome"); false if unknown. */
bool theme_builtin(struct theme *t, const char *name);
/* Finds and loads a theme by name or path: a name is looked up as
 * ./themes/NAME.theme, then $LOOKOUT_THEME_DIR/NAME.theme, then
 * PREFIX/share/lookout/themes/NAME.theme, then the built-ins. On error
 * t is the default theme and err says why ("file:line: message"). */
int theme_load(struct theme *t, const char *name, char *err, size_t errlen);

/* ---- colour fallback (the one place) ---- */
enum color_depth { DEPTH_MONO, DEPTH_8, DEPTH_16, DEPTH_256, DEPTH_TRUE };
/* What the terminal can show: NO_COLOR set (non-empty) or no colours give
 * MONO; direct colour (colors >= 2^24) or COLORTERM=truecolor/24bit with a
 * changeable palette give TRUE; then 256, 16, 8. */
enum color_depth color_depth_detect(const char *no_color, bool has_colors, int colors,
                                    const char *colorterm, bool can_change);
/* Nearest xterm-256 index to an RGB colour (the 6x6x6 cube or the grays). */
int color_rgb_to_256(int rgb);
/* Nearest of the 16 ANSI colours to a 256-palette index. */
int color_256_to_16(int idx);
/* RGB value of a 256-palette index (xterm defaults). */
int color_256_rgb(int idx);
/* The colour to hand to curses at a depth: -1 for the terminal's default,
 * a palette index 0-255, or (at DEPTH_TRUE only) COLOR_RGB_FLAG | 0xRRGGBB. */
#define COLOR_RGB_FLAG 0x1000000
int color_resolve(struct color c, enum color_depth d);

/* One role as curses gets it: colours as color_resolve() gives them, and
 * TA_* attributes. */
struct role_colors {
    int fg, bg;
    int attrs;
};
/* Role r of theme t at depth d, on the screen or (on_header) inside the
 * header strip. No foreground resolves to its background: at 8 and 16
 * colours not even to a colour too close to tell apart, state roles take
 * the standard red/green/yellow/blue, and where colours collapse (a strip's
 * background onto the screen's, dim gray onto the text) the monochrome
 * theme's attributes mark the role instead. */
struct role_colors theme_role_colors(const struct theme *t, int r, bool on_header,
                                     enum color_depth d);

#endif
