/* The console side of node agents: the config section `agents` (a list of
 * agents, or a mapping of static agents, discovery through Kubernetes and
 * the /events filter; docs/agent.md), one source (kind "agent", name
 * "agent:NODE") per configured agent and one ("agents:discover") for all
 * the discovered ones. Each connection is an agent/conn.h. */
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
/* Config section `agents`: a list of {name, url, token_file, ca_file}, or
 * {static: that list, discover: {...}, filter: {...}}. */
int agents_config_check(const struct ynode *section, char *err, size_t errlen);

#endif
