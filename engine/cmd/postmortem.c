/* lookout postmortem --from RECORD.jsonl [--copilot BACKEND] [-o FILE]
 *
 * Rebuilds the engine's state from a --record file, asks the copilot about
 * the incident (same redaction, pseudonyms, caps and audit as live; the
 * offline analysis when no backend is given), waits for the streamed answer
 * and writes the Markdown post-mortem. Exit 0 ok, 1 the backend failed (the
 * timeline is still written, with the error), 2 usage or input error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/options.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "copilot/copilot.h"
#include "core/engine.h"
#include "base/http.h"
#include "base/textsafe.h"
#include "base/loop.h"
#include "copilot/postmortem.h"
#include "core/incident.h"
#include "core/record.h"

struct pm_opts {
    const char *from;
    const char *backend;
    const char *out;
    const char *incident;
    const char *config;
    double timeout_s;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: lookout postmortem --from RECORD.jsonl [--copilot BACKEND] "
               "[-o|--output FILE] [--incident ID] [--config FILE] [--timeout 150s]\n");
}

/* 0: run; 1: --help was printed; -1: a usage error. */
static int parse(int argc, char **argv, struct pm_opts *o)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'},   {"copilot", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'}, {"incident", required_argument, NULL, 'i'},
        {"config", required_argument, NULL, 'C'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    *o = (struct pm_opts){.timeout_s = 150};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "f:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->from = optarg;
            break;
        case 'c':
            o->backend = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'i':
            o->incident = optarg;
            break;
        case 'C':
            o->config = optarg;
            break;
        case 't':
            if (app_parse_timeout("postmortem", optarg, &o->timeout_s) < 0)
                return -1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            return -1;
        }
    }
    if (!o->from || optind != argc)
        return -1;
    return 0;
}

static bool settled(const struct copilot_answer *a)
{
    return a && (a->state == COP_DONE || a->state == COP_ERROR || a->state == COP_CAPPED);
}

/* Asks and runs the loop until the answer settles or the time is up. */
static const struct copilot_answer *ask(struct engine *e, struct copilot *c, struct loop *l,
                                        const char *id, double timeout_s, char *err, size_t errlen)
{
    if (copilot_ask(c, "incident", id, err, errlen) < 0)
        return NULL;
    int64_t deadline = loop_mono_ms() + (int64_t)(timeout_s * 1000);
    const struct copilot_answer *a;
    while (!settled(a = engine_get(e, T_COPILOT, id)) || copilot_busy(c)) {
        if (loop_mono_ms() > deadline) {
            snprintf(err, errlen, "no answer within %.0f s", timeout_s);
            return a;
        }
        loop_run_once(l, 100);
    }
    return a;
}

static int write_out(const char *path, const struct buf *md)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "lookout postmortem: %s: %m\n", path);
        return -1;
    }
    bool ok = fwrite(md->data ? md->data : "", 1, md->len, f) == md->len;
    if (path)
        ok = fclose(f) == 0 && ok;
    else
        ok = fflush(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "lookout postmortem: %s: %m\n", path ? path : "stdout");
    return ok ? 0 : -1;
}

/* A wrong or missing id: say which ones the record holds, best first. */
static void no_such_incident(struct engine *e, const struct pm_opts *o)
{
    const struct incident *v[256];
    int n = incident_ranked(e, v, 256);
    if (o->incident)
        fprintf(stderr, "lookout postmortem: %s: no incident %s", o->from, o->incident);
    else
        fprintf(stderr, "lookout postmortem: %s: no incident in the record", o->from);
    char safe[sizeof(v[0]->id) * 4];
    for (int i = 0; i < n; i++) {
        ts_sanitize(v[i]->id, (size_t)-1, safe, sizeof safe, false);
        fprintf(stderr, "%s%s", i ? ", " : "; valid ids: ", safe);
    }
    fputc('\n', stderr);
}

static int run(const struct pm_opts *o, struct engine *e, struct config *cfg)
{
    char err[512] = "";
    if (record_load_file(e, o->from, "lookout postmortem") <= 0) {
        fprintf(stderr, "lookout postmortem: %s: no state in the record\n", o->from);
        return 2;
    }
    char why[200] = "named by --incident";
    const struct incident *inc = o->incident ? engine_get(e, T_INCIDENTS, o->incident)
                                             : incident_current(e, why, sizeof why);
    if (!inc) {
        no_such_incident(e, o);
        return 2;
    }
    char id[sizeof(inc->id)];
    STR_COPY(id, inc->id);
    struct copilot_settings s;
    if (copilot_settings_load(cfg, o->backend, &s, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout postmortem: %s\n", err);
        return 2;
    }
    s.auto_trigger = false; /* only the question asked here */
    struct loop *l = loop_new();
    struct http *h = l ? http_new(l) : NULL;
    struct copilot *c = h ? copilot_new(e, l, h, &s, err, sizeof(err)) : NULL;
    copilot_settings_clear(&s);
    int rc = 2;
    if (!c) {
        fprintf(stderr, "lookout postmortem: %s\n", err[0] ? err : "cannot start");
    } else {
        /* a copilot answer replayed from the record is not this run's answer */
        engine_remove(e, T_COPILOT, id);
        const struct copilot_answer *a = ask(e, c, l, id, o->timeout_s, err, sizeof(err));
        struct buf md = {0};
        postmortem_markdown(e, id, why, a, &md);
        if (!a && err[0])
            buf_printf(&md, "\n> **Copilot error:** %s\n", err);
        bool ok = a && a->state == COP_DONE && !a->incomplete && !a->error[0];
        if (!ok)
            fprintf(stderr, "lookout postmortem: copilot: %s\n",
                    a && a->error[0] ? a->error
                    : err[0]         ? err
                                     : "incomplete answer");
        rc = write_out(o->out, &md) < 0 ? 2 : ok ? 0 : 1;
        char safe[sizeof id * 4];
        ts_sanitize(id, (size_t)-1, safe, sizeof safe, false);
        if (rc != 2)
            fprintf(stderr, "wrote %s (%s) to %s\n", safe, why, o->out ? o->out : "stdout");
        buf_free(&md);
    }
    copilot_free(c);
    http_free(h);
    loop_free(l);
    return rc;
}

int cmd_postmortem(int argc, char **argv)
{
    struct pm_opts o;
    int parsed = parse(argc, argv, &o);
    if (parsed != 0) {
        if (parsed < 0)
            usage(stderr);
        return parsed < 0 ? 2 : 0;
    }
    struct config cfg;
    char err[512];
    if (config_load(&cfg, o.config, modules, err, sizeof(err)) < 0) {
        fprintf(stderr, "lookout postmortem: %s\n", err);
        return 2;
    }
    struct engine *e = calloc(1, sizeof(*e));
    if (!e) {
        config_free(&cfg);
        return 2;
    }
    engine_init(e);
    int rc = run(&o, e, &cfg);
    engine_free(e);
    free(e);
    config_free(&cfg);
    return rc;
}
