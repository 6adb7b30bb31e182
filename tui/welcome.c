/* First contact. With nothing configured (no config file, no --demo, no
 * replay, no cluster) the panels would be empty and say nothing; a short
 * card in their place tells a new user where the config file was looked
 * for, how to take the tour, where the docs are, and what kernel events
 * need. The kernel panel's own "why off" line comes from here too (for a
 * replay or an --attach viewer, what is true of the record or the server). */
#include <stdio.h>
#include <string.h>

#include "share/client.h"
#include "ui.h"

static const struct source_info *kernel_source(struct ui *u)
{
    struct table *t = engine_table(&u->a->engine, T_SOURCES);
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (!strcmp(s->kind, "kernel"))
            return s;
    }
    return NULL;
}

bool ui_first_contact(struct ui *u)
{
    const struct app *a = u->a;
    if (a->opt.demo || a->opt.replay_path || a->config.path[0])
        return false;
    struct table *t = engine_table(&u->a->engine, T_SOURCES);
    for (int i = 0; i < t->count; i++)
        if (strcmp(((const struct source_info *)table_row(t, i))->kind, "kernel") != 0)
            return false; /* a cluster or an agent found without a config file */
    return true;
}

bool ui_kernel_off(struct ui *u, char *out, size_t outlen)
{
    const struct source_info *s = kernel_source(u);
    out[0] = 0;
    if (!s && u->a->opt.demo)
        return false; /* the demo simulates them */
    if (!s) {
        /* A viewer never has a kernel source of its own: the server's row
         * (its state, its error) is what it shows when the server has one. */
        snprintf(out, outlen, "kernel events off: %s",
                 u->a->opt.replay_path  ? "a replay shows only what was recorded"
                 : u->a->opt.attach_url ? "the attached server has no kernel source"
                                        : "started with --no-kernel");
        return true;
    }
    if (s->state == SRC_DISABLED || s->state == SRC_FAILED) {
        snprintf(out, outlen, "kernel events off: %s",
                 s->error[0] ? s->error : "the kernel source stopped");
        return true;
    }
    if (s->state == SRC_STARTING)
        snprintf(out, outlen, "loading kernel programs");
    return false;
}

void ui_draw_first_contact(struct ui *u, struct rect r)
{
    if (r.h <= 0 || r.w <= 0)
        return;
    for (int i = 0; i < r.h; i++)
        ui_fill(u, r.y + i, r.x, r.w, ROLE_TEXT);
    char path[512], kern[400];
    config_default_path(path, sizeof path);
    bool off = ui_kernel_off(u, kern, sizeof kern);
    static const char *const keys[] = {"Config", "A tour", "Docs", "Kernel", ""};
    char text[5][600];
    snprintf(text[0], sizeof text[0], "no config file: looked for %s", path);
    snprintf(text[1], sizeof text[1],
             "lookout --demo   (a simulated cluster with a deploy that goes wrong)");
    snprintf(text[2], sizeof text[2],
             "man lookout, or in the source man ./docs/lookout.1 and docs/tui.md");
    snprintf(text[3], sizeof text[3],
             "events need root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF "
             "(/sys/kernel/btf/vmlinux)");
    snprintf(text[4], sizeof text[4], "%s",
             off || kern[0] ? kern : "kernel events on: the eBPF panel shows them");
    int y = r.y, key_w = 8;
    ui_text(u, y++, r.x + 1, r.w - 1, ROLE_ACCENT, "Welcome to Lookout: nothing is configured yet");
    y += r.h > 8; /* a blank line when there is room for one */
    for (int i = 0; i < 5 && y < r.y + r.h; i++) {
        ui_text(u, y, r.x + 2, key_w, ROLE_ACCENT, keys[i]);
        struct rect tr = {y, r.x + 3 + key_w, r.y + r.h - y, r.w - 4 - key_w};
        y += ui_wrap(u, tr, i == 4 && off ? ROLE_WARN : ROLE_TEXT, text[i]);
    }
}

/* An --attach viewer that has never received the server's state knows
 * nothing: its panels would say "no pipelines configured", "no SLOs",
 * "0 incidents" about a server they never heard. True then, with the
 * attach source's status. */
static bool attach_pending(struct ui *u, struct share_status *st)
{
    struct source *s = u->a->opt.attach_url ? share_find(&u->a->sources) : NULL;
    if (!s)
        return false;
    share_get_status(s, st);
    return st->state == SHARE_CONNECTING || st->state == SHARE_REFUSED;
}

bool ui_attach_pending(struct ui *u)
{
    struct share_status st;
    return attach_pending(u, &st);
}

void ui_draw_attach_pending(struct ui *u, struct rect r)
{
    struct share_status st;
    if (r.h <= 0 || r.w <= 0 || !attach_pending(u, &st))
        return;
    char text[3][400];
    snprintf(text[0], sizeof text[0], "%s", u->a->opt.attach_url);
    snprintf(text[1], sizeof text[1], "%s", st.error[0] ? st.error : "connecting");
    if (st.retry_in > 0)
        snprintf(text[2], sizeof text[2], "next attempt in %llds",
                 (long long)((st.retry_in + 999) / 1000));
    else
        snprintf(text[2], sizeof text[2], "waiting for the server's first state");
    static const char *const keys[] = {"Server", "Why", "Retry"};
    int y = r.y, key_w = 8;
    ui_text(u, y++, r.x + 1, r.w - 1, ROLE_WARN,
            "Not attached yet: no pipeline, SLO, incident or event is known");
    y += r.h > 8;
    for (int i = 0; i < 3 && y < r.y + r.h; i++) {
        ui_text(u, y, r.x + 2, key_w, ROLE_ACCENT, keys[i]);
        struct rect tr = {y, r.x + 3 + key_w, r.y + r.h - y, r.w - 4 - key_w};
        y += ui_wrap(u, tr, i == 1 ? ROLE_WARN : ROLE_TEXT, text[i]);
    }
}
