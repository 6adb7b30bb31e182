/* The engine: live state, its clock, and who is told when it changes.
 *
 * Sources post updates with engine_upsert()/engine_remove()/engine_kevent();
 * analysers (SLO evaluation, correlation, copilot triggers) run as tick hooks
 * or observers; the front end reads tables and takes the dirty mask once per
 * loop turn. Every mutation can be recorded as a JSON line (--record) and
 * replayed, with analysers off, to the same final state. */
#ifndef LOOKOUT_ENGINE_H
#define LOOKOUT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/model.h"
#include "core/table.h"

enum table_id {
    T_SOURCES,
    T_SERVICES,
    T_SLOS,
    T_PIPELINES,
    T_NODES,
    T_PODS,
    T_DEPLOYMENTS,
    T_K8S_EVENTS,
    T_KSTATS,
    T_INCIDENTS,
    T_COPILOT,
    T_SUMMARY,
    T_CI_PROJECTS,
    T_COUNT,
};

/* Dirty bits: 1 << table_id, plus these. */
#define DIRTY_KEVENTS (1u << 20)
#define DIRTY_CLOCK   (1u << 21)
#define DIRTY_ALL     0xffffffffu

#define KEVENT_RING_CAP 4096
/* WARN and CRIT events are kept a second time, longer: a story beat (an OOM
 * kill, a shadow read) outlives the INFO flood that pushes it out of
 * kevents. A row is in both rings while both hold it (same seq). */
#define KEVENT_HOT_CAP 512

/* Observers get table ids for table changes, and these for the rest. */
#define OBS_KEVENT  T_COUNT       /* obj: struct kevent * */
#define OBS_SAMPLE  (T_COUNT + 1) /* obj: struct sample * */
#define OBS_MEASURE (T_COUNT + 2) /* obj: struct measure * */

/* A numeric sample on the engine's sample bus: SLIs, rates, counters that
 * sources post and analysers (SLO engine, anomaly detectors) subscribe to.
 * Series names are "source:subject:metric", e.g. "demo:checkout:errors_total".
 * Samples are inputs, not state: they are not recorded (their effects are). */
struct sample {
    const char *series;
    int64_t time;
    double value;
};

/* An answer from an outside system that computes what Lookout shows (a
 * Prometheus query): a value of subject over a window at a time, a series
 * of steps, or the error that took its place. Sources post it with
 * engine_measure(); the analyser that owns the subject (the SLO engine for
 * SLO names) observes OBS_MEASURE. Like samples, measures are inputs and
 * are not recorded; what they change is. */
enum measure_kind {
    MEASURE_RATIO,       /* value: the ratio over window_ms ending at at */
    MEASURE_RANGE_BAD,   /* t[], v[]: per-step rates of the bad events */
    MEASURE_RANGE_TOTAL, /* t[], v[]: per-step rates of all events */
    MEASURE_ERROR,       /* error: why there is no answer (NULL: cleared) */
};

struct measure {
    enum measure_kind kind;
    const char *subject; /* "checkout-availability" */
    int64_t window_ms;
    int64_t at; /* ms since the epoch: the time the answer is for */
    double value;
    const double *t, *v; /* n steps, t in seconds */
    int n;
    const char *error;
    bool no_errors; /* MEASURE_RATIO: the error series was absent, read as 0 */
};

struct engine;
/* Called after every mutation; obj is NULL for a removal. */
typedef void (*engine_observer_fn)(struct engine *e, int table, const void *obj, void *ud);
typedef void (*engine_tick_fn)(struct engine *e, int64_t now, void *ud);

struct engine_hook {
    const char *name;
    int64_t period_ms;
    int64_t next_due;
    engine_tick_fn fn;
    void *ud;
};

#define ENGINE_MAX_HOOKS     16
#define ENGINE_MAX_OBSERVERS 16
#define ENGINE_MAX_EXT       4

