/* Node agents found through Kubernetes: one source ("agents:discover",
 * kind "agent") runs a pod reflector over one namespace and label selector
 * and keeps one agent connection (agent/conn.h) per ready pod, named after
 * the pod's node and dialled at the pod's IP; connections come and go with
 * the pods and follow a pod's new IP. The API server connection is the
 * `kubernetes` section's (kubeconfig or in-cluster). */
#ifndef LOOKOUT_AGENT_DISCOVER_H
#define LOOKOUT_AGENT_DISCOVER_H

#include <stddef.h>

#include "agent/conn.h"
#include "base/yaml_tree.h"
#include "core/config.h"
#include "core/source.h"

extern const struct source_ops agent_discover_ops;

/* Validates agents.discover. */
int agent_discover_check(const struct ynode *m, char *err, size_t errlen);
/* The source's private state from agents.discover and the `kubernetes`
 * section; NULL with err. */
void *agent_discover_new(const struct ynode *m, const struct config *config,
                         struct agent_fleet *fleet, char *err, size_t errlen);

#endif
