/* The shared time parsers (RFC 3339, the HTTP dates) and Retry-After:
 * exact values, calendar edges, the leap-second rule, and inputs that must
 * be refused or clamped rather than misread. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "base/retry_after.h"
#include "base/timeparse.h"
#include "test.h"

/* ms of an RFC 3339 string, or INT64_MIN when refused. */
static int64_t rfc(const char *s)
{
    int64_t ms;
    return time_parse_rfc3339(s, &ms, NULL, 0) == 0 ? ms : INT64_MIN;
}

static int64_t http_date(const char *s)
{
    int64_t ms;
    return time_parse_http_date(s, &ms, NULL, 0) == 0 ? ms : INT64_MIN;
}

TEST(rfc3339_values_and_zones)
{
    CHECK(rfc("1970-01-01T00:00:00Z") == 0);
    CHECK(rfc("2015-10-21T07:28:00Z") == 1445412480000LL);
    CHECK(rfc("2015-10-21T09:28:00+02:00") == 1445412480000LL);
    CHECK(rfc("2015-10-21T02:58:00-04:30") == 1445412480000LL);
    CHECK(rfc("2015-10-21T07:28:00-00:00") == 1445412480000LL);
    CHECK(rfc("2015-10-21t07:28:00z") == 1445412480000LL); /* RFC 3339 5.6 allows lower case */
    /* offsets that cross midnight, a month end and a year end */
    CHECK(rfc("2024-03-01T01:30:00+02:00") == rfc("2024-02-29T23:30:00Z"));
    CHECK(rfc("2023-12-31T22:00:00-03:00") == rfc("2024-01-01T01:00:00Z"));
    CHECK(rfc("2024-01-01T00:00:00+23:59") == rfc("2023-12-31T00:01:00Z"));
}

TEST(rfc3339_fractions_any_length_cut_to_ms)
{
    int64_t base = rfc("2022-08-24T09:40:44Z");
    CHECK(rfc("2022-08-24T09:40:44.2Z") == base + 200);
    CHECK(rfc("2022-08-24T09:40:44.25Z") == base + 250);
    CHECK(rfc("2022-08-24T09:40:44.250Z") == base + 250);
    CHECK(rfc("2022-08-24T09:40:44.123456789Z") == base + 123);
    CHECK(rfc("2022-08-24T09:40:44.9999999999999999999999Z") == base + 999); /* cut, no carry */
    CHECK(rfc("2022-08-24T09:40:44.0001Z") == base);
    CHECK(rfc("2022-08-24T11:40:44.5+02:00") == base + 500);
    CHECK(rfc("2022-08-24T09:40:44.Z") == INT64_MIN); /* a dot needs a digit */
}

TEST(rfc3339_calendar_edges)
{
    CHECK(rfc("2024-02-29T12:00:00Z") == rfc("2024-02-28T12:00:00Z") + 86400000LL);
    CHECK(rfc("2000-02-29T00:00:00Z") != INT64_MIN); /* divisible by 400 */
    CHECK(rfc("2023-02-29T00:00:00Z") == INT64_MIN);
    CHECK(rfc("2100-02-29T00:00:00Z") == INT64_MIN); /* divisible by 100 */
    CHECK(rfc("2024-04-31T00:00:00Z") == INT64_MIN);
    CHECK(rfc("2024-12-31T23:59:59.999Z") + 1 == rfc("2025-01-01T00:00:00Z"));
    CHECK(rfc("9999-12-31T23:59:59.999Z") == 253402300799999LL);
    CHECK(rfc("0000-01-01T00:00:00Z") == -62167219200000LL);
    CHECK(rfc("1969-12-31T23:59:59Z") == -1000);
}

/* Documented rule: second 60 is the last millisecond of its minute. */
TEST(rfc3339_leap_second)
{
    int64_t last = rfc("2016-12-31T23:59:59.999Z");
    CHECK(rfc("2016-12-31T23:59:60Z") == last);
    CHECK(rfc("2016-12-31T23:59:60.5Z") == last);
    CHECK(rfc("2016-12-31T23:59:60Z") < rfc("2017-01-01T00:00:00Z"));
    CHECK(rfc("2017-01-01T01:59:60+02:00") == last);
    CHECK(rfc("2016-12-31T23:59:61Z") == INT64_MIN);
}

