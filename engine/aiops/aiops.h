/* AIOps wiring: the anomaly analyser and the correlator attached to the
 * app's engine, configured from the `aiops` config section:
 *
 *   aiops:
 *     enabled: true          # false: no detectors, no correlation
 *     threshold: 0.5         # anomaly score that makes an anomaly item
 *     quiet: 10m             # an incident closes after this long without signals
 *     lookback: 15m          # signals this long before an incident opens join it
 *     deploy_window: 1h      # deploys this long before the trouble are candidate causes
 */
#ifndef LOOKOUT_AIOPS_H
#define LOOKOUT_AIOPS_H

#include <stddef.h>

#include "base/yaml_tree.h"
#include "core/module.h"

/* The AIOps module: its setup makes the correlator and the anomaly analyser
 * (its state), teardown frees them. */
extern const struct module aiops_module;
int aiops_config_check(const struct ynode *section, char *err, size_t errlen);

#endif
