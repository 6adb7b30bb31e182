/* The record/replay reader: each line through record_apply_line into a
 * fresh engine, as `lookout --replay` applies a recording. */
#include "core/engine.h"
#include "fuzz.h"
#include "fuzz_engine.h"
#include "core/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct engine *e = fz_engine();
    e->replaying = true;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        long long t = 0;
        char err[256];
        record_apply_line(e, p, n, &t, err, sizeof(err));
        p += n + 1;
    }
    return 0;
}
