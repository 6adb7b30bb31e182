/* The CI module: the `pipelines` section and one section per provider
 * (`gitlab`, `github`), each to one source on the shared poller. A third
 * provider is one more struct ci_provider and one more row below. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/path.h"
#include "ci/github.h"
#include "ci/gitlab.h"
#include "ci/pipeline.h"

static void api_root(const char *url, const char *dflt, const char *suffix, char *out, size_t n)
{
    char base[256];
    STR_COPY(base, url && *url ? url : dflt);
    size_t len = strlen(base);
    while (len && base[len - 1] == '/')
        base[--len] = 0;
    size_t sl = strlen(suffix);
    if (sl && (len < sl || strcmp(base + len - sl, suffix) != 0))
        snprintf(out, n, "%s%s", base, suffix);
    else
        snprintf(out, n, "%s", base);
}

static void load_projects(struct ci_client_cfg *cfg, const struct ynode *sec, const char *list,
                          const char *idkey, const char *refkey)
{
    const struct ynode *l = ymap_get(sec, list);
    char err[8];
    for (const struct ynode *p = l ? l->child : NULL; p && cfg->nprojects < CI_MAX_PROJECTS;
         p = p->next) {
        struct ci_project_cfg *pc = &cfg->projects[cfg->nprojects++];
        memset(pc, 0, sizeof(*pc));
        if (p->type == Y_SCALAR) {
            STR_COPY(pc->id, p->value);
            continue;
        }
        yget_str(p, idkey, pc->id, sizeof(pc->id), err, sizeof(err));
        yget_str(p, refkey, pc->ref, sizeof(pc->ref), err, sizeof(err));
    }
}

static int add_one(struct source_set *set, const struct source_ctx *ctx, const struct ynode *sec,
                   const struct ci_provider *prov, char *err, size_t errlen)
{
    struct ci_client_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.prov = prov;
    char url[256] = "";
    yget_str(sec, "url", url, sizeof(url), err, errlen);
    if (yget_path(sec, "token_file", cfg.token_file, sizeof(cfg.token_file), err, errlen) < 0 ||
        tls_config_read(sec, &cfg.tls, err, errlen) < 0)
        return -1;
    api_root(url, prov->default_url, prov->api_suffix, cfg.api, sizeof(cfg.api));
    load_projects(&cfg, sec, prov->projects_key, prov->id_key, prov->ref_key);
    if (!ci_source_add(set, ctx, prov->kind, &cfg)) {
        snprintf(err, errlen, "%s: too many sources", prov->kind);
        return -1;
    }
    return 0;
}

/* Every provider Lookout polls; each owns the config section named by its kind. */
static const struct ci_provider *const providers[] = {&gitlab_provider, &github_provider, NULL};

int pipeline_add_sources_to(struct source_set *set, const struct source_ctx *ctx,
                            const struct config *cfg, char *err, size_t errlen)
{
    struct pipeline_settings s;
    if (pipeline_settings_load(&s, config_section(cfg, "pipelines"), err, errlen) < 0)
        return -1;
    pipeline_attach(ctx->engine, &s);
    for (int i = 0; providers[i]; i++) {
        const struct ynode *sec = config_section(cfg, providers[i]->kind);
        if (sec && (providers[i]->check_config(sec, err, errlen) < 0 ||
                    add_one(set, ctx, sec, providers[i], err, errlen) < 0))
            return -1;
    }
    return 0;
}

static int ci_setup(const struct module_ctx *ctx, void **state, char *err, size_t errlen)
{
    (void)state;
    return pipeline_add_sources_to(ctx->sources, ctx->src, ctx->config, err, errlen);
}

static const struct module_section ci_sections[] = {
    {"pipelines", pipeline_check_config},
    {"gitlab", gitlab_check_config},
    {"github", github_check_config},
    {NULL, NULL},
};

const struct module ci_module = {
    .name = "ci",
    .sections = ci_sections,
    .flags = MODULE_LIVE,
    .setup = ci_setup,
};
