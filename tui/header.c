/* The header strip (context, cluster health, gate, incidents, clock, source
 * badges) and the status line (key hints, messages, filter prompt). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/loop.h"
#include "core/replay.h"
#include "share/client.h"
#include "ui.h"

/* One thing the header shows, in forms from widest to narrowest; "" hides
 * it. The header keeps the widest forms that fit, shrinking the least
 * important items first (shrink_order below). */
#define HDR_FORMS 4
#define HDR_SRCS  4 /* unhealthy-source badges shown at most */
struct hdr_item {
    char form[HDR_FORMS][200];
    int width[HDR_FORMS];
    int nforms, cur;
    enum ui_role role;
};

enum {
    H_BRAND,
    H_SIM,
    H_CONTEXT,
    H_NODES,
    H_PODS,
    H_GATE,
    H_INCIDENTS,
    H_ALERTS,
    H_SIGNALS,
    H_SRC,
    H_CLOCK = H_SRC + HDR_SRCS,
    H_COUNT
};

/* Which item gives up a form next when the header does not fit: context,
 * node counts and the SIMULATED label first; gate, incidents and alerts
 * only get terser, never hidden (their last form is not ""). */
static const int shrink_order[] = {
    H_SIGNALS,   H_CONTEXT, H_CONTEXT, H_CONTEXT,   H_NODES,   H_NODES,   H_SIM,
    H_BRAND,     H_CLOCK,   H_SRC,     H_SRC + 1,   H_SRC + 2, H_SRC + 3, H_CLOCK,
    H_PODS,      H_SRC,     H_SRC + 1, H_SRC + 2,   H_SRC + 3, H_PODS,    H_ALERTS,
    H_INCIDENTS, H_GATE,    H_ALERTS,  H_INCIDENTS,
};

