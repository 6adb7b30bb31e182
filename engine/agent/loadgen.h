/* `lookout agent --demo-rate N`: a node's kernel events made up at a fixed
 * rate, for load tests of consoles (tests/bench/bench_agents.sh). They go
 * through the agent's real path (rules, the engine's ring, every stream's
 * filter and encoder) and carry the wall clock as their time, as a real
 * node's do, so a console can measure how late they reach it. */
#ifndef LOOKOUT_AGENT_LOADGEN_H
#define LOOKOUT_AGENT_LOADGEN_H

#include <stddef.h>

#include "base/loop.h"
#include "core/engine.h"

struct config;
struct agent_load;

/* Posts rate events a second from now on; NULL with err when the rules
 * cannot load. */
struct agent_load *agent_load_start(struct engine *e, struct loop *l, const struct config *c,
                                    int rate, char *err, size_t errlen);
/* Stops the timer; call before the loop is freed. */
void agent_load_free(struct agent_load *g);

#endif