TEST(rfc3339_refuses_garbage)
{
    const char *bad[] = {"",
                         "garbage",
                         "2024-02-29",
                         "2024-02-29T12:00:00",       /* a zone is required */
                         "2024-02-29 12:00:00Z",      /* the separator is T */
                         "2024-02-29T12:00:00Zjunk",  /* the whole string */
                         "2024-02-29T12:00:00Z ",     /* even a blank */
                         " 2024-02-29T12:00:00Z",     /* before, too */
                         "2024-02-29T12:00:00+0200",  /* hh:mm */
                         "2024-02-29T12:00:00+02",    /* hh:mm */
                         "2024-02-29T12:00:00+24:00", /* no such offset */
                         "2024-02-29T12:00:00+02:60",
                         "2024-2-29T12:00:00Z",
                         "24-02-29T12:00:00Z",
                         "+2024-02-29T12:00:00Z",
                         "2024-13-01T00:00:00Z",
                         "2024-00-01T00:00:00Z",
                         "2024-01-00T00:00:00Z",
                         "2024-01-01T24:00:00Z",
                         "2024-01-01T23:60:00Z",
                         "2024-01-01T1:00:00Z",
                         "2024-01-01T01:00Z",
                         "2024-01-01T01:00:00.5.5Z",
                         "2024-01-01T01:00:00,5Z",
                         "2024-01-01Tab:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[128] = "";
        int64_t ms = 42;
        if (time_parse_rfc3339(bad[i], &ms, err, sizeof(err)) != -1 || !err[0] || ms != 42) {
            CHECK(!"accepted garbage");
            fprintf(stderr, "  input '%s'\n", bad[i]);
        }
    }
    int64_t ms;
    CHECK(time_parse_rfc3339(NULL, &ms, NULL, 0) == -1);
    CHECK(time_rfc3339_or_zero(NULL) == 0);
    CHECK(time_rfc3339_or_zero("") == 0);
    CHECK(time_rfc3339_or_zero("2024-02-30T00:00:00Z") == 0);
    CHECK(time_rfc3339_or_zero("2015-10-21T07:28:00Z") == 1445412480000LL);
}

/* Every 7919 s over 130 years, against libc's gmtime: the civil
 * arithmetic agrees with the C library everywhere, leap years included. */
TEST(rfc3339_agrees_with_gmtime)
{
    int bad = 0;
    for (int64_t t = -2208988800LL; t < 1893456000LL && bad < 5; t += 7919) {
        time_t tt = (time_t)t;
        struct tm tm;
        char s[64];
        gmtime_r(&tt, &tm);
        strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (rfc(s) != t * 1000) {
            fprintf(stderr, "  %s: %lld != %lld\n", s, (long long)rfc(s), (long long)t * 1000);
            bad++;
        }
    }
    CHECK(bad == 0);
    /* fields out of range roll over as timegm's do */
    CHECK(time_from_civil(2024, 3, 0, 0, 0, 0) * 1000 == rfc("2024-02-29T00:00:00Z"));
    CHECK(time_from_civil(2023, 13, 1, 0, 0, 0) * 1000 == rfc("2024-01-01T00:00:00Z"));
    CHECK(time_from_civil(2024, 0, 1, 0, 0, 0) * 1000 == rfc("2023-12-01T00:00:00Z"));
}

TEST(naive_utc_stamps)
{
    int64_t ms;
    CHECK(time_parse_utc_naive("2014-04-10 00:02:00", &ms, NULL, 0) == 0);
    CHECK(ms == rfc("2014-04-10T00:02:00Z"));
    CHECK(time_parse_utc_naive("2014-04-10 07:15:00.000000", &ms, NULL, 0) == 0);
    CHECK(ms == rfc("2014-04-10T07:15:00Z"));
    CHECK(time_parse_utc_naive("2014-04-10T07:15:00.5", &ms, NULL, 0) == 0);
    CHECK(ms == rfc("2014-04-10T07:15:00.5Z"));
    CHECK(time_parse_utc_naive("2014-04-10 00:02:00Z", &ms, NULL, 0) == -1); /* no zone */
    CHECK(time_parse_utc_naive("2014-04-10 00:02:00,12.5", &ms, NULL, 0) == -1);
    CHECK(time_parse_utc_naive("2014-04-31 00:02:00", &ms, NULL, 0) == -1);
}

