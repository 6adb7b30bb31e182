/* Server-Sent Events framing over the shared line splitter; see sse.h. */
#include "base/sse.h"

#include <string.h>

void sse_init(struct sse_parser *p, sse_event_fn fn, void *ud)
{
    memset(p, 0, sizeof(*p));
    p->on_event = fn;
    p->ud = ud;
}

void sse_free(struct sse_parser *p)
{
    line_split_free(&p->split);
    buf_free(&p->data);
}

static bool dispatch(struct sse_parser *p)
{
    bool go = true;
    if (p->has_data)
        go =
            p->on_event(p->event[0] ? p->event : "message", buf_cstr(&p->data), p->data.len, p->ud);
    buf_reset(&p->data);
    p->event[0] = 0;
    p->has_data = false;
    return go;
}

/* One complete line, without its terminator (the splitter drops "\r\n"). */
static bool process_line(const char *s, size_t n, void *ud)
{
    struct sse_parser *p = ud;
    if (n == 0)
        return dispatch(p);
    if (s[0] == ':')
        return true; /* comment / keep-alive */
    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = (size_t)(s + n - v);
    if (vlen && *v == ' ') {
        v++;
        vlen--;
    }
    if (flen == 4 && memcmp(s, "data", 4) == 0) {
        if (p->has_data)
            buf_append(&p->data, "\n", 1);
        buf_append(&p->data, v, vlen);
        p->has_data = true;
    } else if (flen == 5 && memcmp(s, "event", 5) == 0) {
        size_t c = vlen < sizeof(p->event) - 1 ? vlen : sizeof(p->event) - 1;
        memcpy(p->event, v, c);
        p->event[c] = 0;
    }
    /* id:, retry: and unknown fields are ignored */
    return true;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len)
{
    return line_split_feed(&p->split, buf, len, process_line, p);
}
