#include "core/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/server.h"
#include "agent/source.h"
#include "aiops/aiops.h"
#include "base/buf.h"
#include "copilot/config.h"
#include "kernel/config.h"
#include "kube/services.h"
#include "kube/source.h"
#include "ci/pipeline.h"
#include "slo/prometheus.h"
#include "slo/config.h"
#include "slo/spec.h"
#include "kernel/rules.h"

static int check_general(const struct ynode *section, char *err, size_t errlen);

/* Every top-level key, and who validates it. A module that owns a section
 * puts its check function here; NULL means "accepted, not yet validated". */
static const struct {
    const char *name;
    config_check_fn check;
} sections[] = {
    {"general", check_general},
    {"services", kube_check_services},
    {"slos", slo_config_check_slos},
    {"slo_specs", slo_config_check_specs},
    {"prometheus", prom_config_check},
    {"alerting", slo_config_check_alerting},
    {"kubernetes", kube_check_config},
    {"gitlab", gitlab_check_config},
    {"github", github_check_config},
    {"pipelines", pipeline_check_config},
    {"copilot", copilot_config_check},
    {"kernel", kernel_config_check},
    {"rules", rules_config_check},
    {"agents", agents_config_check},
    {"agent", agent_config_check},
    {"aiops", aiops_config_check},
    {"demo", NULL},
};

void config_default_path(char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(out, outlen, "%s/lookout/config.yaml", xdg);
    else
        snprintf(out, outlen, "%s/.config/lookout/config.yaml", home ? home : ".");
}

static int check_general(const struct ynode *g, char *err, size_t errlen)
{
    static const char *const keys[] = {"refresh", "theme", "environment", NULL};
    if (ycheck_keys(g, keys, err, errlen) < 0)
        return -1;
    int64_t ms;
    if (yget_duration(g, "refresh", &ms, err, errlen) < 0)
        return -1;
    char s[64];
    if (yget_str(g, "theme", s, sizeof(s), err, errlen) < 0 ||
        yget_str(g, "environment", s, sizeof(s), err, errlen) < 0)
        return -1;
    return 0;
}

static int validate(struct config *c, char *err, size_t errlen)
{
    const struct ynode *root = ytree_root(c->doc);
    if (root->type != Y_MAP)
        return yerr(root, err, errlen, "expected a mapping of sections");
    for (const struct ynode *s = root->child; s; s = s->next) {
        size_t i, n = sizeof(sections) / sizeof(sections[0]);
        for (i = 0; i < n && strcmp(sections[i].name, s->key) != 0; i++)
            ;
        if (i == n)
            return yerr(s, err, errlen, "unknown section '%s'", s->key);
        if (sections[i].check && sections[i].check(s, err, errlen) < 0)
            return -1;
    }
    const struct ynode *g = ymap_get(root, "general");
    yget_duration(g, "refresh", &c->refresh_ms, err, errlen);
    yget_str(g, "theme", c->theme, sizeof(c->theme), err, errlen);
    yget_str(g, "environment", c->environment, sizeof(c->environment), err, errlen);
    return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->refresh_ms = 1000;
    char def[PATH_MAX];
    if (!path) {
        config_default_path(def, sizeof(def));
        if (access(def, F_OK) != 0)
            return 0; /* no config file is a valid setup */
        path = def;
    }
    STR_COPY(c->path, path);
    c->doc = ytree_load_file(path, err, errlen);
    if (!c->doc)
        return -1;
    if (validate(c, err, errlen) < 0) {
        config_free(c);
        return -1;
    }
    return 0;
}

void config_free(struct config *c)
{
    ytree_free(c->doc);
    c->doc = NULL;
}

const struct ynode *config_section(const struct config *c, const char *name)
{
    return c->doc ? ymap_get(c->doc, name) : NULL;
}
