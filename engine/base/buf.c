/* Growable byte buffers, always NUL-terminated (see buf.h). */
#include "base/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        abort(); /* out of memory: nothing sane left to do */
    /* The spare capacity is zeroed once, when it is made: PCRE2's JIT reads a
     * few bytes past a subject's end (inside the allocation), and those reads
     * must not see uninitialised memory (valgrind flags them). Growth doubles,
     * so this costs O(1) amortised per byte. */
    memset(d + b->cap, 0, cap - b->cap);
    b->data = d;
    b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        if (b->data)
            b->data[0] = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){0};
}

const char *buf_cstr(struct buf *b)
{
    return b->data ? b->data : "";
}

bool str_copy(char *dst, size_t dstlen, const char *src)
{
    if (!dstlen)
        return false;
    if (!src)
        src = "";
    size_t n = strlen(src);
    bool fits = n < dstlen;
    if (!fits)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
    return fits;
}

char *read_file(const char *path, size_t max, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > max) {
            buf_free(&b);
            fclose(f);
            errno = EFBIG;
            return NULL;
        }
        buf_append(&b, chunk, n);
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        buf_free(&b);
        errno = EIO;
        return NULL;
    }
    if (len_out)
        *len_out = b.len;
    if (!b.data)
        b.data = calloc(1, 1);
    return b.data;
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    bool ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return 0;
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return -1;
}

void buf_count(struct buf *b, int64_t n)
{
    char digits[24];
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)u);
    if (n < 0)
        buf_puts(b, "-");
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            buf_puts(b, ",");
        buf_append(b, digits + i, 1);
    }
}