struct engine {
    struct table tables[T_COUNT];
    struct ring kevents;
    struct ring kevents_hot; /* WARN and CRIT only, KEVENT_HOT_CAP */
    uint64_t kevent_seq;
    int64_t now;    /* engine clock, ms since the epoch */
    bool simulated; /* the clock is the demo's simulated clock */
    bool replaying; /* analysers are off: state comes from a record */
    uint32_t dirty;
    FILE *record; /* --record target, NULL when off */
    uint64_t record_errors;
    /* Also handed every record line, newline included, serialised once for
     * both: the viewers of `serve --share` (share/hub.c). NULL when off. */
    void (*record_tap)(const char *line, size_t len, void *ud);
    void *record_tap_ud;
    struct engine_hook hooks[ENGINE_MAX_HOOKS];
    int nhooks;
    struct {
        engine_observer_fn fn;
        void *ud;
    } observers[ENGINE_MAX_OBSERVERS];
    int nobservers;
    int notify_depth;
    /* The incident the user picked (core/incident.h), "" for the top-ranked. */
    char picked_incident[32];
    /* An analyser's per-engine state that code holding only the engine must
     * reach (the SLO engine: the gate, `lookout slo` and the Prometheus
     * source ask it by engine). Keyed by name; owned by the analyser. */
    struct {
        const char *name;
        void *ptr;
    } ext[ENGINE_MAX_EXT];
};

extern const char *const table_names[T_COUNT];

void engine_init(struct engine *e);
void engine_free(struct engine *e);
/* Empties every table and ring and sets the clock to zero, keeping hooks,
 * observers and extensions: a replay seeking backwards plays the record
 * again from its start into it. */
void engine_reset(struct engine *e);

/* ---- clock ---- */
static inline int64_t engine_now(const struct engine *e)
{
    return e->now;
}
/* Moves the clock forward, running each tick hook at every period boundary
 * crossed (so a fast-forward runs them as often as real time would). */
void engine_advance(struct engine *e, int64_t now);
void engine_add_hook(struct engine *e, const char *name, int64_t period_ms, engine_tick_fn fn,
                     void *ud);
void engine_observe(struct engine *e, engine_observer_fn fn, void *ud);
/* Sets (ptr NULL: clears) the named per-engine state; name must be a
 * string literal. Aborts when more than ENGINE_MAX_EXT names are set. */
void engine_ext_set(struct engine *e, const char *name, void *ptr);
void *engine_ext_get(const struct engine *e, const char *name);

/* ---- mutations (all recorded) ---- */
void *engine_upsert(struct engine *e, enum table_id t, const void *obj);
bool engine_remove(struct engine *e, enum table_id t, const char *key);
/* Appends a kernel event, stamping seq and time. */
struct kevent *engine_kevent(struct engine *e, const struct kevent *ev);

/* Posts a sample at the engine's current time to every observer. */
void engine_sample(struct engine *e, const char *series, double value);
/* Posts an outside system's answer to every observer. */
void engine_measure(struct engine *e, const struct measure *m);

/* ---- reads ---- */
static inline struct table *engine_table(struct engine *e, enum table_id t)
{
    return &e->tables[t];
}
static inline void *engine_get(struct engine *e, enum table_id t, const char *key)
{
    return table_get(&e->tables[t], key);
}
/* The dirty mask since the last call, cleared. */
uint32_t engine_take_dirty(struct engine *e);
int engine_table_by_name(const char *name);

/* ---- sources ---- */
/* Creates or updates a source's row; error may be NULL or "" when healthy. */
void engine_source_state(struct engine *e, const char *name, const char *kind,
                         enum source_state state, const char *error);
/* True when every source has synced or failed at least once. */
bool engine_first_sync_done(struct engine *e);

/* ---- record ---- */
/* True when mutations are serialised (a --record file or a tap). */
static inline bool engine_recording(const struct engine *e)
{
    return e->record || e->record_tap;
}
int engine_record_open(struct engine *e, const char *path);
void engine_record_close(struct engine *e);

#endif
