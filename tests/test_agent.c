/* Node agents end to end on loopback: two agents (forked, each its own
 * engine and loop serving the demo's kernel events, one behind a bearer
 * token) and one console consuming both through the `agents` config.
 * Events from both arrive tagged by node; a killed agent turns STALE while
 * the other keeps flowing; a restarted agent is reconnected. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/server.h"
#include "app/app.h"
#include "test.h"

static char dir[] = "/tmp/lookout-agent-test-XXXXXX";
static char empty_cfg[128], token_file[128], console_cfg[128];

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(path, mode);
}

/* Forks an agent; returns its pid and the port it bound. */
static pid_t spawn_agent(const char *node, int port, const char *token, int *bound)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        static struct app app;
        struct run_options opt = {
            .demo = true, .seed = 7, .demo_speed = 8, .no_kernel = true, .config_path = empty_cfg};
        char err[256], listen[64];
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
        if (app_init(&app, &opt, err, sizeof(err)) < 0)
            _exit(3);
        struct agent_opts ao = {.listen = listen, .node = node, .token_file = token};
        struct agent *ag = agent_start(&app.engine, app.loop, &ao, err, sizeof(err));
        int p = ag ? agent_port(ag) : -1;
        if (write(fds[1], &p, sizeof(p)) != sizeof(p) || !ag)
            _exit(4);
        close(fds[1]);
        app_start(&app);
        loop_run(app.loop);
        _exit(0);
    }
    close(fds[1]);
    *bound = -1;
    if (read(fds[0], bound, sizeof(*bound)) != sizeof(*bound))
        *bound = -1;
    close(fds[0]);
    return pid;
}

static int events_from(struct app *a, const char *node)
{
    int n = 0;
    for (int i = 0; i < ring_count(&a->engine.kevents); i++) {
        const struct kevent *ev = ring_at(&a->engine.kevents, i);
        n += strcmp(ev->node, node) == 0;
    }
    return n;
}

static int events_after(struct app *a, const char *node, uint64_t seq)
{
    int n = 0;
    for (int i = 0; i < ring_count(&a->engine.kevents); i++) {
        const struct kevent *ev = ring_at(&a->engine.kevents, i);
        n += ev->seq > seq && strcmp(ev->node, node) == 0;
    }
    return n;
}

static enum source_state state_of(struct app *a, const char *name)
{
    const struct source_info *s = engine_get(&a->engine, T_SOURCES, name);
    return s ? s->state : SRC_DISABLED;
}

/* Runs the console's loop until cond holds or seconds pass. */
#define RUN_UNTIL(a, seconds, cond)                                                                \
    do {                                                                                           \
        int64_t deadline_ = loop_mono_ms() + (seconds)*1000;                                       \
        while (!(cond) && loop_mono_ms() < deadline_)                                              \
            loop_run_once((a)->loop, 100);                                                         \
        CHECK(cond);                                                                               \
    } while (0)

