/* Prometheus HTTP API answers: instant and range queries, with the HTTP
 * status and truncation flag taken from the first byte. */
#include <math.h>

#include "fuzz.h"
#include "slo/prometheus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const long statuses[] = {200, 400, 422, 503};
    long status = statuses[data[0] & 3];
    bool truncated = data[0] & 4;
    char *body = fz_str(data + 1, size - 1);
    char err[256];
    double value, t[64], v[64];
    int n = -1;
    prom_parse_instant(body, size - 1, status, truncated, &value, err, sizeof(err));
    if (prom_parse_range(body, size - 1, status, truncated, t, v, 64, &n, err, sizeof(err)) == 0 &&
        (n < 0 || n > 64))
        abort(); /* more points than the caller's arrays hold */
    char out[512];
    prom_expand_window(body, "5m", out, sizeof(out));
    free(body);
    return 0;
}
