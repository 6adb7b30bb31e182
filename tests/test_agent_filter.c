/* The agent's /events filters that the end-to-end test (t_agent_discover.py,
 * on the demo's events) cannot steer: namespaces and rules_only, on events
 * posted straight into the agent's engine, and a bad filter refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/server.h"
#include "base/buf.h"
#include "base/loop.h"
#include "core/engine.h"
#include "test.h"

static int connect_events(int port, const char *query)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char req[512];
    int n = snprintf(req, sizeof(req), "GET /events%s HTTP/1.1\r\nHost: t\r\n\r\n", query);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        send(fd, req, (size_t)n, 0) != n) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Runs the loop and gathers what the socket had. */
static void pump(struct loop *l, int fd, struct buf *out, int turns)
{
    char tmp[65536];
    for (int i = 0; i < turns; i++) {
        loop_run_once(l, 10);
        ssize_t n;
        while ((n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0)
            buf_append(out, tmp, (size_t)n);
    }
}

static void post(struct engine *e, const char *comm, const char *pod, const char *rule)
{
    struct kevent ev = {.kind = KEV_EXEC, .pid = 42, .severity = rule ? SEV_WARNING : SEV_INFO};
    STR_COPY(ev.comm, comm);
    STR_COPY(ev.pod, pod);
    STR_COPY(ev.rule, rule ? rule : "");
    engine_kevent(e, &ev);
}

TEST(namespaces_and_rules_only_filter_before_sending)
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
    int fd = connect_events(agent_port(ag), "?namespaces=shop,data&rules_only=1");
    int all = connect_events(agent_port(ag), "");
    int bad = connect_events(agent_port(ag), "?namespaces=a,b,c,d,e,f,g,h,i");
    CHECK(fd >= 0 && all >= 0 && bad >= 0);
    struct buf got = {0}, got_all = {0}, got_bad = {0};
    pump(l, fd, &got, 20);
    pump(l, all, &got_all, 5);
    post(&e, "shop-ruled", "shop/web-1", "r");
    post(&e, "shop-plain", "shop/web-1", NULL);
    post(&e, "other-ruled", "other/x", "r");
    post(&e, "host-ruled", "", "r");
    post(&e, "data-ruled", "data/db-0", "r");
    post(&e, "shoppe-ruled", "shoppe/y", "r"); /* a namespace is matched whole, not by prefix */
    pump(l, fd, &got, 20);
    pump(l, all, &got_all, 5);
    pump(l, bad, &got_bad, 20);
    const char *g = buf_cstr(&got), *a = buf_cstr(&got_all);
    CHECK(strstr(g, "\"shop-ruled\"") && strstr(g, "\"data-ruled\""));
    CHECK(!strstr(g, "shop-plain") && !strstr(g, "other-ruled") && !strstr(g, "host-ruled") &&
          !strstr(g, "shoppe-ruled"));
    CHECK(strstr(a, "shop-plain") && strstr(a, "host-ruled") && strstr(a, "shoppe-ruled"));
    CHECK(strstr(buf_cstr(&got_bad), " 400 ") && strstr(buf_cstr(&got_bad), "at most 8"));
    close(fd);
    close(all);
    close(bad);
    buf_free(&got);
    buf_free(&got_all);
    buf_free(&got_bad);
    agent_stop(ag);
    loop_free(l);
    engine_free(&e);
    agent_free(ag);
}

RUN_TESTS()
