#include "core/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "core/module.h"

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

/* The module that owns a section, with its check; NULL when none does. */
static const struct module_section *find_section(const struct module *const *modules,
                                                 const char *name)
{
    static const struct module_section general = {"general", check_general};
    if (strcmp(name, general.name) == 0)
        return &general;
    for (int i = 0; modules && modules[i]; i++)
        for (const struct module_section *s = modules[i]->sections; s && s->name; s++)
            if (strcmp(s->name, name) == 0)
                return s;
    return NULL;
}

static int validate(struct config *c, const struct module *const *modules, char *err, size_t errlen)
{
    const struct ynode *root = ytree_root(c->doc);
    if (root->type != Y_MAP)
        return yerr(root, err, errlen, "expected a mapping of sections");
    for (const struct ynode *s = root->child; s; s = s->next) {
        const struct module_section *sec = find_section(modules, s->key);
        if (!sec)
            return yerr(s, err, errlen, "unknown section '%s'", s->key);
        if (sec->check && sec->check(s, err, errlen) < 0)
            return -1;
    }
    const struct ynode *g = ymap_get(root, "general");
    yget_duration(g, "refresh", &c->refresh_ms, err, errlen);
    yget_str(g, "theme", c->theme, sizeof(c->theme), err, errlen);
    yget_str(g, "environment", c->environment, sizeof(c->environment), err, errlen);
    return 0;
}

int config_load(struct config *c, const char *path, const struct module *const *modules, char *err,
                size_t errlen)
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
    if (validate(c, modules, err, errlen) < 0) {
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
