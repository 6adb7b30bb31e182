/* The ingest pipeline every kernel event goes through, whoever produced it
 * (the local kernel source, a node agent, the demo's simulated kernel):
 * attribution (cgroup id -> container, pod), then rules (severity, title),
 * then engine_kevent(). One per producer; all on the engine's loop thread. */
#ifndef LOOKOUT_KEVENT_INGEST_H
#define LOOKOUT_KEVENT_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"

struct config;
struct kevent_ingest;

/* Loads the default rules plus the config's `rules` files (c may be NULL).
 * A broken rule is skipped with a warning (see kevent_ingest_warnings);
 * NULL with a message in err only when nothing usable can be built. */
struct kevent_ingest *kevent_ingest_new(struct engine *e, const struct config *c, char *err,
                                        size_t errlen);
/* Like kevent_ingest_new without a config, plus one extra rule file (a
 * missing or non-YAML file is an error here). */
struct kevent_ingest *kevent_ingest_new_rules(struct engine *e, const char *rule_file, char *err,
                                              size_t errlen);
/* Field conventions per kind (docs/events.md), so rules mean the same thing
 * for every producer:
 *   exec     path = filename, args = argv joined by spaces, uid = real uid
 *   exit     ret = exit code, or -signal when killed by a signal
 *   open     path = path as passed, args = flags as "O_WRONLY|O_CREAT|...",
 *            ret = fd or -errno
 *   priv     path = syscall name ("setuid", "setresuid", "capset" ...),
 *            args = requested ids, space separated ("0", "-1 0 -1"),
 *            uid = uid before the call, ret = result (0 or -errno)
 *   connect/accept  saddr/sport = local end, daddr/dport = remote end
 *   oom      pid/comm/uid = the victim, cgroup_id = the victim's cgroup
 * cgroup_id is always a cgroup2 (default hierarchy) id; on hybrid hosts the
 * cgroup_mkdir/rmdir events of v1 hierarchies must not be passed on.
 * Events with node, container or pod already set (agents, demo) and
 * simulated ones are not attributed again; rules are applied only when
 * ev->rule is empty.
 *
 * Attributes, matches rules and appends ev to the engine. ev is updated in
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

/* The parts, for tests and tools. */
struct rule_set *kevent_ingest_rules(struct kevent_ingest *ki);
struct attribution *kevent_ingest_attribution(struct kevent_ingest *ki);

#endif
