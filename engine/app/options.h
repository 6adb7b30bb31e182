/* The options every command that runs the engine shares (the screen,
 * `lookout agent`, `lookout serve`): --config, --demo, --seed, --demo-time,
 * --demo-speed, --no-kernel, --host-kernel. Parsed once, here, with the same checks for
 * every command; each command adds APP_RUN_LONGOPTS to its own getopt table
 * and hands codes it does not know to app_run_option(). */
#ifndef LOOKOUT_APP_OPTIONS_H
#define LOOKOUT_APP_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

#include "core/module.h"

#define APP_RUN_OPT_BASE 2000
#define APP_RUN_LONGOPTS                                                                           \
    {"config", required_argument, NULL, APP_RUN_OPT_BASE + 0},                                     \
        {"demo", no_argument, NULL, APP_RUN_OPT_BASE + 1},                                         \
        {"seed", required_argument, NULL, APP_RUN_OPT_BASE + 2},                                   \
        {"demo-time", required_argument, NULL, APP_RUN_OPT_BASE + 3},                              \
        {"demo-speed", required_argument, NULL, APP_RUN_OPT_BASE + 4},                             \
        {"no-kernel", no_argument, NULL, APP_RUN_OPT_BASE + 5},                                    \
    {                                                                                              \
        "host-kernel", no_argument, NULL, APP_RUN_OPT_BASE + 6                                     \
    }

/* Handles one shared option: 1 when handled, 0 when the code is not one of
 * them, -1 on a bad value (the message, prefixed with cmd, is printed). */
int app_run_option(struct run_options *opt, int code, const char *arg, const char *cmd);
/* The bearer token of a shared engine (`serve --share`, `--attach`): the
 * private file's (base/secret checks it), else $LOOKOUT_SERVE_TOKEN, else
 * "". Never argv: a token there is in every `ps`. 0, or -1 with the
 * reason printed, prefixed with cmd. */
int app_share_token(const char *file, char *out, size_t outlen, const char *cmd);
/* A whole decimal number (strtod syntax, nothing after it). */
bool app_parse_number(const char *s, double *out);
/* A time limit: bare seconds ("90") or a duration ("90s", "5m"); not
 * strtod's prefix, which read "5m" as 5 seconds. */
bool app_parse_seconds(const char *s, double *out);
/* --timeout of a one-shot command: app_parse_seconds, above 0 and under a
 * day. 0, or -1 with the reason printed, prefixed with cmd. */
int app_parse_timeout(const char *cmd, const char *arg, double *out);

#endif
