/* Kernel event ingest: attribution, rules, then the engine. */
#include "kevent_ingest.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

struct kevent_ingest {
    struct engine *engine;
    struct kevent_ingest_stats stats;
    struct buf warnings;
};

struct kevent_ingest *kevent_ingest_new(struct engine *e, const struct config *c, char *err,
                                        size_t errlen)
{
    (void)c;
    struct kevent_ingest *ki = calloc(1, sizeof(*ki));
    if (!ki) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ki->engine = e;
    return ki;
}

void kevent_ingest_post(struct kevent_ingest *ki, struct kevent *ev)
{
    if (!ki || !ev)
        return;
    if ((unsigned)ev->kind < KEV_KIND_COUNT)
        ki->stats.posted[ev->kind]++;
    if ((unsigned)ev->severity < 3)
        ki->stats.by_severity[ev->severity]++;
    engine_kevent(ki->engine, ev);
}

void kevent_ingest_cgroup(struct kevent_ingest *ki, uint64_t cgroup_id, const char *path,
                          bool removed)
{
    (void)ki;
    (void)cgroup_id;
    (void)path;
    (void)removed;
}

void kevent_ingest_free(struct kevent_ingest *ki)
{
    if (!ki)
        return;
    buf_free(&ki->warnings);
    free(ki);
}

const struct kevent_ingest_stats *kevent_ingest_stats(const struct kevent_ingest *ki)
{
    return &ki->stats;
}

const char *kevent_ingest_warnings(const struct kevent_ingest *ki)
{
    return ki->warnings.data ? ki->warnings.data : "";
}
