/* The `kernel` config section:
 *
 *   kernel:
 *     enabled: true            # false: no kernel events (like --no-kernel)
 *     ring_size: 8MiB          # bytes, or with KiB/MiB/GiB; rounded up to a power of two
 *     drain_interval: 100ms    # timer drain of the ring, 100ms-250ms
 *     rate_limit: 0            # events/s per cgroup, 0: off
 *     drop_privileges: true    # under sudo: become the invoking user after attach
 *     kinds: {exec: true, open: true, retransmit: false, ...}
 *     watch: [/etc/shadow, /etc/sudoers.d/]   # replaces the default list
 *     watch_extra: [/etc/myapp/secret.key]     # added to it
 *
 * A watch entry ending in "/" covers a directory and everything below it;
 * one "*" makes a prefix*suffix pattern (at most 4 patterns). */
#ifndef LOOKOUT_KERNEL_CONFIG_H
#define LOOKOUT_KERNEL_CONFIG_H

#include <stddef.h>

#include "core/config.h"
#include "bpf/loader.h"

extern const char *const lo_kind_names[LO_KIND_MAX];

int kernel_config_check(const struct ynode *section, char *err, size_t errlen);
/* Defaults, then the config's section (c may be NULL). 0, or -1 with err. */
int kernel_options_from_config(const struct config *c, struct kernel_options *o, bool *enabled,
                               char *err, size_t errlen);
/* "8MiB", "65536", "512KiB" -> bytes; -1 when invalid. */
int64_t parse_size_bytes(const char *s);
/* Rounds up to a power of two within the ring's limits (4 KiB .. 1 GiB). */
uint32_t ring_size_round(int64_t bytes);

#endif