static void add_form(struct ui *u, struct hdr_item *it, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_form(struct ui *u, struct hdr_item *it, const char *fmt, ...)
{
    if (it->nforms >= HDR_FORMS)
        return;
    char raw[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    int n = it->nforms++;
    it->width[n] = ui_clip(u, raw, 120, it->form[n], sizeof it->form[n]);
}

/* The badge of a source that is not plainly healthy; no forms when it is. */
static void source_item(struct ui *u, const struct source_info *s, struct hdr_item *it)
{
    int64_t now = engine_now(&u->a->engine);
    const char *sep = s->error[0] ? ": " : "";
    char d[16];
    switch (s->state) {
    case SRC_STALE:
        ui_fmt_dur(d, sizeof d, s->last_ok ? now - s->last_ok : -1);
        add_form(u, it, "  %s STALE %s ", s->name, s->last_ok ? d : "");
        add_form(u, it, "  %s STALE ", s->name);
        it->role = ON_HEADER(ROLE_WARN);
        break;
    case SRC_FAILED:
        add_form(u, it, "  %s FAILED%s%s ", s->name, sep, s->error);
        add_form(u, it, "  %s FAILED ", s->name);
        it->role = ON_HEADER(ROLE_CRIT);
        break;
    case SRC_PARTIAL:
        add_form(u, it, "  %s PARTIAL%s%s ", s->name, sep, s->error);
        add_form(u, it, "  %s PARTIAL ", s->name);
        it->role = ON_HEADER(ROLE_WARN);
        break;
    case SRC_DISABLED:
        add_form(u, it, "  %s DISABLED%s%s ", s->name, sep, s->error);
        add_form(u, it, "  %s off ", s->name);
        it->role = ON_HEADER(ROLE_DIM);
        break;
    case SRC_STARTING:
        /* The BPF load runs after the first frame and blocks for a moment:
         * say what the screen is waiting for. */
        if (!strcmp(s->kind, "kernel"))
            add_form(u, it, "  loading kernel programs ");
        add_form(u, it, "  %s starting ", s->name);
        it->role = ON_HEADER(ROLE_DIM);
        break;
    default:
        return;
    }
    add_form(u, it, "%s", "");
}

/* SLOs alerting now, and whether one of them pages. */
static int alerting(struct ui *u, bool *page)
{
    struct table *t = engine_table(&u->a->engine, T_SLOS);
    int n = 0;
    *page = false;
    for (int i = 0; i < t->count; i++) {
        const struct slo *s = table_row(t, i);
        n += s->alert == ALERT_PAGE || s->alert == ALERT_TICKET;
        *page |= s->alert == ALERT_PAGE;
    }
    return n;
}

static void cluster_items(struct ui *u, const struct summary *sm, struct hdr_item *it)
{
    /* no cluster configured: left out; sources that have not delivered: "?"
     * (core/summary.c decides, so --once --json says the same) */
    if (sm->cluster == CLUSTER_NONE)
        return;
    if (sm->cluster == CLUSTER_UNKNOWN) {
        it[H_NODES].role = it[H_PODS].role = ON_HEADER(ROLE_WARN);
        add_form(u, &it[H_NODES], " nodes ? ");
        add_form(u, &it[H_NODES], "%s", "");
        add_form(u, &it[H_PODS], " pods failing ? ");
        add_form(u, &it[H_PODS], " failing ? ");
        add_form(u, &it[H_PODS], "%s", "");
        return;
    }
    it[H_NODES].role = sm->nodes_ready < sm->nodes_total ? ON_HEADER(ROLE_WARN) : ROLE_HEADER;
    add_form(u, &it[H_NODES], " nodes %d/%d ", sm->nodes_ready, sm->nodes_total);
    add_form(u, &it[H_NODES], " n %d/%d ", sm->nodes_ready, sm->nodes_total);
    add_form(u, &it[H_NODES], "%s", "");
    it[H_PODS].role = sm->pods_failing ? ON_HEADER(ROLE_CRIT) : ROLE_HEADER;
    add_form(u, &it[H_PODS], " pods failing %d ", sm->pods_failing);
    add_form(u, &it[H_PODS], " failing %d ", sm->pods_failing);
    add_form(u, &it[H_PODS], "%s", "");
}

static void figure_items(struct ui *u, const struct summary *sm, struct hdr_item *it)
{
    char ctx[NAME_LEN + 4];
    const char *c = sm->context[0] ? sm->context : "-";
    for (int w = 40; w >= 8; w = w == 40 ? 18 : 8) {
        ui_clip(u, c, w, ctx, sizeof ctx);
        add_form(u, &it[H_CONTEXT], " %s ", ctx);
        if (w == 8)
            break;
    }
    add_form(u, &it[H_CONTEXT], "%s", "");
    cluster_items(u, sm, it);
    if (ui_attach_pending(u)) { /* a viewer that never heard its server knows none of these */
        it[H_GATE].role = ON_HEADER(ROLE_WARN);
        add_form(u, &it[H_GATE], " gate ? ");
        add_form(u, &it[H_GATE], "gate ? ");
        add_form(u, &it[H_INCIDENTS], " incidents ? ");
        add_form(u, &it[H_INCIDENTS], " inc ? ");
        add_form(u, &it[H_INCIDENTS], "inc ? ");
        add_form(u, &it[H_ALERTS], " alerts ? ");
        add_form(u, &it[H_ALERTS], " al ? ");
        add_form(u, &it[H_ALERTS], "al ? ");
        return;
    }
    static const char *const gate_label[] = {"n/a", "OPEN", "CLOSED", "UNKNOWN"};
    const int gate_role[] = {ROLE_HEADER, ON_HEADER(ROLE_OK), ON_HEADER(ROLE_CRIT),
                             ON_HEADER(ROLE_WARN)};
    int g = sm->gate >= GATE_STATE_NONE && sm->gate <= GATE_STATE_UNKNOWN ? (int)sm->gate : 0;
    it[H_GATE].role = gate_role[g];
    add_form(u, &it[H_GATE], " gate %s ", gate_label[g]);
    add_form(u, &it[H_GATE], "gate %s ", gate_label[g]);
    it[H_INCIDENTS].role = sm->open_incidents ? ON_HEADER(ROLE_CRIT) : ROLE_HEADER;
    if (sm->incidents_not_opened) /* the cap was hit: said, never silent */
        add_form(u, &it[H_INCIDENTS], " incidents %d (+%d not opened: table full) ",
                 sm->open_incidents, sm->incidents_not_opened);
    add_form(u, &it[H_INCIDENTS], " incidents %d ", sm->open_incidents);
    add_form(u, &it[H_INCIDENTS], " inc %d ", sm->open_incidents);
    add_form(u, &it[H_INCIDENTS], "inc %d ", sm->open_incidents);
    bool page;
    int n = alerting(u, &page);
    it[H_ALERTS].role = page ? ON_HEADER(ROLE_CRIT) : n ? ON_HEADER(ROLE_WARN) : ROLE_HEADER;
    add_form(u, &it[H_ALERTS], " alerts %d ", n);
    add_form(u, &it[H_ALERTS], " al %d ", n);
    add_form(u, &it[H_ALERTS], "al %d ", n);
    add_form(u, &it[H_SIGNALS], " signals/1h %d ", sm->signals_1h);
    add_form(u, &it[H_SIGNALS], "%s", "");
}

/* Attached to a shared engine: whose, how many watch, or STALE and when
 * the next attempt is, with the clock (the shared engine's). */
static void share_item(struct ui *u, struct hdr_item *it, struct source *s, const char *clock)
{
    struct share_status st;
    share_get_status(s, &st);
    int in = (int)((st.retry_in + 999) / 1000);
    switch (st.state) {
    case SHARE_ATTACHED:
        it->role = ROLE_BADGE;
        if (st.ask_refused && st.asked_ago < 8000) { /* `a` was answered after its keypress */
            it->role = ON_HEADER(ROLE_WARN);
            add_form(u, it, " ATTACHED to %s (%d) %s: %s ", st.name, st.viewers, clock, st.asked);
        }
        add_form(u, it, " ATTACHED to %s (%d viewer%s) %s ", st.name, st.viewers,
                 st.viewers == 1 ? "" : "s", clock);
        add_form(u, it, " ATTACHED %s (%d) %s ", st.name, st.viewers, clock);
        add_form(u, it, " ATT %s ", clock);
        return;
    case SHARE_STALE:
        it->role = ON_HEADER(ROLE_CRIT);
        add_form(u, it, " STALE %s: %s, reconnecting in %ds ", clock, st.error, in);
        add_form(u, it, " STALE %s, reconnecting in %ds ", clock, in);
        add_form(u, it, " STALE %s ", clock);
        return;
    case SHARE_CONNECTING:
        if (!st.error[0]) {
            it->role = ON_HEADER(ROLE_WARN);
            add_form(u, it, " ATTACHING to %s ", st.name);
            add_form(u, it, " ATTACHING ");
            return;
        }
        /* fall through */
    case SHARE_REFUSED:
        it->role = ON_HEADER(ROLE_WARN);
        add_form(u, it, " NOT ATTACHED to %s: %s, retry in %ds ", st.name, st.error, in);
        add_form(u, it, " NOT ATTACHED: %s ", st.error);
        add_form(u, it, " NOT ATTACHED ");
        return;
    }
}

/* The clock, or in a replay the player's badge in its place: position,
 * end, speed and PAUSED or END. Never hidden in a replay: the screen shows
 * the past and must say so. */
static void clock_item(struct ui *u, struct hdr_item *it)
{
    char clock[16];
    ui_fmt_clock(clock, sizeof clock, engine_now(&u->a->engine));
    struct source *shared = share_find(&u->a->sources);
    if (shared) {
        share_item(u, it, shared, clock);
        return;
    }
    struct source *rs = replay_find(&u->a->sources);
    if (!rs) {
        add_form(u, it, " %s UTC ", clock);
        add_form(u, it, " %s ", clock);
        add_form(u, it, "%s", "");
        return;
    }
    struct replay_status st;
    replay_get_status(rs, &st);
    char last[16], speed[16];
    ui_fmt_clock(last, sizeof last, st.last);
    if (st.speed > 0)
        snprintf(speed, sizeof speed, "%s%g", u->utf8 ? "×" : "x", st.speed);
    else
        snprintf(speed, sizeof speed, "%smax", u->utf8 ? "×" : "x");
    const char *state = st.ended ? " END" : st.paused ? " PAUSED" : "";
    it->role = st.ended || st.paused ? ON_HEADER(ROLE_WARN) : ROLE_BADGE;
    add_form(u, it, " REPLAY %s / %s %s%s ", clock, last, speed, state);
    add_form(u, it, " REPLAY %s %s%s ", clock, speed, state);
    add_form(u, it, " R %s%s ", clock, state);
}

static int total_width(const struct hdr_item *it)
{
    int w = 0;
    for (int i = 0; i < H_COUNT; i++)
        w += it[i].nforms ? it[i].width[it[i].cur] : 0;
    return w;
}

void ui_draw_header(struct ui *u, int y)
{
    struct engine *e = &u->a->engine;
    ui_fill(u, y, 0, u->cols, ROLE_HEADER);
    const struct summary *sm = engine_get(e, T_SUMMARY, "summary");
    static struct hdr_item it[H_COUNT];
    memset(it, 0, sizeof it);
    for (int i = 0; i < H_COUNT; i++)
        it[i].role = ROLE_HEADER;
    add_form(u, &it[H_BRAND], " LOOKOUT ");
    add_form(u, &it[H_BRAND], "%s", "");
    /* SIMULATED is never hidden: nobody may mistake the demo for production. */
    struct table *t = engine_table(e, T_SOURCES);
    bool simulated = false;
    for (int i = 0; i < t->count; i++)
        simulated |= ((const struct source_info *)table_row(t, i))->simulated;
    if (simulated) {
        it[H_SIM].role = ROLE_BADGE;
        add_form(u, &it[H_SIM], " SIMULATED ");
        add_form(u, &it[H_SIM], " SIM ");
    }
    if (sm) {
        figure_items(u, sm, it);
    } else {
        add_form(u, &it[H_CONTEXT], " waiting for data ");
        add_form(u, &it[H_CONTEXT], " waiting ");
    }
    for (int i = 0, n = 0; i < t->count && n < HDR_SRCS; i++) {
        source_item(u, table_row(t, i), &it[H_SRC + n]);
        n += it[H_SRC + n].nforms > 0;
    }
    clock_item(u, &it[H_CLOCK]);
    int steps = (int)(sizeof shrink_order / sizeof shrink_order[0]), done = 0;
    bool shrunk[sizeof shrink_order / sizeof shrink_order[0]] = {false};
    for (; done < steps && total_width(it) > u->cols; done++) {
        struct hdr_item *h = &it[shrink_order[done]];
        if (h->cur + 1 < h->nforms)
            shrunk[done] = ++h->cur > 0;
    }
    /* A late step can free more than it needed (a long source error down to
     * "kernel off"): give the earlier items their forms back where they fit. */
    for (int s = done - 1; s >= 0; s--) {
        struct hdr_item *h = &it[shrink_order[s]];
        if (!shrunk[s])
            continue;
        h->cur--;
        if (total_width(it) > u->cols)
            h->cur++;
    }
    int x = 0, clock_w = it[H_CLOCK].width[it[H_CLOCK].cur];
    u->counts_x0 = u->counts_x1 = 0;
    for (int i = 0; i < H_CLOCK && x < u->cols; i++)
        if (it[i].nforms && it[i].form[it[i].cur][0]) {
            bool counts = i == H_NODES || i == H_PODS;
            if (counts && !u->counts_x1)
                u->counts_x0 = x;
            x += ui_text(u, y, x, u->cols - clock_w - x, it[i].role, it[i].form[it[i].cur]);
            if (counts)
                u->counts_x1 = x; /* the click target: the node and pod counts */
        }
    if (clock_w && x + clock_w <= u->cols)
        ui_text(u, y, u->cols - clock_w, clock_w, it[H_CLOCK].role,
                it[H_CLOCK].form[it[H_CLOCK].cur]);
}

void ui_draw_status(struct ui *u, int y)
{
    ui_fill(u, y, 0, u->cols, ROLE_STATUS);
    if (u->editing) {
        int x = ui_text(u, y, 0, u->cols, ROLE_STATUS,
                        u->edit_context ? "kube context (Enter switch, Esc cancel): "
                                        : "filter (PCRE2, Enter apply, Esc cancel): ");
        x += ui_text(u, y, x, u->cols - x, ROLE_STATUS, u->edit);
        if (x < u->cols) {
            move(y, x);
        }
        return;
    }
    char hints[512];
    if (u->message[0] && loop_mono_ms() < u->message_until) {
        /* The message takes the line but for the keys that must stay. */
        ui_key_hints(u, u->cols, true, hints, sizeof hints);
        char safe[512];
        int w = ui_clip(u, hints, u->cols, safe, sizeof safe);
        ui_text(u, y, 0, u->cols - w, ROLE_STATUS, u->message);
        ui_text(u, y, u->cols - w, w, ROLE_STATUS, safe);
        return;
    }
    u->message[0] = 0;
    ui_key_hints(u, u->cols, false, hints, sizeof hints);
    ui_text(u, y, 0, u->cols, ROLE_STATUS, hints);
}
