/* Internal state of the curses front end, shared by its files only.
 *
 * Shape (after htop): each panel is one file with a small vtable
 * (struct panel_class); the screen (tui.c) owns layout, focus, overlays and
 * the frame discipline; keys.c holds the one key table; draw.c the few
 * primitives every panel uses. Panels read engine tables and draw; they
 * never know about sources. */
#ifndef LOOKOUT_UI_H
#define LOOKOUT_UI_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "app/app.h"
#include "base/buf.h"
#include "theme.h"

struct rect {
    int y, x, h, w;
};

enum { P_PIPELINE, P_SLO, P_KEVENTS, P_COPILOT, P_COUNT };

/* Per-panel view state: selection, scroll and filter. */
struct panel_view {
    struct rect r;    /* whole panel incl. title bar, h == 0 when hidden */
    int sel;          /* selected row (index into the panel's visible rows) */
    int top;          /* first row shown */
    int nrows;        /* rows after filtering, from the last draw */
    int body_h;       /* rows of body space in the last draw */
    int row_y0;       /* screen row of the first list row (mouse selection) */
    pcre2_code *re;   /* filter, NULL for none */
    char filter[128]; /* its source text */
    pcre2_match_data *md;
};

struct ui;
struct panel_class {
    const char *title;
    const char *short_title;
    uint32_t dirty_mask; /* engine dirty bits that change what it shows */
    /* Draws the body (below the title bar) into r; sets v->nrows. */
    void (*draw)(struct ui *u, struct panel_view *v, struct rect r);
    /* Detail view text of the selected row (plain, unsanitised: the detail
     * view sanitises each line); false when nothing is selected. */
    bool (*detail)(struct ui *u, struct panel_view *v, struct buf *out);
    /* Copilot subject of the selected row; false when none. */
    bool (*subject)(struct ui *u, struct panel_view *v, char *kind, size_t kindlen, char *key,
                    size_t keylen);
    /* Extra text for the title bar (PAUSED, DROPS ...), may be NULL. */
    void (*title_extra)(struct ui *u, char *out, size_t outlen);
    bool filterable;
};

extern const struct panel_class pipeline_panel, slo_panel, kevents_panel, copilot_panel;

enum overlay { OV_NONE, OV_HELP, OV_DETAIL, OV_INCIDENTS, OV_SOURCES };

struct ui {
    struct app *a;
    SCREEN *scr;
    FILE *tty_in, *tty_out;
    int tty_fd;
    int sig_fd;
    int rows, cols;
    bool utf8;    /* the locale is UTF-8: Unicode glyphs, braille */
    bool console; /* TERM=linux: its font has whole and half blocks, no braille or eighths */
    enum color_depth depth;
    struct theme theme;
    int theme_idx; /* in theme_cycle, -1 for a custom file */
    int role_attr[ROLE_COUNT];
    int header_attr[ROLE_COUNT]; /* the same roles on the header's background */

    const struct panel_class *panels[P_COUNT];
    struct panel_view views[P_COUNT];
    int focus;
    int zoom; /* panel shown full screen, -1 for none */
    enum overlay overlay;
    struct buf detail; /* detail view text */
    int detail_top;
    int help_top; /* first line of the help shown (it scrolls when it does not fit) */
    int inc_sel;  /* selected row of the incidents view */
    char detail_title[96];
    bool war_room;
    bool cluster;                   /* the cluster view covers the body (cluster.c) */
    struct panel_view cluster_view; /* its selection; its filter is a plain substring */
    int counts_x0, counts_x1;       /* header columns of the node/pod counts (a click opens it) */

    /* eBPF stream selection, by event: following the newest, or frozen on
     * the events up to paused_seq with the event sel_seq selected. */
    bool paused;
    uint64_t paused_seq;
    uint64_t sel_seq;   /* the selected event (following: the newest drawn) */
    uint64_t drawn_seq; /* the newest event of the last frame */
    int kev_sev;        /* severity filter: 0 all, 1 warn+, 2 crit */

    /* Line editor for the '/' filter. */
    bool editing;
    bool edit_context; /* the line editor asks for a kube context, not a filter */
    char edit[128];
    int edit_len;

    char term_notice[160]; /* why the screen is drawn as another TERM, "" when it is not */
    char message[200];
    int64_t message_until; /* mono ms */

    /* Frame discipline. */
    uint32_t dirty;     /* merged engine dirty bits not drawn yet */
    bool input_dirty;   /* a key, resize or overlay change: draw now */
    int64_t last_frame; /* mono ms */
    struct loop_timer *frame_timer;
    int64_t refresh_ms;
    int frames;      /* frames drawn */
    int frames_max;  /* --frames, 0 = unlimited */
    int read_errors; /* consecutive failed terminal reads */
    bool quit;
    int exit_code;
    char asked[160];  /* T_COPILOT key of the last `a` question, "" for none */
    int64_t asked_at; /* engine time of that question: a newer incident takes over */
};

/* ---- draw.c ---- */
/* A role drawn inside the header strip: its colour on the header's background. */
#define ON_HEADER(role) ((enum ui_role)(ROLE_COUNT + (role)))
/* Attribute of a theme role (colour pair + attributes), or of ON_HEADER(role). */
int ui_attr(struct ui *u, enum ui_role role);
/* Writes untrusted text at (y, x), clipped to w cells; returns cells used. */
int ui_text(struct ui *u, int y, int x, int w, enum ui_role role, const char *text);
/* Untrusted text made safe and cut to w cells (ellipsis when cut) into
 * out; returns the cells it takes. */
