/* What `lookout slo status` and `lookout gate` share: options naming the
 * SLO definitions and the Prometheus server, and a one-shot evaluation. */
#ifndef LOOKOUT_SLO_CLI_H
#define LOOKOUT_SLO_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/engine.h"
#include "slo/prometheus.h"

#define SLO_CLI_MAX_SPECS 16

struct slo_cli {
    const char *config_path;
    const char *prometheus_url;
    const char *tenant;
    const char *specs[SLO_CLI_MAX_SPECS];
    int nspecs;
    int64_t at_ms;   /* 0: now */
    long timeout_ms; /* --timeout: per Prometheus query; 0: the config's (10 s) */
    bool json;
    const char *want; /* the SLO asked for (--slo), resolved before any query */
    char id[96];      /* what want resolved to */
};

/* Handles one shared option (getopt_long codes from SLO_CLI_LONGOPTS);
 * returns 1 when handled, 0 when not ours, -1 on a bad value (with err). */
int slo_cli_option(struct slo_cli *o, int code, const char *arg, char *err, size_t errlen);
#define SLO_CLI_OPT_BASE 1000
#define SLO_CLI_LONGOPTS                                                                           \
    {"config", required_argument, NULL, SLO_CLI_OPT_BASE + 0},                                     \
        {"prometheus", required_argument, NULL, SLO_CLI_OPT_BASE + 1},                             \
        {"slo-spec", required_argument, NULL, SLO_CLI_OPT_BASE + 2},                               \
        {"at", required_argument, NULL, SLO_CLI_OPT_BASE + 3},                                     \
        {"json", no_argument, NULL, SLO_CLI_OPT_BASE + 4},                                         \
        {"tenant", required_argument, NULL, SLO_CLI_OPT_BASE + 5},                                 \
    {                                                                                              \
        "timeout", required_argument, NULL, SLO_CLI_OPT_BASE + 6                                   \
    }

/* Loads definitions into e and evaluates them at o->at_ms. With o->want set,
 * resolves it into o->id first (slo/names.h), so a typo is refused before
 * any query. Returns 0, or -1 with a message for a
 * usage/config error (exit 2). *failed counts queries that got no answer
 * (the SLOs then carry an error and read as unknown). */
int slo_cli_evaluate(struct slo_cli *o, struct engine *e, int *failed, char *err, size_t errlen);

#endif
