/* The screen: terminal setup, the frame discipline, layout and overlays.
 *
 * Redraw discipline (after tmux): engine changes only set dirty bits; the
 * loop's idle hook merges them once per loop turn and draws at most one
 * frame per --refresh interval (a timer wakes the loop for a deferred one);
 * keys and resizes draw at once. A frame erases the virtual screen and lets
 * ncurses send only the cells that differ (wnoutrefresh + doupdate), never
 * clear(). Signals arrive through a signalfd on the same loop. */
#include "tui.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/textsafe.h"
#include "cluster.h"
#include "core/incident.h"
#include "ui.h"

#include "copilot/copilot.h"
#include "share/client.h"

/* Last: its capability macros (lines, columns ...) would rename fields above. */
#include <term.h>

#define BACKLOG_RETRY_MS 100
#define DEAD_TTY_READS   5 /* readable but nothing to read, in a row: the terminal is gone */

const struct incident *ui_current_incident(struct ui *u)
{
    return incident_current(&u->a->engine, NULL, 0);
}

/* ---- layout ---- */

static bool small_screen(struct ui *u)
{
    return u->cols < 80 || u->rows < 24;
}

void ui_layout(struct ui *u)
{
    struct rect body = {1, 0, u->rows - 2, u->cols};
    if (body.h < 1)
        body.h = 0;
    for (int i = 0; i < P_COUNT; i++)
        u->views[i].r = (struct rect){0, 0, 0, 0};
    if (u->zoom >= 0 || small_screen(u)) {
        u->views[u->zoom >= 0 ? u->zoom : u->focus].r = body;
    } else if (u->cols >= 120 && body.h >= 16) {
        int lw = u->cols / 2, rw = u->cols - lw - 1;
        int th = body.h / 2, bh = body.h - th;
        u->views[P_PIPELINE].r = (struct rect){body.y, 0, th, lw};
        u->views[P_SLO].r = (struct rect){body.y, lw + 1, th, rw};
        u->views[P_KEVENTS].r = (struct rect){body.y + th, 0, bh, lw};
        u->views[P_COPILOT].r = (struct rect){body.y + th, lw + 1, bh, rw};
    } else {
        /* Stacked: the event stream gets what the equal split leaves over. */
        int each = body.h / P_COUNT, y = body.y;
        for (int i = 0; i < P_COUNT; i++) {
            int h = each + (i == P_KEVENTS ? body.h - each * P_COUNT : 0);
            u->views[i].r = (struct rect){y, 0, h, u->cols};
            y += h;
        }
    }
}

/* ---- drawing ---- */

static void draw_title(struct ui *u, int idx, struct rect r)
{
    const struct panel_class *pc = u->panels[idx];
    struct panel_view *v = &u->views[idx];
    enum ui_role role = idx == u->focus ? ROLE_TITLE_FOCUS : ROLE_TITLE;
    ui_fill(u, r.y, r.x, r.w, role);
    char extra[200] = "";
    if (pc->title_extra)
        pc->title_extra(u, extra, sizeof extra);
    int x = r.x;
    /* The short title when the full one would crowd out the state
     * (FOLLOWING, PAUSED) and the small screen's hint. */
    bool tight = r.w < 40 || (small_screen(u) && u->zoom < 0 &&
                              ts_width(pc->title) + ts_width(extra) + 40 > r.w);
    x += ui_textf(u, r.y, x, r.w, role, " %d %s ", idx + 1, tight ? pc->short_title : pc->title);
    if (v->filter[0])
        x += ui_textf(u, r.y, x, r.x + r.w - x, role, " /%s/ ", v->filter);
    if (extra[0])
        x += ui_text(u, r.y, x, r.x + r.w - x, ROLE_WARN, extra);
    if (small_screen(u) && u->zoom < 0) {
        char hint[96];
        snprintf(hint, sizeof hint, " [%d/4] Tab: next; 80x24 shows all ", idx + 1);
        int w = ts_width(hint);
        if (r.x + r.w - x > w + 1)
            ui_text(u, r.y, r.x + r.w - w, w, role, hint);
    } else if (u->zoom == idx) {
        const char *hint = " zoomed: Esc or the digit again to go back ";
        int w = ts_width(hint);
        if (r.x + r.w - x > w + 1)
            ui_text(u, r.y, r.x + r.w - w, w, role, hint);
    }
}

