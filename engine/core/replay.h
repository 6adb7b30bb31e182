/* The replay source: plays a --record file back into the engine, at the
 * recorded pace (or --speed N, or as fast as possible), with analysers off. */
#ifndef LOOKOUT_REPLAY_H
#define LOOKOUT_REPLAY_H

#include "core/source.h"

extern const struct source_ops replay_source_ops;

/* Private state for source_add(); speed 0 plays as fast as possible. */
void *replay_new(const char *path, double speed);

#endif
