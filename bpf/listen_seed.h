/* Seeds the kernel's listen_owner map with TCP listeners that existed before
 * Lookout attached (their listen() was never seen), so accepts on them are
 * attributed. Scans only this network namespace's /proc/net/tcp{,6}. */
#ifndef LOOKOUT_LISTEN_SEED_H
#define LOOKOUT_LISTEN_SEED_H

#include <stdbool.h>

/* Returns the number of listeners whose owner was found, -1 on error. */
int listen_seed(int map_fd);

#endif
