/* Wiring: the `gitlab`, `github` and `pipelines` sections to sources. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "base/buf.h"
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
    yget_str(sec, "token_file", cfg.token_file, sizeof(cfg.token_file), err, errlen);
    if (strcmp(prov->kind, "gitlab") == 0) {
        api_root(url, "https://gitlab.com", "/api/v4", cfg.api, sizeof(cfg.api));
        load_projects(&cfg, sec, "projects", "id", "ref");
    } else {
        api_root(url, "https://api.github.com", "", cfg.api, sizeof(cfg.api));
        load_projects(&cfg, sec, "repos", "repo", "branch");
    }
    if (!ci_source_add(set, ctx, prov->kind, &cfg)) {
        snprintf(err, errlen, "%s: too many sources", prov->kind);
        return -1;
    }
    return 0;
}

int pipeline_add_sources_to(struct source_set *set, const struct source_ctx *ctx,
                            const struct config *cfg, char *err, size_t errlen)
{
    struct pipeline_settings s;
    if (pipeline_settings_load(&s, config_section(cfg, "pipelines"), err, errlen) < 0)
        return -1;
    pipeline_attach(ctx->engine, &s);
    const struct ynode *gl = config_section(cfg, "gitlab");
    const struct ynode *gh = config_section(cfg, "github");
    if (gl && (gitlab_check_config(gl, err, errlen) < 0 ||
               add_one(set, ctx, gl, &gitlab_provider, err, errlen) < 0))
        return -1;
    if (gh && (github_check_config(gh, err, errlen) < 0 ||
               add_one(set, ctx, gh, &github_provider, err, errlen) < 0))
        return -1;
    return 0;
}

int pipeline_add_sources(struct app *a, char *err, size_t errlen)
{
    return pipeline_add_sources_to(&a->sources, &a->ctx, &a->config, err, errlen);
}
