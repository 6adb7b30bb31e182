/* eBPF event stream: newest kernel events, rate sparklines per kind and
 * per severity (the trend of attack events), drops. The
 * list moves every second, so its selection is an event (by seq), not a
 * row: off the newest row the list freezes and Enter/a still act on the
 * event chosen; a severity filter; a host badge on real events of a demo. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

#define SPARK_BUCKETS 12
#define SPARK_SPAN_MS 60000

static const char *const sev_label[] = {"INFO", "WARN", "CRIT"};

static enum ui_role sev_role(enum severity s)
{
    return s == SEV_CRITICAL ? ROLE_CRIT : s == SEV_WARNING ? ROLE_WARN : ROLE_DIM;
}

static const char *kind_name(int k)
{
    return k >= 0 && k < KEV_KIND_COUNT ? kev_kind_names[k] : "?";
}

static void row_text(const struct kevent *e, char *out, size_t len)
{
    snprintf(out, len, "%s %s %s %s %s %s %s %s", kind_name(e->kind),
             severity_names[e->severity <= SEV_CRITICAL ? e->severity : 0], e->comm, e->path,
             e->pod, e->rule, e->title, e->daddr);
}

#define KEV_ROWS (KEVENT_RING_CAP + KEVENT_HOT_CAP)

static bool passes(struct ui *u, struct panel_view *v, const struct kevent *e)
{
    if (u->paused && e->seq > u->paused_seq)
        return false;
    if ((int)e->severity < u->kev_sev)
        return false;
    if (!v->re)
        return true;
    char text[1024];
    row_text(e, text, sizeof text);
    return ui_filter_pass(v, text);
}

/* The events shown, newest first: both rings merged by seq (an event
 * still in both is shown once), so a WARN or CRIT outlives the INFO rows
 * that pushed it out of the main ring. */
static int collect(struct ui *u, struct panel_view *v, const struct kevent **out, int max)
{
    struct ring *a = &u->a->engine.kevents, *b = &u->a->engine.kevents_hot;
    int i = ring_count(a) - 1, j = ring_count(b) - 1, n = 0;
    while ((i >= 0 || j >= 0) && n < max) {
        const struct kevent *x = i >= 0 ? ring_at(a, i) : NULL;
        const struct kevent *y = j >= 0 ? ring_at(b, j) : NULL;
        const struct kevent *e;
        if (x && (!y || x->seq >= y->seq)) {
            e = x;
            i--;
            j -= y && y->seq == x->seq;
        } else {
            e = y;
            j--;
        }
        if (passes(u, v, e))
            out[n++] = e;
    }
    return n;
}

/* The row of the selected event; when it is gone (filtered, evicted) the
 * next older one takes its place. */
static int row_of(struct ui *u, const struct kevent **rows, int n)
{
    for (int i = 0; i < n; i++) {
        if (rows[i]->seq <= u->sel_seq) {
            u->sel_seq = rows[i]->seq;
            return i;
        }
    }
    if (n)
        u->sel_seq = rows[n - 1]->seq;
    return n - 1;
}

static void detail_of(const struct kevent *e, char *out, size_t len)
{
    if (e->kind == KEV_GAP) {
        snprintf(out, len, "lost %" PRIu64 " events (ring full)", e->lost);
    } else if (e->title[0]) {
        snprintf(out, len, "%s%s%s", e->title, e->path[0] ? "  " : "", e->path);
    } else if (e->kind == KEV_CONNECT || e->kind == KEV_ACCEPT || e->kind == KEV_RESET ||
               e->kind == KEV_RETRANSMIT) {
        snprintf(out, len, "%s:%d -> %s:%d", e->saddr, e->sport, e->daddr, e->dport);
    } else if (e->kind == KEV_EXIT) {
        snprintf(out, len, "exit %d", e->ret);
    } else {
        snprintf(out, len, "%s %s", e->path, e->args);
    }
}

