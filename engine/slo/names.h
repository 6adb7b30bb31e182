/* SLO names as people write them. An SLO's id is what Lookout shows
 * (Sloth: `<service>-<name>`, OpenSLO: metadata.name, the config: name);
 * people also type the bare name from the Sloth file, or paste the
 * `sloth_id` label of a firing alert (`sloth_id="checkout-availability"`).
 * slo_resolve_name() maps any of those to the one id, before any query is
 * sent, and says what was meant when it cannot. */
#ifndef LOOKOUT_SLO_NAMES_H
#define LOOKOUT_SLO_NAMES_H

#include <stddef.h>

#include "core/engine.h"

/* Writes the SLO id that `want` names into id (idlen bytes). Returns 0, or
 * -1 with a message naming the known ids and the closest one ("did you mean
 * ...?") when want names none or several of them. */
int slo_resolve_name(struct engine *e, const char *want, char *id, size_t idlen, char *err,
                     size_t errlen);

#endif
