/* Paths as people write them in a config file: `~/x`, `$HOME/x`,
 * `$XDG_CONFIG_HOME/lookout/token`, `${XDG_STATE_HOME}/lookout`. One
 * expansion for every path the config names (token and key files, CA files,
 * kubeconfig, spec files, logs), so no reader has its own rules. */
#ifndef LOOKOUT_BASE_PATH_H
#define LOOKOUT_BASE_PATH_H

#include <stddef.h>

struct ynode;

/* Expands a leading `~` or `~/` (the user's home; `~user` is refused) and
 * `$NAME` / `${NAME}` for HOME and the XDG base directories (XDG_CONFIG_HOME,
 * XDG_STATE_HOME, XDG_DATA_HOME, XDG_CACHE_HOME: unset or empty means their
 * documented defaults under $HOME; XDG_RUNTIME_DIR must be set). Any other
 * `$` is refused rather than guessed at. 0, or -1 with a message. */
int path_expand(const char *in, char *out, size_t outlen, char *err, size_t errlen);

/* yget_str() then path_expand(), the message naming the config line:
 * 1 found, 0 absent (out untouched), -1 with err. */
int yget_path(const struct ynode *map, const char *key, char *out, size_t outlen, char *err,
              size_t errlen);

#endif