static void draw_row(struct ui *u, const struct kevent *e, int y, struct rect r, bool sel,
                     bool host)
{
    enum ui_role base = sel ? ROLE_SELECT : ROLE_TEXT;
    ui_fill(u, y, r.x, r.w, base);
    int x = r.x, end = r.x + r.w;
    char clock[16];
    ui_fmt_clock(clock, sizeof clock, e->time);
    if (r.w >= 60) {
        x += ui_text(u, y, x, 9, sel ? base : ROLE_DIM, clock) + 1;
    }
    int sev = e->severity <= SEV_CRITICAL ? (int)e->severity : 0;
    ui_text(u, y, x, 4, sel ? base : sev_role((enum severity)sev), sev_label[sev]);
    x += 5;
    ui_text(u, y, x, 8, base, kind_name(e->kind));
    x += 9;
    /* Who: the pod when attributed, else the process. */
    char who[256];
    if (e->kind == KEV_GAP)
        snprintf(who, sizeof who, "-");
    else if (e->pod[0])
        snprintf(who, sizeof who, "%s %s", e->pod, e->comm);
    else
        snprintf(who, sizeof who, "%s[%u]", e->comm, e->pid);
    int who_w = r.w >= 120 ? 40 : r.w >= 80 ? 26 : 16;
    if (end - x < who_w)
        who_w = end - x;
    int badge = host && who_w > 10 ? ui_text(u, y, x, 4, sel ? base : ROLE_BADGE, "host") + 1 : 0;
    ui_text(u, y, x + badge, who_w - 1 - badge, base, who);
    x += who_w;
    if (end - x <= 1)
        return;
    char det[512];
    detail_of(e, det, sizeof det);
    enum ui_role dr = e->kind == KEV_GAP ? ROLE_CRIT : base;
    x += ui_text(u, y, x, end - x, sel ? base : dr, det);
    if (e->rule[0] && end - x > 6)
        ui_textf(u, y, x + 1, end - x - 1, sel ? base : ROLE_ACCENT, "[%s]", e->rule);
}

/* Rates per kind over the last minute of engine time, as sparklines. */
static int draw_rates(struct ui *u, struct rect r)
{
    struct ring *ring = &u->a->engine.kevents;
    double b[KEV_KIND_COUNT][SPARK_BUCKETS];
    int total[KEV_KIND_COUNT] = {0};
    memset(b, 0, sizeof b);
    int64_t now = engine_now(&u->a->engine);
    for (int i = ring_count(ring) - 1; i >= 0; i--) {
        const struct kevent *e = ring_at(ring, i);
        int64_t age = now - e->time;
        if (age >= SPARK_SPAN_MS)
            break;
        if (age < 0 || e->kind >= KEV_KIND_COUNT || e->kind == KEV_GAP)
            continue;
        int bucket = SPARK_BUCKETS - 1 - (int)(age * SPARK_BUCKETS / SPARK_SPAN_MS);
        b[e->kind][bucket] += 1;
        total[e->kind]++;
    }
    int x = r.x + 1, end = r.x + r.w;
    bool any = false;
    for (int k = 0; k < KEV_KIND_COUNT; k++) {
        if (!total[k])
            continue;
        char label[48];
        snprintf(label, sizeof label, "%s %.1f/s", kev_kind_names[k],
                 total[k] * 1000.0 / SPARK_SPAN_MS);
        int need = (int)strlen(label) + SPARK_BUCKETS + 3;
        if (x + need > end)
            break;
        x += ui_text(u, r.y, x, end - x, ROLE_DIM, label) + 1;
        ui_sparkline(u, r.y, x, b[k], SPARK_BUCKETS, ROLE_CHART);
        x += SPARK_BUCKETS + 2;
        any = true;
    }
    if (!any)
        ui_text(u, r.y, r.x + 1, r.w - 1, ROLE_DIM, "no kernel events in the last minute");
    return 1;
}

/* Per-severity counts of the last minute in nb buckets. WARN and CRIT
 * come from the hot ring, which keeps them through an INFO flood; INFO
 * from the main ring. */
static void severity_buckets(struct ui *u, int nb, double b[3][SPARK_BUCKETS], int total[3])
{
    int64_t now = engine_now(&u->a->engine);
    struct ring *rings[2] = {&u->a->engine.kevents, &u->a->engine.kevents_hot};
    for (int r = 0; r < 2; r++) {
        for (int i = ring_count(rings[r]) - 1; i >= 0; i--) {
            const struct kevent *e = ring_at(rings[r], i);
            int64_t age = now - e->time;
            if (age >= SPARK_SPAN_MS)
                break;
            int sev = e->severity <= SEV_CRITICAL ? (int)e->severity : 0;
            if (age < 0 || e->kind == KEV_GAP || (r == 0) != (sev == SEV_INFO))
                continue;
            b[sev][nb - 1 - (int)(age * nb / SPARK_SPAN_MS)] += 1;
            total[sev]++;
        }
    }
}

/* The seed's "trend of attack events": a sparkline per severity over the
 * last minute, always all three so a quiet minute reads as zero. */
