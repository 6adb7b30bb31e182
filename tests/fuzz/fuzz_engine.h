/* One engine per harness process, reset to its just-initialised state
 * before each input (tables cleared, the summary row put back, clock at 0),
 * so every input starts from the same state without paying engine_init's
 * 4 MB kernel event ring per run (the harness would measure page faults
 * rather than the parser). The ring here is small; wrapping is exercised. */
#ifndef LOOKOUT_FUZZ_ENGINE_H
#define LOOKOUT_FUZZ_ENGINE_H

#include <stdlib.h>
#include <string.h>

#include "core/engine.h"

static struct engine fz_engine_store;
static struct summary fz_summary0;
static bool fz_engine_ready;

static inline struct engine *fz_engine(void)
{
    struct engine *e = &fz_engine_store;
    if (!fz_engine_ready) {
        engine_init(e);
        ring_free(&e->kevents);
        ring_init(&e->kevents, &kevent_schema, 16);
        const struct summary *s = engine_get(e, T_SUMMARY, "summary");
        if (!s)
            abort();
        fz_summary0 = *s;
        fz_engine_ready = true;
        return e;
    }
    for (int i = 0; i < T_COUNT; i++)
        table_clear(&e->tables[i]), e->tables[i].dropped = 0;
    table_upsert(&e->tables[T_SUMMARY], &fz_summary0);
    ring_clear(&e->kevents);
    e->kevents.pushed = e->kevents.evicted = 0;
    e->kevent_seq = 0;
    e->now = 0;
    e->dirty = DIRTY_ALL;
    return e;
}

#endif
