/* Server-Sent Events parser for streamed LLM answers.
 *
 * Bytes arrive in arbitrary chunks (mid-line, mid-UTF-8); lines end with
 * "\n" or "\r\n"; ':' lines are keep-alive comments; several data: lines
 * join with "\n"; an event is dispatched on a blank line. An unterminated
 * event at end of stream is dropped, as the SSE rules say. */
#ifndef LOOKOUT_SSE_H
#define LOOKOUT_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/ndjson.h"

/* Return false to stop parsing (the stream is then abandoned). */
typedef bool (*sse_event_fn)(const char *event, const char *data, size_t len, void *ud);

struct sse_parser {
    struct line_split split; /* split.max: a longer line fails the stream (0: 1 MiB) */
    struct buf data;
    char event[64];
    bool has_data;
    sse_event_fn on_event;
    void *ud;
};

void sse_init(struct sse_parser *p, sse_event_fn fn, void *ud);
void sse_free(struct sse_parser *p);
/* 0, or -1 when a line is over max_line or the callback stopped. */
int sse_feed(struct sse_parser *p, const char *buf, size_t len);

#endif
