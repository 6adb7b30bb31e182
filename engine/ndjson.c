#include "ndjson.h"

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

static bool flush_line(struct ndjson_parser *p)
{
    size_t n = p->line.len;
    const char *s = buf_cstr(&p->line);
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    bool go = true;
    if (n)
        go = p->on_line(s, n, p->ud);
    buf_reset(&p->line);
    return go;
}

int ndjson_feed(struct ndjson_parser *p, const char *buf, size_t len)
{
    size_t max = p->max_line ? p->max_line : NDJSON_DEFAULT_MAX_LINE;
    while (len) {
        const char *nl = memchr(buf, '\n', len);
        size_t take = nl ? (size_t)(nl - buf) : len;
        if (p->line.len + take > max)
            return -1;
        buf_append(&p->line, buf, take);
        if (!nl)
            return 0;
        buf += take + 1;
        len -= take + 1;
        if (!flush_line(p))
            return -1;
    }
    return 0;
}

int ndjson_finish(struct ndjson_parser *p)
{
    return flush_line(p) ? 0 : -1;
}
