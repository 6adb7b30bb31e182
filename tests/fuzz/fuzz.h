/* Shared helpers for the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * Each harness calls one parser's real entry point on the fuzz input. Stream
 * parsers are fed in chunks whose sizes come from the input's first byte, so
 * the fuzzer also explores how bytes are split across reads. A harness fails
 * (abort) only on a crash, a sanitizer report or a broken property. */
#ifndef LOOKOUT_FUZZ_H
#define LOOKOUT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated heap copy of the input. */
static inline char *fz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* Chunk sizes for stream parsers: seeded by the first input byte. */
struct fz_chunker {
    uint32_t state;
    uint32_t max;
};

static inline void fz_chunker_init(struct fz_chunker *c, uint8_t seed)
{
    c->state = 0x9e3779b9u ^ seed;
    c->max = seed < 16 ? 1u : (seed < 64 ? 7u : (seed < 192 ? 64u : 4096u));
}

static inline size_t fz_chunk_len(struct fz_chunker *c, size_t left)
{
    c->state ^= c->state << 13;
    c->state ^= c->state >> 17;
    c->state ^= c->state << 5;
    size_t n = 1 + c->state % c->max;
    return n < left ? n : left;
}

/* Splits the input at its first NUL: *a is before it, *b after (NULL when
 * there is no NUL). Both are heap copies, NUL-terminated. */
static inline void fz_split(const uint8_t *data, size_t size, char **a, size_t *alen, char **b,
                            size_t *blen)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    *a = fz_str(data, n);
    *alen = n;
    if (nul) {
        *blen = size - n - 1;
        *b = fz_str(nul + 1, *blen);
    } else {
        *b = NULL;
        *blen = 0;
    }
}

/* Writes the input to a private temporary file (for parsers that read files)
 * and returns its path; the same path is reused by every run of a process
 * and removed at exit. */
static char fz_path[256];

static inline void fz_file_cleanup(void)
{
    if (fz_path[0])
        unlink(fz_path);
}

static inline const char *fz_file(const uint8_t *data, size_t size, const char *suffix)
{
    if (!fz_path[0]) {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fz_path, sizeof(fz_path), "%s/lookout-fuzz-%d%s", dir, (int)getpid(), suffix);
        atexit(fz_file_cleanup);
    }
    FILE *f = fopen(fz_path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    return fz_path;
}

#endif
