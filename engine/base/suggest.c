/* Edit distance and closest-match suggestions; see suggest.h. */
#include "base/suggest.h"

#include <string.h>

#define SUGGEST_MAX 128 /* longer words are not worth a suggestion */

int suggest_distance(const char *a, const char *b, int cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > (size_t)cap)
        return cap + 1;
    /* one row of the dynamic-programming table at a time */
    int row[SUGGEST_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0], lowest;
        row[0] = (int)i;
        lowest = row[0];
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int sub = diag + (a[i - 1] != b[j - 1]);
            int best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
            if (row[j] < lowest)
                lowest = row[j];
        }
        if (lowest > cap)
            return cap + 1;
    }
    return row[lb] > cap ? cap + 1 : row[lb];
}

void suggest_init(struct suggest *s, const char *typed)
{
    int cap = (int)strlen(typed) / 3;
    s->typed = typed;
    s->best = NULL;
    s->best_dist = (cap < 2 ? 2 : cap) + 1;
}

void suggest_offer(struct suggest *s, const char *candidate)
{
    int d = suggest_distance(s->typed, candidate, s->best_dist - 1);
    if (d < s->best_dist) {
        s->best = candidate;
        s->best_dist = d;
    }
}
