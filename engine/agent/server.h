/* The node agent's server side: streams this host's kernel events as JSON
 * lines (GET /events), serves Prometheus metrics (GET /metrics) and a
 * liveness probe (GET /healthz) from the engine's loop. Routes are a table
 * in agent/server.c, one line each. */
#ifndef LOOKOUT_AGENT_H
#define LOOKOUT_AGENT_H

#include <stddef.h>

#include "core/engine.h"
#include "core/module.h"
#include "base/loop.h"
#include "base/yaml_tree.h"

struct agent_opts {
    const char *listen;     /* HOST:PORT, default 127.0.0.1:7070 */
    const char *token_file; /* bearer token, a 0600 file; NULL: no auth (loopback only) */
    const char *node;       /* node name stamped on events; NULL: the hostname */
    /* /readyz needs a synced source of this kind: the one the events come
     * from ("kernel", or "demo" when the demo simulates the kernel); NULL
     * when no kernel was asked for (--no-kernel, kernel.enabled: false,
     * --demo-rate): then ready means every source there is reports */
    const char *ready_kind;
};

struct agent;

/* Listens and observes kernel events. NULL with a message in err. */
struct agent *agent_start(struct engine *e, struct loop *l, const struct agent_opts *o, char *err,
                          size_t errlen);
/* Closes the server and every stream; call before the loop is freed. */
void agent_stop(struct agent *ag);
/* Frees what is left; call after the engine is freed (it observes it). */
void agent_free(struct agent *ag);
int agent_port(const struct agent *ag);
const char *agent_node(const struct agent *ag);

/* Reads a bearer token from a file that must not be readable by group or
 * others; returns 0 or -1 with err. */
int agent_read_token(const char *path, char *out, size_t outlen, char *err, size_t errlen);

/* Config sections: `agent` (listen, token_file, node) for `lookout agent`,
 * `agents` (the list the console consumes; agent/source.c). */
int agent_config_check(const struct ynode *section, char *err, size_t errlen);
/* The agent server module: owns the `agent` section. `lookout agent`
 * (cmd/agent.c) starts the server itself, so the module has no setup. */
extern const struct module agent_server_module;

#endif
