/* `lookout serve --listen HOST:PORT`: the engine headless, with the deploy
 * gate on HTTP (GET /v1/gate?slo=NAME, Argo Rollouts web metric shape) and
 * GET /healthz (alive) and /readyz (every source reporting), until SIGINT/SIGTERM. With --share,
 * the engine's state as a stream for `lookout --attach` viewers (share/hub.h, docs/share.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/options.h"
#include "base/buf.h"
#include "cmd/commands.h"
#include "slo/gate.h"
#include "base/httpd.h"
#include "base/secret.h"
#include "base/yaml_tree.h"
#include "copilot/copilot.h"
#include "core/source.h"
#include "share/hub.h"

static void on_health(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)r;
    (void)ud;
    httpd_respond(c, 200, "text/plain", "ok\n", 3);
}

/* Readiness, apart from liveness: a gate whose Prometheus is down answers
 * "unknown", alive but not ready, and a probe or a check can tell. */
static void on_ready(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)r;
    struct buf b = {0};
    bool ready = source_ready(ud, NULL, &b);
    httpd_respond(c, ready ? 200 : 503, "text/plain", buf_cstr(&b), b.len);
    buf_free(&b);
}

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: lookout serve [--listen HOST:PORT] [--port-file FILE] [--config FILE]\n"
            "                     [--record FILE] [--timeout DURATION]\n"
            "                     [--share [--name NAME] [--share-lag KIB]] [--token-file FILE]\n"
            "                     [--demo [--seed N] [--demo-time S] [--demo-speed X]]\n"
            "No local kernel events (--no-kernel is implied): the security verdict reads\n"
            "the config's agents (lookout agent on each node) or the demo's events.\n"
            "--timeout: each Prometheus query (default prometheus.timeout, else 10s).\n"
            "GET /v1/gate?slo=NAME[&policy=page|ticket][&min_budget=X]\n"
            "  [&namespace=NS&security=warning|critical[&since=10m]] -> 200\n"
            "{\"data\":{\"ok\":..,\"decision\":\"allow|block|unknown\",\"reason\":..}}; GET "
            "/healthz (alive),\nGET /readyz (200 when every source reports, else 503 naming "
            "them).\n--share: GET /v1/stream (the state, then every change, for lookout "
            "--attach)\nand POST /v1/copilot/ask?kind=K&key=KEY; NAME (default: the host name) "
            "is what\nviewers show; a viewer more than KIB (4096) past its snapshot is cut. Away\n"
            "from loopback --share needs a token.\n"
            "A bearer token is required when --token-file (a 0600 file) or\n"
            "LOOKOUT_SERVE_TOKEN gives one.\n");
    return rc;
}

/* Whether addr ("HOST:PORT") listens on this host only. */
static bool loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]:", 6) == 0 ||
           strncmp(addr, "localhost:", 10) == 0;
}

static void hostname_or(char *out, size_t outlen, const char *fallback)
{
    char host[256];
    if (gethostname(host, sizeof(host)) < 0 || !host[0])
        snprintf(host, sizeof(host), "%s", fallback);
    host[sizeof(host) - 1] = '\0';
    snprintf(out, outlen, "%s", host);
}

int cmd_serve(int argc, char **argv)
{
    enum {
        O_LISTEN = 1,
        O_PORTFILE,
        O_RECORD,
        O_TIMEOUT,
        O_SHARE,
        O_NAME,
        O_TOKEN_FILE,
        O_SHARE_LAG
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"share", no_argument, NULL, O_SHARE},
        {"name", required_argument, NULL, O_NAME},
        {"token-file", required_argument, NULL, O_TOKEN_FILE},
        {"share-lag", required_argument, NULL, O_SHARE_LAG},
        {"port-file", required_argument, NULL, O_PORTFILE},
        {"record", required_argument, NULL, O_RECORD},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        APP_RUN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct run_options opt = {.seed = 1, .replay_speed = 1, .no_kernel = true};
    const char *listen = "127.0.0.1:7071", *port_file = NULL, *name = NULL, *token_file = NULL;
    bool share = false;
    double lag_kib = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            listen = optarg;
            break;
        case O_PORTFILE:
            port_file = optarg;
            break;
        case O_SHARE:
            share = true;
            break;
        case O_NAME:
            name = optarg;
            break;
        case O_TOKEN_FILE:
            token_file = optarg;
            break;
        case O_SHARE_LAG:
            if (!app_parse_number(optarg, &lag_kib) || lag_kib < 16 || lag_kib > 1048576) {
                fprintf(stderr,
                        "lookout serve: --share-lag '%.100s': want KiB from 16 to "
                        "1048576 (4096)\n",
                        optarg);
                return 2;
            }
            break;
        case O_RECORD: /* what a headless engine did, as `lookout --record` writes it */
            opt.record_path = optarg;
            break;
        case O_TIMEOUT:
            if (parse_duration_ms(optarg, &opt.prom_timeout_ms) < 0 || opt.prom_timeout_ms < 100 ||
                opt.prom_timeout_ms > 600000) {
                fprintf(stderr,
                        "lookout serve: --timeout '%.100s': want a duration from 100ms to 10m "
                        "(10s)\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            return usage(0);
        default: {
            int rc = app_run_option(&opt, c, optarg, "lookout serve");
            if (rc == 0)
                return usage(2);
            if (rc < 0)
                return 2;
        }
        }
    }
    if (optind < argc)
        return usage(2);
    static char token[256];
    if (app_share_token(token_file, token, sizeof(token), "lookout serve") < 0)
        return 2;
    if (share && !token[0] && !loopback(listen)) {
        /* the whole state (pods, incidents, the copilot's answers) to anyone who asks */
        fprintf(stderr,
                "lookout serve: --share on %s needs a token (--token-file or "
                "LOOKOUT_SERVE_TOKEN); without one, listen on loopback only\n",
                listen);
        return 2;
    }
    static struct app app;
    char err[512];
    if (app_init(&app, &opt, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout serve: %s\n", err);
        app_free(&app);
        return 2;
    }
    struct httpd *h = httpd_new(app.loop, listen, err, sizeof(err));
    if (!h) {
        fprintf(stderr, "lookout serve: %s\n", err);
        app_free(&app);
        return 2;
    }
    if (token[0])
        httpd_set_token(h, token);
    secret_wipe(token, sizeof(token));
    httpd_route(h, "/v1/gate", gate_httpd_handler, &app.engine);
    httpd_route(h, "/healthz", on_health, NULL);
    httpd_route(h, "/readyz", on_ready, &app.engine);
    struct share_hub *hub = NULL;
    if (share) {
        char host[NAME_LEN];
        hostname_or(host, sizeof(host), "lookout");
        hub = share_hub_new(&app.engine, app.loop, h, name ? name : host,
                            app_module_state(&app, &copilot_module), (size_t)lag_kib * 1024, err,
                            sizeof(err));
        if (!hub) {
            fprintf(stderr, "lookout serve: %s\n", err);
            httpd_free(h);
            app_free(&app);
            return 2;
        }
    }
    int sfd = loop_stop_on_signals(app.loop);
    app_start(&app);
    fprintf(stderr, "lookout serve: listening on port %d\n", httpd_port(h));
    if (port_file && httpd_write_port_file(port_file, httpd_port(h)) < 0)
        fprintf(stderr, "lookout serve: cannot write %s\n", port_file);
    loop_run(app.loop);
    loop_close_signals(app.loop, sfd);
    httpd_free(h); /* first: closing the streams goes through the hub */
    share_hub_free(hub);
    app_free(&app);
    return 0;
}
