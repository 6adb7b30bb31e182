#include "core/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/record.h"

#define MAX_LINE (4u << 20)

struct replay {
    char path[1024];
    double speed;
    FILE *f;
    char *line;
    size_t line_cap;
    ssize_t line_len; /* a line read but not applied yet, or -1 */
    long long first_t;
    int64_t mono_start;
    long lineno;
    unsigned long applied, bad;
    struct loop_timer *timer;
};

void *replay_new(const char *path, double speed)
{
    struct replay *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    STR_COPY(r->path, path);
    r->speed = speed;
    r->line_len = -1;
    r->first_t = -1;
    return r;
}

/* The time a line carries, without decoding the whole object. */
static long long line_time(const char *line)
{
    const char *p = strstr(line, "\"t\":");
    return p ? atoll(p + 4) : -1;
}

static void finish(struct source *s, struct replay *r)
{
    char detail[256];
    snprintf(detail, sizeof(detail), "%lu changes replayed, %lu bad lines", r->applied, r->bad);
    struct source_info *si = engine_get(s->ctx.engine, T_SOURCES, s->name);
    if (si) {
        struct source_info upd = *si;
        STR_COPY(upd.detail, detail);
        engine_upsert(s->ctx.engine, T_SOURCES, &upd);
    }
    engine_source_state(s->ctx.engine, s->name, "replay", SRC_SYNCED, NULL);
}

static void step(void *ud)
{
    struct source *s = ud;
    struct replay *r = s->priv;
    r->timer = NULL;
    for (;;) {
        if (r->line_len < 0) {
            r->line_len = getline(&r->line, &r->line_cap, r->f);
            if (r->line_len < 0) {
                finish(s, r);
                return;
            }
            r->lineno++;
        }
        long long t = line_time(r->line);
        if (r->first_t < 0 && t >= 0)
            r->first_t = t;
        if (r->speed > 0 && t >= 0) {
            int64_t due = r->mono_start + (int64_t)((double)(t - r->first_t) / r->speed);
            int64_t wait = due - loop_mono_ms();
            if (wait > 0) {
                r->timer = loop_timer_start(s->ctx.loop, wait, step, s);
                return;
            }
        }
        char err[256];
        long long lt;
        if ((size_t)r->line_len > MAX_LINE ||
            record_apply_line(s->ctx.engine, r->line, (size_t)r->line_len, &lt, err, sizeof(err)) <
                0) {
            r->bad++;
            char msg[400];
            snprintf(msg, sizeof(msg), "%s:%ld: %s", r->path, r->lineno,
                     (size_t)r->line_len > MAX_LINE ? "line too long" : err);
            fprintf(stderr, "lookout: replay: %s\n", msg);
        } else {
            r->applied++;
        }
        r->line_len = -1;
    }
}

static int replay_start(struct source *s, char *err, size_t errlen)
{
    struct replay *r = s->priv;
    r->f = fopen(r->path, "r");
    if (!r->f) {
        snprintf(err, errlen, "%s: %s", r->path, strerror(errno));
        return -1;
    }
    s->ctx.engine->replaying = true;
    r->mono_start = loop_mono_ms();
    step(s);
    return 0;
}

static void replay_stop(struct source *s)
{
    struct replay *r = s->priv;
    if (!r)
        return;
    if (r->timer)
        loop_timer_cancel(s->ctx.loop, r->timer);
    if (r->f)
        fclose(r->f);
    free(r->line);
    free(r);
    s->priv = NULL;
}

const struct source_ops replay_source_ops = {
    .kind = "replay",
    .start = replay_start,
    .stop = replay_stop,
};
