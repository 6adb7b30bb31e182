/* The options shared by every command that runs the engine (see options.h). */
#include "app/options.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/secret.h"
#include "base/yaml_tree.h"

int app_share_token(const char *file, char *out, size_t outlen, const char *cmd)
{
    char err[512];
    if (file && secret_file_read(file, out, outlen, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: --token-file %s\n", cmd, err);
        return -1;
    }
    if (!file) {
        const char *env = getenv("LOOKOUT_SERVE_TOKEN");
        snprintf(out, outlen, "%s", env ? env : "");
    }
    return 0;
}

bool app_parse_number(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end)
        return false;
    *out = v;
    return true;
}

bool app_parse_seconds(const char *s, double *out)
{
    int64_t ms;
    if (app_parse_number(s, out))
        return true;
    if (parse_duration_ms(s, &ms) < 0)
        return false;
    *out = (double)ms / 1000.0;
    return true;
}

int app_parse_timeout(const char *cmd, const char *arg, double *out)
{
    if (app_parse_seconds(arg, out) && *out > 0 && *out < 86400) /* NaN fails here too */
        return 0;
    fprintf(stderr,
            "lookout %s: bad --timeout '%s' (seconds or a duration: 90, 90s, 5m; under a day)\n",
            cmd, arg);
    return -1;
}

/* want: what a valid value is, so the message says what to give instead */
static int bad_value(const char *cmd, const char *opt, const char *value, const char *want)
{
    fprintf(stderr, "%s: --%s: not a valid value: '%s' (%s)\n", cmd, opt, value, want);
    return -1;
}

int app_run_option(struct run_options *opt, int code, const char *arg, const char *cmd)
{
    double v;
    switch (code - APP_RUN_OPT_BASE) {
    case 0:
        opt->config_path = arg;
        return 1;
    case 1:
        opt->demo = true;
        return 1;
    case 2: /* compared before the cast: a double past 2^64 has no uint64_t */
        if (!app_parse_number(arg, &v) || v < 0 || v >= 18446744073709551616.0)
            return bad_value(cmd, "seed", arg, "0 or more");
        opt->seed = (uint64_t)v;
        return 1;
    case 3:
        if (!app_parse_number(arg, &v) || v < 0 || v > 86400 * 30)
            return bad_value(cmd, "demo-time", arg, "a story second, 0 to 30 days");
        opt->demo_time_s = v;
        return 1;
    case 4:
        if (!app_parse_number(arg, &v) || v <= 0 || v > 1000)
            return bad_value(cmd, "demo-speed", arg,
                             "simulated seconds a second, more than 0, at most 1000");
        opt->demo_speed = v;
        return 1;
    case 5:
        opt->no_kernel = true;
        return 1;
    case 6:
        opt->host_kernel = true;
        return 1;
    default:
        return 0;
    }
}
