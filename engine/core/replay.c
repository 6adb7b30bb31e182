/* The replay player: a --record file applied line by line to the engine
 * while a clock of its own (record time, paused, sped up, moved) says how
 * far. See replay.h for why seeking back plays the record again. */
#include "core/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/record.h"
#include "core/summary.h"

#define MAX_LINE     (4u << 20)
#define TICK_MS      200  /* the clock badge moves at least this often while playing */
#define PREV_SLACK   1500 /* `[` within this of a mark goes to the one before */
#define MARK_KEY_LEN 160

static const double speed_ladder[] = {0.25, 0.5, 1, 2, 4, 8, 16, 32, 64};
#define NSPEEDS ((int)(sizeof speed_ladder / sizeof speed_ladder[0]))

struct replay {
    char path[1024];
    double speed;
    FILE *f;
    char *line;
    size_t line_cap;
    ssize_t line_len; /* a line read but not applied yet, or -1 */
    long lineno;
    long reported; /* bad lines up to here were reported (a replay again is quiet) */
    unsigned long applied, bad;
    int64_t first_t, last_t; /* record times of the first and last line */
    int64_t pos;             /* record time the engine is at */
    int64_t anchor_pos, anchor_mono;
    bool paused, ended;
    int64_t *marks; /* incident openings and SLO alerts, ascending */
    int nmarks;
    struct loop_timer *timer;
};

/* The time a line carries, without decoding the whole object. */
static long long line_time(const char *line)
{
    const char *p = strstr(line, "\"t\":");
    return p ? atoll(p + 4) : -1;
}

/* ---- the scan: span and marks ---- */

struct mark_scan {
    struct {
        char key[MARK_KEY_LEN];
        char val[16];
    } * seen;
    int nseen, cap;
};

/* Stores key's new value; true when it differs from the last one. */
static bool scan_changed(struct mark_scan *ms, const char *key, const char *val)
{
    for (int i = 0; i < ms->nseen; i++) {
        if (strcmp(ms->seen[i].key, key) == 0) {
            bool changed = strcmp(ms->seen[i].val, val) != 0;
            STR_COPY(ms->seen[i].val, val);
            return changed;
        }
    }
    if (ms->nseen == ms->cap) {
        int cap = ms->cap ? ms->cap * 2 : 32;
        void *p = realloc(ms->seen, (size_t)cap * sizeof ms->seen[0]);
        if (!p)
            return false;
        ms->seen = p;
        ms->cap = cap;
    }
    STR_COPY(ms->seen[ms->nseen].key, key);
    STR_COPY(ms->seen[ms->nseen].val, val);
    ms->nseen++;
    return true;
}

/* The string value of the first "key" in the line's object, without
 * decoding it: the scan reads every line of records of tens of MB (and
 * under valgrind in the soak). The schema writes a row's own fields before
 * its nested arrays, so the first match is the row's (name, id, alert,
 * state); keys and ids hold no escaped quotes. */
