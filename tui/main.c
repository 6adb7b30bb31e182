/* lookout: argument parsing and dispatch. Subcommands are headless and live
 * in engine/cmd_*.c; without one, Lookout runs the engine and either prints
 * one snapshot (--once --json) or draws the screen. */
#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/options.h"
#include "base/secret.h"
#include "cmd/commands.h"
#include "core/snapshot.h"
#include "core/summary.h"
#include "tui.h"

enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNKNOWN = 3 };

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    /* {"name", cmd_name, "one line"}, one row per subcommand */
    {"agent", cmd_agent, "node agent: serve kernel events over HTTP"},
    {"events", cmd_events, "kernel event stream as JSON lines (headless)"},
    {"nab", cmd_nab, "run an anomaly detector over Numenta Anomaly Benchmark series"},
    {"gate", cmd_gate, "deploy gate: may a deploy proceed given its SLO (exit 0/1/3)"},
    {"serve", cmd_serve, "headless engine with the deploy gate on HTTP (GET /v1/gate)"},
    {"slo", cmd_slo, "SLO specs (check) and burn rates, budget, alerts (status)"},
    {"postmortem", cmd_postmortem, "Markdown post-mortem of an incident from a --record file"},
    {"incidents", cmd_incidents, "incidents of a --record file in rank order (text or JSON)"},
    {"observe", cmd_observe, "watch a workload with eBPF for a while, write the evidence"},
    {"check", cmd_check, "judge an evidence file (copilot or offline), exit 0/1/3"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: lookout [options]             mission control in the terminal\n"
        "       lookout replay FILE [--speed N] [options]\n"
        "       lookout COMMAND [args]         (lookout COMMAND --help)\n"
        "\n"
        "options:\n"
        "  --demo                 run on the built-in simulated environment\n"
        "  --seed N               demo randomness (default 1); same seed, same story\n"
        "  --demo-time S          fast-forward the demo story to second S\n"
        "  --demo-speed X         simulated seconds per real second (default 1)\n"
        "  --no-kernel            no kernel events, even with the privileges\n"
        "  --host-kernel          with --demo: real kernel events beside the story\n"
        "  --once                 wait for every source's first sync, print, exit (needs --json)\n"
        "  --json                 the whole state as JSON (with --once or --run-for)\n"
        "  --timeout S            --once waits at most S seconds (default 10)\n"
        "  --record FILE          append every state change as JSON lines\n"
        "  --speed X              replay: X times the recorded pace (default 1; 0: at once)\n"
        "  --config FILE          config file (default $XDG_CONFIG_HOME/lookout/config.yaml)\n"
        "  --refresh MS           at most one frame per MS (default 1000)\n"
        "  --theme NAME           colour theme\n"
        "  --war-room             large numbers for a shared screen\n"
        "  --frames N             draw N frames and exit\n"
        "  --run-for S            run S seconds headless (no terminal), then exit;\n"
        "                         with --json print the final state\n"
        "  --copilot BACKEND      openai, openai-compat, azure, anthropic, ollama, offline\n"
        "                         (default: offline analysis; docs/copilot.md)\n"
        "  --attach URL           show a shared engine (lookout serve --share) at URL\n"
        "  --token-file FILE      its bearer token (0600 file; else $LOOKOUT_SERVE_TOKEN)\n"
        "  --context NAME         kubeconfig context\n"
        "  --namespace NS         limit Kubernetes to one namespace\n"
        "  --schema-doc           print the snapshot field reference (Markdown)\n"
        "  --help, --version\n"
        "\n"
        "exit codes: 0 ok, 1 failure or negative verdict, 2 usage or config error,\n"
        "            3 cannot tell (lookout gate, slo status, observe, check)\n");
    if (commands[0].name) {
        fprintf(out, "\ncommands:\n");
        for (const struct command *c = commands; c->name; c++)
            fprintf(out, "  %-12s %s\n", c->name, c->summary);
    }
}

enum {
    OPT_ONCE = 256,
    OPT_JSON,
    OPT_TIMEOUT,
    OPT_RECORD,
    OPT_REFRESH,
    OPT_THEME,
    OPT_WAR_ROOM,
    OPT_FRAMES,
    OPT_COPILOT,
    OPT_CONTEXT,
    OPT_NAMESPACE,
    OPT_SPEED,
    OPT_SCHEMA_DOC,
    OPT_INJECT_COMM,
    OPT_INJECT_PATH,
    OPT_INJECT_HOST_PRIV,
    OPT_HELP,
    OPT_VERSION,
    OPT_RUN_FOR,
    OPT_ATTACH,
    OPT_TOKEN_FILE,
};

static double run_for_s;       /* --run-for: headless run length, 0 = off */
static const char *token_file; /* --token-file: the --attach server's token */
static volatile sig_atomic_t stop_requested;

