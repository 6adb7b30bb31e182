/* Secret redaction before anything leaves the process: a PCRE2 (JIT) rule
 * set for credentials (cloud keys, VCS and chat tokens, JWTs, PEM keys,
 * bearer/basic credentials, passwords in URLs, generic secret assignments)
 * plus user patterns. A redacted span becomes "<REDACTED:rule>". */
#ifndef LOOKOUT_REDACT_H
#define LOOKOUT_REDACT_H

#include <stddef.h>

#include "base/buf.h"

#define REDACT_MAX_RULES 48

struct redactor;

struct redact_counts {
    int n[REDACT_MAX_RULES]; /* by rule index */
    int total;
};

/* The built-in rules, compiled and JIT-ed; NULL with a message on failure. */
struct redactor *redactor_new(char *err, size_t errlen);
void redactor_free(struct redactor *r);
/* Adds a user pattern: with a capture group only group 1 is redacted,
 * else the whole match. -1 with the PCRE2 message and offset. */
int redactor_add(struct redactor *r, const char *name, const char *pattern, char *err,
                 size_t errlen);
int redactor_count(const struct redactor *r);
const char *redactor_rule_name(const struct redactor *r, int i);
/* Appends the redacted text to out; counts (may be NULL) are added to.
 * Returns the number of spans redacted. */
int redact_text(struct redactor *r, const char *in, size_t len, struct buf *out,
                struct redact_counts *counts);
/* The counts as a JSON object text {"rule":n,...} (only non-zero). */
void redact_counts_json(const struct redactor *r, const struct redact_counts *c, struct buf *out);

#endif