static void draw_panel(struct ui *u, int idx)
{
    struct panel_view *v = &u->views[idx];
    struct rect r = v->r;
    if (r.h <= 0 || r.w <= 0)
        return;
    draw_title(u, idx, r);
    struct rect body = {r.y + 1, r.x, r.h - 1, r.w};
    v->body_h = body.h;
    v->row_y0 = body.y;
    if (body.h <= 0)
        return;
    if (idx == P_KEVENTS && body.h >= 4)
        v->row_y0 = body.y + 1; /* below the rate sparklines */
    u->panels[idx]->draw(u, v, body);
}

static void draw_detail(struct ui *u, struct rect r)
{
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    ui_fill(u, r.y, r.x, r.w, ROLE_TITLE_FOCUS);
    ui_textf(u, r.y, r.x, r.w, ROLE_TITLE_FOCUS, " %s (Enter or Esc closes, j/k scroll) ",
             u->detail_title);
    const char *p = buf_cstr(&u->detail);
    /* G (or a long scroll) stops at the last page, not past the text. */
    int nlines = 1, max_top;
    for (const char *q = p; *q; q++)
        nlines += *q == '\n';
    max_top = nlines - (r.h - 1) > 0 ? nlines - (r.h - 1) : 0;
    if (u->detail_top > max_top)
        u->detail_top = max_top;
    int line = 0, y = r.y + 1;
    while (*p && y < r.y + r.h) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (line >= u->detail_top) {
            char safe[1024];
            ts_sanitize(p, len, safe, sizeof safe, !u->utf8);
            ui_text(u, y++, r.x + 1, r.w - 2, ROLE_TEXT, safe);
        }
        line++;
        p += len + (nl ? 1 : 0);
    }
}

/* Where the first-contact card goes: the space of the pipeline and SLO
 * panels, whichever of them the layout shows. */
static struct rect first_card_rect(struct ui *u)
{
    struct rect a = u->views[P_PIPELINE].r, b = u->views[P_SLO].r;
    if (!a.h)
        return b;
    if (!b.h)
        return a;
    int y = a.y < b.y ? a.y : b.y, x = a.x < b.x ? a.x : b.x;
    int y2 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;
    int x2 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w;
    return (struct rect){y, x, y2 - y, x2 - x};
}

static void draw_frame(struct ui *u)
{
    erase();
    if (u->rows < 3 || u->cols < 10) {
        ui_text(u, 0, 0, u->cols, ROLE_HEADER, "Lookout: terminal too small");
    } else {
        struct rect body = {1, 0, u->rows - 2, u->cols};
        ui_draw_header(u, 0);
        if (u->overlay == OV_HELP) {
            ui_draw_help(u, body); /* over the war room too: ? always answers */
        } else if (u->overlay == OV_INCIDENTS) {
            ui_draw_incidents(u, body);
        } else if (u->overlay == OV_SOURCES) {
            ui_draw_sources(u, body);
        } else if (u->war_room) {
            ui_draw_war_room(u, body);
        } else if (u->overlay == OV_DETAIL) {
            draw_detail(u, body);
        } else if (u->cluster) {
            ui_draw_cluster(u, body);
        } else if (ui_attach_pending(u)) {
            ui_draw_attach_pending(u, body);
        } else {
            /* Nothing configured: a card where pipelines and SLOs would be empty. */
            struct rect card =
                u->zoom < 0 && ui_first_contact(u) ? first_card_rect(u) : (struct rect){0, 0, 0, 0};
            for (int i = 0; i < P_COUNT; i++)
                if (!card.h || (i != P_PIPELINE && i != P_SLO))
                    draw_panel(u, i);
            ui_draw_first_contact(u, card);
            /* The 2x2 layout's middle column. */
            struct rect r = u->views[P_SLO].r;
            if (u->views[P_PIPELINE].r.h && r.h && r.x > 0) {
                /* The glyph itself, not ACS_VLINE: drawn through the
                 * alternate charset it reaches some terminals (tmux) as 'x'. */
                attrset(ui_attr(u, ROLE_DIM));
                for (int y = body.y + card.h; y < body.y + body.h; y++)
                    mvaddstr(y, r.x - 1, u->utf8 ? "│" : "|");
            }
        }
        ui_draw_status(u, u->rows - 1);
    }
    wnoutrefresh(stdscr);
    doupdate();
    u->frames++;
    u->last_frame = loop_mono_ms();
    u->dirty = 0;
    u->input_dirty = false;
    if (u->frames_max > 0 && u->frames >= u->frames_max)
        u->quit = true;
}

