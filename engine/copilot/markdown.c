/* Untrusted text made inert for the Markdown post-mortem; see markdown.h.
 * Everything is decided within one line: a backtick with no partner on its
 * line is escaped and every bracket outside a code span is too, so no code
 * span, link or image can be assembled across lines by a renderer. */
#include "copilot/markdown.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base/textsafe.h"
#include "copilot/copilot.h"

static size_t run(const char *s, size_t n, char c)
{
    size_t r = 0;
    while (r < n && s[r] == c)
        r++;
    return r;
}

/* Where the backtick run of length r at s ends its span: the next run of
 * exactly r backticks, or 0 when there is none on this line. */
static size_t span_end(const char *s, size_t n, size_t r)
{
    for (size_t i = r; i < n;) {
        size_t k = run(s + i, n - i, '`');
        if (k == r)
            return i + k;
        i += k ? k : 1;
    }
    return 0;
}

/* s shown literally as a code span, fenced by more backticks than any run
 * inside it. */
static void code_span(const char *s, size_t n, struct buf *out)
{
    size_t longest = 0;
    for (size_t i = 0; i < n;) {
        size_t k = run(s + i, n - i, '`');
        longest = k > longest ? k : longest;
        i += k ? k : 1;
    }
    bool pad = n && (s[0] == '`' || s[n - 1] == '`');
    for (size_t k = 0; k <= longest; k++)
        buf_puts(out, "`");
    buf_puts(out, pad ? " " : "");
    buf_append(out, s, n);
    buf_puts(out, pad ? " " : "");
    for (size_t k = 0; k <= longest; k++)
        buf_puts(out, "`");
}

/* The length of [label](target) or ![alt](target) at s, 0 if none. */
static size_t link_len(const char *s, size_t n)
{
    size_t i = s[0] == '!' ? 1 : 0;
    if (i >= n || s[i] != '[')
        return 0;
    const char *close = memchr(s + i, ']', n - i);
    if (!close || (size_t)(close - s) + 1 >= n || close[1] != '(')
        return 0;
    int depth = 0;
    for (size_t k = (size_t)(close - s) + 1; k < n; k++) {
        depth += s[k] == '(' ? 1 : s[k] == ')' ? -1 : 0;
        if (depth == 0)
            return k + 1;
    }
    return 0;
}

/* A reference definition "[x]: url" takes the whole line. */
static bool ref_definition(const char *s, size_t n)
{
    size_t i = run(s, n, ' ');
    if (i > 3 || i >= n || s[i] != '[')
        return false;
    const char *close = memchr(s + i, ']', n - i);
    return close && (size_t)(close - s) + 1 < n && close[1] == ':';
}

/* Plain text (no code span) with HTML, references, brackets and URL
 * schemes made inert. */
static void inert_char(const char *s, size_t n, size_t *i, struct buf *out)
{
    char c = s[*i];
    if (c == '<')
        buf_puts(out, "&lt;");
    else if (c == '>')
        buf_puts(out, "&gt;");
    else if (c == '&')
        buf_puts(out, "&amp;");
    else if (c == '[' || c == ']' || c == '\\' || c == '`')
        buf_printf(out, "\\%c", c);
    else if (c == ':' && *i + 2 < n && s[*i + 1] == '/' && s[*i + 2] == '/')
        buf_puts(out, "[:]"); /* https[:]// is no autolink */
    else if ((c == 'w' || c == 'W') && *i + 4 <= n && !strncasecmp(s + *i, "www.", 4) &&
             (*i == 0 || !isalnum((unsigned char)s[*i - 1]))) {
        buf_append(out, s + *i, 3);
        buf_puts(out, "[.]");
        *i += 3;
    } else
        buf_append(out, &c, 1);
    (*i)++;
}

