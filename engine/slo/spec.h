/* SLO definitions from files the ecosystem already writes, and from the
 * config: Sloth `prometheus/v1` specs (and the PrometheusServiceLevel CRD),
 * OpenSLO v1 `kind: SLO` with a ratioMetric, and Lookout's own `slos`
 * config section. Errors read "file:line: message". */
#ifndef LOOKOUT_SLO_SPEC_H
#define LOOKOUT_SLO_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "slo/slo.h"
#include "base/yaml_tree.h"

struct slo_spec_item {
    char name[96];
    char service[NAME_LEN];
    char description[TEXT_LEN];
    char errors_series[160], total_series[160];
    char error_query[2048], total_query[2048];
    double objective; /* ratio, e.g. 0.999 */
    int64_t period_ms;
    enum slo_period_kind period_kind;
    bool has_policy;
    struct slo_policy policy;
    char format[16];  /* sloth, openslo, config */
    char origin[300]; /* file:line */
};

struct slo_spec_set {
    struct slo_spec_item *items;
    int n, cap;
};

/* Loads every SLO of a Sloth or OpenSLO file (multi-document YAML allowed). */
int slo_spec_load_file(struct slo_spec_set *set, const char *path, char *err, size_t errlen);
/* Loads the config's `slos` section (a list). */
int slo_spec_load_config(struct slo_spec_set *set, const struct ynode *slos, char *err,
                         size_t errlen);
void slo_spec_to_def(const struct slo_spec_item *it, struct slo_def *d);
void slo_spec_free(struct slo_spec_set *set);

/* Config validators for the `slos` and `slo_specs` sections. */
int slo_config_check_slos(const struct ynode *section, char *err, size_t errlen);
int slo_config_check_specs(const struct ynode *section, char *err, size_t errlen);

#endif