int ui_clip(struct ui *u, const char *text, int w, char *out, size_t outlen);
/* printf then ui_text. */
int ui_textf(struct ui *u, int y, int x, int w, enum ui_role role, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Untrusted text word-wrapped into r; returns the rows it took (at most r.h). */
int ui_wrap(struct ui *u, struct rect r, enum ui_role role, const char *text);
/* Fills w cells at (y, x) with blanks in a role's colours. */
void ui_fill(struct ui *u, int y, int x, int w, enum ui_role role);
/* A budget bar of w cells, frac in [0, 1]. */
void ui_bar(struct ui *u, int y, int x, int w, double frac, enum ui_role full);
/* A sparkline of n values scaled to their maximum, one cell each (eighth
 * blocks when UTF-8, ASCII on the console and elsewhere). */
void ui_sparkline(struct ui *u, int y, int x, const double *v, int n, enum ui_role role);
/* A line chart of n values in [lo, hi] over a h x w box: braille when UTF-8,
 * half blocks on the console (TERM=linux), # otherwise. A NaN value is a
 * gap (no data there), never drawn at a level. */
void ui_chart(struct ui *u, struct rect r, const float *v, int n, double lo, double hi);
/* Short durations: "42s", "4m12s", "3h12m", "2d4h". */
void ui_fmt_dur(char *out, size_t outlen, int64_t ms);
/* Ages as kubectl shows them, one unit: "40s", "14m", "5h", "3d". */
void ui_fmt_age(char *out, size_t outlen, int64_t ms);
/* Engine time as HH:MM:SS (UTC). */
void ui_fmt_clock(char *out, size_t outlen, int64_t ms);
/* Glyph for a job status (UTF-8 or ASCII) and its role. */
const char *ui_job_glyph(struct ui *u, int status);
enum ui_role ui_job_role(int status);
/* Applies a panel's filter to a row's text; true when it passes. */
bool ui_filter_pass(struct panel_view *v, const char *text);
/* Keeps sel/top valid for nrows rows in h lines. */
void ui_view_clamp(struct panel_view *v, int h);
void ui_message(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- color.c ---- */
void ui_colors_init(struct ui *u);
void ui_theme_apply(struct ui *u);

/* ---- header.c ---- */
void ui_draw_header(struct ui *u, int y);
void ui_draw_status(struct ui *u, int y);

/* ---- keys.c ---- */
/* Handles one key (or KEY_MOUSE / KEY_RESIZE). */
void ui_key(struct ui *u, int key);
/* The help overlay, drawn from the key table. */
void ui_draw_help(struct ui *u, struct rect r);
/* The key hints of the status line for width cells: "? help" and "q quit"
 * always, the others while they fit; must_only: those two alone. */
void ui_key_hints(struct ui *u, int width, bool must_only, char *out, size_t outlen);

/* ---- panel_kevents.c ---- */
/* Selects the event on row `row` of the last frame; off the newest row the
 * list freezes (PAUSED +N new). */
void ui_kevents_select(struct ui *u, int row);
/* Back to following the newest event. */
void ui_kevents_follow(struct ui *u);
/* Freezes the list on what the last frame showed, or follows again. */
void ui_kevents_toggle_pause(struct ui *u);
/* Cycles the severity filter: all, warn+, crit. */
void ui_kevents_cycle_severity(struct ui *u);

/* ---- welcome.c ---- */
/* Nothing configured: no config file, no --demo or replay, no cluster. */
bool ui_first_contact(struct ui *u);
/* The card shown in place of the empty panels then. */
void ui_draw_first_contact(struct ui *u, struct rect r);
/* An --attach viewer that has not received the server's state yet: a card
 * in place of the panels, which would otherwise speak of what is unknown. */
bool ui_attach_pending(struct ui *u);
void ui_draw_attach_pending(struct ui *u, struct rect r);
/* Why kernel events are off (true), or "loading kernel programs" / "" (false). */
bool ui_kernel_off(struct ui *u, char *out, size_t outlen);

/* ---- incidents.c ---- */
void ui_draw_incidents(struct ui *u, struct rect r);
/* The source list with heartbeat ages (tui/sources.c). */
void ui_draw_sources(struct ui *u, struct rect r);
/* Sources that cannot vouch for a quiet screen: failed, stale or partial
 * ones (blind) and those still starting. One switched off is a choice, not
 * a blind spot. */
void ui_source_health(struct ui *u, int *blind, int *starting);
/* Sources switched on (any state but disabled): with none, a quiet screen
 * watched nothing. */
int ui_sources_on(struct ui *u);
/* One source failed, stale or partial: what it should see is not all seen. */
bool ui_source_blind(const struct source_info *s);
/* Enter in the view: pick the selected incident (again: back to the rank). */
void ui_incidents_pick(struct ui *u);

/* ---- warroom.c ---- */
void ui_draw_war_room(struct ui *u, struct rect r);

/* ---- tui.c ---- */
void ui_open_detail(struct ui *u);
void ui_ask_copilot(struct ui *u);
void ui_layout(struct ui *u);
/* The incident the copilot panel, the war room and `e` show: the user's
 * pick, else the top-ranked open one (core/incident.h). */
const struct incident *ui_current_incident(struct ui *u);

#endif
