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

static int curses_color(struct ui *u, struct color c, int *next_slot)
{
    int v = color_resolve(c, u->depth);
    if (v < 0 || !(v & COLOR_RGB_FLAG))
        return v;
    int rgb = v & 0xffffff;
    if (COLORS >= 0x1000000)
        return rgb; /* direct colour terminfo: the value is the colour */
    return palette_slot(rgb, next_slot);
}

void ui_theme_apply(struct ui *u)
{
    struct theme mono;
    const struct theme *t = &u->theme;
    if (u->depth == DEPTH_MONO) {
        theme_builtin(&mono, "monochrome"); /* state by attribute, never by colour */
        t = &mono;
    }
    int next_slot = 16;
    for (int r = 0; r < ROLE_COUNT; r++) {
        const struct style *s = &t->roles[r];
        int attr = attrs_of(s->attrs);
        if (u->depth != DEPTH_MONO) {
            int fg = curses_color(u, s->fg, &next_slot);
            int bg = curses_color(u, s->bg, &next_slot);
            /* A role without its own background sits on the text background. */
            if (s->bg.kind == COLK_DEFAULT && r != ROLE_TEXT)
                bg = curses_color(u, t->roles[ROLE_TEXT].bg, &next_slot);
            if (s->fg.kind == COLK_DEFAULT && r != ROLE_TEXT)
                fg = curses_color(u, t->roles[ROLE_TEXT].fg, &next_slot);
            init_extended_pair(r + 1, fg, bg);
            attr |= COLOR_PAIR(r + 1);
        }
        u->role_attr[r] = attr;
    }
    /* Signal roles again, on the header's background, so the strip stays whole. */
    const struct style *h = &t->roles[ROLE_HEADER];
    for (int r = 0; r < ROLE_COUNT; r++) {
        const struct style *s = &t->roles[r];
        int attr = attrs_of(s->attrs | h->attrs) & ~A_REVERSE;
        if (u->depth == DEPTH_MONO) {
            u->header_attr[r] = attrs_of(s->attrs) | attrs_of(h->attrs);
            continue;
        }
        /* A role with its own background (a badge-like style) keeps it. */
        struct color bgc = s->bg.kind != COLK_DEFAULT   ? s->bg
                           : h->bg.kind != COLK_DEFAULT ? h->bg
                                                        : t->roles[ROLE_TEXT].bg;
        int fg = curses_color(u, s->fg.kind != COLK_DEFAULT ? s->fg : h->fg, &next_slot);
        int bg = curses_color(u, bgc, &next_slot);
        init_extended_pair(ROLE_COUNT + 1 + r, fg, bg);
        u->header_attr[r] = attr | COLOR_PAIR(ROLE_COUNT + 1 + r);
    }
    bkgdset(' ' | u->role_attr[ROLE_TEXT]);
}
