/* One console-side connection to a node agent: streams GET /events with
 * the fleet's filter, tags every event with the node's name, posts it
 * through the kernel event ingest and reports the state under the source
 * row "agent:NODE". A lost agent turns STALE (FAILED before it ever
 * synced) and is reconnected with backoff (1 s doubling to 30 s, back to
 * 1 s once a connection has lasted 30 s). Configured agents (agent/source.c)
 * and discovered ones (agent/discover.c) both run on it. */
#ifndef LOOKOUT_AGENT_CONN_H
#define LOOKOUT_AGENT_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/source.h"

/* Up to this many agents stream every event by default; above it, WARN and
 * CRIT only (docs/agent.md). */
#define AGENTS_ALL_EVENTS_MAX 3

/* What every agent connection of one console shares: the filter each
 * (re)connection asks for. */
struct agent_fleet {
    char filter[512]; /* the configured /events query (agents.filter) */
    bool filter_set;  /* agents.filter given: it wins over the default */
    int nagents;      /* configured + discovered, for the default */
    int idle_ms;      /* a stream silent this long is broken; 0: 15 s (three heartbeats) */
};

/* The /events query a connection made now asks for ("" : everything). */
void agent_fleet_query(const struct agent_fleet *f, char *out, size_t outlen);

struct agent_conn;
struct tls_opts;

/* A connection to url (no trailing slash) for node; tls (NULL: the
 * environment's trust) is copied; auth is a full "Authorization: ..."
 * header or "". NULL with err. Nothing runs before
 * agent_conn_start. */
struct agent_conn *agent_conn_new(const struct source_ctx *ctx, struct agent_fleet *fleet,
                                  const char *node, const char *url, const struct tls_opts *tls,
                                  const char *auth, char *err, size_t errlen);
/* Opens the stream; 0 or -1 with err (the rules of the ingest did not load). */
int agent_conn_start(struct agent_conn *ac, char *err, size_t errlen);
/* The agent moved (a new pod IP): drop the stream and connect to url now. */
void agent_conn_retarget(struct agent_conn *ac, const char *url);
const char *agent_conn_url(const struct agent_conn *ac);
/* Stops and frees; drop_rows also removes its source and kernel counter
 * rows (a discovered agent that went away). */
void agent_conn_free(struct agent_conn *ac, bool drop_rows);

#endif
