/* Retry-After (RFC 9110 10.2.3) as a delay, for every HTTP client here.
 *
 * A server's value is untrusted input that ends up as a timer: it is
 * clamped to the caller's [min_ms, max_ms] while still a double, so no
 * value (a thousand digits, a date in year 9999 or in the past) reaches an
 * integer conversion out of range. Only what the grammar allows is read:
 * "nan", "inf", "-1", "1e300" and other strtod spellings are malformed. */
#ifndef LOOKOUT_RETRY_AFTER_H
#define LOOKOUT_RETRY_AFTER_H

#include <stddef.h>
#include <stdint.h>

/* delta-seconds ("120", and "1.5" as the LLM APIs send) or an HTTP-date
 * relative to now_ms (wall clock); surrounding blanks are allowed. Returns
 * 0 and the delay in *delay_ms within [min_ms, max_ms], or -1 and a message
 * in err (err may be NULL) when the value is malformed. */
int retry_after_parse(const char *value, int64_t now_ms, int64_t min_ms, int64_t max_ms,
                      int64_t *delay_ms, char *err, size_t errlen);

/* The same for a header that counts milliseconds (OpenAI's
 * "retry-after-ms"): a plain non-negative decimal number. */
int retry_after_ms_parse(const char *value, int64_t min_ms, int64_t max_ms, int64_t *delay_ms,
                         char *err, size_t errlen);

#endif
