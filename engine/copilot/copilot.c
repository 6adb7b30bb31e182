/* The copilot orchestrator: what triggers a question (SLO pages, critical
 * kernel hits, incidents, the `a` key), debounce and cache per fingerprint,
 * and the queue that feeds one request at a time to copilot/call.c. */
#include "copilot/copilot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copilot/offline.h"
#include "copilot/priv.h"
#include "base/sha256.h"

const char *copilot_backend_label(const struct copilot *c)
{
    return c->be ? c->be->name : COPILOT_OFFLINE_LABEL;
}

bool copilot_busy(const struct copilot *c)
{
    return c->call || c->nqueue;
}

void copilot_subject_id(const char *kind, const char *key, char *out, size_t outlen)
{
    if (strcmp(kind, "incident") == 0 && strlen(key) < 32) {
        str_copy(out, outlen, key);
        return;
    }
    struct buf b = {0};
    buf_printf(&b, "%s\n%s", kind, key);
    char hex[65];
    sha256_hex(buf_cstr(&b), b.len, hex);
    buf_free(&b);
    snprintf(out, outlen, "ask:%.12s", hex);
}

/* ---- triggers ---- */

static int asked_index(struct copilot *c, const char *fp)
{
    for (int i = 0; i < c->nasked; i++)
        if (strcmp(c->asked[i].fp, fp) == 0)
            return i;
    return -1;
}

static void remember(struct copilot *c, const char *fp, const char *id)
{
    if (c->nasked == ASKED_MAX) {
        memmove(c->asked, c->asked + 1, sizeof(c->asked[0]) * (ASKED_MAX - 1));
        c->nasked--;
    }
    memset(&c->asked[c->nasked], 0, sizeof(c->asked[0]));
    STR_COPY(c->asked[c->nasked].fp, fp);
    STR_COPY(c->asked[c->nasked].id, id);
    c->asked[c->nasked].answered = engine_now(c->e);
    c->nasked++;
}

bool copilot_queued(struct copilot *c, const char *id)
{
    for (int i = 0; i < c->nqueue; i++)
        if (strcmp(c->queue[i].id, id) == 0)
            return true;
    return c->call && strcmp(copilot_call_id(c->call), id) == 0;
}

int copilot_enqueue(struct copilot *c, const struct pending *p, bool front)
{
    if (copilot_queued(c, p->id))
        return 0;
    if (c->nqueue == QUEUE_MAX)
        return -1;
    if (front) {
        memmove(c->queue + 1, c->queue, sizeof(c->queue[0]) * (size_t)c->nqueue);
        c->queue[0] = *p;
    } else {
        c->queue[c->nqueue] = *p;
    }
    c->nqueue++;
    /* asked by hand: show "waiting" at once; automatic ones appear when sent */
    if (c->be && p->manual && !engine_get(c->e, T_COPILOT, p->id)) {
        struct copilot_answer *a = calloc(1, sizeof(*a));
        if (a) {
            copilot_answer_init(c, a, p->id);
            a->state = COP_WAITING;
            copilot_upsert(c, a);
            free(a);
        }
    }
    return 0;
}

/* An SLO page or kernel hit that an open incident already covers is
 * answered through that incident. */
static bool covered_by_incident(struct copilot *c, const struct pending *p)
{
    if (strcmp(p->subj.kind, "incident") == 0 && !p->manual) {
        /* merged into another incident (and removed) or resolved meanwhile */
        const struct incident *inc = engine_get(c->e, T_INCIDENTS, p->subj.key);
        return !inc || inc->state != INC_OPEN;
    }
    if (p->manual)
        return false;
    char service[NAME_LEN] = "";
    int64_t ref;
    const struct k8s_pod *pod = NULL;
    if (strcmp(p->subj.kind, "slo") == 0)
        copilot_subject_service(c->e, &p->subj, service, sizeof(service), &ref);
    else if (strcmp(p->subj.kind, "kevent") == 0)
        pod = engine_get(c->e, T_PODS, p->subj.key);
    struct table *t = engine_table(c->e, T_INCIDENTS);
    for (int i = 0; i < t->count; i++) {
        const struct incident *inc = table_row(t, i);
        if (inc->state != INC_OPEN)
            continue;
        if (service[0] && strcmp(inc->service, service) == 0)
            return true;
        if (pod && copilot_pod_in_service(c->e, pod, inc->service))
            return true;
        for (int j = 0; j < inc->ntimeline && p->subj.key[0]; j++)
            if (!strcmp(inc->timeline[j].kind, "kernel") &&
                strstr(inc->timeline[j].text, p->subj.key))
                return true;
    }
    return false;
}

