#include "copilot/pseudo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"ns", "pod", "node", "host", "ip"};

const char *pseudo_add(struct pseudo_map *m, const char *kind, const char *real)
{
    if (!real || strlen(real) < 3 || strlen(real) >= PSEUDO_NAME)
        return NULL;
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->e[i].real, real) == 0)
            return m->e[i].alias;
    int k = 0;
    while (k < (int)(sizeof(kinds) / sizeof(kinds[0])) && strcmp(kinds[k], kind) != 0)
        k++;
    if (k == (int)(sizeof(kinds) / sizeof(kinds[0])) || m->n >= PSEUDO_MAX)
        return NULL;
    struct pseudo_entry *e = &m->e[m->n++];
    STR_COPY(e->match, real);
    STR_COPY(e->real, real);
    snprintf(e->alias, sizeof(e->alias), "<%s-%d>", kind, ++m->next_id[k]);
    return e->alias;
}

/* Characters that continue a name: a match inside a longer name is not one. */
static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* Longest entry whose field matches at in[i] on name boundaries. */
static const struct pseudo_entry *match_at(const struct pseudo_map *m, const char *in, size_t len,
                                           size_t i, bool to_real)
{
    const struct pseudo_entry *best = NULL;
    size_t best_len = 0;
    for (int k = 0; k < m->n; k++) {
        const char *s = to_real ? m->e[k].alias : m->e[k].match;
        size_t n = strlen(s);
        if (n <= best_len || n > len - i || s[0] != in[i] || memcmp(in + i, s, n) != 0)
            continue;
        if (!to_real) {
            if ((i > 0 && name_char(in[i - 1])) || (i + n < len && name_char(in[i + n])))
                continue;
        }
        best = &m->e[k];
        best_len = n;
    }
    return best;
}

static void replace_all(const struct pseudo_map *m, const char *in, size_t len, struct buf *out,
                        bool to_real)
{
    size_t i = 0, copied = 0;
    while (i < len) {
        const struct pseudo_entry *e = m->n ? match_at(m, in, len, i, to_real) : NULL;
        if (!e) {
            i++;
            continue;
        }
        buf_append(out, in + copied, i - copied);
        const char *from = to_real ? e->alias : e->match;
        buf_puts(out, to_real ? e->real : e->alias);
        i += strlen(from);
        copied = i;
    }
    buf_append(out, in + copied, len - copied);
}

void pseudo_apply(const struct pseudo_map *m, const char *in, size_t len, struct buf *out)
{
    replace_all(m, in, len, out, false);
}

static bool has(const char *s, size_t n, const char *what)
{
    size_t w = strlen(what);
    for (size_t i = 0; i + w <= n; i++)
        if (memcmp(s + i, what, w) == 0)
            return true;
    return false;
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A word that is or holds a link target: a URL, a Markdown link or image
 * "](...)", a reference definition "[x]: ...", "www." or "//host". A real
 * name restored there would be sent to that host when the text is rendered
 * or clicked, so the alias stays. */
static bool url_word(const char *s, size_t n)
{
    return has(s, n, "://") || has(s, n, "](") || has(s, n, "]:") ||
           (n >= 4 && memcmp(s, "www.", 4) == 0) || (n >= 2 && memcmp(s, "//", 2) == 0);
}

void pseudo_restore(const struct pseudo_map *m, const char *in, size_t len, struct buf *out)
{
    /* aliases hold no space, so word by word is exact */
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && !space(in[j]))
            j++;
        if (url_word(in + i, j - i))
            buf_append(out, in + i, j - i);
        else
            replace_all(m, in + i, j - i, out, true);
        for (i = j; j < len && space(in[j]); j++)
            ;
        buf_append(out, in + i, j - i);
        i = j;
    }
}
