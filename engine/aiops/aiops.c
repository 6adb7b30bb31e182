/* aiops_attach(): config section -> correlator + anomaly analyser. */
#include "aiops/aiops.h"
#include "slo/slo.h"

#include <string.h>

#include "aiops/anomaly.h"
#include "base/buf.h"
#include "aiops/correlate.h"

/* One app per process: the analysers live until the process ends or the
 * app is rebuilt (a second attach frees the first). */
static struct correlator *the_correlator;
static struct anomaly *the_anomaly;

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
    if (n->type == Y_SCALAR &&
        (strcmp(n->value, "robust") == 0 || strcmp(n->value, "context") == 0)) {
        str_copy(out, outlen, n->value);
        return 0;
    }
    return yerr(n, err, errlen, "aiops.detector: expected robust or context");
}

static int read_settings(const struct ynode *s, struct aiops_settings *out, char *err,
                         size_t errlen)
{
    out->enabled = true;
    out->threshold = 0.5;
    STR_COPY(out->detector, "robust");
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

void aiops_detach(void)
{
    anomaly_free(the_anomaly);
    correlator_free(the_correlator);
    the_anomaly = NULL;
    the_correlator = NULL;
}

int aiops_attach(struct app *a, char *err, size_t errlen)
{
    struct aiops_settings st;
    if (read_settings(config_section(&a->config, "aiops"), &st, err, errlen) < 0)
        return -1;
    aiops_detach();
    if (!st.enabled)
        return 0;
    the_correlator = correlator_new(&a->engine, &st.corr);
    struct anomaly_opts ao = {.threshold = st.threshold};
    STR_COPY(ao.detector, st.detector);
    detect_default_params(&ao.params, st.detector);
    the_anomaly = the_correlator ? anomaly_new(&a->engine, the_correlator, &ao) : NULL;
    if (!the_correlator || !the_anomaly) {
        aiops_detach();
        snprintf(err, errlen, "aiops: out of memory");
        return -1;
    }
    slo_leave_incidents_to_correlator(&a->engine);
    return 0;
}