static const struct option long_options[] = {
    {"once", no_argument, 0, OPT_ONCE},
    {"json", no_argument, 0, OPT_JSON},
    {"timeout", required_argument, 0, OPT_TIMEOUT},
    {"record", required_argument, 0, OPT_RECORD},
    {"refresh", required_argument, 0, OPT_REFRESH},
    {"theme", required_argument, 0, OPT_THEME},
    {"war-room", no_argument, 0, OPT_WAR_ROOM},
    {"frames", required_argument, 0, OPT_FRAMES},
    {"run-for", required_argument, 0, OPT_RUN_FOR},
    {"copilot", required_argument, 0, OPT_COPILOT},
    {"context", required_argument, 0, OPT_CONTEXT},
    {"namespace", required_argument, 0, OPT_NAMESPACE},
    {"speed", required_argument, 0, OPT_SPEED},
    {"attach", required_argument, 0, OPT_ATTACH},
    {"token-file", required_argument, 0, OPT_TOKEN_FILE},
    {"schema-doc", no_argument, 0, OPT_SCHEMA_DOC},
    {"demo-inject-comm", required_argument, 0, OPT_INJECT_COMM},
    {"demo-inject-path", required_argument, 0, OPT_INJECT_PATH},
    {"demo-inject-host-priv", required_argument, 0, OPT_INJECT_HOST_PRIV},
    {"help", no_argument, 0, OPT_HELP},
    {"version", no_argument, 0, OPT_VERSION},
    APP_RUN_LONGOPTS,
    {0, 0, 0, 0},
};

/* want: what a valid value is, so the message says what to give instead */
static int bad_value(const char *opt, const char *value, const char *want)
{
    fprintf(stderr, "lookout: --%s: not a valid value: '%s' (%s)\n", opt, value, want);
    return EXIT_USAGE;
}

/* Fills opt from argv; returns -1 to go on, or an exit code. */
static int parse_options(int argc, char **argv, struct run_options *opt)
{
    int c;
    double v;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_ONCE:
            opt->once = true;
            break;
        case OPT_JSON:
            opt->json = true;
            break;
        case OPT_TIMEOUT:
            if (!app_parse_number(optarg, &v) || v <= 0)
                return bad_value("timeout", optarg, "seconds, more than 0");
            opt->timeout_s = v;
            break;
        case OPT_RECORD:
            opt->record_path = optarg;
            break;
        case OPT_REFRESH:
            if (!app_parse_number(optarg, &v) || v < 10 || v > 60000)
                return bad_value("refresh", optarg, "milliseconds, 10 to 60000");
            opt->refresh_ms = (int64_t)v;
            break;
        case OPT_THEME:
            opt->theme = optarg;
            break;
        case OPT_WAR_ROOM:
            opt->war_room = true;
            break;
        case OPT_FRAMES:
            if (!app_parse_number(optarg, &v) || v < 1)
                return bad_value("frames", optarg, "a count, 1 or more");
            opt->frames = (int)v;
            break;
        case OPT_RUN_FOR:
            if (!app_parse_number(optarg, &v) || v <= 0 || v > 86400 * 30)
                return bad_value("run-for", optarg, "seconds, more than 0, at most 30 days");
            run_for_s = v;
            break;
        case OPT_COPILOT:
            opt->copilot = optarg;
            break;
        case OPT_CONTEXT:
            opt->kube_context = optarg;
            break;
        case OPT_NAMESPACE:
            opt->kube_namespace = optarg;
            break;
        case OPT_SPEED:
            if (!app_parse_number(optarg, &v) || v < 0)
                return bad_value("speed", optarg, "a factor, 0 or more; 0: at once");
            opt->replay_speed = v;
            break;
        case OPT_ATTACH:
            opt->attach_url = optarg;
            break;
        case OPT_TOKEN_FILE:
            token_file = optarg;
            break;
        case OPT_SCHEMA_DOC:
            snapshot_print_doc(stdout);
            return EXIT_OK;
        case OPT_INJECT_COMM:
            opt->demo_inject_comm = optarg;
            break;
        case OPT_INJECT_PATH:
            opt->demo_inject_path = optarg;
            break;
        case OPT_INJECT_HOST_PRIV:
            if (!app_parse_number(optarg, &v) || v < 1 || v > 1e6)
                return bad_value("demo-inject-host-priv", optarg, "a story second, 1 to 1000000");
            opt->demo_host_priv_at = (int)v;
            break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case OPT_VERSION:
            printf("lookout %s\n", LOOKOUT_VERSION);
            return EXIT_OK;
        default: {
            int rc = app_run_option(opt, c, optarg, "lookout");
            if (rc < 0)
                return EXIT_USAGE;
            if (rc == 0) {
                usage(stderr);
                return EXIT_USAGE;
            }
        }
        }
    }
    return -1;
}

