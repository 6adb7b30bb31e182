/* Date and time text to epoch milliseconds, written once for the whole tree.
 *
 * RFC 3339 is what Kubernetes, GitHub, GitLab and our own agents write; the
 * HTTP dates are what a server may put in Retry-After. Four hand-rolled
 * copies had drifted (offsets ignored in one, fractions past a millisecond
 * mishandled in another, trailing garbage accepted by all), and libc's
 * strptime depends on the locale and stops quietly at the first mismatch.
 * These parsers take the whole string or nothing.
 *
 * Leap seconds: POSIX time has none, so a second of 60 (allowed by RFC 3339
 * on any minute, since only a table could tell the real ones) reads as the
 * last millisecond of that minute. Time then never runs backwards across
 * it and the date does not move. */
#ifndef LOOKOUT_TIMEPARSE_H
#define LOOKOUT_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the epoch of a UTC civil time (proleptic Gregorian); the
 * fields are not checked and may be out of range (mday 0 is the day before
 * the 1st), as timegm allows, without timegm's time_t or its tm struct. */
int64_t time_from_civil(int64_t year, int mon, int mday, int hour, int min, int sec);

/* RFC 3339 date-time: "2024-02-29T23:59:59.123456+02:00". 'T' and 'Z' may
 * be lower case; the fraction may have any number of digits (cut, not
 * rounded, to milliseconds); the zone is Z or +hh:mm / -hh:mm. Returns 0
 * and *ms_out, or -1 and a message in err (err may be NULL). */
int time_parse_rfc3339(const char *s, int64_t *ms_out, char *err, size_t errlen);

/* For decoders where 0 already means "not given": an absent, empty or
 * malformed RFC 3339 time gives 0. */
int64_t time_rfc3339_or_zero(const char *s);

/* "YYYY-MM-DD HH:MM:SS[.fff]" ('T' also taken) without a zone, read as
 * UTC: the stamps of data sets such as NAB's CSV files. 0 / -1 as above. */
int time_parse_utc_naive(const char *s, int64_t *ms_out, char *err, size_t errlen);

/* An HTTP-date (RFC 9110 5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT"
 * and the obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
 * "Sun Nov  6 08:49:37 1994" forms. RFC 850's two-digit years below 70 are
 * 20xx. 0 / -1 as above. */
int time_parse_http_date(const char *s, int64_t *ms_out, char *err, size_t errlen);

#endif
