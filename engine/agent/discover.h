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
#include "base/tls.h"
#include "base/yaml_tree.h"
#include "core/config.h"
#include "core/source.h"

extern const struct source_ops agent_discover_ops;

/* Where and how to reach the agent pods: shared by the console's source
 * and `lookout observe --discover`, which lists the pods once. */
struct agent_discover_settings {
    char namespace[64];
    char selector[256];
    char scheme[8];
    int port;
    struct tls_opts tls;
    char auth[300]; /* "Authorization: Bearer ..." or "" */
};

/* agents.discover read (defaults filled in, the token file read); -1 with
 * err. Wipe s->auth when done. */
int agent_discover_settings(const struct ynode *m, struct agent_discover_settings *s, char *err,
                            size_t errlen);
/* The ready pod of t (a pod table) to dial for node: the newest when a
 * rollout briefly runs two on one node. NULL when the node has none. */
const struct k8s_pod *agent_discover_pod_for(struct table *t, const char *node);
/* The URL of the agent in the pod at ip. */
void agent_discover_url(const struct agent_discover_settings *s, const char *ip, char *out,
                        size_t outlen);

/* Validates agents.discover. */
int agent_discover_check(const struct ynode *m, char *err, size_t errlen);
/* The source's private state from agents.discover and the `kubernetes`
 * section; NULL with err. */
void *agent_discover_new(const struct ynode *m, const struct config *config,
                         struct agent_fleet *fleet, char *err, size_t errlen);

#endif
