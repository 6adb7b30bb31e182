/* Retry-After values to a clamped delay; see retry_after.h. Numbers are
 * read digit by digit into a double (which saturates to infinity, never
 * wraps) and clamped before the one conversion to int64_t. */
#include "base/retry_after.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/timeparse.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* digits ["." digits], whole string after trimming blanks; false otherwise. */
static bool decimal(const char *s, size_t n, double *out)
{
    double v = 0, scale = 1;
    size_t i = 0, int_digits = 0, frac_digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, int_digits++)
        v = v * 10 + (s[i] - '0');
    bool dot = i < n && s[i] == '.';
    if (dot)
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, frac_digits++)
            v += (s[i] - '0') * (scale /= 10);
    if (i != n || int_digits == 0 || (dot && frac_digits == 0))
        return false;
    *out = v;
    return true;
}

static int64_t clamp(double ms, int64_t min_ms, int64_t max_ms)
{
    if (!(ms > (double)min_ms)) /* NaN cannot arrive here, but would land on min */
        return min_ms;
    if (ms >= (double)max_ms)
        return max_ms;
    return (int64_t)ms;
}

/* The value without its surrounding blanks. */
static const char *trim(const char *value, size_t *n)
{
    const char *s = value ? value : "";
    while (blank(*s))
        s++;
    size_t len = strlen(s);
    while (len && blank(s[len - 1]))
        len--;
    *n = len;
    return s;
}

int retry_after_parse(const char *value, int64_t now_ms, int64_t min_ms, int64_t max_ms,
                      int64_t *delay_ms, char *err, size_t errlen)
{
    size_t n;
    const char *s = trim(value, &n);
    double secs;
    if (n && decimal(s, n, &secs)) {
        *delay_ms = clamp(secs * 1000.0, min_ms, max_ms);
        return 0;
    }
    char date[64];
    int64_t at;
    if (n && n < sizeof(date)) {
        memcpy(date, s, n);
        date[n] = 0;
        if (time_parse_http_date(date, &at, NULL, 0) == 0) {
            *delay_ms = clamp((double)at - (double)now_ms, min_ms, max_ms);
            return 0;
        }
    }
    if (err && errlen)
        snprintf(err, errlen, "Retry-After is neither seconds nor an HTTP date: '%.40s'", s);
    return -1;
}

int retry_after_ms_parse(const char *value, int64_t min_ms, int64_t max_ms, int64_t *delay_ms,
                         char *err, size_t errlen)
{
    size_t n;
    const char *s = trim(value, &n);
    double ms;
    if (!n || !decimal(s, n, &ms)) {
        if (err && errlen)
            snprintf(err, errlen, "retry-after-ms is not a number of milliseconds: '%.40s'", s);
        return -1;
    }
    *delay_ms = clamp(ms, min_ms, max_ms);
    return 0;
}
