/* The line splitter and NDJSON on top of it; see ndjson.h. */
#include "base/ndjson.h"

#include <string.h>

#define DEFAULT_MAX_LINE (1u << 20)

void line_split_reset(struct line_split *s)
{
    buf_reset(&s->line);
    s->skipping = false;
}

void line_split_free(struct line_split *s)
{
    buf_free(&s->line);
}

/* Takes part of a line; false when it passes the cap and the feed must fail. */
static bool take_part(struct line_split *s, const char *p, size_t n)
{
    size_t max = s->max ? s->max : DEFAULT_MAX_LINE;
    if (s->skipping)
        return true;
    if (s->line.len + n <= max) {
        buf_append(&s->line, p, n);
        return true;
    }
    if (!s->skip_long)
        return false;
    s->skipping = true;
    s->oversized++;
    buf_free(&s->line); /* give a huge line's memory back now, not at the next one */
    return true;
}

int line_split_feed(struct line_split *s, const char *data, size_t len, ndjson_line_fn fn, void *ud)
{
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        if (!take_part(s, data, take))
            return -1;
        if (!nl)
            return 0;
        data += take + 1;
        len -= take + 1;
        if (s->skipping) {
            s->skipping = false;
            continue;
        }
        size_t n = s->line.len;
        if (n && s->line.data[n - 1] == '\r')
            s->line.data[--n] = 0;
        s->lines++;
        bool go = fn(buf_cstr(&s->line), n, ud);
        buf_reset(&s->line);
        if (!go)
            return -1;
    }
    return 0;
}

void ndjson_init(struct ndjson_parser *p, ndjson_line_fn fn, void *ud)
{
    memset(p, 0, sizeof(*p));
    p->on_line = fn;
    p->ud = ud;
}

void ndjson_free(struct ndjson_parser *p)
{
    line_split_free(&p->split);
}

void ndjson_reset(struct ndjson_parser *p)
{
    line_split_reset(&p->split);
}

/* Trailing blanks go (the line is ours until the next feed); blank lines
 * are skipped unless the stream gives them a meaning. */
static bool dispatch_line(const char *s, size_t n, void *ud)
{
    struct ndjson_parser *p = ud;
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n < p->split.line.len)
        p->split.line.data[n] = 0;
    return n || p->keep_blank ? p->on_line(s, n, p->ud) : true;
}

int ndjson_feed(struct ndjson_parser *p, const char *buf, size_t len)
{
    return line_split_feed(&p->split, buf, len, dispatch_line, p);
}

int ndjson_finish(struct ndjson_parser *p)
{
    bool go = true;
    if (!p->split.skipping && p->split.line.len) {
        p->split.lines++;
        go = dispatch_line(buf_cstr(&p->split.line), p->split.line.len, p);
    }
    line_split_reset(&p->split);
    return go ? 0 : -1;
}
