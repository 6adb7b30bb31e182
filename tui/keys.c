/* The one key table: the handler, the help screen and the status-line hints
 * all read it (docs/keys.md lists the same rows). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/replay.h"
#include "kube/source.h"
#include "copilot/config.h"
#include "copilot/postmortem.h"
#include "core/incident.h"
#include "cluster.h"
#include "ui.h"

enum action {
    ACT_FOCUS_NEXT,
    ACT_FOCUS_PREV,
    ACT_ZOOM,
    ACT_UP,
    ACT_DOWN,
    ACT_PAGE_UP,
    ACT_PAGE_DOWN,
    ACT_TOP,
    ACT_BOTTOM,
    ACT_DETAIL,
    ACT_FILTER,
    ACT_HELP,
    ACT_THEME,
    ACT_ASK,
    ACT_WAR_ROOM,
    ACT_CLUSTER,
    ACT_GROUP,
    ACT_PAUSE,
    ACT_SEVERITY,
    ACT_SEEK,
    ACT_JUMP,
    ACT_SPEED,
    ACT_POSTMORTEM,
    ACT_INCIDENTS,
    ACT_SOURCES,
    ACT_CONTEXT,
    ACT_CLOSE,
    ACT_REDRAW,
    ACT_QUIT,
};

struct binding {
    int keys[4]; /* 0-terminated */
    int arg;
    enum action act;
    const char *label; /* as shown in help and hints */
    const char *help;
    const char *hint; /* short form for the status line, NULL: not hinted */
};

#define CTRL(c) ((c)&0x1f)
#define KEY_ESC 27

static const struct binding bindings[] = {
    {{'\t'}, 0, ACT_FOCUS_NEXT, "Tab", "focus the next panel", "Tab focus"},
    {{KEY_BTAB}, 0, ACT_FOCUS_PREV, "Shift-Tab", "focus the previous panel", NULL},
    {{'1'}, P_PIPELINE, ACT_ZOOM, "1", "zoom Pipeline stages (again: back)", NULL},
    {{'2'}, P_SLO, ACT_ZOOM, "2", "zoom Error budget & SLO burn (again: back)", NULL},
    {{'3'}, P_KEVENTS, ACT_ZOOM, "3", "zoom eBPF event stream (again: back)", NULL},
    {{'4'}, P_COPILOT, ACT_ZOOM, "4", "zoom Copilot suggestions (again: back)", "1-4 zoom"},
    {{KEY_UP, 'k'}, 0, ACT_UP, "Up k", "previous row / scroll up", NULL},
    {{KEY_DOWN, 'j'}, 0, ACT_DOWN, "Down j", "next row / scroll down", "j/k move"},
    {{KEY_PPAGE, CTRL('b')}, 0, ACT_PAGE_UP, "PgUp Ctrl-B", "page up", NULL},
    {{KEY_NPAGE, CTRL('f')}, 0, ACT_PAGE_DOWN, "PgDn Ctrl-F", "page down", NULL},
    {{'g', KEY_HOME}, 0, ACT_TOP, "g Home", "first row (eBPF: newest, following)", NULL},
    {{'G', KEY_END}, 0, ACT_BOTTOM, "G End", "last row (eBPF: back to following the newest)", NULL},
    {{'\n', '\r', KEY_ENTER}, 0, ACT_DETAIL, "Enter", "detail of the selected row", "Enter detail"},
    {{'/'}, 0, ACT_FILTER, "/", "filter the focused panel (PCRE2; empty clears)", "/ filter"},
    {{'?'}, 0, ACT_HELP, "?", "this help", "? help"},
    {{'t'}, 0, ACT_THEME, "t", "next theme", "t theme"},
    {{'a'}, 0, ACT_ASK, "a", "ask the copilot about the selected item", "a ask"},
    {{'w'}, 0, ACT_WAR_ROOM, "w", "war-room mode (large numbers, timeline)", "w war-room"},
    {{'c'}, 0, ACT_CLUSTER, "c", "cluster view: nodes, pods, problems first", "c cluster"},
    {{'o'}, 0, ACT_GROUP, "o", "cluster view: pods grouped by owner, or one row each", NULL},
    {{' '}, 0, ACT_PAUSE, "Space", "pause / resume eBPF events (replay: the clock)", "Space pause"},
    {{'s'}, 0, ACT_SEVERITY, "s", "eBPF severity filter: all, warn+, crit", NULL},
    {{KEY_LEFT}, -10000, ACT_SEEK, "Left", "replay: back 10 s", "Left/Right seek"},
    {{KEY_RIGHT}, 10000, ACT_SEEK, "Right", "replay: forward 10 s", NULL},
    {{'['}, -1, ACT_JUMP, "[", "replay: previous incident or SLO alert", "[/] jump"},
    {{']'}, 1, ACT_JUMP, "]", "replay: next incident or SLO alert", NULL},
    {{'+', '='}, 1, ACT_SPEED, "+", "replay: faster (x0.25 .. x64)", NULL},
    {{'-'}, -1, ACT_SPEED, "-", "replay: slower", "+/- speed"},
    {{'e'}, 0, ACT_POSTMORTEM, "e", "write a Markdown post-mortem of the current incident", NULL},
    {{'i'}, 0, ACT_INCIDENTS, "i", "incidents by rank; Enter picks one for the copilot", NULL},
    {{'S'}, 0, ACT_SOURCES, "S", "sources and agents: state, heartbeat age", NULL},
    {{':'}, 0, ACT_CONTEXT, ":", "switch the Kubernetes context", NULL},
    {{KEY_ESC}, 0, ACT_CLOSE, "Esc", "close help, detail, war room, cluster view or zoom", NULL},
    {{CTRL('l')}, 0, ACT_REDRAW, "Ctrl-L", "repaint the whole screen", NULL},
    {{'q'}, 0, ACT_QUIT, "q", "quit (in help or detail: close)", "q quit"},
};
#define NBINDINGS ((int)(sizeof bindings / sizeof bindings[0]))

