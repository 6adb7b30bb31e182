/* A Markdown post-mortem for one incident: which incident and why it was
 * chosen, the impact in numbers (duration, budget consumed, peak burn per
 * window pair, time to detect and to mitigate), one timeline, one cause
 * list, and the copilot's summary and next steps. */
#ifndef LOOKOUT_POSTMORTEM_H
#define LOOKOUT_POSTMORTEM_H

#include <stddef.h>

#include "base/buf.h"
#include "core/engine.h"

/* Appends the document; why (may be NULL) says why this incident was
 * chosen; ans may be NULL (no copilot answer yet). */
void postmortem_markdown(struct engine *e, const char *incident_id, const char *why,
                         const struct copilot_answer *ans, struct buf *out);
/* Writes it to path with mode 0600. 0, or -1 with err. */
int postmortem_write(struct engine *e, const char *incident_id, const char *why, const char *path,
                     char *err, size_t errlen);
/* Writes lookout-postmortem-ID.md under dir (created 0700 when missing) and
 * puts the absolute path into path (the `e` key). 0, or -1 with err. */
int postmortem_export(struct engine *e, const char *dir, const char *incident_id, const char *why,
                      char *path, size_t pathlen, char *err, size_t errlen);
/* $XDG_STATE_HOME/lookout, else ~/.local/state/lookout. */
void postmortem_default_dir(char *out, size_t n);

#endif
