#include "core/engine.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/record.h"

const char *const table_names[T_COUNT] = {
    "sources",    "services", "slos",      "pipelines", "nodes",   "pods",        "deployments",
    "k8s_events", "kstats",   "incidents", "copilot",   "summary", "ci_projects",
};

static const struct {
    const struct schema *schema;
    int max;
} table_specs[T_COUNT] = {
    [T_SOURCES] = {&source_info_schema, 512}, /* a source per node agent */
    [T_SERVICES] = {&service_schema, 512},
    [T_SLOS] = {&slo_schema, 2048},
    [T_PIPELINES] = {&pipeline_schema, 256},
    /* Far above Kubernetes' own limits (5,000 nodes, 150,000 pods): rows
     * grow as they come; kubernetes.max_pods and its siblings change a cap. */
    [T_NODES] = {&k8s_node_schema, 15000},
    [T_PODS] = {&k8s_pod_schema, 300000},
    [T_DEPLOYMENTS] = {&k8s_deployment_schema, 100000},
    [T_K8S_EVENTS] = {&k8s_event_schema, 2000},
    [T_KSTATS] = {&kstats_schema, 512},
    [T_INCIDENTS] = {&incident_schema, 256},
    [T_COPILOT] = {&copilot_answer_schema, 64},
    [T_SUMMARY] = {&summary_schema, 1},
    [T_CI_PROJECTS] = {&ci_project_schema, 128},
};

static void init_state(struct engine *e)
{
    for (int i = 0; i < T_COUNT; i++)
        table_init(&e->tables[i], table_specs[i].schema, table_specs[i].max);
    ring_init(&e->kevents, &kevent_schema, KEVENT_RING_CAP);
    ring_init(&e->kevents_hot, &kevent_schema, KEVENT_HOT_CAP);
    /* counts unknown (null) until the first refresh says otherwise */
    struct summary s = {
        .gate = GATE_STATE_NONE, .nodes_ready = -1, .nodes_total = -1, .pods_failing = -1};
    STR_COPY(s.name, "summary");
    table_upsert(&e->tables[T_SUMMARY], &s);
    e->dirty = DIRTY_ALL;
}

static void free_state(struct engine *e)
{
    for (int i = 0; i < T_COUNT; i++)
        table_free(&e->tables[i]);
    ring_free(&e->kevents);
    ring_free(&e->kevents_hot);
}

void engine_init(struct engine *e)
{
    memset(e, 0, sizeof(*e));
    init_state(e);
}

void engine_free(struct engine *e)
{
    engine_record_close(e);
    free_state(e);
}

void engine_reset(struct engine *e)
{
    free_state(e);
    init_state(e);
    e->kevent_seq = 0;
    e->now = 0;
}

int engine_table_by_name(const char *name)
{
    for (int i = 0; i < T_COUNT; i++)
        if (strcmp(table_names[i], name) == 0)
            return i;
    if (strcmp(name, "kevents") == 0)
        return T_COUNT;
    return -1;
}

void engine_add_hook(struct engine *e, const char *name, int64_t period_ms, engine_tick_fn fn,
                     void *ud)
{
    if (e->nhooks >= ENGINE_MAX_HOOKS)
        abort(); /* a programming error, not a runtime condition */
    e->hooks[e->nhooks++] = (struct engine_hook){
        .name = name, .period_ms = period_ms, .next_due = 0, .fn = fn, .ud = ud};
}

void engine_observe(struct engine *e, engine_observer_fn fn, void *ud)
{
    if (e->nobservers >= ENGINE_MAX_OBSERVERS)
        abort();
    e->observers[e->nobservers].fn = fn;
    e->observers[e->nobservers].ud = ud;
    e->nobservers++;
}

void engine_ext_set(struct engine *e, const char *name, void *ptr)
{
    int free_slot = -1;
    for (int i = 0; i < ENGINE_MAX_EXT; i++) {
        if (e->ext[i].name && strcmp(e->ext[i].name, name) == 0) {
            e->ext[i].ptr = ptr;
            if (!ptr)
                e->ext[i].name = NULL;
            return;
        }
        if (!e->ext[i].name && free_slot < 0)
            free_slot = i;
    }
    if (!ptr)
        return;
    if (free_slot < 0)
        abort(); /* a programming error, like too many hooks */
    e->ext[free_slot].name = name;
    e->ext[free_slot].ptr = ptr;
}

void *engine_ext_get(const struct engine *e, const char *name)
{
    for (int i = 0; i < ENGINE_MAX_EXT; i++)
        if (e->ext[i].name && strcmp(e->ext[i].name, name) == 0)
            return e->ext[i].ptr;
    return NULL;
}

