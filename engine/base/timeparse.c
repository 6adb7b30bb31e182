/* Strict date and time parsers over one civil-date conversion; see
 * timeparse.h for the forms and the leap-second rule. A cursor walks the
 * text and every step either matches exactly or fails the whole parse. */
#include "base/timeparse.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Days from 1970-01-01 to a civil date: the era arithmetic that makes
 * February the last month of a shifted year, so leap days need no table. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t time_from_civil(int64_t year, int mon, int mday, int hour, int min, int sec)
{
    /* months outside 1..12 roll into the year, as timegm does */
    int64_t y = year + (mon - 1) / 12;
    int m = (mon - 1) % 12;
    if (m < 0) {
        m += 12;
        y--;
    }
    return (days_from_civil(y, m + 1, 1) + mday - 1) * 86400 + (int64_t)hour * 3600 +
           (int64_t)min * 60 + sec;
}

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Exactly n decimal digits. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool lit(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

struct civil {
    int year, mon, mday, hour, min, sec;
};

static bool civil_valid(const struct civil *c)
{
    return c->mon >= 1 && c->mon <= 12 && c->mday >= 1 &&
           c->mday <= days_in_month(c->year, c->mon) && c->hour <= 23 && c->min <= 59 &&
           c->sec <= 60;
}

/* Milliseconds of a checked civil time plus ms, with the leap-second rule. */
static int64_t civil_ms(const struct civil *c, int ms)
{
    if (c->sec == 60)
        return time_from_civil(c->year, c->mon, c->mday, c->hour, c->min, 59) * 1000 + 999;
    return time_from_civil(c->year, c->mon, c->mday, c->hour, c->min, c->sec) * 1000 + ms;
}

/* "HH:MM:SS" */
static bool hms(const char **p, struct civil *c)
{
    return digits(p, 2, &c->hour) && lit(p, ':') && digits(p, 2, &c->min) && lit(p, ':') &&
           digits(p, 2, &c->sec);
}

/* "YYYY-MM-DD" + separator + "HH:MM:SS" + optional fraction (at least one
 * digit, any number, cut to ms). */
static bool date_time(const char **p, const char *seps, struct civil *c, int *ms)
{
    if (!digits(p, 4, &c->year) || !lit(p, '-') || !digits(p, 2, &c->mon) || !lit(p, '-') ||
        !digits(p, 2, &c->mday) || !**p || !strchr(seps, **p))
        return false;
    (*p)++;
    if (!hms(p, c))
        return false;
    *ms = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int n = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++, n++)
        if (n < 3)
            *ms = *ms * 10 + (**p - '0');
    for (int i = n; i < 3; i++)
        *ms *= 10;
    return n > 0;
}

/* "Z" or "+hh:mm" / "-hh:mm" as seconds east of UTC. */
static bool zone(const char **p, int *east_s)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *east_s = 0;
        return true;
    }
    char sign = **p;
    int hh, mm;
    if (sign != '+' && sign != '-')
        return false;
    (*p)++;
    if (!digits(p, 2, &hh) || !lit(p, ':') || !digits(p, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *east_s = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return true;
}

int time_parse_rfc3339(const char *s, int64_t *ms_out, char *err, size_t errlen)
{
    const char *p = s ? s : "";
    struct civil c;
    int ms, east;
    if (!date_time(&p, "Tt", &c, &ms) || !zone(&p, &east) || *p)
        return fail(err, errlen, "not an RFC 3339 time: '%.40s'", s ? s : "");
    if (!civil_valid(&c))
        return fail(err, errlen, "no such date or time: '%.40s'", s);
    *ms_out = civil_ms(&c, ms) - (int64_t)east * 1000;
    return 0;
}

int64_t time_rfc3339_or_zero(const char *s)
{
    int64_t ms;
    return s && *s && time_parse_rfc3339(s, &ms, NULL, 0) == 0 ? ms : 0;
}

int time_parse_utc_naive(const char *s, int64_t *ms_out, char *err, size_t errlen)
{
    const char *p = s ? s : "";
    struct civil c;
    int ms;
    if (!date_time(&p, " Tt", &c, &ms) || *p)
        return fail(err, errlen, "not a 'YYYY-MM-DD HH:MM:SS' time: '%.40s'", s ? s : "");
    if (!civil_valid(&c))
        return fail(err, errlen, "no such date or time: '%.40s'", s);
    *ms_out = civil_ms(&c, ms);
    return 0;
}

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

/* A three-letter month name; 1..12. */
static bool month(const char **p, int *mon)
{
    for (int i = 0; i < 12; i++)
        if (strncmp(*p, month_names[i], 3) == 0) {
            *p += 3;
            *mon = i + 1;
            return true;
        }
    return false;
}

/* A day name, three letters or (RFC 850) in full. */
static bool day_name(const char **p, bool full)
{
    for (int i = 0; i < 7; i++) {
        size_t n = full ? strlen(day_names[i]) : 3;
        if (strncmp(*p, day_names[i], n) == 0) {
            *p += n;
            return true;
        }
    }
    return false;
}

static bool imf_fixdate(const char *p, struct civil *c)
{
    return day_name(&p, false) && lit(&p, ',') && lit(&p, ' ') && digits(&p, 2, &c->mday) &&
           lit(&p, ' ') && month(&p, &c->mon) && lit(&p, ' ') && digits(&p, 4, &c->year) &&
           lit(&p, ' ') && hms(&p, c) && strcmp(p, " GMT") == 0;
}

static bool rfc850_date(const char *p, struct civil *c)
{
    int yy;
    if (!day_name(&p, true) || !lit(&p, ',') || !lit(&p, ' ') || !digits(&p, 2, &c->mday) ||
        !lit(&p, '-') || !month(&p, &c->mon) || !lit(&p, '-') || !digits(&p, 2, &yy) ||
        !lit(&p, ' ') || !hms(&p, c) || strcmp(p, " GMT") != 0)
        return false;
    c->year = yy < 70 ? 2000 + yy : 1900 + yy;
    return true;
}

static bool asctime_date(const char *p, struct civil *c)
{
    if (!day_name(&p, false) || !lit(&p, ' ') || !month(&p, &c->mon) || !lit(&p, ' '))
        return false;
    if (*p == ' ') {
        p++;
        if (!digits(&p, 1, &c->mday))
            return false;
    } else if (!digits(&p, 2, &c->mday)) {
        return false;
    }
    return lit(&p, ' ') && hms(&p, c) && lit(&p, ' ') && digits(&p, 4, &c->year) && !*p;
}

int time_parse_http_date(const char *s, int64_t *ms_out, char *err, size_t errlen)
{
    struct civil c;
    if (!s || !(imf_fixdate(s, &c) || rfc850_date(s, &c) || asctime_date(s, &c)))
        return fail(err, errlen, "not an HTTP date: '%.40s'", s ? s : "");
    if (!civil_valid(&c))
        return fail(err, errlen, "no such date or time: '%.40s'", s);
    *ms_out = civil_ms(&c, 0);
    return 0;
}
