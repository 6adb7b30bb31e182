/* A lagging /events client's books, in one process (no root needed): an
 * agent on an engine and loop of its own, a loopback client that reads
 * nothing while events are posted, then everything. What it read plus the
 * `lost` of its gap rows must equal what was posted (a kernel gap row that
 * could not be sent to it included), and the gap row must come once it has
 * room, with no later event to carry it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/server.h"
#include "base/buf.h"
#include "base/loop.h"
#include "core/engine.h"
#include "test.h"

#define POSTED                                                                                     \
    80000 /* ~28 MB of JSON: far past the socket buffers and the 4 MiB a client may lag */
#define KERNEL_LOST 1000

struct books {
    uint64_t delivered, lost, gaps, counter_lines;
    struct buf partial;
};

static void count_line(struct books *b, const char *line)
{
    const char *lost = strstr(line, "\"lost\":");
    if (strstr(line, "\"kind\":\"open\""))
        b->delivered++;
    else if (strstr(line, "\"kind\":\"gap\"") && lost) {
        b->lost += strtoull(lost + 7, NULL, 10);
        b->gaps++;
    } else if (strstr(line, "\"stream\":"))
        b->counter_lines++;
}

/* Reads what the socket has; returns false once nothing came. */
static bool read_some(int fd, struct books *b)
{
    char tmp[65536];
    ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
    if (n <= 0)
        return false;
    buf_append(&b->partial, tmp, (size_t)n);
    char *start = b->partial.data, *nl;
    while ((nl = memchr(start, '\n', b->partial.len - (size_t)(start - b->partial.data)))) {
        *nl = '\0';
        count_line(b, start);
        start = nl + 1;
    }
    buf_consume(&b->partial, (size_t)(start - b->partial.data));
    return true;
}

static int connect_events(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char req[] = "GET /events?kinds=open HTTP/1.1\r\nHost: t\r\n\r\n";
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        send(fd, req, sizeof(req) - 1, 0) != (ssize_t)(sizeof(req) - 1)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void post_flood(struct engine *e)
{
    for (int i = 0; i < POSTED; i++) {
        struct kevent ev = {.kind = KEV_OPEN, .pid = (uint32_t)i + 1, .ret = 3};
        STR_COPY(ev.comm, "flood");
        STR_COPY(ev.path, "/etc/shadow");
        engine_kevent(e, &ev);
        if (i == POSTED - 100) { /* the client lags by now: this row is not sent to it */
            struct kevent gap = {.kind = KEV_GAP, .lost = KERNEL_LOST};
            engine_kevent(e, &gap);
        }
    }
}

TEST(lagging_client_books_balance)
{
    struct engine e;
    engine_init(&e);
    engine_advance(&e, loop_wall_ms());
    struct loop *l = loop_new();
    struct agent_opts ao = {.listen = "127.0.0.1:0", .node = "t"};
    char err[256];
    struct agent *ag = agent_start(&e, l, &ao, err, sizeof(err));
    CHECK(ag != NULL);
    if (!ag)
        return;
    int fd = connect_events(agent_port(ag));
    CHECK(fd >= 0);
    struct books b = {0};
    for (int i = 0; i < 200 && b.counter_lines == 0; i++) { /* the backlog's counters line */
        loop_run_once(l, 10);
        read_some(fd, &b);
    }
    CHECK(b.counter_lines == 1);
    post_flood(&e);
    /* Now the client reads: the loop flushes its queue, then owes it a gap. */
    int64_t end = loop_mono_ms() + 20000;
    while (b.delivered + b.lost < POSTED + KERNEL_LOST && loop_mono_ms() < end) {
        loop_run_once(l, 5);
        while (read_some(fd, &b))
            ;
    }
    CHECK(b.lost > KERNEL_LOST); /* it lagged, and the kernel's loss is in its gap */
    CHECK(b.gaps == 1);          /* one row for the whole dropped span */
    CHECK(b.delivered + b.lost == POSTED + KERNEL_LOST);
    if (b.delivered + b.lost != POSTED + KERNEL_LOST)
        fprintf(stderr, "  delivered %llu + lost %llu (%llu gap rows)\n",
                (unsigned long long)b.delivered, (unsigned long long)b.lost,
                (unsigned long long)b.gaps);
    close(fd);
    buf_free(&b.partial);
    agent_stop(ag);
    loop_free(l);
    engine_free(&e);
    agent_free(ag);
}

RUN_TESTS()
