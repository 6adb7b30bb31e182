/* The header strip (context, cluster health, gate, incidents, clock, source
 * badges) and the status line (key hints, messages, filter prompt). */
#include <stdio.h>
#include <string.h>

#include "base/loop.h"
#include "ui.h"

/* A badge for a source that is not plainly healthy, "" when it is. */
static void source_badge(struct ui *u, const struct source_info *s, char *out, size_t len,
                         enum ui_role *role)
{
    int64_t now = engine_now(&u->a->engine);
    out[0] = 0;
    *role = ROLE_BADGE;
    switch (s->state) {
    case SRC_STALE: {
        char d[16];
        ui_fmt_dur(d, sizeof d, s->last_ok ? now - s->last_ok : -1);
        snprintf(out, len, "%s STALE %s", s->name, s->last_ok ? d : "");
        *role = ON_HEADER(ROLE_WARN);
        break;
    }
    case SRC_FAILED:
        snprintf(out, len, "%s FAILED%s%s", s->name, s->error[0] ? ": " : "", s->error);
        *role = ON_HEADER(ROLE_CRIT);
        break;
    case SRC_DISABLED:
        snprintf(out, len, "%s DISABLED%s%s", s->name, s->error[0] ? ": " : "", s->error);
        *role = ON_HEADER(ROLE_DIM);
        break;
    case SRC_STARTING:
        snprintf(out, len, "%s starting", s->name);
        *role = ON_HEADER(ROLE_DIM);
        break;
    default:
        break;
    }
}

void ui_draw_header(struct ui *u, int y)
{
    struct engine *e = &u->a->engine;
    ui_fill(u, y, 0, u->cols, ROLE_HEADER);
    const struct summary *sm = engine_get(e, T_SUMMARY, "summary");
    int x = 0, end = u->cols;
    x += ui_text(u, y, x, end - x, ROLE_HEADER, " LOOKOUT ");
    /* SIMULATED comes first: nobody may mistake the demo for production. */
    struct table *t = engine_table(e, T_SOURCES);
    bool simulated = false;
    for (int i = 0; i < t->count; i++)
        simulated |= ((const struct source_info *)table_row(t, i))->simulated;
    if (simulated && end - x > 4) {
        x += ui_text(u, y, x, end - x, ROLE_BADGE, " SIMULATED ");
        x += 1;
    }
    bool narrow = u->cols < 120;
    char clock[16];
    ui_fmt_clock(clock, sizeof clock, engine_now(e));
    /* The clock sits at the right edge; everything else fills up to it. */
    int clock_w = u->cols < 100 ? 9 : 13;
    if (end - x > clock_w + 10) {
        ui_textf(u, y, end - clock_w, clock_w, ROLE_HEADER, clock_w == 9 ? "%s " : "%s UTC ",
                 clock);
        end -= clock_w;
    }
    if (sm) {
        char buf[256];
        int ctx_w = u->cols < 100 ? 8 : narrow ? 18 : 40;
        x += ui_textf(u, y, x, end - x < ctx_w ? end - x : ctx_w, ROLE_HEADER, "%s ",
                      sm->context[0] ? sm->context : "-");
        snprintf(buf, sizeof buf, " nodes %d/%d ", sm->nodes_ready, sm->nodes_total);
        x += ui_text(u, y, x, end - x,
                     sm->nodes_ready < sm->nodes_total ? ON_HEADER(ROLE_WARN) : ROLE_HEADER, buf);
        snprintf(buf, sizeof buf, narrow ? " failing %d " : " pods failing %d ", sm->pods_failing);
        x += ui_text(u, y, x, end - x, sm->pods_failing ? ON_HEADER(ROLE_CRIT) : ROLE_HEADER, buf);
        static const char *const gate_label[] = {"n/a", "OPEN", "CLOSED", "UNKNOWN"};
        const int gate_role[] = {ROLE_HEADER, ON_HEADER(ROLE_OK), ON_HEADER(ROLE_CRIT),
                                 ON_HEADER(ROLE_WARN)};
        int g = sm->gate >= GATE_STATE_NONE && sm->gate <= GATE_STATE_UNKNOWN ? (int)sm->gate : 0;
        snprintf(buf, sizeof buf, " gate %s ", gate_label[g]);
        x += ui_text(u, y, x, end - x, gate_role[g], buf);
        snprintf(buf, sizeof buf, narrow ? " inc %d " : " incidents %d ", sm->open_incidents);
        x +=
            ui_text(u, y, x, end - x, sm->open_incidents ? ON_HEADER(ROLE_CRIT) : ROLE_HEADER, buf);
        if (!narrow && end - x > 30) {
            snprintf(buf, sizeof buf, " signals/1h %d ", sm->signals_1h);
            x += ui_text(u, y, x, end - x, ROLE_HEADER, buf);
        }
    } else {
        x += ui_text(u, y, x, end - x, ROLE_HEADER, "waiting for data ");
    }
    /* Unhealthy sources after the figures. */
    for (int i = 0; i < t->count && end - x > 4; i++) {
        char b[400];
        enum ui_role role;
        source_badge(u, table_row(t, i), b, sizeof b, &role);
        if (!b[0])
            continue;
        x += 1;
        x += ui_textf(u, y, x, end - x, role, " %s ", b);
    }
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
    if (u->message[0] && loop_mono_ms() < u->message_until) {
        ui_text(u, y, 0, u->cols, ROLE_STATUS, u->message);
        return;
    }
    u->message[0] = 0;
    char hints[512];
    ui_key_hints(u, hints, sizeof hints);
    ui_text(u, y, 0, u->cols, ROLE_STATUS, hints);
}