void copilot_process_queue(struct copilot *c)
{
    int64_t now = engine_now(c->e);
    for (int i = 0; i < c->nqueue && !c->call;) {
        if (c->queue[i].due > now) {
            i++;
            continue;
        }
        struct pending p = c->queue[i];
        memmove(c->queue + i, c->queue + i + 1, sizeof(c->queue[0]) * (size_t)(c->nqueue - i - 1));
        c->nqueue--;
        if (covered_by_incident(c, &p) || !copilot_follow_send(c, &p))
            continue;
        copilot_call_start(c, &p);
    }
}

/* An incident merged into another one is removed: so is its answer. */
static void drop_orphans(struct copilot *c)
{
    struct table *t = engine_table(c->e, T_COPILOT);
    for (int i = t->count - 1; i >= 0; i--) {
        const struct copilot_answer *a = table_row(t, i);
        if (!strncmp(a->incident, "ask:", 4) || engine_get(c->e, T_INCIDENTS, a->incident) ||
            copilot_queued(c, a->incident))
            continue;
        char id[sizeof(a->incident)];
        STR_COPY(id, a->incident);
        engine_remove(c->e, T_COPILOT, id);
    }
}

static void tick(struct engine *e, int64_t now, void *ud)
{
    (void)e;
    (void)now;
    copilot_follow_tick(ud);
    copilot_process_queue(ud);
    drop_orphans(ud);
}

/* A fingerprint seen again under a new incident id gets the cached answer. */
static void reuse_answer(struct copilot *c, int idx, const char *id)
{
    const struct copilot_answer *old = engine_get(c->e, T_COPILOT, c->asked[idx].id);
    if (!old || strcmp(c->asked[idx].id, id) == 0 || engine_get(c->e, T_COPILOT, id))
        return;
    struct copilot_answer *a = malloc(sizeof(*a));
    if (!a)
        return;
    *a = *old;
    STR_COPY(a->incident, id);
    copilot_upsert(c, a);
    free(a);
}

/* Offline analysis costs nothing: it follows the incident as it grows
 * (severity or signals changed), at most once per group_wait. */
static void refresh_offline(struct copilot *c, int idx, const struct incident *inc)
{
    int64_t now = engine_now(c->e);
    int64_t every = c->s.group_wait_ms > 5000 ? c->s.group_wait_ms : 5000;
    if (c->be || strcmp(c->asked[idx].id, inc->id) != 0 || now - c->asked[idx].answered < every ||
        (c->asked[idx].severity == (int)inc->severity && c->asked[idx].signals == inc->signals))
        return;
    c->asked[idx].severity = (int)inc->severity;
    c->asked[idx].signals = inc->signals;
    c->asked[idx].answered = now;
    struct pending p = {.due = now};
    STR_COPY(p.subj.kind, "incident");
    STR_COPY(p.subj.key, inc->id);
    STR_COPY(p.id, inc->id);
    STR_COPY(p.fp, c->asked[idx].fp);
    copilot_enqueue(c, &p, false);
}

static void trigger(struct copilot *c, const char *kind, const char *key, const char *fp,
                    const char *why)
{
    int idx = asked_index(c, fp);
    struct pending p = {.due = engine_now(c->e) + c->s.group_wait_ms};
    copilot_subject_id(kind, key, p.id, sizeof(p.id));
    if (idx >= 0) {
        if (strcmp(kind, "incident") == 0)
            reuse_answer(c, idx, p.id);
        return;
    }
    STR_COPY(p.subj.kind, kind);
    STR_COPY(p.subj.key, key);
    STR_COPY(p.subj.why, why);
    STR_COPY(p.fp, fp);
    remember(c, fp, p.id);
    copilot_enqueue(c, &p, false);
}

static void observe(struct engine *e, int table, const void *obj, void *ud)
{
    struct copilot *c = ud;
    if (!obj || e->replaying || !c->s.auto_trigger)
        return;
    char fp[96];
    if (table == T_INCIDENTS) {
        const struct incident *inc = obj;
        if (inc->state != INC_OPEN)
            return;
        const char *ifp = inc->fingerprint[0] ? inc->fingerprint : inc->id;
        int idx = asked_index(c, ifp);
        if (idx >= 0) {
            /* known fingerprint: a material change asks again (follow.c),
             * anything else is answered from the cache */
            copilot_follow_update(c, &c->asked[idx], inc);
            refresh_offline(c, idx, inc);
            trigger(c, "incident", inc->id, ifp, "");
            return;
        }
        if ((int)inc->severity < c->s.trigger_severity)
            return;
        char why[64];
        snprintf(why, sizeof(why), "incident opened at %s", severity_names[inc->severity]);
        trigger(c, "incident", inc->id, ifp, why);
    } else if (table == T_SLOS) {
        const struct slo *s = obj;
        if (s->alert != ALERT_PAGE)
            return;
        snprintf(fp, sizeof(fp), "page:%.90s", s->name);
        trigger(c, "slo", s->name, fp, "SLO paging");
    } else if (table == OBS_KEVENT) {
        const struct kevent *k = obj;
        if (k->severity != SEV_CRITICAL || !k->rule[0] || !kevent_may_correlate(k))
            return;
        snprintf(fp, sizeof(fp), "kernel:%.40s:%.46s", k->rule, k->pod[0] ? k->pod : k->node);
        trigger(c, "kevent", k->pod[0] ? k->pod : k->node, fp, "critical kernel rule");
    }
}

