/* Secret redaction at the door: every untrusted string is redacted in full
 * (redact_field) before it is cut into a field, stored, recorded or shown,
 * and the copilot redacts its request once more. A PCRE2 (JIT) rule set for
 * credentials (cloud keys, VCS, chat and vendor tokens, JWTs, PEM keys,
 * bearer/basic/cookie credentials, passwords in URLs and on command lines,
 * secret assignments whose value looks like a secret) plus user patterns.
 * A redacted span becomes "<REDACTED:rule>". */
#ifndef LOOKOUT_REDACT_H
#define LOOKOUT_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "base/buf.h"

#define REDACT_MAX_RULES 64

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
/* Tests only: off runs every rule on every text (the prefilter is exact). */
void redactor_set_prefilter(struct redactor *r, bool on);
/* The counts as a JSON object text {"rule":n,...} (only non-zero). */
void redact_counts_json(const struct redactor *r, const struct redact_counts *c, struct buf *out);

/* The process-wide redactor every module uses for untrusted text: the
 * built-in rules, plus the user's patterns once a copilot configuration
 * adds them. Built on first use; NULL only if the built-ins fail. */
struct redactor *redact_default(void);
/* Adds a user pattern to it (a name already there is kept: reloads). */
int redact_default_add(const char *name, const char *pattern, char *err, size_t errlen);
void redact_default_free(void);

/* The one door for untrusted text into a fixed field: redacts all of
 * src[0..srclen) (stopping at a NUL) and then cuts to dstlen-1 bytes at a
 * UTF-8 boundary that is never inside a "<REDACTED:rule>" placeholder.
 * Returns the bytes written. */
size_t redact_field(char *dst, size_t dstlen, const char *src, size_t srclen);
#define REDACT_COPY(dst, src)                                                                      \
    redact_field((dst), sizeof(dst), (src) ? (src) : "", (src) ? strlen(src) : 0)

#endif
