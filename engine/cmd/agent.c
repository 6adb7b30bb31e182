/* `lookout agent`: headless node agent. This host's kernel events (or the
 * demo's simulated ones with --demo) go through the usual ingest and are
 * served over HTTP for consoles to consume (docs/agent.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/loadgen.h"
#include "agent/server.h"
#include "base/path.h"
#include "app/app.h"
#include "app/options.h"
#include "cmd/commands.h"
#include "base/httpd.h"
#include "kernel/source.h"
#include "kernel/ingest.h"
#include "kernel/rules.h"

static void agent_usage(FILE *out)
{
    fprintf(out, "usage: lookout agent [--listen HOST:PORT] [--token-file FILE] [--node NAME]\n"
                 "                     [--config FILE] [--demo [--seed N] [--demo-time S]\n"
                 "                     [--demo-speed X]] [--demo-rate N]\n"
                 "                     [--port-file FILE]\n"
                 "       lookout agent --print-default-rules\n"
                 "       lookout agent --check-rules [--config FILE]\n"
                 "\n"
                 "Streams this node's kernel events: GET /events (JSON lines, chunked),\n"
                 "GET /metrics (Prometheus), GET /healthz. Defaults: listen 127.0.0.1:7070,\n"
                 "node = hostname, no token (then keep it on loopback). The token file must\n"
                 "be mode 0600; clients send 'Authorization: Bearer TOKEN'.\n"
                 "  --demo        serve the demo's simulated kernel events (testing)\n"
                 "  --demo-rate N instead, N made-up events a second, 6%% warn+, stamped\n"
                 "                with the wall clock (console load tests)\n"
                 "  --port-file   write the bound port there (with --listen HOST:0)\n"
                 "  --check-rules load the rules the config asks for, print every problem\n"
                 "                (file:line: message), exit 2 when there is one\n");
}

/* Fills unset options from the config's `agent` section. */
static void agent_defaults_from_config(const struct config *c, struct agent_opts *o, char *listen,
                                       char *token, char *node, size_t len)
{
    const struct ynode *s = config_section(c, "agent");
    char err[256];
    if (!s)
        return;
    if (!o->listen && yget_str(s, "listen", listen, len, err, sizeof(err)) == 1)
        o->listen = listen;
    if (!o->token_file && yget_path(s, "token_file", token, len, err, sizeof(err)) == 1)
        o->token_file = token;
    if (!o->node && yget_str(s, "node", node, len, err, sizeof(err)) == 1)
        o->node = node;
}

