/* The console side of node agents: one source (kind "agent", name
 * "agent:NODE") per entry of the config section `agents`, each streaming
 * GET /events from its agent, tagging every event with the node and
 * posting it through the kernel event ingest. A lost agent turns STALE and
 * is reconnected with backoff (1 s doubling to 30 s, back to 1 s once a
 * connection has lasted 30 s). */
#ifndef LOOKOUT_AGENT_SOURCE_H
#define LOOKOUT_AGENT_SOURCE_H

#include <stddef.h>

#include "base/yaml_tree.h"
#include "core/module.h"
#include "core/source.h"

extern const struct source_ops agent_source_ops;
/* The agents module: section `agents`; adds one source per configured
 * agent (none: nothing to do). */
extern const struct module agents_module;
/* Config section `agents`: a list of {name, url, token_file, ca_file}. */
int agents_config_check(const struct ynode *section, char *err, size_t errlen);

#endif
