/* The copilot's prompt: a fixed system prompt and a compact, structured
 * picture of one incident (or any selected row) built from the engine's
 * tables. Everything taken from the systems (event messages, paths,
 * process names ...) is JSON-encoded inside a per-request random fence and
 * labelled as data. A size budget trims the least relevant parts first and
 * says what it cut. */
#ifndef LOOKOUT_COPILOT_CONTEXT_H
#define LOOKOUT_COPILOT_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "copilot/pseudo.h"
#include "core/engine.h"

#define COPILOT_PROMPT_VERSION "lookout-copilot-v2"

/* What the answer is about: kind is incident, slo, service, pod, node,
 * kevent or any table name; key is that row's key. */
struct copilot_subject {
    char kind[16];
    char key[160];
    char why[160]; /* what prompted the question, sent as asked_because; "" none */
};

struct copilot_prompt {
    struct buf system;
    struct buf user;
    int trimmed; /* items dropped to fit the budget */
};

/* Builds both messages. budget_chars caps the user message (about 4 chars
 * per token). names, when not NULL, collects the namespaces, pods, nodes and
 * IPs seen, for pseudonymisation. 0, or -1 when the subject is unknown. */
int copilot_context_build(struct engine *e, const struct copilot_subject *subj, size_t budget_chars,
                          struct pseudo_map *names, struct copilot_prompt *out);
void copilot_prompt_free(struct copilot_prompt *p);

/* The service a subject is about ("" when none), and the time it started. */
void copilot_subject_service(struct engine *e, const struct copilot_subject *subj, char *out,
                             size_t outlen, int64_t *ref_time);
/* Does the pod belong to the service (selector, owner or name prefix)? */
bool copilot_pod_in_service(struct engine *e, const struct k8s_pod *p, const char *service);
/* "2026-11-23T09:30:00Z" */
void copilot_iso_time(int64_t ms, char *out, size_t outlen);

#endif
