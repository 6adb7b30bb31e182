/* The source list (key S): every source and agent with its state and a
 * heartbeat, the age of the last thing heard from it: its last good sync
 * (an agent's counters line every 5 s counts) or, for the kernel side, its
 * newest event, whichever is younger. A source past its threshold already
 * says STALE (the engine's state); the age shows how far past it is. */
#include <stdio.h>
#include <string.h>

#include "ui.h"

/* The newest kernel event this source posted, 0: none in the rings. */
static int64_t last_event(struct ui *u, const struct source_info *s)
{
    bool demo = !strcmp(s->kind, "demo"), kernel = !strcmp(s->kind, "kernel");
    bool agent = !strcmp(s->kind, "agent") && !strncmp(s->name, "agent:", 6);
    if (!demo && !kernel && !agent)
        return 0;
    struct ring *r = &u->a->engine.kevents;
    for (int i = ring_count(r) - 1; i >= 0; i--) {
        const struct kevent *e = ring_at(r, i);
        bool mine = demo     ? e->simulated
                    : kernel ? !e->simulated && !e->node[0]
                             : !strcmp(e->node, s->name + 6);
        if (mine)
            return e->time;
    }
    return 0;
}

bool ui_source_blind(const struct source_info *s)
{
    return s->state == SRC_FAILED || s->state == SRC_STALE || s->state == SRC_PARTIAL;
}

void ui_source_health(struct ui *u, int *blind, int *starting)
{
    struct table *t = engine_table(&u->a->engine, T_SOURCES);
    *blind = *starting = 0;
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        *blind += ui_source_blind(s);
        *starting += s->state == SRC_STARTING;
    }
}

int ui_sources_on(struct ui *u)
{
    struct table *t = engine_table(&u->a->engine, T_SOURCES);
    int on = 0;
    for (int i = 0; i < t->count; i++)
        on += ((const struct source_info *)table_row(t, i))->state != SRC_DISABLED;
    return on;
}

static enum ui_role state_role(enum source_state st)
{
    switch (st) {
    case SRC_SYNCED:
        return ROLE_OK;
    case SRC_FAILED:
        return ROLE_CRIT;
    case SRC_STALE:
    case SRC_PARTIAL:
        return ROLE_WARN;
    default:
        return ROLE_DIM;
    }
}

static void draw_source(struct ui *u, const struct source_info *s, int y, struct rect r)
{
    int64_t now = engine_now(&u->a->engine), ev = last_event(u, s);
    int64_t heard = ev > s->last_ok ? ev : s->last_ok;
    char age[24] = "never";
    if (heard) {
        char a[16];
        ui_fmt_age(a, sizeof a, now - heard > 0 ? now - heard : 0);
        snprintf(age, sizeof age, "%s ago", a);
    }
    char state[16];
    snprintf(state, sizeof state, "%s", source_state_names[s->state]);
    for (char *c = state; *c; c++)
        *c = (char)(*c - (*c >= 'a' && *c <= 'z' ? 32 : 0));
    int x = r.x + 1, end = r.x + r.w;
    ui_text(u, y, x, 24, ROLE_TEXT, s->name);
    x += 25;
    ui_text(u, y, x, 10, ROLE_DIM, s->kind);
    x += 11;
    ui_text(u, y, x, 9, state_role(s->state), state);
    x += 10;
    ui_textf(u, y, x, 10, ROLE_TEXT, "%9s", age);
    x += 11;
    if (x < end)
        ui_text(u, y, x, end - x, s->error[0] ? ROLE_WARN : ROLE_DIM,
                s->error[0] ? s->error : s->detail);
}

void ui_draw_sources(struct ui *u, struct rect r)
{
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    if (r.h < 1)
        return;
    struct table *t = engine_table(&u->a->engine, T_SOURCES);
    ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT, "Sources %d (S or Esc closes)", t->count);
    if (r.h < 2)
        return;
    ui_text(u, r.y + 1, r.x + 1, r.w - 1, ROLE_DIM,
            "NAME                     KIND       STATE     HEARTBEAT  DETAIL");
    for (int i = 0; i < t->count && i + 2 < r.h; i++)
        draw_source(u, table_row(t, i), r.y + 2 + i, r);
}
