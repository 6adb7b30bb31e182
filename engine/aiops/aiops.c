/* The AIOps module: config section -> correlator + anomaly analyser. */
#include "aiops/aiops.h"

#include <stdlib.h>
#include <string.h>

#include "aiops/anomaly.h"
#include "aiops/correlate.h"
#include "base/buf.h"
#include "slo/slo.h"

/* The module's state: both analysers of one engine. */
struct aiops {
    struct correlator *correlator;
    struct anomaly *anomaly;
};

struct aiops_settings {
    bool enabled;
    double threshold;
    char detector[16];
    struct correlate_opts corr;
};

/* aiops.detector: one of detector_names except rcf (a forest per series
 * costs ~800 KiB; rcf runs on the per-pod kernel vectors anyway). */
static int read_detector(const struct ynode *s, char *out, size_t outlen, char *err, size_t errlen)
{
    const struct ynode *n = ymap_get(s, "detector");
    if (!n)
        return 0;
    if (n->type == Y_SCALAR && (strcmp(n->value, "robust") == 0 ||
                                strcmp(n->value, "context") == 0 || strcmp(n->value, "cad") == 0)) {
        str_copy(out, outlen, n->value);
        return 0;
    }
    return yerr(n, err, errlen, "aiops.detector: expected robust, context or cad");
}

static int read_settings(const struct ynode *s, struct aiops_settings *out, char *err,
                         size_t errlen)
{
    out->enabled = true;
    out->threshold = 0.5;
    STR_COPY(out->detector, "context"); /* the leave-one-folder-out winner (docs/aiops.md) */
    correlate_default_opts(&out->corr);
    if (!s)
        return 0;
    static const char *const keys[] = {"enabled",  "threshold",     "detector", "quiet",
                                       "lookback", "deploy_window", NULL};
    if (s->type != Y_MAP)
        return yerr(s, err, errlen, "aiops: expected a mapping");
    if (ycheck_keys(s, keys, err, errlen) < 0 ||
        yget_bool(s, "enabled", &out->enabled, err, errlen) < 0 ||
        yget_double(s, "threshold", &out->threshold, err, errlen) < 0 ||
        read_detector(s, out->detector, sizeof(out->detector), err, errlen) < 0 ||
        yget_duration(s, "quiet", &out->corr.quiet_ms, err, errlen) < 0 ||
        yget_duration(s, "lookback", &out->corr.lookback_ms, err, errlen) < 0 ||
        yget_duration(s, "deploy_window", &out->corr.deploy_window_ms, err, errlen) < 0)
        return -1;
    if (!(out->threshold > 0 && out->threshold <= 1))
        return yerr(ymap_get(s, "threshold"), err, errlen,
                    "aiops.threshold: expected a score in (0, 1]");
    if (out->corr.quiet_ms <= 0 || out->corr.lookback_ms < 0 || out->corr.deploy_window_ms < 0)
        return yerr(s, err, errlen, "aiops: durations must be positive");
    return 0;
}

int aiops_config_check(const struct ynode *section, char *err, size_t errlen)
{
    struct aiops_settings st;
    return read_settings(section, &st, err, errlen);
}

static void aiops_teardown(void *state)
{
    struct aiops *st = state;
    anomaly_free(st->anomaly);
    correlator_free(st->correlator);
    free(st);
}

static int aiops_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    struct aiops_settings st;
    if (read_settings(config_section(ctx->config, "aiops"), &st, err, errlen) < 0)
        return -1;
    if (!st.enabled)
        return 0;
    struct aiops *a = calloc(1, sizeof(*a));
    struct anomaly_opts ao = {.threshold = st.threshold};
    STR_COPY(ao.detector, st.detector);
    detect_default_params(&ao.params, st.detector);
    if (a)
        a->correlator = correlator_new(ctx->engine, &st.corr);
    if (a && a->correlator)
        a->anomaly = anomaly_new(ctx->engine, a->correlator, &ao);
    if (!a || !a->anomaly) {
        if (a)
            aiops_teardown(a);
        snprintf(err, errlen, "aiops: out of memory");
        return -1;
    }
    *state = a;
    slo_leave_incidents_to_correlator(ctx->engine);
    return 0;
}

static const struct module_section aiops_sections[] = {
    {"aiops", aiops_config_check},
    {NULL, NULL},
};

const struct module aiops_module = {
    .name = "aiops",
    .sections = aiops_sections,
    .setup = aiops_setup,
    .teardown = aiops_teardown,
};
