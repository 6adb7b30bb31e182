/* The agent's HTTP server: request heads as a client sends them, through
 * the real connection reader (NUL check, head cap, request line, headers,
 * bearer token, routes, a stream and a plain response). The server's
 * statics are reached by compiling its source into the harness; each input
 * arrives on one end of a socket pair, the other end is the client. */
#include <fcntl.h>

#include "base/httpd.c"
#include "fuzz.h"
#include "base/loop.h"

static struct loop *loop;
static struct httpd *server;

static void route_metrics(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)ud;
    httpd_respond(c, 200, "text/plain", r->query, strlen(r->query));
}

static void route_events(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)r, (void)ud;
    httpd_stream_begin(c, "application/x-ndjson", NULL, NULL);
    httpd_stream_write(c, "{}\n", 3, 1 << 16);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[256];
    loop = loop_new();
    server = loop ? httpd_new(loop, "127.0.0.1:0", err, sizeof(err)) : NULL;
    if (!server)
        abort();
    httpd_set_token(server, "s3cret");
    httpd_route(server, "/metrics", route_metrics, NULL);
    httpd_route(server, "/events", route_events, NULL);
    return 0;
}

static void drain(int fd)
{
    char tmp[4096];
    while (read(fd, tmp, sizeof(tmp)) > 0) {
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    int sndbuf = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            break; /* the rest does not fit: the server sees a prefix */
        off += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);
    struct httpd_conn *c = calloc(1, sizeof(*c));
    if (!c || loop_watch_fd(loop, sv[0], LOOP_READ, conn_io, c) < 0)
        abort();
    c->h = server;
    c->fd = sv[0];
    c->accepted = loop_mono_ms();
    c->next = server->conns;
    server->conns = c;
    server->stats.connections++;
    conn_read(c);
    drain(sv[1]);
    conn_kill(c);
    loop_run_once(loop, 0); /* the reap timer frees c and closes sv[0] */
    close(sv[1]);
    return 0;
}
