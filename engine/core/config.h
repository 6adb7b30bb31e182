/* The config file ($XDG_CONFIG_HOME/lookout/config.yaml or --config).
 *
 * Each top-level section belongs to one module (core/module.h); the loader
 * hands it to that module's check, so an error anywhere reads
 * "file:line: message". "general" is the loader's own.
 * Modules read their own section with config_section() and yaml_tree.h. */
#ifndef LOOKOUT_CONFIG_H
#define LOOKOUT_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/yaml_tree.h"

struct config {
    char path[PATH_MAX]; /* "" when no file was found and none was asked for */
    struct ynode *doc;   /* the parsed file; NULL when there is none */
    int64_t refresh_ms;  /* front end frame interval */
    char theme[64];
    char environment[64]; /* shown in the header when there is no kube context */
};

/* Validates one section; returns 0 or -1 with "file:line: message". */
typedef int (*config_check_fn)(const struct ynode *section, char *err, size_t errlen);

struct module;
/* path NULL: the default location, silently absent if missing. modules is
 * the NULL-ended table whose sections are accepted (app's modules[]). */
int config_load(struct config *c, const char *path, const struct module *const *modules, char *err,
                size_t errlen);
void config_free(struct config *c);
/* A top-level section, or NULL. */
const struct ynode *config_section(const struct config *c, const char *name);
/* The default path ($XDG_CONFIG_HOME or ~/.config). */
void config_default_path(char *out, size_t outlen);

#endif
