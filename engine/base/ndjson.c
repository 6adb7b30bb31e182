#include "base/ndjson.h"

#include <string.h>

#define NDJSON_DEFAULT_MAX_LINE (1u << 20)

void ndjson_init(struct ndjson_parser *p, ndjson_line_fn fn, void *ud)
{
    memset(p, 0, sizeof(*p));
    p->on_line = fn;
    p->ud = ud;
}

void ndjson_free(struct ndjson_parser *p)
{
    buf_free(&p->line);
}

/* One line without its "\n": trailing blanks and "\r" go, blank lines are skipped. */
static bool dispatch_line(const char *s, size_t n, void *ud)
{
    struct ndjson_parser *p = ud;
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n ? p->on_line(s, n, p->ud) : true;
}

int ndjson_feed(struct ndjson_parser *p, const char *buf, size_t len)
{
    size_t max = p->max_line ? p->max_line : NDJSON_DEFAULT_MAX_LINE;
    return buf_feed_lines(&p->line, max, buf, len, dispatch_line, p);
}

int ndjson_finish(struct ndjson_parser *p)
{
    bool go = dispatch_line(buf_cstr(&p->line), p->line.len, p);
    buf_reset(&p->line);
    return go ? 0 : -1;
}