static const struct binding *lookup(int key)
{
    for (int i = 0; i < NBINDINGS; i++)
        for (int k = 0; k < 4 && bindings[i].keys[k]; k++)
            if (bindings[i].keys[k] == key)
                return &bindings[i];
    return NULL;
}

/* The list the movement and filter keys act on: the cluster view's while
 * it is up (and no overlay covers it), else the focused panel's. */
static struct panel_view *focused(struct ui *u)
{
    if (u->cluster && u->overlay == OV_NONE && !u->war_room)
        return &u->cluster_view;
    return &u->views[u->focus];
}

static void move_sel(struct ui *u, int delta)
{
    if (u->overlay == OV_HELP) {
        /* Past the end is clamped when the help is drawn. */
        u->help_top = delta < 0 && -delta > u->help_top ? 0 : u->help_top + delta;
        return;
    }
    if (u->overlay == OV_INCIDENTS) {
        u->inc_sel += delta; /* clamped when the view is drawn */
        return;
    }
    if (u->overlay == OV_DETAIL) {
        u->detail_top += delta;
        if (u->detail_top < 0)
            u->detail_top = 0;
        return;
    }
    struct panel_view *v = focused(u);
    v->sel += delta;
    if (v->sel >= v->nrows)
        v->sel = v->nrows - 1;
    if (v->sel < 0)
        v->sel = 0;
    if (u->focus == P_KEVENTS)
        ui_kevents_select(u, v->sel);
}

/* The player's keys: a message instead when this run is not a replay. */
static void replay_key(struct ui *u, const struct binding *b)
{
    struct source *rs = replay_find(&u->a->sources);
    if (!rs) {
        ui_message(u, "%s: only in a replay (lookout replay FILE)", b->label);
        return;
    }
    if (b->act == ACT_SEEK)
        replay_seek_by(rs, b->arg);
    else if (b->act == ACT_SPEED)
        replay_speed_step(rs, b->arg);
    else if (b->act == ACT_PAUSE)
        replay_toggle_pause(rs);
    else if (replay_jump(rs, b->arg) < 0)
        ui_message(u, "no %s incident or SLO alert in this record",
                   b->arg > 0 ? "later" : "earlier");
}

