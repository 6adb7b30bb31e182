/* `lookout serve --listen HOST:PORT`: the engine headless, with the deploy
 * gate on HTTP (GET /v1/gate?slo=NAME, Argo Rollouts web metric shape) and
 * GET /healthz, until SIGINT/SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/options.h"
#include "cmd/commands.h"
#include "slo/gate.h"
#include "base/httpd.h"
#include "base/yaml_tree.h"

static void on_health(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)r;
    (void)ud;
    httpd_respond(c, 200, "text/plain", "ok\n", 3);
}

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: lookout serve [--listen HOST:PORT] [--port-file FILE] [--config FILE]\n"
            "                     [--record FILE] [--timeout DURATION]\n"
            "                     [--demo [--seed N] [--demo-time S]] [--no-kernel]\n"
            "--timeout: each Prometheus query (default prometheus.timeout, else 10s).\n"
            "GET /v1/gate?slo=NAME[&policy=page|ticket][&min_budget=X]\n"
            "  [&namespace=NS&security=warning|critical[&since=10m]] -> 200\n"
            "{\"data\":{\"ok\":..,\"decision\":\"allow|block|unknown\",\"reason\":..}}; GET "
            "/healthz.\nA bearer token is required when LOOKOUT_SERVE_TOKEN is set.\n");
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    enum { O_LISTEN = 1, O_PORTFILE, O_RECORD, O_TIMEOUT };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"port-file", required_argument, NULL, O_PORTFILE},
        {"record", required_argument, NULL, O_RECORD},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        APP_RUN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct run_options opt = {.seed = 1, .replay_speed = 1, .no_kernel = true};
    const char *listen = "127.0.0.1:7071", *port_file = NULL;
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
    const char *token = getenv("LOOKOUT_SERVE_TOKEN");
    if (token && token[0])
        httpd_set_token(h, token);
    httpd_route(h, "/v1/gate", gate_httpd_handler, &app.engine);
    httpd_route(h, "/healthz", on_health, NULL);
    int sfd = loop_stop_on_signals(app.loop);
    app_start(&app);
    fprintf(stderr, "lookout serve: listening on port %d\n", httpd_port(h));
    if (port_file && httpd_write_port_file(port_file, httpd_port(h)) < 0)
        fprintf(stderr, "lookout serve: cannot write %s\n", port_file);
    loop_run(app.loop);
    loop_close_signals(app.loop, sfd);
    httpd_free(h);
    app_free(&app);
    return 0;
}
