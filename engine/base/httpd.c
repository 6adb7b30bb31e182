/* A small, careful HTTP/1.1 server on the loop (see httpd.h). */
#include "base/httpd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/secret.h"

#define MAX_HEADER 8192
#define MAX_CONNS  64
#define MAX_ROUTES 16
#define IDLE_MS    10000
#define SWEEP_MS   1000

struct httpd_conn {
    struct httpd *h;
    int fd;
    struct buf in;
    struct buf out;
    size_t out_off;
    bool streaming;
    bool close_when_flushed;
    bool dead;
    bool want_write;
    int64_t accepted; /* a request must be complete IDLE_MS after this */
    void (*on_close)(struct httpd_conn *c, void *ud);
    void (*on_room)(struct httpd_conn *c, void *ud);
    void *ud;
    struct httpd_conn *next;
};

struct route {
    char path[64];
    bool post;
    httpd_handler fn;
    void *ud;
};

struct httpd {
    struct loop *loop;
    int fd;
    int port;
    char token[256];
    struct route routes[MAX_ROUTES];
    int nroutes;
    struct httpd_conn *conns;
    struct loop_timer *sweep;
    struct loop_timer *reap;
    struct httpd_stats stats;
};

static void conn_io(int fd, int events, void *ud);

/* ---- connection lifetime ---- */