static void set_filter(struct ui *u, const char *text)
{
    struct panel_view *v = focused(u);
    const struct panel_class *pc = u->panels[u->focus];
    if (v == &u->cluster_view) {
        /* A substring, not a regex: names and reasons are typed as seen. */
        snprintf(v->filter, sizeof v->filter, "%s", text);
        v->sel = v->top = 0;
        ui_message(u, *text ? "cluster: filter \"%s\"" : "cluster: filter cleared", v->filter);
        return;
    }
    if (!pc->filterable) {
        ui_message(u, "%s: no filter here", pc->title);
        return;
    }
    if (!*text) {
        if (v->re)
            pcre2_code_free(v->re);
        if (v->md)
            pcre2_match_data_free(v->md);
        v->re = NULL;
        v->md = NULL;
        v->filter[0] = 0;
        ui_message(u, "%s: filter cleared", pc->title);
        return;
    }
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_CASELESS, &errcode,
                                   &erroff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        ui_message(u, "invalid regex at offset %zu: %s (filter unchanged)", (size_t)erroff,
                   (const char *)msg);
        return;
    }
    if (v->re)
        pcre2_code_free(v->re);
    if (v->md)
        pcre2_match_data_free(v->md);
    v->re = re;
    v->md = pcre2_match_data_create_from_pattern(re, NULL);
    snprintf(v->filter, sizeof v->filter, "%s", text);
    v->sel = v->top = 0;
    ui_message(u, "%s: filter /%s/", pc->title, v->filter);
}

static void switch_context(struct ui *u, const char *context)
{
    char err[300];
    if (!*context)
        ui_message(u, "context unchanged");
    else if (kube_switch_context(&u->a->sources, context, err, sizeof err) < 0)
        ui_message(u, "%s", err);
    else
        ui_message(u, "switching to context %s", context);
}

/* Writes the current incident's post-mortem under the state directory
 * (copilot.postmortem_dir, else $XDG_STATE_HOME/lookout) and shows the
 * absolute path: the working directory may be anywhere, or read-only. */
static void write_postmortem(struct ui *u)
{
    char why[200], dir[PATH_MAX], path[PATH_MAX], err[300];
    const struct incident *inc = incident_current(&u->a->engine, why, sizeof why);
    if (!inc) {
        ui_message(u, "no incident to write a post-mortem for");
        return;
    }
    char id[sizeof inc->id];
    STR_COPY(id, inc->id);
    copilot_postmortem_dir(&u->a->config, dir, sizeof dir);
    if (postmortem_export(&u->a->engine, dir, id, why, path, sizeof path, err, sizeof err) < 0)
        ui_message(u, "post-mortem not written: %s", err);
    else
        ui_message(u, "post-mortem of %s written to %s", id, path);
}

static void edit_key(struct ui *u, int key)
{
    if (key == KEY_ESC) {
        u->editing = false;
        ui_message(u, u->edit_context ? "context unchanged" : "filter unchanged");
    } else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        u->editing = false;
        if (u->edit_context)
            switch_context(u, u->edit);
        else
            set_filter(u, u->edit);
    } else if (key == KEY_BACKSPACE || key == 127 || key == CTRL('h')) {
        /* Remove one whole UTF-8 character. */
        while (u->edit_len > 0 && ((unsigned char)u->edit[--u->edit_len] & 0xc0) == 0x80)
            ;
        u->edit[u->edit_len] = 0;
    } else if (key == CTRL('u')) {
        u->edit_len = 0;
        u->edit[0] = 0;
    } else if (key >= 0x20 && key < 0x100 && key != 0x7f && u->edit_len < (int)sizeof u->edit - 1) {
        u->edit[u->edit_len++] = (char)key;
        u->edit[u->edit_len] = 0;
    }
    u->input_dirty = true;
}