/* The snapshot on stdout, its summary brought up to date first: a run that
 * ends before the summary's one-second tick must not print the counts as
 * they were at start-up. */
static int print_snapshot(struct app *a)
{
    summary_refresh(&a->engine);
    return snapshot_print(&a->engine, stdout) < 0 ? EXIT_FAIL : EXIT_OK;
}

/* A kind none of whose sources delivered (every CI source, say) is a
 * failure a script must see: said on stderr, exit 1. */
static int failed_kinds_status(struct app *a)
{
    struct buf msg = {0};
    int failed = app_failed_kinds(a, &msg);
    fputs(buf_cstr(&msg), stderr);
    buf_free(&msg);
    return failed ? EXIT_FAIL : EXIT_OK;
}

static int run_once(struct app *a)
{
    if (!app_wait_first_sync(a, a->opt.timeout_s > 0 ? a->opt.timeout_s : 10))
        fprintf(stderr, "lookout: some sources did not finish their first sync in time\n");
    if (print_snapshot(a) != EXIT_OK)
        return EXIT_FAIL;
    return failed_kinds_status(a); /* the snapshot is printed either way */
}

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* --run-for: the engine and its sources without a terminal, for soak and
 * fault tests; SIGINT/SIGTERM end it early, cleanly (everything is freed). */
static int run_headless(struct app *a, double seconds)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t deadline = loop_mono_ms() + (int64_t)(seconds * 1000);
    while (!stop_requested) {
        int64_t left = deadline - loop_mono_ms();
        if (left <= 0)
            break;
        loop_run_once(a->loop, (int)(left < 100 ? left : 100));
    }
    if (a->opt.json && print_snapshot(a) != EXIT_OK)
        return EXIT_FAIL;
    /* As --once, at the end of the run; a run stopped by a signal was cut
     * short by whoever sent it, not judged. */
    return stop_requested ? EXIT_OK : failed_kinds_status(a);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN); /* a dead peer is an error return, not a death */
    /* Big buffers (a capped watch line, a page of CI jobs) come and go in
     * bursts. glibc raises its mmap threshold after such a buffer is freed,
     * so the next ones land on the heap and stay resident after a burst; a
     * fixed threshold keeps every block over 256 KiB in its own mapping,
     * given back to the system on free. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    if (argc > 1 && argv[1][0] != '-') {
        for (const struct command *c = commands; c->name; c++)
            if (strcmp(argv[1], c->name) == 0)
                return c->fn(argc - 1, argv + 1);
        if (strcmp(argv[1], "replay") != 0) {
            fprintf(stderr, "lookout: unknown command '%s' (lookout --help)\n", argv[1]);
            return EXIT_USAGE;
        }
    }
    struct run_options opt = {.seed = 1, .replay_speed = 1};
    bool replay = argc > 1 && strcmp(argv[1], "replay") == 0;
    int rc = parse_options(replay ? argc - 1 : argc, replay ? argv + 1 : argv, &opt);
    if (rc >= 0)
        return rc;
    int rest = optind + (replay ? 1 : 0);
    if (replay) {
        if (optind >= argc - 1) {
            fprintf(stderr, "lookout: replay needs a record file\n");
            return EXIT_USAGE;
        }
        opt.replay_path = argv[optind + 1];
        rest++;
    }
    if (rest < argc) {
        fprintf(stderr, "lookout: unexpected argument '%s'\n", argv[rest]);
        return EXIT_USAGE;
    }
    static char token[256];
    if (opt.attach_url) {
        if (app_share_token(token_file, token, sizeof(token), "lookout") < 0)
            return EXIT_USAGE;
        opt.attach_token = token;
    }
    /* Only the screen defers the BPF load past its first frame: the
     * headless runs want their sources ready when app_start returns. */
    opt.screen = !opt.once && run_for_s <= 0;
    static struct app app;
    char err[512];
    int init = app_init(&app, &opt, err, sizeof(err));
    secret_wipe(token, sizeof(token)); /* the attach source keeps its own copy */
    /* after the config's own errors, before any source starts: not after
     * --once has waited for their first sync */
    if (init == 0 && opt.once && !opt.json) {
        init = -1;
        snprintf(err, sizeof(err), "--once prints JSON only: add --json (lookout --once --json)");
    }
    if (init < 0) {
        fprintf(stderr, "lookout: %s\n", err);
        app_free(&app);
        return EXIT_USAGE;
    }
    app_start(&app);
    if (opt.once)
        rc = run_once(&app);
    else if (run_for_s > 0)
        rc = run_headless(&app, run_for_s);
    else
        rc = tui_run(&app);
    app_free(&app);
    return rc;
}
