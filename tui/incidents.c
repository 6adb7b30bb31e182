/* The incidents view (key i): every open and recent incident in rank order
 * (core/incident.h) with its state, tier, age, service and signal count,
 * the current one marked. Enter picks the selected incident for the copilot
 * panel, the war room and `e` until changed; Enter on the picked one goes
 * back to following the rank. The rank decides by default because at 3 a.m.
 * the newest incident is rarely the one that matters. */
#include <stdio.h>
#include <string.h>

#include "core/incident.h"
#include "ui.h"

#define LISTED 64

static int rows(struct ui *u, const struct incident **v)
{
    int n = incident_ranked(&u->a->engine, v, LISTED);
    if (u->inc_sel >= n)
        u->inc_sel = n - 1;
    if (u->inc_sel < 0)
        u->inc_sel = 0;
    return n;
}

static enum ui_role tier_role(enum incident_tier t)
{
    return t >= TIER_TICKET ? ROLE_CRIT : t == TIER_CRITICAL ? ROLE_WARN : ROLE_TEXT;
}

static void draw_row(struct ui *u, int y, struct rect r, const struct incident *inc, int rank,
                     bool current, bool selected)
{
    char age[16], why[160];
    ui_fmt_dur(age, sizeof age, engine_now(&u->a->engine) - incident_start(inc));
    incident_rank_reason(inc, why, sizeof why);
    enum ui_role base = selected ? ROLE_SELECT : ROLE_TEXT;
    ui_fill(u, y, r.x, r.w, base);
    ui_textf(u, y, r.x + 1, 4, base, "%c%2d", current ? '*' : ' ', rank);
    ui_text(u, y, r.x + 5, 10, base, inc->id);
    int x = r.x + 16;
    ui_text(u, y, x, 9, base, inc->state == INC_OPEN ? "open" : "resolved");
    ui_text(u, y, x + 9, 9, selected ? base : tier_role(incident_tier(inc)),
            incident_tier_names[incident_tier(inc)]);
    ui_text(u, y, x + 18, 8, base, age);
    ui_text(u, y, x + 26, 17, base, inc->service[0] ? inc->service : "(host)");
    ui_textf(u, y, x + 43, 8, base, "%7d", inc->signals);
    if (r.x + r.w > x + 53)
        ui_text(u, y, x + 53, r.x + r.w - x - 53, selected ? base : ROLE_DIM, why);
}

void ui_draw_incidents(struct ui *u, struct rect r)
{
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    const struct incident *v[LISTED];
    int n = rows(u, v);
    char why[200];
    const struct incident *cur = incident_current(&u->a->engine, why, sizeof why);
    ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_ACCENT,
            "Incidents by rank (* current; Enter picks for the copilot, again: back to the "
            "rank; Esc closes)");
    if (r.h < 3)
        return;
    ui_textf(u, r.y + 1, r.x + 1, r.w - 1, ROLE_DIM, "%-15s%-9s%-9s%-8s%-17s%7s  %s", "  #  ID",
             "STATE", "TIER", "AGE", "SERVICE", "SIGNALS", "WHY");
    if (!n) {
        ui_text(u, r.y + 2, r.x + 1, r.w - 1, ROLE_DIM, "no incidents");
        return;
    }
    int body = r.h - 3, top = u->inc_sel >= body ? u->inc_sel - body + 1 : 0;
    for (int i = top; i < n && i - top < body; i++)
        draw_row(u, r.y + 2 + i - top, r, v[i], i + 1, v[i] == cur, i == u->inc_sel);
    ui_textf(u, r.y + r.h - 1, r.x + 1, r.w - 1, ROLE_DIM, "current: %s",
             u->a->engine.picked_incident[0] ? "picked by you" : why);
}

void ui_incidents_pick(struct ui *u)
{
    const struct incident *v[LISTED];
    int n = rows(u, v);
    if (!n)
        return;
    struct engine *e = &u->a->engine;
    char id[sizeof v[0]->id];
    STR_COPY(id, v[u->inc_sel]->id);
    if (!strcmp(e->picked_incident, id)) {
        incident_pick(e, NULL);
        ui_message(u, "following the rank again");
    } else {
        incident_pick(e, id);
        ui_message(u, "copilot, war room and e follow the incident you picked");
    }
    u->overlay = OV_NONE;
}
