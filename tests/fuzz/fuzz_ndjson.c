/* Newline-delimited JSON framing (Ollama, the Kubernetes watch, the agent
 * stream), fed in arbitrary chunks, in each mode the first byte picks. */
#include "fuzz.h"
#include "base/ndjson.h"

static bool on_line(const char *line, size_t len, void *ud)
{
    size_t *total = ud;
    if (!line || memchr(line, '\n', len))
        abort(); /* a line never contains its terminator */
    *total += len;
    return !(len == 4 && memcmp(line, "STOP", 4) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fz_chunker ch;
    fz_chunker_init(&ch, data[0]);
    size_t total = 0;
    struct ndjson_parser p;
    ndjson_init(&p, on_line, &total);
    p.split.max = (data[0] & 1) ? 256 : 0;
    p.split.skip_long = data[0] & 2; /* the watch's and the agent's mode */
    p.keep_blank = data[0] & 4;
    const char *s = (const char *)data + 1;
    size_t left = size - 1;
    int rc = 0;
    while (left) {
        size_t n = fz_chunk_len(&ch, left);
        if ((rc = ndjson_feed(&p, s, n)) < 0)
            break;
        s += n;
        left -= n;
    }
    if (rc == 0)
        ndjson_finish(&p);
    ndjson_free(&p);
    return 0;
}