static int run_check_rules(const char *config_path)
{
    struct config c = {0};
    char err[512];
    if (config_load(&c, config_path, modules, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout agent: %s\n", err);
        config_free(&c);
        return 2;
    }
    struct engine e;
    engine_init(&e);
    struct kevent_ingest *ki = kevent_ingest_new(&e, &c, err, sizeof(err));
    int rc = 2;
    if (!ki) {
        fprintf(stderr, "lookout agent: %s\n", err);
    } else {
        const char *w = kevent_ingest_warnings(ki);
        fputs(w, stderr);
        printf("%d rules loaded%s\n", rules_count(kevent_ingest_rules(ki)),
               rules_jit(kevent_ingest_rules(ki)) ? " (PCRE2 JIT)" : "");
        rc = w[0] ? 2 : 0;
        kevent_ingest_free(ki);
    }
    engine_free(&e);
    config_free(&c);
    return rc;
}

/* The agent exists for kernel events: add the kernel source unless the app
 * already did (or --no-kernel / config turned it off). */
static bool has_kernel_source(const struct app *a)
{
    for (int i = 0; i < a->sources.count; i++)
        if (a->sources.items[i].ops == &kernel_source_ops)
            return true;
    return false;
}

/* A kernel source that cannot run here (no privileges, no BTF) is wanted
 * and missing: /readyz answers 503 naming it, and the log says why, which
 * the probe's body does not (it needs no token). */
static void say_kernel_unavailable(struct engine *e)
{
    const struct source_info *s = engine_get(e, T_SOURCES, "kernel");
    if (s && s->state == SRC_DISABLED)
        fprintf(stderr, "lookout agent: kernel source unavailable: %s; /readyz answers 503\n",
                s->error[0] ? s->error : "no reason given");
}

int cmd_agent(int argc, char **argv)
{
    enum { O_LISTEN = 256, O_TOKEN, O_NODE, O_PORT_FILE, O_RULES, O_CHECK_RULES, O_RATE, O_HELP };
    static const struct option opts[] = {
        {"listen", required_argument, 0, O_LISTEN},
        {"token-file", required_argument, 0, O_TOKEN},
        {"node", required_argument, 0, O_NODE},
        {"port-file", required_argument, 0, O_PORT_FILE},
        {"print-default-rules", no_argument, 0, O_RULES},
        {"check-rules", no_argument, 0, O_CHECK_RULES},
        {"demo-rate", required_argument, 0, O_RATE},
        {"help", no_argument, 0, O_HELP},
        APP_RUN_LONGOPTS,
        {0, 0, 0, 0},
    };
    struct agent_opts ao = {0};
    struct run_options opt = {.seed = 1, .demo_speed = 1};
    const char *port_file = NULL;
    bool check_rules = false;
    int rate = 0;
    double v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            ao.listen = optarg;
            break;
        case O_TOKEN:
            ao.token_file = optarg;
            break;
        case O_NODE:
            ao.node = optarg;
            break;
        case O_PORT_FILE:
            port_file = optarg;
            break;
        case O_CHECK_RULES:
            check_rules = true;
            break;
        case O_RATE:
            if (!app_parse_number(optarg, &v) || v < 1 || v > 100000 || v != (int)v) {
                fprintf(stderr, "lookout agent: --demo-rate: events a second, 1 to 100000\n");
                return 2;
            }
            rate = (int)v;
            break;
        case O_RULES:
            fputs(rules_default_yaml, stdout);
            return 0;
        case O_HELP:
        case 'h':
            agent_usage(stdout);
            return 0;
        default: {
            int rc = app_run_option(&opt, c, optarg, "lookout agent");
            if (rc == 0)
                agent_usage(stderr);
            if (rc <= 0)
                return 2;
        }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lookout agent: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (check_rules)
        return run_check_rules(opt.config_path);
    if (rate) { /* made-up events only: neither the story nor this host's kernel */
        opt.demo = false;
        opt.no_kernel = true;
    }
    static struct app app;
    char err[512];
    if (app_init(&app, &opt, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout agent: %s\n", err);
        app_free(&app);
        return 2;
    }
    if (!has_kernel_source(&app) && kernel_source_add(&app.mctx, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout agent: %s\n", err);
        app_free(&app);
        return 2;
    }
    /* what /readyz waits for: the kernel it watches, or the demo standing in
     * for it; with the kernel turned off on purpose, nothing in particular */
    ao.ready_kind = has_kernel_source(&app) ? "kernel" : opt.demo ? "demo" : NULL;
    char listen[256], token[256], node[256];
    agent_defaults_from_config(&app.config, &ao, listen, token, node, sizeof(listen));
    struct agent *ag = agent_start(&app.engine, app.loop, &ao, err, sizeof(err));
    if (!ag) {
        fprintf(stderr, "lookout agent: %s\n", err);
        app_free(&app);
        return 2;
    }
    struct agent_load *load = NULL;
    if (rate &&
        !(load = agent_load_start(&app.engine, app.loop, &app.config, rate, err, sizeof(err)))) {
        fprintf(stderr, "lookout agent: %s\n", err);
        agent_stop(ag);
        app_free(&app);
        agent_free(ag);
        return 2;
    }
    int sfd = loop_stop_on_signals(app.loop);
    app_start(&app);
    bool loopback = !ao.listen || strncmp(ao.listen, "127.", 4) == 0 ||
                    strncmp(ao.listen, "[::1]:", 6) == 0 ||
                    strncmp(ao.listen, "localhost:", 10) == 0;
    if (!ao.token_file && !loopback)
        fprintf(stderr,
                "lookout agent: warning: listening on %s without a token: anyone who "
                "can reach it sees this node's command lines and file paths\n",
                ao.listen);
    fprintf(stderr, "lookout agent: node %s listening on port %d%s\n", agent_node(ag),
            agent_port(ag), ao.token_file ? " (bearer token required)" : "");
    say_kernel_unavailable(&app.engine);
    if (port_file && httpd_write_port_file(port_file, agent_port(ag)) < 0)
        fprintf(stderr, "lookout agent: cannot write %s\n", port_file);
    loop_run(app.loop);
    agent_load_free(load);
    agent_stop(ag);
    loop_close_signals(app.loop, sfd);
    app_free(&app);
    agent_free(ag);
    return 0;
}
