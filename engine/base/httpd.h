/* A small HTTP/1.1 server on the event loop, for the node agent's
 * /events, /metrics and /healthz (and any route a module adds).
 *
 * Non-blocking and careful rather than complete: GET (and POST on the
 * routes registered for it, an action named by its query), no request
 * bodies, request heads capped at 8 KiB, at most 64 connections, a request
 * and its response must complete within 10 s of connecting (no slowloris),
 * one request per connection (responses close it) except streams, which
 * stay open and are written with chunked encoding.
 * An optional bearer token guards every route but /healthz. */
#ifndef LOOKOUT_HTTPD_H
#define LOOKOUT_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/loop.h"

struct httpd;
struct httpd_conn;

struct httpd_req {
    const char *method; /* "GET", or "POST" on a POST route */
    const char *path;   /* as sent (not decoded), without the query */
    const char *query;  /* after '?', "" when none */
};

typedef void (*httpd_handler)(struct httpd_conn *c, const struct httpd_req *r, void *ud);

/* addr "HOST:PORT" (port 0: any free port; "[::1]:7070" for IPv6). */
struct httpd *httpd_new(struct loop *l, const char *addr, char *err, size_t errlen);
void httpd_free(struct httpd *h);
int httpd_port(const struct httpd *h);
/* Writes port to path (via a rename, so a reader never sees half of it): the
 * --port-file of the commands that serve, for whoever started them on port 0. */
int httpd_write_port_file(const char *path, int port);
/* The token every request but /healthz must carry as "Authorization: Bearer
 * TOKEN"; NULL or "" turns authentication off. The server keeps a copy. */
void httpd_set_token(struct httpd *h, const char *token);
/* Exact path match; at most 16 routes. A GET route answers 405 to POST. */
int httpd_route(struct httpd *h, const char *path, httpd_handler fn, void *ud);
/* The same for POST (without a body), and 405 to GET: a request that acts
 * must not be one a link, a crawler or a cache can make. */
int httpd_route_post(struct httpd *h, const char *path, httpd_handler fn, void *ud);

/* A complete response; the connection closes once it is sent. */
void httpd_respond(struct httpd_conn *c, int status, const char *content_type, const char *body,
                   size_t len);
/* Starts a chunked stream that stays open; on_close (may be NULL) is called
 * once when the client goes away or the server shuts down. */
void httpd_stream_begin(struct httpd_conn *c, const char *content_type,
                        void (*on_close)(struct httpd_conn *c, void *ud), void *ud);
/* Queues one chunk. Returns false, queueing nothing, when the client is more
 * than `cap` bytes behind (the caller counts a drop). */
bool httpd_stream_write(struct httpd_conn *c, const char *data, size_t len, size_t cap);
/* Ends a stream: the last chunk, then the connection closes once what is
 * queued has been sent, or after 10 s if the client does not read it.
 * on_close is still called then. */
void httpd_stream_end(struct httpd_conn *c);
/* Called (with the stream's ud) each time a lagging stream's socket took
 * more of its queue: where a writer that had to drop something says so. */
void httpd_stream_on_room(struct httpd_conn *c, void (*on_room)(struct httpd_conn *c, void *ud));
/* Caps the kernel's send buffer of c (SO_SNDBUF; Linux doubles it): a
 * stream's lag then shows in httpd_pending() instead of megabytes of
 * autotuned socket buffer. */
void httpd_set_sndbuf(struct httpd_conn *c, int bytes);
/* Bytes queued but not yet written. */
size_t httpd_pending(const struct httpd_conn *c);

struct httpd_stats {
    uint64_t requests;
    uint64_t rejected; /* bad requests, auth failures, too many connections */
    int connections;
};
const struct httpd_stats *httpd_stats(const struct httpd *h);

#endif
