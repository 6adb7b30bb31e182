/* Incident rank and the current incident. An SRE acts on the one incident
 * the screen puts first, so every view (copilot panel, war room, the `e`
 * export, `lookout postmortem`, `lookout incidents`) asks here rather than
 * guessing "the newest": a paging SLO outranks a ticket, which outranks a
 * critical finding (a security rule, a node down), which outranks warnings;
 * within a tier more budget burned per hour and more SLOs hit rank higher,
 * then the earlier start. A user's pick overrides the rank until changed. */
#ifndef LOOKOUT_INCIDENT_H
#define LOOKOUT_INCIDENT_H

#include <stddef.h>

#include "core/engine.h"

enum incident_tier { TIER_INFO, TIER_WARNING, TIER_CRITICAL, TIER_TICKET, TIER_PAGE };
extern const char *const incident_tier_names[]; /* "info" ... "page" */

enum incident_tier incident_tier(const struct incident *inc);
/* When the trouble began: inc->start, or when it opened for rows without one. */
int64_t incident_start(const struct incident *inc);
/* < 0 when a ranks above b: open before resolved, then tier, budget burned
 * per hour, SLOs hit, earlier start; resolved ones newest closed first. */
int incident_compare(const struct incident *a, const struct incident *b);
/* Every incident in rank order into out (at most max); returns the count. */
int incident_ranked(struct engine *e, const struct incident **out, int max);
/* What the rank rests on: "paging SLO, 2 SLOs hit, 12.5% of budget/h". */
void incident_rank_reason(const struct incident *inc, char *out, size_t n);
/* The current incident: the user's pick while it exists, else the top-ranked
 * open one, else the most recently resolved. why (may be NULL) says which
 * and why. NULL when there is none. */
const struct incident *incident_current(struct engine *e, char *why, size_t whylen);
/* Makes id the current incident until changed; "" or NULL goes back to the
 * rank. 0, or -1 when there is no such incident. */
int incident_pick(struct engine *e, const char *id);

#endif
