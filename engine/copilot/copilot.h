/* The incident copilot: asks an LLM (or the offline analysis) about an
 * incident and streams the answer into T_COPILOT, keyed by incident id.
 *
 * Triggers: a new incident fingerprint (T_INCIDENTS), an SLO page with no
 * incident, a critical kernel-rule hit no incident covers, and `a` on any
 * row (copilot_ask). One conversation per fingerprint (debounce + cache),
 * one request in flight, a cap on requests per hour and on tokens per
 * request. Everything sent is redacted (and pseudonymised for cloud
 * backends); nothing the model says is ever executed. */
#ifndef LOOKOUT_COPILOT_H
#define LOOKOUT_COPILOT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/http.h"
#include "base/loop.h"
#include "copilot/config.h"
#include "core/engine.h"
#include "core/module.h"

struct copilot;

/* The copilot module: reads the `copilot` config and --copilot; its state
 * is the struct copilot (the front end asks the app for it). */
extern const struct module copilot_module;

struct copilot *copilot_new(struct engine *e, struct loop *l, struct http *h,
                            const struct copilot_settings *s, char *err, size_t errlen);
void copilot_free(struct copilot *c);

/* Manual question about any row (`a` in the TUI): subject_kind is
 * incident, slo, service, pod, node, kevent or a table name. Bypasses the
 * debounce (a re-ask), not the caps. 0 when asked (or answered offline). */
int copilot_ask(struct copilot *c, const char *subject_kind, const char *subject_key, char *err,
                size_t errlen);
/* The T_COPILOT key an answer about this subject is stored under. */
void copilot_subject_id(const char *kind, const char *key, char *out, size_t outlen);

/* True while a request is queued or in flight. */
bool copilot_busy(const struct copilot *c);
/* "offline analysis" or the backend name. */
const char *copilot_backend_label(const struct copilot *c);

/* For the front ends: does this line of an answer (prose and code spans
 * alike) hold a destructive command: kubectl delete/drain/scale to 0, rm -rf,
 * curl | sh, DROP TABLE, FLUSHALL, terraform apply -auto-approve ...? English
 * words alone ("drop", "kill the noise") never count (copilot/destructive.c). */
bool copilot_line_is_destructive(const char *line);
/* How the TUI and the Markdown post-mortem mark such a line. */
#define COPILOT_DESTRUCTIVE_MARK       "\xe2\x9a\xa0 destructive: review before running"
#define COPILOT_DESTRUCTIVE_MARK_ASCII "! destructive: review before running"

#endif
