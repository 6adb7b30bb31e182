#include "kube/watch.h"

#include <string.h>

void kube_lines_init(struct kube_lines *l, size_t cap)
{
    memset(l, 0, sizeof(*l));
    l->cap = cap ? cap : KUBE_LINE_CAP_DEFAULT;
}

void kube_lines_reset(struct kube_lines *l)
{
    buf_reset(&l->pending);
    l->skipping = false;
}

void kube_lines_free(struct kube_lines *l)
{
    buf_free(&l->pending);
}

/* Appends part of a line, switching to skip mode when it would pass the cap. */
static void add_partial(struct kube_lines *l, const char *p, size_t n)
{
    if (l->skipping)
        return;
    if (l->pending.len + n > l->cap) {
        l->skipping = true;
        l->oversized++;
        buf_free(&l->pending); /* give the memory back now, not at the next line */
        return;
    }
    buf_append(&l->pending, p, n);
}

bool kube_lines_feed(struct kube_lines *l, const char *data, size_t len, kube_line_fn fn, void *ud)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            add_partial(l, p, (size_t)(end - p));
            return true;
        }
        add_partial(l, p, (size_t)(nl - p));
        bool was_skipping = l->skipping;
        l->skipping = false;
        p = nl + 1;
        if (was_skipping)
            continue;
        size_t n = l->pending.len;
        if (n && l->pending.data[n - 1] == '\r')
            n--;
        char *line = l->pending.data ? l->pending.data : (char *)"";
        if (l->pending.data)
            line[n] = 0;
        l->lines++;
        bool go_on = n == 0 || fn(line, n, ud);
        buf_reset(&l->pending);
        if (!go_on)
            return false;
    }
    return true;
}