static int draw_severity_rates(struct ui *u, struct rect r)
{
    static const char *const name[] = {"info", "warn", "crit"};
    static const enum ui_role role[] = {ROLE_CHART, ROLE_WARN, ROLE_CRIT};
    double b[3][SPARK_BUCKETS];
    int total[3] = {0};
    /* as many buckets as the width gives each series, 4 at least */
    int nb = (r.w - 1 - 9) / 3 - 15;
    nb = nb > SPARK_BUCKETS ? SPARK_BUCKETS : nb < 4 ? 4 : nb;
    memset(b, 0, sizeof b);
    severity_buckets(u, nb, b, total);
    int x = r.x + 1, end = r.x + r.w;
    x += ui_text(u, r.y, x, end - x, ROLE_DIM, "severity") + 1;
    for (int s = SEV_CRITICAL; s >= SEV_INFO && x < end; s--) {
        char label[32];
        snprintf(label, sizeof label, "%s %d/min", name[s], total[s]);
        if (x + (int)strlen(label) + 1 + nb > end)
            break;
        x += ui_text(u, r.y, x, end - x, total[s] ? sev_role((enum severity)s) : ROLE_DIM, label) +
             1;
        ui_sparkline(u, r.y, x, b[s], nb, role[s]);
        x += nb + 2;
    }
    return 1;
}

static void kevents_draw(struct ui *u, struct panel_view *v, struct rect r)
{
    static const struct kevent *rows[KEV_ROWS];
    int used = 0;
    if (r.h >= 4) {
        used = draw_rates(u, r);
    }
    if (r.h >= 6) {
        struct rect below = {r.y + used, r.x, 1, r.w};
        used += draw_severity_rates(u, below);
    }
    int n = collect(u, v, rows, KEV_ROWS);
    v->nrows = n;
    u->drawn_seq = u->a->engine.kevent_seq;
    if (u->paused) {
        v->sel = row_of(u, rows, n);
    } else {
        v->sel = v->top = 0;
        u->sel_seq = n ? rows[0]->seq : 0;
    }
    struct rect body = {r.y + used, r.x, r.h - used, r.w};
    if (n == 0) {
        char off[400];
        bool is_off = ui_kernel_off(u, off, sizeof off);
        const char *msg = ring_count(&u->a->engine.kevents) ? "no events match the filter"
                          : is_off || off[0]                ? off
                                                            : "no kernel events yet";
        ui_wrap(u, (struct rect){body.y, body.x + 1, body.h, body.w - 1},
                is_off ? ROLE_WARN : ROLE_DIM, msg);
        return;
    }
    ui_view_clamp(v, body.h);
    for (int i = 0; i < body.h && v->top + i < n; i++) {
        int k = v->top + i;
        draw_row(u, rows[k], body.y + i, body, k == v->sel, rows[k]->real);
    }
}

static const struct kevent *find_seq(const struct ring *r, uint64_t seq)
{
    for (int i = ring_count(r) - 1; i >= 0; i--) {
        const struct kevent *e = ring_at(r, i);
        if (e->seq == seq)
            return e;
        if (e->seq < seq)
            break;
    }
    return NULL;
}

/* The selected event, by seq: the row under the bar may have moved since. */
static const struct kevent *selected(struct ui *u, struct panel_view *v)
{
    (void)v;
    if (!u->sel_seq)
        return NULL;
    const struct kevent *e = find_seq(&u->a->engine.kevents, u->sel_seq);
    return e ? e : find_seq(&u->a->engine.kevents_hot, u->sel_seq);
}

void ui_kevents_select(struct ui *u, int row)
{
    static const struct kevent *rows[KEV_ROWS];
    struct panel_view *v = &u->views[P_KEVENTS];
    if (!u->paused) {
        if (row <= 0)
            return; /* still on the newest: keep following */
        u->paused = true;
        u->paused_seq = u->drawn_seq; /* exactly the rows the user saw */
    }
    int n = collect(u, v, rows, KEV_ROWS);
    if (row >= n)
        row = n - 1;
    if (row >= 0)
        u->sel_seq = rows[row]->seq;
}

void ui_kevents_follow(struct ui *u)
{
    struct panel_view *v = &u->views[P_KEVENTS];
    u->paused = false;
    v->sel = v->top = 0;
}

void ui_kevents_toggle_pause(struct ui *u)
{
    if (u->paused) {
        ui_kevents_follow(u);
        return;
    }
    u->paused = true;
    u->paused_seq = u->drawn_seq;
}

static const char *const sev_filter_name[] = {"all", "warn+", "crit"};

void ui_kevents_cycle_severity(struct ui *u)
{
    u->kev_sev = (u->kev_sev + 1) % 3;
    ui_message(u, "eBPF events: severity %s", sev_filter_name[u->kev_sev]);
}

