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

void pseudo_restore(const struct pseudo_map *m, const char *in, size_t len, struct buf *out)
{
    replace_all(m, in, len, out, true);
}
