/* Newline-delimited JSON (Ollama's /api/chat stream): one object per line,
 * bytes in arbitrary chunks, a last line without "\n" accepted at the end. */
#ifndef LOOKOUT_NDJSON_H
#define LOOKOUT_NDJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Return false to stop parsing. */
typedef bool (*ndjson_line_fn)(const char *line, size_t len, void *ud);

struct ndjson_parser {
    struct buf line;
    size_t max_line; /* 0: 1 MiB */
    ndjson_line_fn on_line;
    void *ud;
};

void ndjson_init(struct ndjson_parser *p, ndjson_line_fn fn, void *ud);
void ndjson_free(struct ndjson_parser *p);
/* 0, or -1 when a line is too long or the callback stopped. */
int ndjson_feed(struct ndjson_parser *p, const char *buf, size_t len);
/* End of stream: dispatches a final unterminated line. */
int ndjson_finish(struct ndjson_parser *p);

#endif
