/* "Offline analysis": deterministic findings from the engine's own state,
 * the copilot's answer when no LLM is configured (the default) and its
 * fallback when a backend fails. Same five sections as an LLM answer. */
#ifndef LOOKOUT_COPILOT_OFFLINE_H
#define LOOKOUT_COPILOT_OFFLINE_H

#include "base/buf.h"
#include "copilot/context.h"
#include "core/engine.h"

#define COPILOT_OFFLINE_LABEL "offline analysis"

/* Appends the Markdown answer; returns the number of findings. */
int copilot_offline_analysis(struct engine *e, const struct copilot_subject *subj, struct buf *out);

#endif
