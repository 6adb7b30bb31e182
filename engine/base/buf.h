/* Growable byte buffer and small string helpers used everywhere. */
#ifndef LOOKOUT_BUF_H
#define LOOKOUT_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
};

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* n with thousands grouped by commas ("65,003"): counts a person reads. */
void buf_count(struct buf *b, int64_t n);
/* Drops the first n bytes (consumed input of a stream parser). */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Never NULL: "" for an empty buffer. */
const char *buf_cstr(struct buf *b);

/* Copies with truncation, always terminating; returns true when it all fit. */
bool str_copy(char *dst, size_t dstlen, const char *src);
#define STR_COPY(dst, src) str_copy((dst), sizeof(dst), (src))

/* Reads a whole file (capped at max bytes); NULL and errno on failure. */
char *read_file(const char *path, size_t max, size_t *len_out);
/* Writes a whole file so that a reader sees the old one or the new one,
 * never a part: a temp file beside it, flushed to disk, then renamed.
 * -1 and errno on failure (the temp file is removed). */
int write_file_atomic(const char *path, const void *data, size_t len);

#endif
