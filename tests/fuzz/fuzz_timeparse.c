/* The shared time and Retry-After parsers on arbitrary text: no crash, no
 * undefined behaviour, and a delay always inside the range asked for. */
#include "fuzz.h"
#include "base/retry_after.h"
#include "base/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_str(data, size);
    char err[128];
    int64_t ms, d;
    time_parse_rfc3339(s, &ms, err, sizeof(err));
    time_parse_utc_naive(s, &ms, err, sizeof(err));
    time_parse_http_date(s, &ms, err, sizeof(err));
    time_rfc3339_or_zero(s);
    if (retry_after_parse(s, 1732094061000, 100, 60000, &d, err, sizeof(err)) == 0 &&
        (d < 100 || d > 60000))
        abort();
    if (retry_after_parse(s, INT64_MIN, 0, INT64_MAX, &d, NULL, 0) == 0 && d < 0)
        abort();
    if (retry_after_ms_parse(s, 0, 60001, &d, NULL, 0) == 0 && (d < 0 || d > 60001))
        abort();
    free(s);
    return 0;
}
