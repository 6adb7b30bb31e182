/* Untrusted text to text safe for a person to read; see textsafe.h for the
 * rules. */
#include "base/textsafe.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* Decodes one UTF-8 character; returns its length and sets *cp, or returns 1
 * with *cp = -1 for an invalid byte (overlong, surrogate, out of range, cut). */
static size_t utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    int32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = -1;
        return 1;
    }
    if (len > n) {
        *cp = -1;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = -1;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        *cp = -1;
        return 1;
    }
    *cp = v;
    return len;
}

static size_t utf8_encode(int32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Code points that reorder or break lines, or hide text, although wcwidth
 * may accept them: bidi marks, overrides and isolates; zero-width spaces and
 * joiners (they split a name so it no longer matches, or hide a payload);
 * the Unicode tag block, invisible but read by LLMs. */
static bool is_format_control(int32_t cp)
{
    return cp == 0x00ad || cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
           (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

/* The visible form of one code point: text in rep, its width in cells.
 * Without cells (text not bound for a terminal, whose locale may not be
 * UTF-8) printable code points are kept without asking wcwidth. */
static int render_cp(int32_t cp, bool ascii, bool cells, bool at_start, char rep[16])
{
    if (cp < 0) {
        if (ascii) {
            strcpy(rep, "?");
            return 1;
        }
        return (int)(rep[utf8_encode(0xfffd, rep)] = 0, 1);
    }
    if (cp < 0x20 || cp == 0x7f) {
        rep[0] = '^';
        rep[1] = (char)(cp == 0x7f ? '?' : cp + '@');
        rep[2] = 0;
        return 2;
    }
    if (cp < 0x7f) {
        rep[0] = (char)cp;
        rep[1] = 0;
        return 1;
    }
    if ((cp >= 0x80 && cp < 0xa0) || is_format_control(cp)) {
        return snprintf(rep, 16, "<U+%04X>", (unsigned)cp);
    }
    if (ascii) {
        strcpy(rep, "?");
        return 1;
    }
    if (!cells) {
        rep[utf8_encode(cp, rep)] = 0;
        return 1;
    }
    int w = wcwidth((wchar_t)cp);
    if (w < 0 || (w == 0 && at_start))
        return snprintf(rep, 16, "<U+%04X>", (unsigned)cp);
    rep[utf8_encode(cp, rep)] = 0;
    return w;
}

static int sanitize(const char *in, size_t inlen, int maxcells, char *out, size_t outsz, bool ascii)
{
    const char *ell = ascii ? "~" : "\xe2\x80\xa6";
    size_t ell_len = strlen(ell);
    if (outsz == 0)
        return 0;
    if (inlen == (size_t)-1)
        inlen = strlen(in);
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;
    int cells = 0;
    /* The longest prefix that still leaves room for the ellipsis. */
    size_t cut_o = 0;
    int cut_cells = 0;
    bool can_cut = maxcells >= 1 && ell_len + 1 <= outsz;
    while (i < inlen && s[i]) {
        int32_t cp;
        size_t len = utf8_decode(s + i, inlen - i, &cp);
        char rep[16];
        int w = render_cp(cp, ascii, true, o == 0, rep);
        size_t rl = strlen(rep);
        if ((maxcells >= 0 && cells + w > maxcells) || o + rl + 1 > outsz)
            goto cut;
        memcpy(out + o, rep, rl);
        o += rl;
        cells += w;
        i += len;
        if (cells <= maxcells - 1 && o + ell_len + 1 <= outsz)
            cut_o = o, cut_cells = cells;
    }
    out[o] = 0;
    return cells;
cut:
    if (can_cut) {
        memcpy(out + cut_o, ell, ell_len);
        out[cut_o + ell_len] = 0;
        return cut_cells + 1;
    }
    out[o] = 0;
    return cells;
}

int ts_sanitize(const char *in, size_t inlen, char *out, size_t outsz, bool ascii)
{
    return sanitize(in, inlen, -1, out, outsz, ascii);
}

int ts_clip(const char *in, int maxcells, char *out, size_t outsz, bool ascii)
{
    if (maxcells <= 0) {
        if (outsz)
            out[0] = 0;
        return 0;
    }
    return sanitize(in, (size_t)-1, maxcells, out, outsz, ascii);
}

void ts_sanitize_buf(const char *in, size_t len, struct buf *out, unsigned flags)
{
    const unsigned char *s = (const unsigned char *)in;
    bool ascii = flags & TS_ASCII, lines = flags & TS_KEEP_NEWLINES;
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        char rep[16];
        if (lines && cp == '\r' && i + 1 < len && s[i + 1] == '\n') {
            i++; /* CRLF line ends read as LF */
            continue;
        }
        if (lines && (cp == '\n' || cp == '\t')) {
            rep[0] = (char)cp, rep[1] = 0;
        } else {
            render_cp(cp, ascii, false, false, rep);
        }
        buf_puts(out, rep);
        i += n;
    }
}

int ts_width(const char *safe)
{
    const unsigned char *s = (const unsigned char *)safe;
    size_t n = strlen(safe), i = 0;
    int cells = 0;
    while (i < n) {
        int32_t cp;
        i += utf8_decode(s + i, n - i, &cp);
        int w = cp < 0 ? 1 : cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
        cells += w < 0 ? 1 : w;
    }
    return cells;
}

size_t ts_wrap(const char *safe, int width, const char **next)
{
    const unsigned char *s = (const unsigned char *)safe;
    size_t n = strlen(safe), i = 0, last_space = 0;
    int cells = 0;
    if (width < 1)
        width = 1;
    while (i < n && s[i] != '\n') {
        int32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        int w = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
        if (w < 0)
            w = 1;
        if (cells + w > width && i > 0) {
            size_t end = last_space ? last_space : i;
            size_t resume = end;
            while (resume < n && s[resume] == ' ')
                resume++;
            *next = safe + resume;
            while (end > 0 && s[end - 1] == ' ')
                end--;
            return end ? end : i;
        }
        if (s[i] == ' ')
            last_space = i;
        cells += w;
        i += len;
    }
    *next = safe + (i < n ? i + 1 : i);
    return i;
}