TEST(two_agents_stale_and_reconnect)
{
    CHECK(mkdtemp(dir) != NULL);
    snprintf(empty_cfg, sizeof(empty_cfg), "%s/empty.yaml", dir);
    snprintf(token_file, sizeof(token_file), "%s/token", dir);
    snprintf(console_cfg, sizeof(console_cfg), "%s/console.yaml", dir);
    write_file(empty_cfg, "general: {}\n", 0600);
    write_file(token_file, "s3cret-agent-token\n", 0600);

    int port_a, port_b;
    pid_t a = spawn_agent("node-a", 0, NULL, &port_a);
    pid_t b = spawn_agent("node-b", 0, token_file, &port_b);
    CHECK(port_a > 0 && port_b > 0);
    char cfg[1024];
    snprintf(cfg, sizeof(cfg),
             "agents:\n"
             "  - name: node-a\n    url: http://127.0.0.1:%d\n"
             "  - name: node-b\n    url: http://127.0.0.1:%d/\n    token_file: %s\n",
             port_a, port_b, token_file);
    write_file(console_cfg, cfg, 0600);

    static struct app con;
    struct run_options opt = {.no_kernel = true, .config_path = console_cfg, .seed = 1};
    char err[256];
    CHECK(app_init(&con, &opt, err, sizeof(err)) == 0);
    app_start(&con);
    RUN_UNTIL(&con, 20,
              state_of(&con, "agent:node-a") == SRC_SYNCED &&
                  state_of(&con, "agent:node-b") == SRC_SYNCED && events_from(&con, "node-a") > 0 &&
                  events_from(&con, "node-b") > 0);

    /* kill A: STALE, and B keeps flowing */
    kill(a, SIGKILL);
    waitpid(a, NULL, 0);
    RUN_UNTIL(&con, 10, state_of(&con, "agent:node-a") == SRC_STALE);
    CHECK(state_of(&con, "agent:node-b") == SRC_SYNCED);
    int b_before = events_from(&con, "node-b");
    RUN_UNTIL(&con, 10, events_from(&con, "node-b") >= b_before + 3);
    const struct source_info *sa = engine_get(&con.engine, T_SOURCES, "agent:node-a");
    CHECK(sa && sa->error[0]);

    /* restart A on the same port: reconnected, fresh events arrive */
    int port_a2;
    a = spawn_agent("node-a", port_a, NULL, &port_a2);
    CHECK(port_a2 == port_a);
    uint64_t seq_before = con.engine.kevent_seq;
    RUN_UNTIL(&con, 15, state_of(&con, "agent:node-a") == SRC_SYNCED);
    RUN_UNTIL(&con, 10, events_after(&con, "node-a", seq_before) > 0);

    app_free(&con);
    kill(a, SIGKILL);
    kill(b, SIGKILL);
    waitpid(a, NULL, 0);
    waitpid(b, NULL, 0);
    unlink(empty_cfg);
    unlink(token_file);
    unlink(console_cfg);
    rmdir(dir);
}

TEST(wrong_token_fails_clearly)
{
    char d[] = "/tmp/lookout-agent-tok-XXXXXX";
    CHECK(mkdtemp(d) != NULL);
    snprintf(empty_cfg, sizeof(empty_cfg), "%s/empty.yaml", d);
    snprintf(token_file, sizeof(token_file), "%s/token", d);
    char wrong[160], cfgpath[160], cfg[512];
    snprintf(wrong, sizeof(wrong), "%s/wrong", d);
    snprintf(cfgpath, sizeof(cfgpath), "%s/c.yaml", d);
    write_file(empty_cfg, "general: {}\n", 0600);
    write_file(token_file, "right\n", 0600);
    write_file(wrong, "wrong\n", 0600);
    int port;
    pid_t a = spawn_agent("node-t", 0, token_file, &port);
    snprintf(cfg, sizeof(cfg),
             "agents:\n  - name: node-t\n    url: http://127.0.0.1:%d\n"
             "    token_file: %s\n",
             port, wrong);
    write_file(cfgpath, cfg, 0600);
    static struct app con;
    struct run_options opt = {.no_kernel = true, .config_path = cfgpath, .seed = 1};
    char err[256];
    CHECK(app_init(&con, &opt, err, sizeof(err)) == 0);
    app_start(&con);
    RUN_UNTIL(&con, 10, state_of(&con, "agent:node-t") == SRC_FAILED);
    const struct source_info *s = engine_get(&con.engine, T_SOURCES, "agent:node-t");
    CHECK(s && strstr(s->error, "401") != NULL);
    CHECK(s && strstr(s->error, "wrong") == NULL && strstr(s->error, "right") == NULL);
    app_free(&con);
    kill(a, SIGKILL);
    waitpid(a, NULL, 0);
    /* a token file readable by others is refused */
    chmod(wrong, 0644);
    char tok[64];
    CHECK(agent_read_token(wrong, tok, sizeof(tok), err, sizeof(err)) < 0);
    CHECK(strstr(err, "0600") != NULL);
    unlink(empty_cfg);
    unlink(token_file);
    unlink(wrong);
    unlink(cfgpath);
    rmdir(d);
}

RUN_TESTS()
