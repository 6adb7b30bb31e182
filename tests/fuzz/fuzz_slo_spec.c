/* SLO specs: Sloth and OpenSLO files (multi-document YAML), and the config's
 * own `slos` list, down to the definitions the SLO engine evaluates. */
#include "fuzz.h"
#include "slo/spec.h"
#include "base/yaml_tree.h"

static void to_defs(struct slo_spec_set *set)
{
    for (int i = 0; i < set->n; i++) {
        struct slo_def d;
        slo_spec_to_def(&set->items[i], &d);
    }
    slo_spec_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct slo_spec_set set = {0};
    slo_spec_load_file(&set, fz_file(data, size, ".yaml"), err, sizeof(err));
    to_defs(&set);
    struct ynode *doc = ytree_load_string((const char *)data, size, "fuzz.yaml", err, sizeof(err));
    if (doc) {
        const struct ynode *slos = ymap_get(ytree_root(doc), "slos");
        if (slos) {
            struct slo_spec_set cfg = {0};
            if (slo_config_check_slos(slos, err, sizeof(err)) == 0)
                slo_spec_load_config(&cfg, slos, err, sizeof(err));
            to_defs(&cfg);
        }
        ytree_free(doc);
    }
    return 0;
}
