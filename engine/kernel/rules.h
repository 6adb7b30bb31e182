/* Kernel event rules in the spirit of Falco's: a YAML file of rules, each
 * matching an event kind and some fields with PCRE2 regexes (JIT-compiled),
 * with `unless` exceptions, and setting a severity, a title and tags.
 *
 * A rule with an error is skipped with a "file:line: message" warning; the
 * rest of the file still loads. Format and defaults: docs/rules.md. */
#ifndef LOOKOUT_RULES_H
#define LOOKOUT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/model.h"
#include "base/yaml_tree.h"

struct rule_set;

struct rule_info {
    const char *name;
    const char *title;
    const char *tags; /* "a,b,c" */
    enum severity severity;
    uint64_t matches;
};

struct rule_set *rules_new(void);
void rules_free(struct rule_set *rs);

/* Adds the rules of a YAML document (a list of rules, or a map with a
 * `rules:` list). Broken rules go to warnings, one line each. Returns the
 * number of rules added, or -1 with err when the text is not YAML at all. */
int rules_load_string(struct rule_set *rs, const char *text, size_t len, const char *name,
                      struct buf *warnings, char *err, size_t errlen);
int rules_load_file(struct rule_set *rs, const char *path, struct buf *warnings, char *err,
                    size_t errlen);
/* The built-in set (rules_default.c). */
int rules_load_default(struct rule_set *rs, struct buf *warnings);
/* Turns a rule off by name; false when there is no such rule. */
bool rules_disable(struct rule_set *rs, const char *name);

/* Finds the most severe matching rule (the first one among equals), counts
 * it, and stamps ev->rule, ev->title and ev->severity (never lowered).
 * Returns the rule's index or -1. */
int rules_apply(struct rule_set *rs, struct kevent *ev);
/* Every matching rule's index into out (up to max); for tests and tools. */
int rules_match_all(struct rule_set *rs, const struct kevent *ev, int *out, int max);

int rules_count(const struct rule_set *rs);
bool rules_info(const struct rule_set *rs, int i, struct rule_info *out);
bool rules_jit(const struct rule_set *rs); /* JIT available and used */

/* Config section `rules`: {default: bool, files: [paths], disable: [names]}. */
int rules_config_check(const struct ynode *section, char *err, size_t errlen);

extern const char rules_default_yaml[];

#endif
