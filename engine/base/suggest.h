/* "Did you mean ...?": the closest of a set of known words to one a person
 * typed, by edit distance. Used wherever a name is looked up (SLO ids,
 * command-line values) so a typo gets an answer, not only a refusal. */
#ifndef LOOKOUT_BASE_SUGGEST_H
#define LOOKOUT_BASE_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance between a and b (bytes), or cap + 1 when it is
 * larger than cap: long strings are not compared in full. */
int suggest_distance(const char *a, const char *b, int cap);

/* Running best match: feed every candidate, then read best (NULL: nothing
 * close enough; "close" is at most a third of the typed word, at least 2). */
struct suggest {
    const char *typed;
    const char *best;
    int best_dist;
};
void suggest_init(struct suggest *s, const char *typed);
void suggest_offer(struct suggest *s, const char *candidate);

#endif