TEST(http_dates_all_three_forms)
{
    /* RFC 9110's own example, in each form */
    CHECK(http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777000LL);
    CHECK(http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777000LL);
    CHECK(http_date("Sun Nov  6 08:49:37 1994") == 784111777000LL);
    CHECK(http_date("Thu Nov 16 08:49:37 1994") == 784111777000LL + 10 * 86400000LL);
    CHECK(http_date("Monday, 01-Jan-24 00:00:00 GMT") == rfc("2024-01-01T00:00:00Z"));
    CHECK(http_date("Thursday, 01-Jan-70 00:00:00 GMT") == 0);
    CHECK(http_date("Fri, 31 Dec 9999 23:59:59 GMT") == 253402300799000LL);
    const char *bad[] = {"",
                         "Sun, 06 Nov 1994 08:49:37 UTC",
                         "Sun, 06 Nov 1994 08:49:37",
                         "Sun, 06 Nov 1994 08:49:37 GMT ",
                         "Sun, 6 Nov 1994 08:49:37 GMT",
                         "Sun, 06 nov 1994 08:49:37 GMT",
                         "Sun, 31 Feb 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 25:49:37 GMT",
                         "Xyz, 06 Nov 1994 08:49:37 GMT",
                         "Sun Nov 6 08:49:37 1994",
                         "Sun, 06-Nov-94 08:49:37 GMT",
                         "1994-11-06T08:49:37Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (http_date(bad[i]) != INT64_MIN) {
            CHECK(!"accepted a bad HTTP date");
            fprintf(stderr, "  input '%s'\n", bad[i]);
        }
    CHECK(http_date(NULL) == INT64_MIN);
}

/* delay of a Retry-After value in [0, 60 s], or -1 when refused. */
static int64_t ra(const char *v, int64_t now)
{
    int64_t d;
    return retry_after_parse(v, now, 0, 60000, &d, NULL, 0) == 0 ? d : -1;
}

TEST(retry_after_seconds_and_dates)
{
    CHECK(ra("7", 0) == 7000);
    CHECK(ra(" 7\t", 0) == 7000);
    CHECK(ra("0", 0) == 0);
    CHECK(ra("0.3", 0) == 300);
    CHECK(ra("1.5", 0) == 1500);
    CHECK(ra("120", 0) == 60000); /* clamped to the caller's max */
    CHECK(ra("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000LL) == 10000);
    CHECK(ra("Wednesday, 21-Oct-15 07:28:00 GMT", 1445412470000LL) == 10000);
    CHECK(ra("Wed Oct 21 07:28:00 2015", 1445412470000LL) == 10000);
    CHECK(ra("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490000LL) == 0); /* already past */
    int64_t d;
    CHECK(retry_after_parse("0", 0, 100, 60000, &d, NULL, 0) == 0 && d == 100);
    char err[128] = "";
    CHECK(retry_after_parse("soon", 0, 0, 1000, &d, err, sizeof(err)) == -1 && err[0]);
}

/* What a hostile or broken server may send: refused or clamped, never cast
 * out of range (the old copilot code did (int64_t)(1e300 * 1000)). */
TEST(retry_after_hostile_values)
{
    const char *refused[] = {"",         "soon", "nan",  "NaN",   "inf", "-inf",
                             "infinity", "-1",   "-0.5", "1e300", "1E3", "0x10",
                             "+5",       ".5",   "5.",   "1 2",   "7s"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (ra(refused[i], 0) != -1) {
            CHECK(!"accepted a malformed Retry-After");
            fprintf(stderr, "  input '%s'\n", refused[i]);
        }
    CHECK(ra(NULL, 0) == -1);
    char huge[1001];
    memset(huge, '9', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = 0; /* 10^1000: infinity as a double */
    CHECK(ra(huge, 0) == 60000);
    CHECK(ra("9223372036854775807", 0) == 60000);
    CHECK(ra("9223372036854775.808", 0) == 60000);
    CHECK(ra("0.0000001", 0) == 0);
    CHECK(ra("Fri, 31 Dec 9999 23:59:59 GMT", 0) == 60000);
    CHECK(ra("Thu, 01 Jan 1970 00:00:00 GMT", INT64_MAX) == 0);
    CHECK(ra("Fri, 31 Dec 9999 23:59:59 GMT", INT64_MIN) == 60000);
    int64_t d;
    CHECK(retry_after_parse(huge, 0, 0, INT64_MAX, &d, NULL, 0) == 0 && d == INT64_MAX);
}

TEST(retry_after_ms_header)
{
    int64_t d;
    CHECK(retry_after_ms_parse("150", 0, 60000, &d, NULL, 0) == 0 && d == 150);
    CHECK(retry_after_ms_parse("150.7", 0, 60000, &d, NULL, 0) == 0 && d == 150);
    CHECK(retry_after_ms_parse("99999999999999999999999", 0, 60000, &d, NULL, 0) == 0 &&
          d == 60000);
    d = 42;
    CHECK(retry_after_ms_parse("nan", 0, 60000, &d, NULL, 0) == -1 && d == 42);
    CHECK(retry_after_ms_parse("1e300", 0, 60000, &d, NULL, 0) == -1);
    CHECK(retry_after_ms_parse("-5", 0, 60000, &d, NULL, 0) == -1);
    CHECK(retry_after_ms_parse("", 0, 60000, &d, NULL, 0) == -1);
}

RUN_TESTS()