static void conn_free(struct httpd_conn *c)
{
    struct httpd *h = c->h;
    loop_unwatch_fd(h->loop, c->fd);
    close(c->fd);
    if (c->on_close)
        c->on_close(c, c->ud);
    for (struct httpd_conn **pp = &h->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    h->stats.connections--;
    /* the request heads read here carried the client's bearer token */
    secret_wipe(c->in.data, c->in.cap);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
}

static void reap(void *ud)
{
    struct httpd *h = ud;
    h->reap = NULL;
    for (struct httpd_conn *c = h->conns, *next; c; c = next) {
        next = c->next;
        if (c->dead)
            conn_free(c);
    }
}

/* Closing is deferred to a timer so callers may hold pointers meanwhile. */
static void conn_kill(struct httpd_conn *c)
{
    if (c->dead)
        return;
    c->dead = true;
    loop_unwatch_fd(c->h->loop, c->fd);
    if (!c->h->reap)
        c->h->reap = loop_timer_start(c->h->loop, 0, reap, c->h);
}

static void conn_flush(struct httpd_conn *c)
{
    while (!c->dead && c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        conn_kill(c);
        return;
    }
    if (c->dead)
        return;
    if (c->out_off == c->out.len) {
        buf_reset(&c->out);
        c->out_off = 0;
        if (c->close_when_flushed) {
            shutdown(c->fd, SHUT_WR);
            conn_kill(c);
            return;
        }
    } else if (c->out_off > (1u << 20)) {
        buf_consume(&c->out, c->out_off);
        c->out_off = 0;
    }
    bool want = c->out_off < c->out.len;
    if (want != c->want_write) {
        c->want_write = want;
        loop_change_fd(c->h->loop, c->fd, LOOP_READ | (want ? LOOP_WRITE : 0));
    }
}

/* ---- responses ---- */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

void httpd_respond(struct httpd_conn *c, int status, const char *content_type, const char *body,
                   size_t len)
{
    if (c->dead || c->streaming)
        return;
    buf_printf(&c->out,
               "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
               "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s"
               "Connection: close\r\n\r\n",
               status, reason(status), content_type, len,
               status == 401 ? "WWW-Authenticate: Bearer\r\n" : "");
    buf_append(&c->out, body, len);
    c->close_when_flushed = true;
    conn_flush(c);
}

static void respond_text(struct httpd_conn *c, int status, const char *text)
{
    httpd_respond(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

void httpd_stream_begin(struct httpd_conn *c, const char *content_type,
                        void (*on_close)(struct httpd_conn *c, void *ud), void *ud)
{
    if (c->dead)
        return;
    c->streaming = true;
    c->on_close = on_close;
    c->ud = ud;
    buf_printf(&c->out,
               "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
               "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n",
               content_type);
    conn_flush(c);
}

bool httpd_stream_write(struct httpd_conn *c, const char *data, size_t len, size_t cap)
{
    if (c->dead || !c->streaming)
        return false;
    if (c->out.len - c->out_off > cap)
        return false;
    if (!len)
        return true;
    buf_printf(&c->out, "%zx\r\n", len);
    buf_append(&c->out, data, len);
    buf_append(&c->out, "\r\n", 2);
    conn_flush(c);
    return !c->dead;
}

void httpd_stream_end(struct httpd_conn *c)
{
    if (c->dead || !c->streaming)
        return;
    buf_append(&c->out, "0\r\n\r\n", 5);
    /* no longer a stream: the sweep's deadline applies again, from now */
    c->streaming = false;
    c->close_when_flushed = true;
    c->accepted = loop_mono_ms();
    conn_flush(c);
}

void httpd_stream_on_room(struct httpd_conn *c, void (*on_room)(struct httpd_conn *c, void *ud))
{
    c->on_room = on_room;
}

void httpd_set_sndbuf(struct httpd_conn *c, int bytes)
{
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

size_t httpd_pending(const struct httpd_conn *c)
{
    return c->out.len - c->out_off;
}

/* ---- requests ---- */

static bool token_ok(const struct httpd *h, const char *auth)
{
    if (!h->token[0])
        return true;
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *t = auth + 7;
    size_t n = strlen(h->token), m = strlen(t);
    unsigned diff = (unsigned)(n ^ m);
    for (size_t i = 0; i < n; i++) /* constant time over the expected token */
        diff |= (unsigned char)h->token[i] ^ (unsigned char)(i < m ? t[i] : 0);
    return diff == 0;
}

/* Parses the head in c->in (NUL-terminated at the blank line) and dispatches. */
static void handle_request(struct httpd_conn *c, char *head)
{
    struct httpd *h = c->h;
    h->stats.requests++;
    char *line_end = strstr(head, "\r\n");
    *line_end = '\0';
    char *method = head, *target = strchr(method, ' ');
    char *version = target ? strchr(target + 1, ' ') : NULL;
    if (!target || !version || strchr(version + 1, ' ')) {
        h->stats.rejected++;
        return respond_text(c, 400, "bad request line\n");
    }
    *target++ = '\0';
    *version++ = '\0';
    if (strcmp(version, "HTTP/1.1") != 0 && strcmp(version, "HTTP/1.0") != 0) {
        h->stats.rejected++;
        return respond_text(c, 400, "unsupported HTTP version\n");
    }
    const char *auth = NULL;
    for (char *l = line_end + 2; *l;) {
        char *e = strstr(l, "\r\n");
        if (e)
            *e = '\0';
        char *colon = strchr(l, ':');
        if (!colon || colon == l) {
            h->stats.rejected++;
            return respond_text(c, 400, "bad header line\n");
        }
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (strcasecmp(l, "Authorization") == 0)
            auth = v;
        else if ((strcasecmp(l, "Content-Length") == 0 && strcmp(v, "0") != 0) ||
                 strcasecmp(l, "Transfer-Encoding") == 0) {
            h->stats.rejected++;
            return respond_text(c, 413, "request bodies are not accepted\n");
        }
        if (!e)
            break;
        l = e + 2;
    }
    bool post = strcmp(method, "POST") == 0;
    if (strcmp(method, "GET") != 0 && !post) {
        h->stats.rejected++;
        return respond_text(c, 405, "only GET and POST\n");
    }
    if (target[0] != '/') {
        h->stats.rejected++;
        return respond_text(c, 400, "bad target\n");
    }
    char *q = strchr(target, '?');
    if (q)
        *q++ = '\0';
    struct httpd_req req = {.method = method, .path = target, .query = q ? q : ""};
    /* the probes: a kubelet sends no token (/readyz says names and states only) */
    bool probe = strcmp(target, "/healthz") == 0 || strcmp(target, "/readyz") == 0;
    if (!probe && !token_ok(h, auth)) {
        h->stats.rejected++;
        return respond_text(c, 401, "missing or wrong bearer token\n");
    }
    for (int i = 0; i < h->nroutes; i++) {
        if (strcmp(h->routes[i].path, target) != 0)
            continue;
        if (h->routes[i].post != post) {
            h->stats.rejected++;
            return respond_text(c, 405, post ? "only GET here\n" : "only POST here\n");
        }
        return h->routes[i].fn(c, &req, h->routes[i].ud);
    }
    respond_text(c, 404, "not found\n");
}

static void conn_read(struct httpd_conn *c)
{
    char tmp[4096];
    for (;;) {
        ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            conn_kill(c);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (c->streaming || c->close_when_flushed)
            continue; /* nothing more is expected from this client */
        buf_append(&c->in, tmp, (size_t)n);
        char *end = strstr(c->in.data, "\r\n\r\n");
        if (memchr(c->in.data, '\0', c->in.len)) {
            c->h->stats.rejected++;
            return respond_text(c, 400, "NUL in request\n");
        }
        if (!end) {
            if (c->in.len >= MAX_HEADER) {
                c->h->stats.rejected++;
                return respond_text(c, 431, "request head too large\n");
            }
            continue;
        }
        end[2] = '\0'; /* keep the last header's CRLF */
        handle_request(c, c->in.data);
        if (c->dead)
            return;
    }
}

static void conn_io(int fd, int events, void *ud)
{
    (void)fd;
    struct httpd_conn *c = ud;
    if (c->dead)
        return;
    if (events & (LOOP_READ | LOOP_ERROR))
        conn_read(c);
    if (!c->dead && (events & LOOP_WRITE)) {
        conn_flush(c);
        if (!c->dead && c->streaming && c->on_room)
            c->on_room(c, c->ud);
    }
}

static void on_accept(int fd, int events, void *ud)
{
    (void)events;
    struct httpd *h = ud;
    for (;;) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
            return;
        if (h->stats.connections >= MAX_CONNS) {
            h->stats.rejected++;
            close(cfd);
            continue;
        }
        struct httpd_conn *c = calloc(1, sizeof(*c));
        if (!c || loop_watch_fd(h->loop, cfd, LOOP_READ, conn_io, c) < 0) {
            free(c);
            close(cfd);
            continue;
        }
        c->h = h;
        c->fd = cfd;
        c->accepted = loop_mono_ms();
        c->next = h->conns;
        h->conns = c;
        h->stats.connections++;
    }
}

static void sweep(void *ud)
{
    struct httpd *h = ud;
    int64_t now = loop_mono_ms();
    for (struct httpd_conn *c = h->conns; c; c = c->next)
        if (!c->streaming && now - c->accepted > IDLE_MS) /* slow or idle: no slowloris */
            conn_kill(c);
    h->sweep = loop_timer_start(h->loop, SWEEP_MS, sweep, h);
}

/* ---- server ---- */

static int listen_on(const char *addr, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1]) {
        snprintf(err, errlen, "listen address '%s': expected HOST:PORT", addr);
        return -1;
    }
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof(host)) {
        snprintf(err, errlen, "listen address too long");
        return -1;
    }
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST},
                    *res;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "listen address '%s': %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        snprintf(err, errlen, "listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

