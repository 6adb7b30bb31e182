/* The SLO engine's config sections (validators for config.c, loaders for
 * the app and the CLI commands). */
#ifndef LOOKOUT_SLO_CONFIG_H
#define LOOKOUT_SLO_CONFIG_H

#include <stddef.h>

#include "core/config.h"
#include "slo/slo.h"

/* `alerting`: gate_policy (page|ticket), gate_min_budget (0..1). */
int slo_config_check_alerting(const struct ynode *section, char *err, size_t errlen);
int slo_alerting_load(const struct ynode *section, struct gate_opts *o, char *err, size_t errlen);
/* Defines every SLO of the config's slos and slo_specs sections. */
int slo_load_definitions(struct engine *e, const struct config *cfg, char *err, size_t errlen);

#endif
