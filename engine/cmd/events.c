/* `lookout events`: the kernel event stream, headless, one JSON object per
 * line (the kevent schema), for tests, benchmarks and quick looks. Prints
 * "ready" on stderr once the programs are attached, runs until SIGINT or
 * SIGTERM (or --for SECONDS), then drains the ring and prints a last line
 * {"kstats": {...}} with the kernel counters. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "core/engine.h"
#include "kernel/config.h"
#include "kernel/source.h"
#include "base/loop.h"
#include "core/source.h"

struct events_run {
    struct loop *loop;
    bool print;
    uint64_t count;
    FILE *out;
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: lookout events [--json-lines] [--ring-size SIZE] [--kinds LIST] [--for SECONDS]\n"
        "                      [--count] [--config FILE]\n"
        "  --json-lines       one kevent JSON object per line on stdout (the default)\n"
        "  --ring-size SIZE   BPF ring buffer size, e.g. 64KiB, 8MiB (default from config, 8MiB)\n"
        "  --kinds LIST       only these kinds, e.g. exec,exit,open (default: all)\n"
        "  --for SECONDS      stop after this long (default: until SIGINT/SIGTERM)\n"
        "  --count            print no events, only the final counters\n"
        "Prints \"ready\" on stderr once attached; needs root or CAP_BPF+CAP_PERFMON.\n");
}

static void on_kevent(struct engine *e, int table, const void *obj, void *ud)
{
    (void)e;
    struct events_run *r = ud;
    if (table != OBS_KEVENT || !obj)
        return;
    r->count++;
    if (!r->print)
        return;
    cJSON *j = schema_to_json(&kevent_schema, obj);
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    if (s) {
        fputs(s, r->out);
        fputc('\n', r->out);
    }
    free(s);
    cJSON_Delete(j);
}

static void on_deadline(void *ud)
{
    loop_stop(((struct events_run *)ud)->loop);
}

static int parse_kinds(const char *list, struct kernel_options *o)
{
    bool want[LO_KIND_MAX] = {false};
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < LO_KIND_MAX && strcmp(lo_kind_names[k], tok) != 0)
            k++;
        if (k == LO_KIND_MAX)
            return -1;
        want[k] = true;
    }
    for (int k = 0; k < LO_KIND_MAX; k++)
        o->kind_on[k] = want[k];
    o->kind_on[LO_FORK] = true;     /* the process table */
    o->kind_on[LO_THROTTLE] = true; /* always shown when the rate limit bites */
    return 0;
}

static void print_kstats(struct engine *e, FILE *out)
{
    const struct kstats *k = engine_get(e, T_KSTATS, "kernel");
    if (!k)
        return;
    cJSON *wrap = cJSON_CreateObject();
    cJSON_AddItemToObject(wrap, "kstats", schema_to_json(&kstats_schema, k));
    char *s = cJSON_PrintUnformatted(wrap);
    if (s)
        fprintf(out, "%s\n", s);
    free(s);
    cJSON_Delete(wrap);
}

static int run(struct config *cfg, const struct kernel_options *o, double for_s, bool print)
{
    struct engine e;
    engine_init(&e);
    struct events_run r = {.loop = loop_new(), .print = print, .out = stdout};
    if (!r.loop) {
        engine_free(&e);
        return 1;
    }
    engine_advance(&e, loop_wall_ms());
    engine_observe(&e, on_kevent, &r);

    int sfd = loop_stop_on_signals(r.loop);

    struct source_set set = {0};
    struct source_ctx ctx = {.engine = &e, .loop = r.loop, .config = cfg};
    source_add(&set, &kernel_source_ops, "kernel", &ctx, kernel_source_new(o));
    source_start_all(&set);
    const struct source_info *si = engine_get(&e, T_SOURCES, "kernel");
    int rc = 0;
    if (!si || si->state == SRC_FAILED || si->state == SRC_DISABLED) {
        fprintf(stderr, "lookout events: %s\n", si && si->error[0] ? si->error : "cannot start");
        rc = 1;
    } else {
        fprintf(stderr, "ready%s%s\n", si->error[0] ? ": " : "", si->error);
        if (for_s > 0)
            loop_timer_start(r.loop, (int64_t)(for_s * 1000), on_deadline, &r);
        while (!loop_stopped(r.loop)) {
            loop_run_once(r.loop, 200);
            engine_advance(&e, loop_wall_ms());
            if (print)
                fflush(stdout);
        }
        kernel_source_flush(&set.items[0]);
        print_kstats(&e, stdout);
        fflush(stdout);
        if (!print)
            fprintf(stderr, "events: %llu\n", (unsigned long long)r.count);
        /* For make bench: a flood must not hold the loop (target < 50 ms). */
        int64_t wall_us, cpu_us;
        loop_longest_turn(r.loop, &wall_us, &cpu_us);
        fprintf(stderr, "longest loop turn: %.1f ms (on the CPU: %.1f ms)\n",
                (double)wall_us / 1000.0, (double)cpu_us / 1000.0);
    }
    source_stop_all(&set);
    loop_close_signals(r.loop, sfd);
    loop_free(r.loop);
    engine_free(&e);
    return rc;
}

int cmd_events(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json-lines", no_argument, NULL, 'j'},  {"ring-size", required_argument, NULL, 'r'},
        {"kinds", required_argument, NULL, 'k'}, {"for", required_argument, NULL, 'f'},
        {"count", no_argument, NULL, 'c'},       {"config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *ring = NULL, *kinds = NULL, *config_path = NULL;
    double for_s = 0;
    bool print = true;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            break;
        case 'r':
            ring = optarg;
            break;
        case 'k':
            kinds = optarg;
            break;
        case 'f':
            for_s = atof(optarg);
            break;
        case 'c':
            print = false;
            break;
        case 'C':
            config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lookout events: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char err[512];
    struct config cfg;
    if (config_load(&cfg, config_path, modules, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout events: %s\n", err);
        return 2;
    }
    struct kernel_options o;
    bool enabled;
    int rc = 2;
    if (kernel_options_from_config(&cfg, &o, &enabled, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout events: %s\n", err);
        goto out;
    }
    if (ring) {
        int64_t bytes = parse_size_bytes(ring);
        if (bytes < 4096 || bytes > (1ll << 30)) {
            fprintf(stderr, "lookout events: --ring-size: a size from 4KiB to 1GiB\n");
            goto out;
        }
        o.ring_bytes = ring_size_round(bytes);
    }
    if (kinds && parse_kinds(kinds, &o) < 0) {
        fprintf(stderr, "lookout events: --kinds: unknown kind in '%s'\n", kinds);
        goto out;
    }
    rc = run(&cfg, &o, for_s, print);
out:
    config_free(&cfg);
    return rc;
}
