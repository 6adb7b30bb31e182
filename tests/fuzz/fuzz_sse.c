/* Server-Sent Events framing, fed in arbitrary chunks. */
#include "fuzz.h"
#include "base/sse.h"

static bool on_event(const char *event, const char *data, size_t len, void *ud)
{
    size_t *total = ud;
    if (!event || !data || strlen(event) >= 64)
        abort(); /* the parser promises a NUL-terminated event name of its buffer */
    *total += len;
    return !(len == 4 && memcmp(data, "STOP", 4) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fz_chunker ch;
    fz_chunker_init(&ch, data[0]);
    size_t total = 0;
    struct sse_parser p;
    sse_init(&p, on_event, &total);
    p.split.max = (data[0] & 1) ? 256 : 0;
    const char *s = (const char *)data + 1;
    size_t left = size - 1;
    while (left) {
        size_t n = fz_chunk_len(&ch, left);
        if (sse_feed(&p, s, n) < 0)
            break;
        s += n;
        left -= n;
    }
    sse_free(&p);
    return 0;
}
