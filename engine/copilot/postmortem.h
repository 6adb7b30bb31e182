/* A Markdown post-mortem for one incident: what happened, a timeline
 * assembled from the engine's state (incident timeline, burn start and
 * alert, deploys and pipelines, pod problems, Warning events, kernel rule
 * hits, the copilot's answer) and the copilot's draft as received. */
#ifndef LOOKOUT_POSTMORTEM_H
#define LOOKOUT_POSTMORTEM_H

#include <stddef.h>

#include "base/buf.h"
#include "core/engine.h"

/* Appends the document; ans may be NULL (no copilot answer yet). */
void postmortem_markdown(struct engine *e, const char *incident_id,
                         const struct copilot_answer *ans, struct buf *out);
/* Writes it to path (the `e` key in the TUI). 0, or -1 with err. */
int postmortem_write(struct engine *e, const char *incident_id, const char *path, char *err,
                     size_t errlen);
/* The incident a post-mortem is most likely about: the newest open critical
 * one, else the newest. NULL when there is none. */
const struct incident *postmortem_pick_incident(struct engine *e);

#endif