/* ---- overlays and actions used by keys.c ---- */

void ui_open_detail(struct ui *u)
{
    buf_reset(&u->detail);
    if (u->cluster) {
        if (!ui_cluster_detail(u, &u->detail, u->detail_title, sizeof u->detail_title)) {
            ui_message(u, "cluster: nothing selected");
            return;
        }
        u->detail_top = 0;
        u->overlay = OV_DETAIL;
        return;
    }
    const struct panel_class *pc = u->panels[u->focus];
    if (!pc->detail || !pc->detail(u, &u->views[u->focus], &u->detail)) {
        ui_message(u, "%s: nothing selected", pc->title);
        return;
    }
    snprintf(u->detail_title, sizeof u->detail_title, "%s: detail", pc->title);
    u->detail_top = 0;
    u->overlay = OV_DETAIL;
}

/* Attached: the shared engine's copilot answers, for every viewer. */
static void ui_ask_shared(struct ui *u, struct source *shared, const char *kind, const char *key)
{
    char err[256], safe[200];
    if (share_ask(shared, kind, key, err, sizeof err) < 0) {
        ui_message(u, "copilot: %s", err);
        return;
    }
    ts_clip(key, 60, safe, sizeof safe, !u->utf8);
    ui_message(u, "asked the shared engine's copilot about %s %s", kind, safe);
    copilot_subject_id(kind, key, u->asked, sizeof u->asked);
    u->asked_at = engine_now(&u->a->engine);
    u->focus = P_COPILOT;
    u->cluster = false;
    if (u->zoom >= 0)
        u->zoom = P_COPILOT;
    ui_layout(u);
}

void ui_ask_copilot(struct ui *u)
{
    const struct panel_class *pc = u->panels[u->focus];
    char kind[32], key[256];
    bool got = u->cluster ? ui_cluster_subject(u, kind, sizeof kind, key, sizeof key)
                          : pc->subject && pc->subject(u, &u->views[u->focus], kind, sizeof kind,
                                                       key, sizeof key);
    if (!got) {
        ui_message(u, "select a row first, then press a");
        return;
    }
    char err[256] = "";
    struct copilot *c = app_module_state(u->a, &copilot_module);
    struct source *shared = share_find(&u->a->sources);
    if (shared) {
        ui_ask_shared(u, shared, kind, key);
        return;
    }
    if (!c) {
        ui_message(u, "copilot not available");
        return;
    }
    if (copilot_ask(c, kind, key, err, sizeof err) < 0) {
        ui_message(u, "copilot: %s", err);
        return;
    }
    char safe[200];
    ts_clip(key, 60, safe, sizeof safe, !u->utf8);
    ui_message(u, "asked the copilot (%s) about %s %s", copilot_backend_label(c), kind, safe);
    copilot_subject_id(kind, key, u->asked, sizeof u->asked);
    u->asked_at = engine_now(&u->a->engine);
    u->focus = P_COPILOT; /* the answer is what the user wants to see next */
    u->cluster = false;
    if (u->zoom >= 0)
        u->zoom = P_COPILOT;
    ui_layout(u);
}

/* ---- terminal and signals ---- */

static void resize(struct ui *u)
{
    struct winsize ws;
    if (ioctl(u->tty_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    getmaxyx(stdscr, u->rows, u->cols);
    ui_layout(u);
    u->input_dirty = true;
}

static void on_tty(int fd, int events, void *ud)
{
    struct ui *u = ud;
    int keys = 0, ch;
    while ((ch = getch()) != ERR) {
        keys++;
        if (ch == KEY_RESIZE) { /* queued by resizeterm(): only re-read the size */
            getmaxyx(stdscr, u->rows, u->cols);
            ui_layout(u);
            u->input_dirty = true;
        } else {
            ui_key(u, ch);
        }
    }
    if (keys) {
        u->read_errors = 0;
        return;
    }
    /* Readable yet no key: EOF or an error (the SSH session died). */
    int avail = 0;
    if ((events & LOOP_ERROR) || ioctl(fd, FIONREAD, &avail) < 0 || avail == 0) {
        if (++u->read_errors >= DEAD_TTY_READS || (events & LOOP_ERROR)) {
            u->quit = true;
            u->exit_code = 0;
        }
    }
}

static void on_signal(int fd, int events, void *ud)
{
    (void)events;
    struct ui *u = ud;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGWINCH)
            resize(u);
        else
            u->quit = true; /* SIGHUP, SIGTERM, SIGINT: leave cleanly */
    }
}