static void field(const char *line, const char *key, char *out, size_t outlen)
{
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *obj = strstr(line, "\"obj\":{");
    const char *p = obj ? strstr(obj, pat) : NULL;
    out[0] = 0;
    if (!p)
        return;
    p += strlen(pat);
    size_t n = strcspn(p, "\"");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

/* Whether a line opens an incident or raises an SLO to ticket or page. */
static bool is_mark(struct mark_scan *ms, const char *line)
{
    bool inc = strstr(line, "\"table\":\"incidents\"") != NULL;
    if (!inc && !strstr(line, "\"table\":\"slos\""))
        return false;
    char name[MARK_KEY_LEN - 4], val[16], key[MARK_KEY_LEN];
    field(line, inc ? "id" : "name", name, sizeof name);
    field(line, inc ? "state" : "alert", val, sizeof val);
    snprintf(key, sizeof key, "%s:%s", inc ? "inc" : "slo", name);
    if (!scan_changed(ms, key, val))
        return false;
    return inc ? strcmp(val, "open") == 0 : strcmp(val, "page") == 0 || strcmp(val, "ticket") == 0;
}

static int add_mark(struct replay *r, int64_t t, int *cap)
{
    if (r->nmarks && r->marks[r->nmarks - 1] == t)
        return 0;
    if (r->nmarks == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        int64_t *p = realloc(r->marks, (size_t)*cap * sizeof *p);
        if (!p)
            return -1;
        r->marks = p;
    }
    r->marks[r->nmarks++] = t;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One pass over the file: first and last time, and the marks. */
static int scan(struct replay *r, char *err, size_t errlen)
{
    struct mark_scan ms = {0};
    int cap = 0, rc = 0;
    ssize_t n;
    errno = 0;
    while ((n = getline(&r->line, &r->line_cap, r->f)) >= 0) {
        long long t = line_time(r->line);
        if (t < 0 || (size_t)n > MAX_LINE)
            continue;
        if (r->first_t < 0)
            r->first_t = t;
        if (t > r->last_t)
            r->last_t = t;
        if (is_mark(&ms, r->line) && add_mark(r, t, &cap) < 0)
            break;
    }
    if (ferror(r->f)) {
        snprintf(err, errlen, "%s: %s", r->path, strerror(errno ? errno : EIO));
        rc = -1;
    } else if (r->first_t < 0) {
        snprintf(err, errlen, "%s: no record lines (not a lookout --record file)", r->path);
        rc = -1;
    }
    free(ms.seen);
    if (r->nmarks)
        qsort(r->marks, (size_t)r->nmarks, sizeof *r->marks, cmp_i64);
    rewind(r->f);
    return rc;
}

static void replay_free(struct replay *r)
{
    if (r->f)
        fclose(r->f);
    free(r->line);
    free(r->marks);
    free(r);
}

void *replay_new(const char *path, double speed, char *err, size_t errlen)
{
    struct replay *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    STR_COPY(r->path, path);
    r->speed = speed;
    r->line_len = -1;
    r->first_t = -1;
    r->f = fopen(r->path, "r");
    if (!r->f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        replay_free(r);
        return NULL;
    }
    if (scan(r, err, errlen) < 0) {
        replay_free(r);
        return NULL;
    }
    return r;
}

/* ---- playing ---- */

static void set_detail(struct source *s, struct replay *r)
{
    char detail[256];
    snprintf(detail, sizeof(detail), "%lu changes replayed, %lu bad lines", r->applied, r->bad);
    struct source_info *si = engine_get(s->ctx.engine, T_SOURCES, s->name);
    if (si) {
        struct source_info upd = *si;
        STR_COPY(upd.detail, detail);
        engine_upsert(s->ctx.engine, T_SOURCES, &upd);
    }
}

static void apply(struct source *s, struct replay *r)
{
    char err[256];
    long long lt;
    if ((size_t)r->line_len <= MAX_LINE &&
        record_apply_line(s->ctx.engine, r->line, (size_t)r->line_len, &lt, err, sizeof(err)) ==
            0) {
        r->applied++;
        return;
    }
    r->bad++;
    if (r->lineno <= r->reported)
        return;
    r->reported = r->lineno;
    fprintf(stderr, "lookout: replay: %s:%ld: %s\n", r->path, r->lineno,
            (size_t)r->line_len > MAX_LINE ? "line too long" : err);
}

/* Applies every line up to record time `to`, then sets the clock there. */
static void advance_to(struct source *s, struct replay *r, int64_t to)
{
    while (!r->ended) {
        if (r->line_len < 0) {
            r->line_len = getline(&r->line, &r->line_cap, r->f);
            if (r->line_len < 0) {
                r->ended = true;
                set_detail(s, r);
                break;
            }
            r->lineno++;
        }
        long long t = line_time(r->line);
        if (t > to)
            break;
        apply(s, r);
        r->line_len = -1;
    }
    if (r->ended || to > r->last_t)
        to = r->last_t;
    if (to > r->pos)
        r->pos = to;
    engine_advance(s->ctx.engine, r->pos);
}

/* The record time the clock has reached now. */
static int64_t clock_now(const struct replay *r)
{
    if (r->speed <= 0)
        return r->last_t; /* as fast as possible: always at the end */
    if (r->paused || r->ended)
        return r->pos;
    return r->anchor_pos + (int64_t)((double)(loop_mono_ms() - r->anchor_mono) * r->speed);
}

static void anchor(struct replay *r)
{
    r->anchor_pos = r->pos;
    r->anchor_mono = loop_mono_ms();
}

static void schedule(struct source *s, struct replay *r);

static void tick(void *ud)
{
    struct source *s = ud;
    struct replay *r = s->priv;
    r->timer = NULL;
    advance_to(s, r, clock_now(r));
    schedule(s, r);
}

/* The next wake-up: the next line's due time, or a clock tick if sooner. */
static void schedule(struct source *s, struct replay *r)
{
    if (r->timer) {
        loop_timer_cancel(s->ctx.loop, r->timer);
        r->timer = NULL;
    }
    if (r->paused || r->ended)
        return;
    int64_t wait = r->speed <= 0 ? 1 : TICK_MS;
    if (r->line_len >= 0 && r->speed > 0) {
        long long t = line_time(r->line);
        int64_t due = r->anchor_mono + (int64_t)((double)(t - r->anchor_pos) / r->speed);
        wait = due - loop_mono_ms();
        if (wait > TICK_MS)
            wait = TICK_MS;
        if (wait < 1)
            wait = 1;
    }
    r->timer = loop_timer_start(s->ctx.loop, wait, tick, s);
}

/* Back to an empty engine at the record's start (seeking backwards). */
static void restart(struct source *s, struct replay *r)
{
    engine_reset(s->ctx.engine);
    rewind(r->f);
    r->line_len = -1;
    r->lineno = 0;
    r->applied = r->bad = 0;
    r->ended = false;
    r->pos = r->first_t;
    engine_source_state(s->ctx.engine, s->name, "replay", SRC_SYNCED, NULL);
}

static void seek_to(struct source *s, struct replay *r, int64_t to)
{
    if (to < r->first_t)
        to = r->first_t;
    if (to > r->last_t)
        to = r->last_t;
    if (to < r->pos)
        restart(s, r);
    advance_to(s, r, to);
    /* The recorded summary lags its tables by up to a second's tick, and a
     * paused clock ticks no more: landed on an incident's opening, the
     * header would say "incidents 0" under it. */
    summary_refresh(s->ctx.engine);
    anchor(r);
    schedule(s, r);
}

static int replay_start(struct source *s, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct replay *r = s->priv;
    s->ctx.engine->replaying = true;
    /* Playing from the first line on: the header has no "starting" badge. */
    engine_source_state(s->ctx.engine, s->name, "replay", SRC_SYNCED, NULL);
    r->pos = r->first_t;
    if (r->speed <= 0) {
        advance_to(s, r, INT64_MAX);
        return 0;
    }
    advance_to(s, r, r->first_t);
    anchor(r);
    schedule(s, r);
    return 0;
}

static void replay_stop(struct source *s)
{
    struct replay *r = s->priv;
    if (!r)
        return;
    if (r->timer)
        loop_timer_cancel(s->ctx.loop, r->timer);
    replay_free(r);
    s->priv = NULL;
}

const struct source_ops replay_source_ops = {
    .kind = "replay",
    .start = replay_start,
    .stop = replay_stop,
};

/* ---- the player's controls ---- */

struct source *replay_find(struct source_set *set)
{
    for (int i = 0; i < set->count; i++)
        if (set->items[i].ops == &replay_source_ops && set->items[i].priv)
            return &set->items[i];
    return NULL;
}

void replay_get_status(const struct source *s, struct replay_status *st)
{
    const struct replay *r = s->priv;
    *st = (struct replay_status){.first = r->first_t,
                                 .last = r->last_t,
                                 .pos = r->pos,
                                 .speed = r->speed,
                                 .paused = r->paused,
                                 .ended = r->ended};
}

void replay_toggle_pause(struct source *s)
{
    struct replay *r = s->priv;
    if (r->ended) {
        r->paused = false;
        seek_to(s, r, r->first_t);
        return;
    }
    advance_to(s, r, clock_now(r));
    r->paused = !r->paused;
    anchor(r);
    schedule(s, r);
}

void replay_seek_by(struct source *s, int64_t delta_ms)
{
    struct replay *r = s->priv;
    advance_to(s, r, clock_now(r));
    seek_to(s, r, r->pos + delta_ms);
}

int replay_jump(struct source *s, int dir)
{
    struct replay *r = s->priv;
    advance_to(s, r, clock_now(r));
    int64_t to = -1;
    for (int i = 0; i < r->nmarks; i++) {
        if (dir > 0 && r->marks[i] > r->pos) {
            to = r->marks[i];
            break;
        }
        if (dir < 0 && r->marks[i] < r->pos - PREV_SLACK)
            to = r->marks[i];
    }
    if (to < 0)
        return -1;
    seek_to(s, r, to);
    return 0;
}

void replay_speed_step(struct source *s, int dir)
{
    struct replay *r = s->priv;
    advance_to(s, r, clock_now(r));
    double v = r->speed <= 0 ? speed_ladder[NSPEEDS - 1] : r->speed;
    double next = v;
    for (int i = 0; i < NSPEEDS; i++) {
        double c = speed_ladder[dir > 0 ? i : NSPEEDS - 1 - i];
        if ((dir > 0 && c > v) || (dir < 0 && c < v)) {
            next = c;
            break;
        }
    }
    r->speed = next;
    anchor(r);
    schedule(s, r);
}
