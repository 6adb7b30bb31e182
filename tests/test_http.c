/* engine/base/http.c against an in-process loopback server on the same event
 * loop: the response-head timeout fires on a server that never answers or
 * trickles its head, and not on one whose head came in time. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/http.h"
#include "base/loop.h"
#include "test.h"

/* How the server behaves once a client connects. */
enum serve { SERVE_NOTHING, SERVE_TRICKLE, SERVE_HEAD_THEN_SILENCE };

struct rig {
    struct loop *loop;
    struct http *http;
    int listen_fd, conn_fd;
    enum serve serve;
    const char *head;
    size_t sent;
    struct loop_timer *trickle;
    bool done;
    struct http_result res;
    char error[256];
};

static const char HEAD[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n";

static void trickle_one(void *ud)
{
    struct rig *r = ud;
    r->trickle = NULL;
    if (r->conn_fd < 0 || r->sent >= sizeof(HEAD) - 1)
        return;
    if (write(r->conn_fd, HEAD + r->sent, 1) == 1)
        r->sent++;
    r->trickle = loop_timer_start(r->loop, 200, trickle_one, r);
}

static void on_accept(int fd, int events, void *ud)
{
    (void)events;
    struct rig *r = ud;
    int c = accept(fd, NULL, NULL);
    if (c < 0)
        return;
    if (r->conn_fd >= 0) {
        close(c);
        return;
    }
    r->conn_fd = c;
    if (r->serve == SERVE_HEAD_THEN_SILENCE)
        CHECK(write(c, HEAD, sizeof(HEAD) - 1) == (ssize_t)(sizeof(HEAD) - 1));
    else if (r->serve == SERVE_TRICKLE)
        trickle_one(r);
}

static bool on_data(const char *buf, size_t len, void *ud)
{
    (void)buf, (void)len, (void)ud;
    return true;
}

static void on_done(const struct http_result *res, void *ud)
{
    struct rig *r = ud;
    r->done = true;
    r->res = *res;
    snprintf(r->error, sizeof(r->error), "%s", res->error);
}

static int rig_start(struct rig *r, enum serve serve, long head_timeout_ms)
{
    memset(r, 0, sizeof(*r));
    r->conn_fd = -1;
    r->serve = serve;
    r->loop = loop_new();
    r->http = http_new(r->loop);
    r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (!r->loop || !r->http || r->listen_fd < 0 || bind(r->listen_fd, (void *)&a, sizeof(a)) ||
        listen(r->listen_fd, 4) || getsockname(r->listen_fd, (void *)&a, &alen))
        return -1;
    loop_watch_fd(r->loop, r->listen_fd, LOOP_READ, on_accept, r);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/watch", ntohs(a.sin_port));
    struct http_opts o = {.url = url,
                          .head_timeout_ms = head_timeout_ms,
                          .on_data = on_data,
                          .on_done = on_done,
                          .ud = r};
    return http_start(r->http, &o) ? 0 : -1;
}

/* Turns the loop until the request ends or the deadline passes. */
static void run_until_done(struct rig *r, int64_t within_ms)
{
    int64_t end = loop_mono_ms() + within_ms;
    while (!r->done && loop_mono_ms() < end)
        loop_run_once(r->loop, 100);
}

static void rig_free(struct rig *r)
{
    if (r->trickle)
        loop_timer_cancel(r->loop, r->trickle);
    http_free(r->http);
    loop_unwatch_fd(r->loop, r->listen_fd);
    close(r->listen_fd);
    if (r->conn_fd >= 0)
        close(r->conn_fd);
    loop_free(r->loop);
}

static void expect_head_timeout(enum serve serve)
{
    struct rig r;
    CHECK(rig_start(&r, serve, 1000) == 0);
    int64_t t0 = loop_mono_ms();
    run_until_done(&r, 10000);
    int64_t took = loop_mono_ms() - t0;
    CHECK(r.done);
    CHECK(r.res.curl_code == CURLE_OPERATION_TIMEDOUT);
    CHECK(strstr(r.error, "no complete response head within 1000 ms") != NULL);
    CHECK(took >= 1000 && took < 5000); /* curl checks progress about once a second */
    if (took < 1000 || took >= 5000)
        fprintf(stderr, "  took %lld ms\n", (long long)took);
    rig_free(&r);
}

TEST(head_timeout_on_a_server_that_never_answers)
{
    expect_head_timeout(SERVE_NOTHING);
}

TEST(head_timeout_on_a_head_trickled_byte_by_byte)
{
    expect_head_timeout(SERVE_TRICKLE);
}

TEST(no_head_timeout_once_the_head_arrived)
{
    struct rig r;
    CHECK(rig_start(&r, SERVE_HEAD_THEN_SILENCE, 500) == 0);
    run_until_done(&r, 2500); /* five head timeouts long: a silent stream is fine */
    CHECK(!r.done);
    CHECK(r.conn_fd >= 0);
    rig_free(&r); /* cancels the request */
}

/* A CR or LF in a header value would start a header nobody configured. */
TEST(header_values_are_one_line)
{
    char err[200] = "";
    CHECK(http_header_value_check("--tenant", "team-a", err, sizeof(err)) == 0);
    CHECK(http_header_value_check("--tenant", "a\r\nX: y", err, sizeof(err)) < 0);
    CHECK(strstr(err, "--tenant must be one line") != NULL);
    CHECK(http_header_value_check("token", "abc\n", err, sizeof(err)) < 0);
    struct loop *l = loop_new();
    struct http *h = http_new(l);
    const char *bad[] = {"X-Scope-OrgID: a\r\nX-Injected: y", NULL};
    struct http_opts o = {.url = "http://127.0.0.1:9/", .headers = bad, .on_done = on_done};
    CHECK(http_start(h, &o) == NULL);
    CHECK(http_active(h) == 0);
    http_free(h);
    loop_free(l);
}

static void note_ready(int fd, int events, void *ud)
{
    (void)fd;
    (void)events;
    (*(int *)ud)++;
}

/* A watched fd closed without loop_unwatch_fd(), its number reused by a new
 * one: watching the new fd must work (it is no longer in the epoll set). */
TEST(watch_a_reused_fd_number)
{
    struct loop *l = loop_new();
    int a[2], b[2], fired = 0;
    CHECK(l && pipe(a) == 0);
    CHECK(loop_watch_fd(l, a[0], LOOP_READ, note_ready, &fired) == 0);
    int reused = a[0];
    close(a[0]);
    close(a[1]);
    CHECK(pipe(b) == 0 && b[0] == reused); /* the lowest free numbers come back */
    CHECK(loop_watch_fd(l, b[0], LOOP_READ, note_ready, &fired) == 0);
    CHECK(write(b[1], "x", 1) == 1);
    loop_run_once(l, 1000);
    CHECK(fired == 1);
    loop_unwatch_fd(l, b[0]);
    close(b[0]);
    close(b[1]);
    loop_free(l);
}

RUN_TESTS()
