/* The kernel source (kind "kernel"): consumes the BPF ring buffer from the
 * engine's loop (its epoll fd, plus a 100-250 ms timer drain because
 * libbpf 1.1 only drains rings that signalled) in bounded slices, so a flood
 * never stalls the loop; turns each record into a struct kevent stamped with
 * the kernel's own time for the ingest pipeline, and keeps the "kernel"
 * kstats row (counters, drops per second over the events that passed the
 * in-kernel filters, GAP rows where events were lost). */
#ifndef LOOKOUT_KERNEL_SOURCE_H
#define LOOKOUT_KERNEL_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "bpf/loader.h"
#include "core/module.h"
#include "core/source.h"

extern const struct source_ops kernel_source_ops;
/* The kernel module: sections `kernel` and `rules`; adds the kernel source. */
extern const struct module kernel_module;

/* Adds the kernel source (not with --no-kernel, a replay, or
 * kernel.enabled: false). -1 only for a configuration error. */
int kernel_source_add(const struct module_ctx *ctx, char *err, size_t errlen);

/* The source's private state for source_add(), from explicit options. */
void *kernel_source_new(const struct kernel_options *o);

/* Drains the ring now and refreshes the counters (headless commands call
 * this once more before they exit). */
void kernel_source_flush(struct source *s);

#endif
