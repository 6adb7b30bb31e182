/* The ingest pipeline every kernel event goes through, whoever produced it
 * (the local kernel source, a node agent, the demo's simulated kernel):
 * attribution (cgroup id -> container, pod), then rules (severity, title),
 * then engine_kevent(). One per producer; all on the engine's loop thread. */
#ifndef LOOKOUT_KEVENT_INGEST_H
#define LOOKOUT_KEVENT_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct config;
struct kevent_ingest;

/* Loads the default rules plus the config's `rules` files (c may be NULL).
 * A broken rule is skipped with a warning (see kevent_ingest_warnings);
 * NULL with a message in err only when nothing usable can be built. */
struct kevent_ingest *kevent_ingest_new(struct engine *e, const struct config *c, char *err,
                                        size_t errlen);
/* Attributes, matches rules and appends ev to the engine. ev is updated in
 * place (container, pod, rule, title, severity) so the caller can reuse it. */
void kevent_ingest_post(struct kevent_ingest *ki, struct kevent *ev);
/* Cgroup churn from the kernel (cgroup_mkdir/rmdir): keeps attribution
 * current. path is relative to the cgroup root, as the kernel reports it. */
void kevent_ingest_cgroup(struct kevent_ingest *ki, uint64_t cgroup_id, const char *path,
                          bool removed);
void kevent_ingest_free(struct kevent_ingest *ki);

/* Counters for /metrics and the kstats row. */
struct kevent_ingest_stats {
    uint64_t posted[KEV_KIND_COUNT];
    uint64_t by_severity[3];
    uint64_t rule_matches;
    uint64_t attributed; /* events that got a container */
    uint64_t unknown_cgroup;
};
const struct kevent_ingest_stats *kevent_ingest_stats(const struct kevent_ingest *ki);
/* Rule-file problems that were skipped over ("file:line: message" lines). */
const char *kevent_ingest_warnings(const struct kevent_ingest *ki);

#endif
