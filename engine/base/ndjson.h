/* Newline-delimited streams: the one line splitter of the tree, and NDJSON
 * (one JSON object per line) on top of it.
 *
 * Bytes arrive in arbitrary chunks (libcurl's reads), so a line may span
 * any number of feeds. The splitter buffers up to the newline and hands out
 * whole lines only, with a cap on one line's length. What happens past the
 * cap is the caller's choice, never a silent cut: the feed fails (an SSE
 * stream whose framing is broken), or that one line is dropped up to its
 * newline without buffering the rest, counted, and the stream goes on (a
 * Kubernetes watch, an agent's event stream, where one huge object must not
 * cost the connection or unbounded memory).
 *
 * Users: Ollama's /api/chat stream, the Kubernetes watch, the agent's
 * /events stream (its blank lines are heartbeats), and the SSE parser. */
#ifndef LOOKOUT_NDJSON_H
#define LOOKOUT_NDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* A complete line without "\n" (and without the "\r" of "\r\n"),
 * NUL-terminated at len. Return false to stop the feed. */
typedef bool (*ndjson_line_fn)(const char *line, size_t len, void *ud);

struct line_split {
    struct buf line;    /* the current, incomplete line */
    size_t max;         /* max bytes of one line; 0: 1 MiB */
    bool skip_long;     /* past max: drop the line and go on (else the feed fails) */
    bool skipping;      /* inside a dropped line, until its "\n" */
    uint64_t oversized; /* lines dropped for size */
    uint64_t lines;     /* lines handed out */
};

/* Feeds one chunk: 0, or -1 when fn stopped or a line passed max without
 * skip_long. The unterminated tail stays for the next feed. */
int line_split_feed(struct line_split *s, const char *data, size_t len, ndjson_line_fn fn,
                    void *ud);
/* Drops a partial line (a new stream starts); the counts stay. */
void line_split_reset(struct line_split *s);
void line_split_free(struct line_split *s);

struct ndjson_parser {
    struct line_split split; /* set split.max and split.skip_long after init */
    bool keep_blank;         /* blank lines reach on_line too (as len 0) */
    ndjson_line_fn on_line;
    void *ud;
};

/* Lines lose trailing blanks; blank lines are skipped unless keep_blank. */
void ndjson_init(struct ndjson_parser *p, ndjson_line_fn fn, void *ud);
void ndjson_free(struct ndjson_parser *p);
/* 0, or -1 when a line is too long (without skip_long) or the callback stopped. */
int ndjson_feed(struct ndjson_parser *p, const char *buf, size_t len);
/* End of stream: dispatches a final unterminated line (not a dropped one). */
int ndjson_finish(struct ndjson_parser *p);
/* A new stream on the same parser: the partial line goes, the counts stay. */
void ndjson_reset(struct ndjson_parser *p);

#endif