static void cycle_theme(struct ui *u)
{
    for (int tries = 0; tries < theme_cycle_len; tries++) {
        u->theme_idx = (u->theme_idx + 1) % theme_cycle_len;
        char err[400];
        struct theme t;
        if (theme_load(&t, theme_cycle[u->theme_idx], err, sizeof err) == 0) {
            u->theme = t;
            ui_theme_apply(u);
            ui_message(u, "theme: %s%s", t.name,
                       u->depth == DEPTH_MONO ? " (monochrome terminal or NO_COLOR)" : "");
            return;
        }
        ui_message(u, "%s", err);
    }
}

/* In the cluster view: the wheel scrolls, a click selects the row. */
static void cluster_mouse(struct ui *u, const MEVENT *m)
{
    struct panel_view *v = &u->cluster_view;
    if (m->bstate & BUTTON4_PRESSED) {
        move_sel(u, -3);
    } else if (m->bstate & (BUTTON5_PRESSED | (BUTTON4_PRESSED << 6))) {
        move_sel(u, 3);
    } else if (m->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED)) {
        int row = m->y - v->row_y0;
        if (row >= 0 && row < v->body_h && v->top + row < v->nrows)
            v->sel = v->top + row;
    }
}

static void mouse(struct ui *u)
{
    MEVENT m;
    if (getmouse(&m) != OK)
        return;
    /* The header's node and pod counts open the cluster view. */
    if (m.y == 0 && m.x >= u->counts_x0 && m.x < u->counts_x1 &&
        (m.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED))) {
        u->cluster = true;
        u->war_room = false;
        u->overlay = OV_NONE;
        return;
    }
    if (u->cluster && u->overlay == OV_NONE && !u->war_room) {
        cluster_mouse(u, &m);
        return;
    }
    int target = -1;
    for (int i = 0; i < P_COUNT; i++) {
        struct rect r = u->views[i].r;
        if (r.h > 0 && m.y >= r.y && m.y < r.y + r.h && m.x >= r.x && m.x < r.x + r.w)
            target = i;
    }
    if (m.bstate & BUTTON4_PRESSED) {
        if (target >= 0)
            u->focus = target;
        move_sel(u, -3);
    } else if (m.bstate & (BUTTON5_PRESSED | (BUTTON4_PRESSED << 6))) {
        if (target >= 0)
            u->focus = target;
        move_sel(u, 3);
    } else if (m.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED)) {
        if (target < 0 || u->overlay != OV_NONE)
            return;
        u->focus = target;
        struct panel_view *v = &u->views[target];
        int row = m.y - v->row_y0;
        if (row >= 0 && v->top + row < v->nrows && target != P_COPILOT)
            v->sel = v->top + row;
        if (row >= 0 && target == P_KEVENTS)
            ui_kevents_select(u, v->sel);
    }
}

static void toggle_zoom(struct ui *u, int panel)
{
    u->zoom = u->zoom == panel ? -1 : panel;
    u->focus = panel;
    ui_layout(u);
}

