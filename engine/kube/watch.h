/* Newline-delimited watch stream assembler.
 *
 * A Kubernetes watch body is one JSON object per line, but libcurl hands us
 * arbitrary chunks: an object may span any number of reads. The assembler
 * buffers bytes until a newline and emits whole lines only. One line longer
 * than the cap is dropped (counted) without buffering the rest of it, so a
 * hostile or huge object cannot grow memory without bound. */
#ifndef LOOKOUT_KUBE_WATCH_H
#define LOOKOUT_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* etcd keeps objects up to 1.5 MiB by default; their JSON stays far below
 * this. Larger limits are a config setting (max_object_bytes). */
#define KUBE_LINE_CAP_DEFAULT (4u << 20)

struct kube_lines {
    struct buf pending; /* bytes of the current, incomplete line */
    size_t cap;         /* max bytes of one line */
    bool skipping;      /* the current line went over the cap: drop to the next newline */
    uint64_t oversized; /* lines dropped for size */
    uint64_t lines;     /* complete lines emitted */
};

/* Called with a complete line (without the newline, NUL-terminated, may be
 * empty). Return false to stop feeding (the rest of the chunk is discarded). */
typedef bool (*kube_line_fn)(char *line, size_t len, void *ud);

void kube_lines_init(struct kube_lines *l, size_t cap);
/* Resets for a new stream (keeps counters). */
void kube_lines_reset(struct kube_lines *l);
void kube_lines_free(struct kube_lines *l);
/* Feeds one chunk; returns false when the callback stopped it. */
bool kube_lines_feed(struct kube_lines *l, const char *data, size_t len, kube_line_fn fn, void *ud);

#endif