struct httpd *httpd_new(struct loop *l, const char *addr, char *err, size_t errlen)
{
    int fd = listen_on(addr, err, errlen);
    if (fd < 0)
        return NULL;
    struct httpd *h = calloc(1, sizeof(*h));
    if (!h || loop_watch_fd(l, fd, LOOP_READ, on_accept, h) < 0) {
        snprintf(err, errlen, "cannot watch the listening socket");
        free(h);
        close(fd);
        return NULL;
    }
    h->loop = l;
    h->fd = fd;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    h->sweep = loop_timer_start(l, SWEEP_MS, sweep, h);
    return h;
}

void httpd_free(struct httpd *h)
{
    if (!h)
        return;
    while (h->conns)
        conn_free(h->conns);
    loop_unwatch_fd(h->loop, h->fd);
    close(h->fd);
    loop_timer_cancel(h->loop, h->sweep);
    loop_timer_cancel(h->loop, h->reap);
    secret_wipe(h->token, sizeof(h->token));
    free(h);
}

int httpd_port(const struct httpd *h)
{
    return h->port;
}

int httpd_write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

void httpd_set_token(struct httpd *h, const char *token)
{
    str_copy(h->token, sizeof(h->token), token ? token : "");
}

static int add_route(struct httpd *h, const char *path, bool post, httpd_handler fn, void *ud)
{
    if (h->nroutes == MAX_ROUTES)
        return -1;
    struct route *r = &h->routes[h->nroutes++];
    STR_COPY(r->path, path);
    r->post = post;
    r->fn = fn;
    r->ud = ud;
    return 0;
}

int httpd_route(struct httpd *h, const char *path, httpd_handler fn, void *ud)
{
    return add_route(h, path, false, fn, ud);
}

int httpd_route_post(struct httpd *h, const char *path, httpd_handler fn, void *ud)
{
    return add_route(h, path, true, fn, ud);
}

const struct httpd_stats *httpd_stats(const struct httpd *h)
{
    return &h->stats;
}
