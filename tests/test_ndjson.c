/* The one line splitter and NDJSON on top of it: chunking at every offset,
 * the two answers to an over-long line (fail, or skip and count), blank
 * lines as data or noise, and the final unterminated line. */
#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "base/ndjson.h"
#include "test.h"

struct got {
    int lines;
    int stop_after; /* 0: never stop */
    struct buf all; /* each line followed by "|" */
};

static bool collect(const char *line, size_t len, void *ud)
{
    struct got *g = ud;
    CHECK(line[len] == 0);
    CHECK(memchr(line, '\n', len) == NULL);
    buf_append(&g->all, line, len);
    buf_append(&g->all, "|", 1);
    return !g->stop_after || ++g->lines < g->stop_after;
}

TEST(ndjson_every_split_gives_the_same_lines)
{
    const char *s = "{\"a\":1}\n{\"b\":2} \t\r\n\n   \n{\"c\":3}\r\n{\"d\":4}";
    size_t n = strlen(s);
    for (size_t cut = 0; cut <= n; cut++) {
        struct ndjson_parser p;
        struct got g = {0};
        ndjson_init(&p, collect, &g);
        CHECK(ndjson_feed(&p, s, cut) == 0);
        CHECK(ndjson_feed(&p, s + cut, n - cut) == 0);
        CHECK(ndjson_finish(&p) == 0);
        CHECK_STR(buf_cstr(&g.all), "{\"a\":1}|{\"b\":2}|{\"c\":3}|{\"d\":4}|");
        ndjson_free(&p);
        buf_free(&g.all);
    }
}

TEST(ndjson_long_line_fails_by_default)
{
    struct ndjson_parser p;
    struct got g = {0};
    ndjson_init(&p, collect, &g);
    p.split.max = 8;
    CHECK(ndjson_feed(&p, "{\"a\":1}\n", 8) == 0);
    CHECK(ndjson_feed(&p, "{\"long\":", 8) == 0); /* at the cap, not past it */
    CHECK(ndjson_feed(&p, "1}\n", 3) == -1);
    CHECK_STR(buf_cstr(&g.all), "{\"a\":1}|"); /* nothing cut and handed out */
    ndjson_free(&p);
    buf_free(&g.all);
}

TEST(ndjson_long_line_skipped_and_counted)
{
    struct ndjson_parser p;
    struct got g = {0};
    ndjson_init(&p, collect, &g);
    p.split.max = 8;
    p.split.skip_long = true;
    const char *parts[] = {"{\"a\":1}\n{\"long\"", ":\"0123456789", "0123456789\"}",
                           "\n{\"b\":2}\n", "0123456789"};
    for (int i = 0; i < 5; i++)
        CHECK(ndjson_feed(&p, parts[i], strlen(parts[i])) == 0);
    CHECK(p.split.line.len == 0);  /* the tail of a dropped line is not buffered */
    CHECK(ndjson_finish(&p) == 0); /* nor handed out at the end */
    CHECK_STR(buf_cstr(&g.all), "{\"a\":1}|{\"b\":2}|");
    CHECK(p.split.oversized == 2);
    CHECK(p.split.lines == 2);
    /* a new stream after a reset starts clean, the counts stay */
    CHECK(ndjson_feed(&p, "0123456789", 10) == 0);
    ndjson_reset(&p);
    CHECK(ndjson_feed(&p, "{\"c\":3}\n", 8) == 0);
    CHECK_STR(buf_cstr(&g.all), "{\"a\":1}|{\"b\":2}|{\"c\":3}|");
    CHECK(p.split.oversized == 3);
    ndjson_free(&p);
    buf_free(&g.all);
}

TEST(ndjson_blank_lines_kept_when_they_mean_something)
{
    struct ndjson_parser p;
    struct got g = {0};
    ndjson_init(&p, collect, &g);
    p.keep_blank = true;
    CHECK(ndjson_feed(&p, "{\"e\":1}\n\n\r\n{\"e\":2}\n", 20) == 0);
    CHECK_STR(buf_cstr(&g.all), "{\"e\":1}|||{\"e\":2}|");
    ndjson_free(&p);
    buf_free(&g.all);
}

TEST(ndjson_callback_stops_the_feed)
{
    struct ndjson_parser p;
    struct got g = {.stop_after = 2};
    ndjson_init(&p, collect, &g);
    CHECK(ndjson_feed(&p, "1\n2\n3\n", 6) == -1);
    CHECK_STR(buf_cstr(&g.all), "1|2|");
    ndjson_free(&p);
    buf_free(&g.all);
}

static bool count_lines(const char *line, size_t len, void *ud)
{
    (void)line, (void)len;
    (*(int *)ud)++;
    return true;
}

TEST(line_split_keeps_content_and_blank_lines)
{
    /* the raw splitter under SSE: trailing blanks are data, blank lines are
     * event ends, only "\r\n" loses its "\r" */
    struct line_split s = {.max = 4};
    int n = 0;
    CHECK(line_split_feed(&s, "ab \r\n\nc", 7, count_lines, &n) == 0);
    CHECK(n == 2);
    CHECK_STR(buf_cstr(&s.line), "c");
    CHECK(line_split_feed(&s, "defg\n", 5, count_lines, &n) == -1); /* 5 bytes: past max */
    line_split_free(&s);
}

RUN_TESTS()
