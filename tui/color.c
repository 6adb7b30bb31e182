/* Applies a theme to curses: the colour fallback chain lives in theme.c
 * (color_resolve); this file only turns its answers into colour pairs. */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

void ui_colors_init(struct ui *u)
{
    bool colors = has_colors();
    if (colors) {
        start_color();
        use_default_colors();
    }
    u->depth = color_depth_detect(getenv("NO_COLOR"), colors, colors ? COLORS : 0,
                                  getenv("COLORTERM"), colors && can_change_color());
}

static int attrs_of(int ta)
{
    int a = 0;
    if (ta & TA_BOLD)
        a |= A_BOLD;
    if (ta & TA_UNDERLINE)
        a |= A_UNDERLINE;
    if (ta & TA_REVERSE)
        a |= A_REVERSE;
    if (ta & TA_DIM)
        a |= A_DIM;
    return a;
}

/* Palette slots we redefine for RGB colours when the terminal lets us change
 * its palette but has no direct colour: from 16 up, two per role. */
static int palette_slot(int rgb, int *next)
{
    int slot = (*next)++;
    init_extended_color(slot, ((rgb >> 16) & 255) * 1000 / 255, ((rgb >> 8) & 255) * 1000 / 255,
                        (rgb & 255) * 1000 / 255);
    return slot;
}

/* A resolved colour for curses: RGB becomes the value itself on a direct
 * colour terminal, or a redefined palette slot. */
static int curses_color(int v, int *next_slot)
{
    if (v < 0 || !(v & COLOR_RGB_FLAG))
        return v;
    int rgb = v & 0xffffff;
    if (COLORS >= 0x1000000)
        return rgb; /* direct colour terminfo: the value is the colour */
    return palette_slot(rgb, next_slot);
}

/* Colour pair `pair` for a role; returns its curses attributes. */
static int role_pair(struct ui *u, int r, bool on_header, int pair, int *next_slot)
{
    struct role_colors rc = theme_role_colors(&u->theme, r, on_header, u->depth);
    int attr = attrs_of(rc.attrs);
    if (u->depth == DEPTH_MONO)
        return attr;
    init_extended_pair(pair, curses_color(rc.fg, next_slot), curses_color(rc.bg, next_slot));
    return attr | COLOR_PAIR(pair);
}

void ui_theme_apply(struct ui *u)
{
    int next_slot = 16;
    for (int r = 0; r < ROLE_COUNT; r++) {
        u->role_attr[r] = role_pair(u, r, false, r + 1, &next_slot);
        /* The same roles again on the header's background, so the strip stays whole. */
        u->header_attr[r] = role_pair(u, r, true, ROLE_COUNT + 1 + r, &next_slot);
    }
    bkgdset(' ' | u->role_attr[ROLE_TEXT]);
}
