/* A copilot that follows the breach: after the first question about an
 * incident, it asks again when the incident changes materially (one of its
 * SLOs starts paging, the top cause changes, a new entity joins), at most
 * once per copilot.debounce, and never for a context it already asked about.
 * Until the new answer arrives the old one is marked stale, with the change
 * that made it so. The correlator's incident rows are the only input: this
 * remembers, per incident, what the last question saw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "copilot/context.h"
#include "copilot/priv.h"

/* ---- what a question saw ---- */

static void memo_paging(struct engine *e, const struct incident *inc, char *out, size_t outlen)
{
    struct table *t = engine_table(e, T_SLOS);
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < t->count; i++) {
        const struct slo *s = table_row(t, i);
        if (s->alert != ALERT_PAGE || strcmp(s->service, inc->service) != 0)
            continue;
        int n = snprintf(out + used, outlen - used, "%s ", s->name);
        if (n < 0 || (size_t)n >= outlen - used)
            break; /* more paging SLOs than fit: the first ones decide */
        used += (size_t)n;
    }
}

/* The entity a timeline word names: "shop/checkout-7d9f-p6wsg",
 * "Pod/checkout-7d9f-p6wsg:", "kernel:shop/checkout:rates" and
 * "registry/shop/checkout:2.4.1" all name their last path part (cut at ':'),
 * so one pod or deployment seen by several sources is one entity. Words
 * without '/' (or URLs) name none: 0. */
static size_t entity_of(const char *w, size_t len, const char **name)
{
    const char *slash = NULL;
    for (size_t i = 0; i < len; i++)
        if (w[i] == '/')
            slash = w + i;
    if (!slash || slash == w || memmem(w, len, "://", 3))
        return 0;
    const char *s = slash + 1, *end = w + len;
    size_t n = 0;
    while (s + n < end && !strchr(":,;()\"'", s[n]))
        n++;
    *name = s;
    return n;
}

static void memo_add_entity(struct copilot_memo *m, uint64_t h)
{
    for (int i = 0; i < m->nentities; i++)
        if (m->entities[i] == h)
            return;
    if (m->nentities < MEMO_ENTITIES)
        m->entities[m->nentities++] = h;
}

static bool memo_has_entity(const struct copilot_memo *m, uint64_t h)
{
    for (int i = 0; i < m->nentities; i++)
        if (m->entities[i] == h)
            return true;
    return false;
}

/* Calls fn on each entity the incident's timeline names, until it returns true. */
static bool each_entity(const struct incident *inc,
                        bool (*fn)(uint64_t, const char *, size_t, void *), void *ud)
{
    int n = inc->ntimeline < INC_TIMELINE ? inc->ntimeline : INC_TIMELINE;
    for (int i = 0; i < n; i++) {
        const char *p = inc->timeline[i].text;
        const char *end = p + strnlen(p, sizeof(inc->timeline[i].text));
        while (p < end) {
            size_t len = strcspn(p, " ");
            if (p + len > end)
                len = (size_t)(end - p);
            const char *name;
            size_t nlen = entity_of(p, len, &name);
            if (nlen && fn(hash_fnv1a(name, nlen, HASH_FNV_OFFSET), name, nlen, ud))
                return true;
            p += len + 1;
        }
    }
    return false;
}

static bool collect(uint64_t h, const char *name, size_t len, void *ud)
{
    (void)name;
    (void)len;
    memo_add_entity(ud, h);
    return false;
}

void copilot_memo_take(struct engine *e, const struct incident *inc, struct copilot_memo *m)
{
    memset(m, 0, sizeof(*m));
    memo_paging(e, inc, m->paging, sizeof(m->paging));
    if (inc->ncauses > 0)
        STR_COPY(m->top_cause, inc->causes[0].title);
    memo_add_entity(m, hash_str(inc->service));
    each_entity(inc, collect, m);
}

/* ---- what counts as a change ---- */

static bool paging_has(const char *list, const char *name, size_t len)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == len && !memcmp(p, name, len))
            return true;
        p += n + (p[n] ? 1 : 0);
    }
    return false;
}

/* The first SLO paging now that did not when old was taken, with its burn. */
static bool new_page(struct engine *e, const struct copilot_memo *old,
                     const struct copilot_memo *now, char *why, size_t whylen)
{
    for (const char *p = now->paging; *p;) {
        size_t len = strcspn(p, " ");
        if (!paging_has(old->paging, p, len)) {
            char name[96];
            snprintf(name, sizeof(name), "%.*s", (int)len, p);
            const struct slo *s = engine_get(e, T_SLOS, name);
            char pair[TEXT_LEN] = "";
            if (s)
                slo_pair_reason(s, pair, sizeof(pair));
            snprintf(why, whylen, "SLO %s paged%s%s%s", name, pair[0] ? " (" : "", pair,
                     pair[0] ? ")" : "");
            return true;
        }
        p += len + (p[len] ? 1 : 0);
    }
    return false;
}