static void run_action(struct ui *u, const struct binding *b)
{
    struct panel_view *v = focused(u);
    int page = u->overlay != OV_NONE ? u->rows - 4 : v->body_h - 1;
    if (page < 1)
        page = 1;
    switch (b->act) {
    case ACT_FOCUS_NEXT:
    case ACT_FOCUS_PREV:
        u->cluster = false;
        u->focus = (u->focus + (b->act == ACT_FOCUS_NEXT ? 1 : P_COUNT - 1)) % P_COUNT;
        if (u->zoom >= 0)
            u->zoom = u->focus;
        ui_layout(u);
        break;
    case ACT_ZOOM:
        u->cluster = false;
        toggle_zoom(u, b->arg);
        break;
    case ACT_UP:
        move_sel(u, -1);
        break;
    case ACT_DOWN:
        move_sel(u, 1);
        break;
    case ACT_PAGE_UP:
        move_sel(u, -page);
        break;
    case ACT_PAGE_DOWN:
        move_sel(u, page);
        break;
    case ACT_TOP:
    case ACT_BOTTOM:
        /* The event stream's top is its newest row: both ends follow it. */
        if (u->focus == P_KEVENTS && u->overlay == OV_NONE)
            ui_kevents_follow(u);
        else
            move_sel(u, b->act == ACT_TOP ? -1000000 : 1000000);
        break;
    case ACT_DETAIL:
        if (u->overlay == OV_INCIDENTS)
            ui_incidents_pick(u);
        else if (u->overlay == OV_DETAIL)
            u->overlay = OV_NONE;
        else if (!(v == &u->cluster_view && ui_cluster_enter(u)))
            ui_open_detail(u);
        break;
    case ACT_FILTER:
        if (v != &u->cluster_view && !u->panels[u->focus]->filterable) {
            ui_message(u, "%s: no filter here", u->panels[u->focus]->title);
            break;
        }
        u->editing = true;
        u->edit_context = false;
        snprintf(u->edit, sizeof u->edit, "%s", v->filter);
        u->edit_len = (int)strlen(u->edit);
        break;
    case ACT_CONTEXT:
        u->editing = true;
        u->edit_context = true;
        u->edit[0] = 0;
        u->edit_len = 0;
        break;
    case ACT_POSTMORTEM:
        write_postmortem(u);
        break;
    case ACT_INCIDENTS:
        u->overlay = u->overlay == OV_INCIDENTS ? OV_NONE : OV_INCIDENTS;
        u->inc_sel = 0;
        break;
    case ACT_SOURCES:
        u->overlay = u->overlay == OV_SOURCES ? OV_NONE : OV_SOURCES;
        break;
    case ACT_HELP:
        u->overlay = u->overlay == OV_HELP ? OV_NONE : OV_HELP;
        u->help_top = 0;
        break;
    case ACT_THEME:
        cycle_theme(u);
        break;
    case ACT_ASK:
        ui_ask_copilot(u);
        break;
    case ACT_WAR_ROOM:
        u->war_room = !u->war_room;
        break;
    case ACT_CLUSTER:
        u->cluster = !u->cluster;
        u->war_room = false;
        u->overlay = OV_NONE;
        break;
    case ACT_GROUP:
        ui_cluster_toggle_group(u);
        break;
    case ACT_PAUSE:
        if (replay_find(&u->a->sources)) {
            replay_key(u, b);
            break;
        }
        ui_kevents_toggle_pause(u);
        ui_message(u, "eBPF stream %s", u->paused ? "paused (Space resumes)" : "following");
        break;
    case ACT_SEVERITY:
        ui_kevents_cycle_severity(u);
        break;
    case ACT_SEEK:
    case ACT_JUMP:
    case ACT_SPEED:
        replay_key(u, b);
        break;
    case ACT_CLOSE:
        if (u->overlay != OV_NONE)
            u->overlay = OV_NONE;
        else if (u->war_room)
            u->war_room = false;
        else if (u->cluster)
            u->cluster = false;
        else if (u->zoom >= 0)
            toggle_zoom(u, u->zoom);
        break;
    case ACT_REDRAW:
        clearok(curscr, TRUE);
        break;
    case ACT_QUIT:
        if (u->overlay != OV_NONE)
            u->overlay = OV_NONE;
        else
            u->quit = true;
        break;
    }
}

void ui_key(struct ui *u, int key)
{
    u->input_dirty = true;
    if (u->editing) {
        edit_key(u, key);
        return;
    }
    if (key == KEY_MOUSE) {
        mouse(u);
        return;
    }
    if (key == KEY_RESIZE) {
        ui_layout(u);
        return;
    }
    const struct binding *b = lookup(key);
    if (b)
        run_action(u, b);
}

#define HELP_MOUSE                                                                                 \
    "Mouse: click focuses a panel and selects a row (the header's node/pod counts open the "       \
    "cluster view); the wheel scrolls."