static int64_t align_up(int64_t t, int64_t period)
{
    return (t / period + 1) * period;
}

void engine_advance(struct engine *e, int64_t now)
{
    if (now < e->now)
        return; /* the clock never goes back */
    for (;;) {
        /* Run the earliest due hook first so hooks interleave as in real time. */
        struct engine_hook *next = NULL;
        for (int i = 0; i < e->nhooks && !e->replaying; i++) {
            struct engine_hook *h = &e->hooks[i];
            if (!h->next_due)
                h->next_due = align_up(e->now ? e->now : now, h->period_ms);
            if (h->next_due <= now && (!next || h->next_due < next->next_due))
                next = h;
        }
        if (!next)
            break;
        if (next->next_due > e->now)
            e->now = next->next_due;
        next->next_due += next->period_ms;
        next->fn(e, e->now, next->ud);
    }
    if (now != e->now)
        e->dirty |= DIRTY_CLOCK;
    e->now = now;
}

static void notify(struct engine *e, int table, const void *obj)
{
    if (e->replaying || e->notify_depth > 4)
        return; /* analysers are off in replay; depth stops feedback loops */
    e->notify_depth++;
    for (int i = 0; i < e->nobservers; i++)
        e->observers[i].fn(e, table, obj, e->observers[i].ud);
    e->notify_depth--;
}

void *engine_upsert(struct engine *e, enum table_id t, const void *obj)
{
    void *row = table_upsert(&e->tables[t], obj);
    if (!row)
        return NULL;
    e->dirty |= 1u << t;
    if (engine_recording(e))
        record_write(e, "upsert", table_names[t], e->tables[t].schema, row);
    notify(e, (int)t, row);
    return row;
}

bool engine_remove(struct engine *e, enum table_id t, const char *key)
{
    if (engine_recording(e))
        record_write_remove(e, table_names[t], key);
    if (!table_remove(&e->tables[t], key))
        return false;
    e->dirty |= 1u << t;
    notify(e, (int)t, NULL);
    return true;
}

struct kevent *engine_kevent(struct engine *e, const struct kevent *ev)
{
    struct kevent *slot = ring_push(&e->kevents);
    *slot = *ev;
    if (!e->replaying) {
        slot->seq = ++e->kevent_seq;
        if (!slot->time)
            slot->time = e->now;
        slot->real = e->simulated && !slot->simulated;
        /* A host event beside the simulation carries the kernel's wall-clock
         * time, hours from the story's clock: it is placed on the story's
         * clock at arrival, so the screen and the record keep one time line. */
        if (slot->real)
            slot->time = e->now;
    } else if (slot->seq > e->kevent_seq) {
        e->kevent_seq = slot->seq;
    }
    if (slot->severity >= SEV_WARNING)
        *(struct kevent *)ring_push(&e->kevents_hot) = *slot;
    e->dirty |= DIRTY_KEVENTS;
    if (engine_recording(e))
        record_write(e, "append", "kevents", &kevent_schema, slot);
    notify(e, OBS_KEVENT, slot);
    return slot;
}

void engine_sample(struct engine *e, const char *series, double value)
{
    struct sample smp = {.series = series, .time = e->now, .value = value};
    notify(e, OBS_SAMPLE, &smp);
}

void engine_measure(struct engine *e, const struct measure *m)
{
    notify(e, OBS_MEASURE, m);
}

uint32_t engine_take_dirty(struct engine *e)
{
    uint32_t d = e->dirty;
    e->dirty = 0;
    return d;
}

void engine_source_state(struct engine *e, const char *name, const char *kind,
                         enum source_state state, const char *error)
{
    struct source_info s = {0};
    struct source_info *old = engine_get(e, T_SOURCES, name);
    if (old)
        s = *old;
    STR_COPY(s.name, name);
    if (kind)
        STR_COPY(s.kind, kind);
    s.state = state;
    if (error && *error) {
        STR_COPY(s.error, error);
        s.last_error = e->now;
    } else if (state == SRC_SYNCED) {
        s.error[0] = 0;
        s.last_ok = e->now;
    }
    if (old && memcmp(old, &s, sizeof(s)) == 0)
        return; /* no change: keep the record and the screen quiet */
    engine_upsert(e, T_SOURCES, &s);
}

bool engine_first_sync_done(struct engine *e)
{
    struct table *t = &e->tables[T_SOURCES];
    for (int i = 0; i < t->count; i++) {
        const struct source_info *s = table_row(t, i);
        if (s->state == SRC_STARTING)
            return false;
    }
    return true;
}