static void md_inline(const char *s, size_t n, struct buf *out)
{
    if (ref_definition(s, n)) {
        code_span(s, n, out);
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t k;
        if (s[i] == '`') {
            size_t r = run(s + i, n - i, '`');
            size_t end = span_end(s + i, n - i, r);
            if (end) {
                buf_append(out, s + i, end); /* code is shown literally already */
                i += end;
            } else {
                for (size_t j = 0; j < r; j++)
                    buf_puts(out, "\\`");
                i += r;
            }
        } else if ((s[i] == '[' || s[i] == '!') && (k = link_len(s + i, n - i))) {
            code_span(s + i, k, out);
            i += k;
        } else {
            inert_char(s, n, &i, out);
        }
    }
}

void md_data(const char *in, struct buf *out)
{
    struct buf flat = {0}, safe = {0};
    for (const char *p = in; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char d = (c < 0x20 || c == 0x7f) ? ' ' : c == '|' ? '/' : (char)c;
        buf_append(&flat, &d, 1);
    }
    ts_sanitize_buf(buf_cstr(&flat), flat.len, &safe, 0);
    md_inline(buf_cstr(&safe), safe.len, out);
    buf_free(&flat);
    buf_free(&safe);
}

/* "1. ", "- ", "  * ": the list marker and its spaces, 0 if none. */
static size_t list_marker(const char *s, size_t n)
{
    size_t i = run(s, n, ' ');
    size_t d = 0;
    while (i + d < n && isdigit((unsigned char)s[i + d]))
        d++;
    if (d && i + d < n && (s[i + d] == '.' || s[i + d] == ')'))
        i += d + 1;
    else if (!d && i < n && strchr("-*+", s[i]))
        i++;
    else
        return 0;
    if (i < n && s[i] != ' ')
        return 0;
    return i + run(s + i, n - i, ' ');
}

/* ``` or ~~~ (three or more) after at most three spaces. */
static size_t fence_len(const char *s, size_t n, char *ch)
{
    size_t i = run(s, n, ' ');
    if (i > 3 || i >= n || (s[i] != '`' && s[i] != '~'))
        return 0;
    size_t r = run(s + i, n - i, s[i]);
    *ch = s[i];
    return r >= 3 ? r : 0;
}

static void answer_line(const char *s, size_t n, bool bad, struct buf *out)
{
    size_t m = list_marker(s, n);
    if (n && s[0] == '#') {
        buf_puts(out, "##"); /* demoted under "Copilot draft" */
        md_inline(s, n, out);
        if (bad)
            buf_puts(out, " (" COPILOT_DESTRUCTIVE_MARK ")");
        return;
    }
    buf_append(out, s, m);
    if (bad)
        buf_puts(out, "**" COPILOT_DESTRUCTIVE_MARK ":** ");
    md_inline(s + m, n - m, out);
}

void md_answer(const char *text, struct buf *out)
{
    struct buf safe = {0}, line = {0};
    ts_sanitize_buf(text, strlen(text), &safe, TS_KEEP_NEWLINES);
    char fence_ch = 0, ch;
    size_t fence = 0;
    for (const char *p = buf_cstr(&safe); *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        buf_reset(&line);
        buf_append(&line, p, n);
        bool bad = copilot_line_is_destructive(buf_cstr(&line));
        size_t f = fence_len(p, n, &ch);
        if (f && (!fence || (ch == fence_ch && f >= fence))) {
            fence = fence ? 0 : f;
            fence_ch = ch;
            buf_append(out, p, n);
        } else if (fence) {
            buf_append(out, p, n); /* literal inside a fence */
            if (bad)
                buf_puts(out, "  # " COPILOT_DESTRUCTIVE_MARK);
        } else {
            answer_line(p, n, bad, out);
        }
        buf_puts(out, "\n");
        p = nl ? nl + 1 : p + n;
    }
    /* an unclosed fence must not swallow what follows */
    for (size_t k = 0; k < fence; k++)
        buf_append(out, &fence_ch, 1);
    if (fence)
        buf_puts(out, "\n");
    buf_free(&safe);
    buf_free(&line);
}
