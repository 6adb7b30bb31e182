/* The copilot audit log: one JSON line per request (mode 0600, append-only):
 * when, which backend and model, which incident, the redacted body's size and
 * SHA-256 (the text itself only with copilot.audit_full_text), redaction
 * counts by type, tokens, latency and outcome. Never a key. */
#ifndef LOOKOUT_COPILOT_AUDIT_H
#define LOOKOUT_COPILOT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct copilot_audit_rec {
    int64_t time; /* engine ms */
    const char *backend;
    const char *model;
    const char *incident;
    const char *fingerprint;
    const char *url; /* endpoint, without query */
    size_t prompt_bytes;
    const char *prompt_sha256;
    const char *redactions; /* JSON object text {"rule":n} */
    int redactions_total;
    int pseudonyms;
    int tokens_in;
    int tokens_out;
    int64_t latency_ms;
    const char *outcome; /* ok, incomplete, error, capped, blocked */
    const char *error;
    long status;
    int attempts;
    const char *request_id;
    const char *full_text; /* NULL unless audit_full_text */
};

/* Creates the directory (0700) and file (0600) as needed. 0 or -1 with err. */
int copilot_audit_append(const char *path, const struct copilot_audit_rec *r, char *err,
                         size_t errlen);

#endif