struct joined {
    const struct copilot_memo *old;
    char *why;
    size_t whylen;
};

static bool first_new(uint64_t h, const char *name, size_t len, void *ud)
{
    struct joined *j = ud;
    if (memo_has_entity(j->old, h) || j->old->nentities >= MEMO_ENTITIES)
        return false;
    snprintf(j->why, j->whylen, "%.*s joined", (int)(len < 120 ? len : 120), name);
    return true;
}

bool copilot_memo_changed(struct engine *e, const struct incident *inc,
                          const struct copilot_memo *old, const struct copilot_memo *now, char *why,
                          size_t whylen)
{
    if (new_page(e, old, now, why, whylen))
        return true;
    if (now->top_cause[0] && strcmp(old->top_cause, now->top_cause) != 0) {
        snprintf(why, whylen, "top cause now %s", now->top_cause);
        return true;
    }
    struct joined j = {old, why, whylen};
    return each_entity(inc, first_new, &j);
}

/* ---- following ---- */

static struct asked *asked_by_id(struct copilot *c, const char *id)
{
    for (int i = c->nasked - 1; i >= 0; i--)
        if (strcmp(c->asked[i].id, id) == 0)
            return &c->asked[i];
    return NULL;
}

static bool same_change(const char *x, const char *y)
{
    size_t nx = strcspn(x, "("), ny = strcspn(y, "(");
    return nx == ny && !strncmp(x, y, nx);
}

void copilot_follow_update(struct copilot *c, struct asked *a, const struct incident *inc)
{
    if (!a->sent || strcmp(a->id, inc->id) != 0)
        return;
    struct copilot_memo now;
    char why[sizeof(a->why)];
    copilot_memo_take(c->e, inc, &now);
    /* a difference seen before is not a new change: its time and its words
     * (the burn when it paged) stay; the figures in parentheses move */
    if (copilot_memo_changed(c->e, inc, &a->memo, &now, why, sizeof(why)) &&
        (!a->changed || !same_change(why, a->why))) {
        a->changed = engine_now(c->e);
        STR_COPY(a->why, why);
    }
}

/* Marks the finished answer stale since a->changed (or not stale when 0). */
static void mark_stale(struct copilot *c, const struct asked *a)
{
    const struct copilot_answer *ans = engine_get(c->e, T_COPILOT, a->id);
    if (!ans || ans->state == COP_WAITING || ans->state == COP_STREAMING ||
        ans->changed == a->changed || (a->changed && ans->started > a->changed))
        return;
    struct copilot_answer *upd = malloc(sizeof(*upd));
    if (!upd)
        return;
    *upd = *ans;
    upd->stale = a->changed != 0;
    upd->changed = a->changed;
    STR_COPY(upd->stale_reason, a->why);
    copilot_upsert(c, upd);
    free(upd);
}

void copilot_follow_tick(struct copilot *c)
{
    int64_t now = engine_now(c->e);
    for (int i = 0; i < c->nasked; i++) {
        struct asked *a = &c->asked[i];
        if (!a->sent || a->changed <= a->asked_at)
            continue;
        const struct incident *inc = engine_get(c->e, T_INCIDENTS, a->id);
        if (!inc || inc->state != INC_OPEN)
            continue;
        mark_stale(c, a);
        if (copilot_queued(c, a->id))
            continue;
        int64_t due = a->asked_at + c->s.debounce_ms;
        struct pending p = {.due = due > now ? due : now};
        STR_COPY(p.subj.kind, "incident");
        STR_COPY(p.subj.key, a->id);
        STR_COPY(p.subj.why, a->why);
        STR_COPY(p.id, a->id);
        STR_COPY(p.fp, a->fp);
        copilot_enqueue(c, &p, false);
    }
}

bool copilot_follow_send(struct copilot *c, const struct pending *p)
{
    if (strcmp(p->subj.kind, "incident") != 0)
        return true;
    const struct incident *inc = engine_get(c->e, T_INCIDENTS, p->subj.key);
    struct asked *a = asked_by_id(c, p->id);
    if (!inc || !a)
        return true;
    struct copilot_memo now;
    char why[sizeof(a->why)];
    copilot_memo_take(c->e, inc, &now);
    /* The cache: an automatic question about what was already asked (a
     * change that reverted) is not sent; offline analysis costs nothing. */
    if (c->be && !p->manual && a->sent &&
        !copilot_memo_changed(c->e, inc, &a->memo, &now, why, sizeof(why))) {
        a->changed = 0;
        a->why[0] = 0;
        mark_stale(c, a); /* the answer is current again */
        return false;
    }
    a->sent = true;
    a->asked_at = engine_now(c->e);
    a->memo = now;
    a->changed = 0;
    a->why[0] = 0;
    return true;
}
