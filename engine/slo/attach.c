/* Wiring of the SLO engine into the app: config sections slos, slo_specs,
 * prometheus and alerting; the Prometheus source when one is configured. */
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "base/path.h"
#include "slo/config.h"
#include "slo/prom.h"
#include "slo/prometheus.h"
#include "slo/slo.h"
#include "slo/spec.h"
#include "slo/webhook.h"

static const char *const alerting_keys[] = {"gate_policy", "gate_min_budget", "webhooks", NULL};

int slo_config_check_alerting(const struct ynode *s, char *err, size_t errlen)
{
    struct gate_opts o;
    return slo_alerting_load(s, &o, err, errlen);
}

int slo_alerting_load(const struct ynode *s, struct gate_opts *o, char *err, size_t errlen)
{
    o->policy = GATE_PAGE;
    o->min_budget = 0;
    if (!s)
        return 0;
    if (s->type != Y_MAP)
        return yerr(s, err, errlen, "alerting: expected a mapping");
    if (ycheck_keys(s, alerting_keys, err, errlen) < 0)
        return -1;
    char pol[16] = "";
    if (yget_str(s, "gate_policy", pol, sizeof(pol), err, errlen) < 0)
        return -1;
    if (pol[0] && strcmp(pol, "page") && strcmp(pol, "ticket"))
        return yerr(ymap_get(s, "gate_policy"), err, errlen, "gate_policy must be page or ticket");
    o->policy = strcmp(pol, "ticket") == 0 ? GATE_TICKET : GATE_PAGE;
    if (yget_double(s, "gate_min_budget", &o->min_budget, err, errlen) < 0)
        return -1;
    if (!(o->min_budget >= 0 && o->min_budget <= 1))
        return yerr(ymap_get(s, "gate_min_budget"), err, errlen,
                    "gate_min_budget must be between 0 and 1");
    const struct ynode *hooks = ymap_get(s, "webhooks");
    if (hooks && webhooks_check(hooks, err, errlen) < 0)
        return -1;
    return 0;
}

int slo_load_definitions(struct engine *e, const struct config *cfg, char *err, size_t errlen)
{
    struct slo_spec_set set = {0};
    const struct ynode *slos = config_section(cfg, "slos");
    const struct ynode *specs = config_section(cfg, "slo_specs");
    int rc = 0;
    if (slos)
        rc = slo_spec_load_config(&set, slos, err, errlen);
    for (const struct ynode *f = specs && specs->type == Y_SEQ ? specs->child : NULL; f && rc == 0;
         f = f->next)
        if (f->value) {
            char path[4096], why[256];
            if (path_expand(f->value, path, sizeof(path), why, sizeof(why)) < 0)
                rc = yerr(f, err, errlen, "slo_specs: %s", why);
            else
                rc = slo_spec_load_file(&set, path, err, errlen);
        }
    for (int i = 0; i < set.n && rc == 0; i++) {
        struct slo_def d;
        slo_spec_to_def(&set.items[i], &d);
        if (slo_define(e, &d, err, errlen) < 0)
            rc = -1;
    }
    slo_spec_free(&set);
    return rc;
}

static int slo_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    struct engine *e = ctx->engine;
    struct gate_opts o;
    *state = e; /* the SLO engine lives on the engine: callers reach it there */
    if (slo_alerting_load(config_section(ctx->config, "alerting"), &o, err, errlen) < 0)
        return -1;
    slo_set_gate_opts(e, &o);
    if (slo_load_definitions(e, ctx->config, err, errlen) < 0)
        return -1;
    const struct ynode *al = config_section(ctx->config, "alerting");
    if (al && webhooks_attach(e, ctx->loop, ctx->http, ymap_get(al, "webhooks"), err, errlen) < 0)
        return -1;
    const struct ynode *ps = config_section(ctx->config, "prometheus");
    if (!ps || ctx->opt->demo)
        return 0;
    struct prom_config pc;
    int rc = prom_config_load(&pc, ps, err, errlen);
    if (rc == 0 && ctx->opt->prom_timeout_ms) /* the command line wins over the file */
        pc.timeout_ms = (long)ctx->opt->prom_timeout_ms;
    struct prom_config *priv = rc == 0 ? slo_prom_source_priv(&pc) : NULL;
    secret_wipe(&pc, sizeof(pc)); /* the source keeps its own copy */
    if (rc < 0)
        return -1;
    if (!priv || !source_add(ctx->sources, &slo_prom_source_ops, "prometheus", ctx->src, priv)) {
        snprintf(err, errlen, "cannot create the Prometheus source");
        return -1;
    }
    return 0;
}

static void slo_teardown(void *state)
{
    slo_detach(state);
}

static const struct module_section slo_sections[] = {
    {"slos", slo_config_check_slos},
    {"slo_specs", slo_config_check_specs},
    {"prometheus", prom_config_check},
    {"alerting", slo_config_check_alerting},
    {NULL, NULL},
};

const struct module slo_module = {
    .name = "slo",
    .sections = slo_sections,
    .flags = MODULE_LIVE, /* a replay shows the recorded SLO rows */
    .setup = slo_setup,
    .teardown = slo_teardown,
};