int copilot_ask(struct copilot *c, const char *subject_kind, const char *subject_key, char *err,
                size_t errlen)
{
    if (!c) {
        snprintf(err, errlen, "the copilot is not running");
        return -1;
    }
    struct pending p = {.due = engine_now(c->e), .manual = true};
    static const char *const plural[][2] = {{"incidents", "incident"}, {"slos", "slo"},
                                            {"pods", "pod"},           {"nodes", "node"},
                                            {"services", "service"},   {"kevents", "kevent"},
                                            {"pipelines", "pipeline"}};
    for (size_t i = 0; i < sizeof(plural) / sizeof(plural[0]); i++)
        if (strcmp(subject_kind, plural[i][0]) == 0)
            subject_kind = plural[i][1];
    STR_COPY(p.subj.kind, subject_kind);
    STR_COPY(p.subj.key, subject_key);
    STR_COPY(p.subj.why, "asked by hand");
    copilot_subject_id(subject_kind, subject_key, p.id, sizeof(p.id));
    snprintf(p.fp, sizeof(p.fp), "ask:%s", p.id);
    if (c->call && strcmp(copilot_call_id(c->call), p.id) == 0) {
        snprintf(err, errlen, "already asking about this");
        return -1;
    }
    for (int i = 0; i < c->nqueue; i++)
        if (strcmp(c->queue[i].id, p.id) == 0) {
            c->queue[i].due = p.due; /* asked by hand: no more waiting, no cache */
            c->queue[i].manual = true;
            copilot_process_queue(c);
            return 0;
        }
    if (copilot_enqueue(c, &p, true) < 0) {
        snprintf(err, errlen, "too many questions queued");
        return -1;
    }
    copilot_process_queue(c);
    return 0;
}

/* ---- setup ---- */

struct copilot *copilot_new(struct engine *e, struct loop *l, struct http *h,
                            const struct copilot_settings *s, char *err, size_t errlen)
{
    struct copilot *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->e = e;
    c->loop = l;
    c->http = h;
    c->s = *s;
    c->be = s->llm.backend[0] ? llm_backend_find(s->llm.backend) : NULL;
    c->red = redactor_new(err, errlen);
    /* The user's patterns join the process-wide redactor too: from here on
     * every door (ingest, error bodies) applies them. */
    for (int i = 0; c->red && i < s->nuser_rules; i++)
        if (redactor_add(c->red, s->user_rules[i].name, s->user_rules[i].pattern, err, errlen) <
                0 ||
            redact_default_add(s->user_rules[i].name, s->user_rules[i].pattern, err, errlen) < 0) {
            redactor_free(c->red);
            c->red = NULL;
        }
    if (!c->red) {
        copilot_settings_clear(&c->s);
        free(c);
        return NULL;
    }
    engine_observe(e, observe, c);
    engine_add_hook(e, "copilot", 1000, tick, c);
    if (c->be)
        copilot_source_state(c, c->s.setup_error[0] ? SRC_FAILED : SRC_SYNCED, c->s.setup_error);
    return c;
}

void copilot_free(struct copilot *c)
{
    if (!c)
        return;
    copilot_call_free(c->call);
    redactor_free(c->red);
    copilot_settings_clear(&c->s);
    free(c);
}

static int copilot_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    if (ctx->opt->attach_url)
        return 0; /* a viewer asks the shared engine's copilot (share/client.c), never an LLM */
    struct copilot_settings *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = copilot_settings_load(ctx->config, ctx->opt->copilot, s, err, errlen);
    if (rc == 0) {
        *state = copilot_new(ctx->engine, ctx->loop, ctx->http, s, err, errlen);
        rc = *state ? 0 : -1;
    }
    copilot_settings_clear(s);
    free(s);
    return rc;
}

static void copilot_teardown(void *state)
{
    copilot_free(state);
}

static const struct module_section copilot_sections[] = {
    {"copilot", copilot_config_check},
    {NULL, NULL},
};

const struct module copilot_module = {
    .name = "copilot",
    .sections = copilot_sections,
    .setup = copilot_setup,
    .teardown = copilot_teardown,
};