static bool kevents_detail(struct ui *u, struct panel_view *v, struct buf *out)
{
    const struct kevent *e = selected(u, v);
    if (!e)
        return false;
    char clock[16];
    ui_fmt_clock(clock, sizeof clock, e->time);
    buf_printf(out, "Kernel event #%" PRIu64 " at %s UTC\n", e->seq, clock);
    buf_printf(out, "kind %s  severity %s\n", kind_name(e->kind),
               severity_names[e->severity <= SEV_CRITICAL ? e->severity : 0]);
    if (e->title[0])
        buf_printf(out, "title: %s\n", e->title);
    if (e->rule[0])
        buf_printf(out, "rule: %s\n", e->rule);
    buf_printf(out, "process: %s  pid %u  ppid %u  uid %u\n", e->comm, e->pid, e->ppid, e->uid);
    if (e->path[0])
        buf_printf(out, "path: %s\n", e->path);
    if (e->args[0])
        buf_printf(out, "args: %s\n", e->args);
    if (e->daddr[0])
        buf_printf(out, "connection: %s:%d -> %s:%d\n", e->saddr, e->sport, e->daddr, e->dport);
    buf_printf(out, "result: %d\n", e->ret);
    /* no node name: this host's kernel, unless the demo made it up (its
     * pod's simulated node is on the Pod line below) */
    const char *node = e->node[0] ? e->node : e->simulated ? "(simulated)" : "(this host)";
    buf_printf(out, "pod: %s\ncontainer: %s\nnode: %s\ncgroup: %" PRIu64 "\n",
               e->pod[0] ? e->pod : "(host)", e->container[0] ? e->container : "-", node,
               e->cgroup_id);
    if (e->kind == KEV_GAP)
        buf_printf(out, "lost: %" PRIu64 " events\n", e->lost);
    const struct k8s_pod *p = e->pod[0] ? engine_get(&u->a->engine, T_PODS, e->pod) : NULL;
    if (p) {
        buf_printf(out, "\nPod %s on node %s: phase %s%s%s, %s, %d restarts\n", p->key, p->node,
                   p->phase, p->problem[0] ? ", " : "", p->problem,
                   p->ready ? "ready" : "NOT ready", p->restarts);
        if (p->deployment[0])
            buf_printf(out, "deployment %s\n", p->deployment);
        for (int i = 0; i < p->ncontainers && i < POD_CONTAINERS; i++) {
            const struct container_status *c = &p->containers[i];
            buf_printf(out, "  container %s %s%s%s restarts %d%s%s image %s\n", c->name, c->state,
                       c->reason[0] ? " " : "", c->reason, c->restarts,
                       c->last_reason[0] ? " last " : "", c->last_reason, c->image);
        }
    }
    if (e->simulated)
        buf_printf(out, "(simulated)\n");
    else if (e->real)
        buf_printf(out, "(host: a real event of this machine beside the simulation)\n");
    return true;
}

static bool kevents_subject(struct ui *u, struct panel_view *v, char *kind, size_t kindlen,
                            char *key, size_t keylen)
{
    const struct kevent *e = selected(u, v);
    if (!e)
        return false;
    if (e->pod[0]) {
        snprintf(kind, kindlen, "pod");
        snprintf(key, keylen, "%s", e->pod);
    } else {
        snprintf(kind, kindlen, "kevent");
        snprintf(key, keylen, "%" PRIu64, e->seq);
    }
    return true;
}

static void kevents_title_extra(struct ui *u, char *out, size_t len)
{
    struct table *t = engine_table(&u->a->engine, T_KSTATS);
    uint64_t drops = 0;
    double pct = 0;
    for (int i = 0; i < t->count; i++) {
        const struct kstats *k = table_row(t, i);
        drops += k->ring_drops;
        if (k->drop_pct_1s > pct)
            pct = k->drop_pct_1s;
    }
    size_t o = 0;
    out[0] = 0;
    if (u->kev_sev)
        o += (size_t)snprintf(out + o, len - o, " [%s]", sev_filter_name[u->kev_sev]);
    uint64_t last = u->a->engine.kevent_seq;
    if (u->paused && o < len)
        o += (size_t)snprintf(out + o, len - o, " PAUSED +%" PRIu64 " new",
                              last > u->paused_seq ? last - u->paused_seq : 0);
    else if (o < len)
        o += (size_t)snprintf(out + o, len - o, " FOLLOWING");
    if (drops && o < len)
        snprintf(out + o, len - o, " DROPS %" PRIu64 " (%.1f%% 1s)", drops, pct);
}

const struct panel_class kevents_panel = {
    .title = "eBPF event stream",
    .short_title = "eBPF",
    .dirty_mask = DIRTY_KEVENTS | (1u << T_KSTATS),
    .draw = kevents_draw,
    .detail = kevents_detail,
    .subject = kevents_subject,
    .title_extra = kevents_title_extra,
    .filterable = true,
};