static void on_frame_timer(void *ud)
{
    struct ui *u = ud;
    u->frame_timer = NULL; /* the idle hook that follows draws */
}

static uint32_t visible_mask(struct ui *u)
{
    if (u->war_room || u->cluster || u->overlay != OV_NONE)
        return DIRTY_ALL;
    uint32_t m = DIRTY_CLOCK | (1u << T_SOURCES) | (1u << T_SUMMARY);
    for (int i = 0; i < P_COUNT; i++)
        if (u->views[i].r.h > 0)
            m |= u->panels[i]->dirty_mask;
    return m;
}

/* Bytes written to the terminal but not yet read by the other side. */
static bool tty_backlogged(struct ui *u)
{
    int queued = 0;
    if (ioctl(u->tty_fd, TIOCOUTQ, &queued) < 0)
        return false;
    return queued > u->rows * u->cols * 2;
}

static void on_idle(void *ud)
{
    struct ui *u = ud;
    u->dirty |= engine_take_dirty(&u->a->engine);
    if (u->quit)
        return;
    bool data = (u->dirty & visible_mask(u)) != 0;
    if (!u->input_dirty && !data)
        return;
    int64_t now = loop_mono_ms(), since = now - u->last_frame;
    if (tty_backlogged(u)) {
        /* A slow link has not drained the last frame: wait (tmux's way), so
         * it gets fewer, complete frames instead of a growing backlog. */
        if (!u->frame_timer)
            u->frame_timer = loop_timer_start(u->a->loop, BACKLOG_RETRY_MS, on_frame_timer, u);
        return;
    }
    if (u->input_dirty || since >= u->refresh_ms) {
        if (u->frame_timer) {
            loop_timer_cancel(u->a->loop, u->frame_timer);
            u->frame_timer = NULL;
        }
        draw_frame(u);
    } else if (!u->frame_timer) {
        u->frame_timer = loop_timer_start(u->a->loop, u->refresh_ms - since, on_frame_timer, u);
    }
}

/* Whether terminfo knows a terminal type. Asked before newterm(), which
 * on an unknown type returns NULL but leaks what it allocated (libtinfo's
 * new_prescr); setupterm() answers without that. */
static bool term_known(const char *term, int fd)
{
    int status = 0;
    if (setupterm(term, fd, &status) != OK)
        return false;
    del_curterm(cur_term);
    return true;
}

/* The curses screen for $TERM. A TERM this host has no terminfo for (kitty,
 * ghostty or wezterm over SSH) falls back to xterm-256color, then vt100,
 * with a notice: a screen in fewer colours beats no screen. */
static int new_screen(struct ui *u, char *err, size_t errlen)
{
    static const char *const fallbacks[] = {"xterm-256color", "vt100"};
    const char *term = getenv("TERM");
    if (term && *term && term_known(term, u->tty_fd) &&
        (u->scr = newterm(term, u->tty_out, u->tty_in)))
        return 0;
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++) {
        if (!term_known(fallbacks[i], u->tty_fd))
            continue;
        u->scr = newterm(fallbacks[i], u->tty_out, u->tty_in);
        if (u->scr) {
            snprintf(u->term_notice, sizeof u->term_notice,
                     "TERM=%.40s has no terminfo here; drawing as %s (install its terminfo "
                     "or set TERM)",
                     term && *term ? term : "(unset)", fallbacks[i]);
            return 0;
        }
    }
    snprintf(err, errlen,
             "TERM=%.60s: no terminfo entry, and neither xterm-256color nor vt100 to fall "
             "back on (install ncurses-term or set TERM)",
             term && *term ? term : "(unset)");
    return -1;
}

