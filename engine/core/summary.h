/* The header's cross-cutting counts (nodes ready, pods failing, open
 * incidents), derived from the tables whatever source filled them. */
#ifndef LOOKOUT_SUMMARY_H
#define LOOKOUT_SUMMARY_H

#include "core/engine.h"

/* Recomputes the counts now; writes the summary row only when they changed. */
void summary_refresh(struct engine *e);
/* Refreshes the counts every second of engine time. */
void summary_attach(struct engine *e);

#endif