void ui_draw_help(struct ui *u, struct rect r)
{
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    int lines = NBINDINGS + 1; /* the keys, then the mouse */
    int ncols = r.w >= 100 ? 2 : 1, per_col = r.h - 1;
    if (per_col < 1) {
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT, "Keys (? closes)");
        return;
    }
    /* Two columns when they hold it all; otherwise one that scrolls. */
    bool scroll = (lines + ncols - 1) / ncols > per_col;
    if (scroll)
        ncols = 1;
    else
        per_col = (lines + ncols - 1) / ncols;
    int max_top = scroll ? lines - per_col : 0;
    if (u->help_top > max_top)
        u->help_top = max_top;
    if (scroll)
        ui_textf(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT,
                 "Keys %d-%d of %d (Up/Down j/k PgUp/PgDn scroll, ? or Esc closes)",
                 u->help_top + 1, u->help_top + per_col, lines);
    else
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT, "Keys (? or Esc closes)");
    int col_w = r.w / ncols;
    for (int row = 0; row < per_col * ncols; row++) {
        int i = u->help_top + row, col = row / per_col;
        if (i >= lines)
            break;
        int x = r.x + 1 + col * col_w, y = r.y + 1 + row % per_col, w = col_w - 1;
        if (i == NBINDINGS) {
            ui_text(u, y, x, w, ROLE_DIM, HELP_MOUSE);
            continue;
        }
        int key_w = w > 40 ? 12 : w / 3;
        ui_text(u, y, x, key_w, ROLE_ACCENT, bindings[i].label);
        ui_text(u, y, x + key_w + 1, w - key_w - 1, ROLE_TEXT, bindings[i].help);
    }
}

/* The player's keys are hinted in a replay only. */
static bool replay_only(const struct binding *b)
{
    return b->act == ACT_SEEK || b->act == ACT_JUMP || b->act == ACT_SPEED;
}

/* A hint that is never dropped from the status line. */
static bool must_hint(const struct binding *b)
{
    return b->act == ACT_HELP || b->act == ACT_QUIT;
}

void ui_key_hints(struct ui *u, int width, bool must_only, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = 0;
    if (u->war_room && !must_only) {
        snprintf(out, outlen, " WAR ROOM  w back  t theme  ? help  q quit ");
        return;
    }
    if (u->cluster && u->overlay == OV_NONE && !must_only) {
        const char *all = " CLUSTER  j/k move  Enter open/describe  o group  / filter  a ask  c "
                          "back  ? help  q quit ";
        const char *some = " CLUSTER  Enter open  o group  c back  ? help  q quit ";
        snprintf(out, outlen, "%s",
                 (int)strlen(all) <= width    ? all
                 : (int)strlen(some) <= width ? some
                                              : " c back  ? help  q quit ");
        if (u->cluster_view.filter[0])
            snprintf(out + strlen(out), outlen - strlen(out), " | filter \"%s\"",
                     u->cluster_view.filter);
        return;
    }
    /* The keys that must show first, then the others in table order while
     * they fit: a narrow terminal loses "a ask" before it loses "q quit". */
    int left = width;
    for (int i = 0; i < NBINDINGS; i++)
        if (bindings[i].hint && must_hint(&bindings[i]))
            left -= (int)strlen(bindings[i].hint) + 2;
    for (int i = 0; i < NBINDINGS && o + 1 < outlen; i++) {
        const struct binding *b = &bindings[i];
        if (!b->hint || (replay_only(b) && !replay_find(&u->a->sources)))
            continue;
        int w = (int)strlen(b->hint) + 2;
        if (!must_hint(b)) {
            if (must_only || w > left)
                continue;
            left -= w;
        }
        o += (size_t)snprintf(out + o, outlen - o, " %s ", b->hint);
    }
    struct panel_view *v = focused(u);
    if (!must_only && v->filter[0] && o + 1 < outlen && left > 12)
        snprintf(out + o, outlen - o, " | filter /%s/", v->filter);
}