static int open_terminal(struct ui *u, char *err, size_t errlen)
{
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
        u->tty_in = stdin;
        u->tty_out = stdout;
    } else {
        int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            snprintf(err, errlen, "no terminal to draw on (use --once --json for scripts)");
            return -1;
        }
        u->tty_in = u->tty_out = fdopen(fd, "r+");
        if (!u->tty_in) {
            snprintf(err, errlen, "/dev/tty: %s", strerror(errno));
            close(fd);
            return -1;
        }
    }
    u->tty_fd = fileno(u->tty_in);
    if (new_screen(u, err, errlen) < 0) {
        if (u->tty_in != stdin)
            fclose(u->tty_in);
        return -1;
    }
    set_term(u->scr);
    return 0;
}

static void setup_curses(struct ui *u)
{
    set_escdelay(25);
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    ui_colors_init(u);
    getmaxyx(stdscr, u->rows, u->cols);
}

static void load_theme(struct ui *u)
{
    const char *name = u->a->opt.theme ? u->a->opt.theme : "default";
    char err[400];
    u->theme_idx = -1;
    for (int i = 0; i < theme_cycle_len; i++)
        if (!strcmp(name, theme_cycle[i]))
            u->theme_idx = i;
    if (theme_load(&u->theme, name, err, sizeof err) < 0) {
        ui_message(u, "%s; using the default theme", err);
        u->theme_idx = 0;
    }
    if (u->theme_idx < 0)
        u->theme_idx = 0;
    ui_theme_apply(u);
}

static int block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGWINCH);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
        return -1;
    return signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void free_views(struct ui *u)
{
    for (int i = 0; i < P_COUNT; i++) {
        if (u->views[i].re)
            pcre2_code_free(u->views[i].re);
        if (u->views[i].md)
            pcre2_match_data_free(u->views[i].md);
    }
    buf_free(&u->detail);
    ui_cluster_free();
}

int tui_run(struct app *a)
{
    static struct ui ui;
    struct ui *u = &ui;
    memset(u, 0, sizeof *u);
    u->a = a;
    u->zoom = -1;
    u->focus = P_PIPELINE;
    u->war_room = a->opt.war_room;
    u->frames_max = a->opt.frames;
    u->refresh_ms = a->opt.refresh_ms > 0 ? a->opt.refresh_ms : 1000;
    u->panels[P_PIPELINE] = &pipeline_panel;
    u->panels[P_SLO] = &slo_panel;
    u->panels[P_KEVENTS] = &kevents_panel;
    u->panels[P_COPILOT] = &copilot_panel;

    setlocale(LC_ALL, "");
    u->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    sigset_t set;
    u->sig_fd = block_signals(&set);
    if (u->sig_fd < 0) {
        fprintf(stderr, "lookout: signalfd: %s\n", strerror(errno));
        return 1;
    }
    char err[300];
    if (open_terminal(u, err, sizeof err) < 0) {
        fprintf(stderr, "lookout: %s\n", err);
        close(u->sig_fd);
        return 1;
    }
    setup_curses(u);
    u->console = !strncmp(termname(), "linux", 5);
    load_theme(u);
    if (u->term_notice[0])
        ui_message(u, "%s", u->term_notice);
    ui_layout(u);
    loop_watch_fd(a->loop, u->tty_fd, LOOP_READ, on_tty, u);
    loop_watch_fd(a->loop, u->sig_fd, LOOP_READ, on_signal, u);
    loop_set_idle(a->loop, on_idle, u);

    u->dirty = engine_take_dirty(&a->engine);
    draw_frame(u); /* the first frame at once, whatever has arrived */
    while (!u->quit)
        loop_run_once(a->loop, -1);

    loop_set_idle(a->loop, NULL, NULL);
    loop_unwatch_fd(a->loop, u->tty_fd);
    loop_unwatch_fd(a->loop, u->sig_fd);
    if (u->frame_timer)
        loop_timer_cancel(a->loop, u->frame_timer);
    mousemask(0, NULL);
    endwin();
    delscreen(u->scr);
    if (u->tty_in != stdin)
        fclose(u->tty_in);
    close(u->sig_fd);
    free_views(u);
    return u->exit_code;
}
