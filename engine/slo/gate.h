/* The deploy gate: may a deploy proceed, given an SLO's state?
 *
 * allow: no page (or ticket, with --policy ticket) firing and the budget
 * remaining is above min_budget (and above 0); block otherwise; unknown when
 * the SLO has no data or its source failed. The same verdict feeds the CLI
 * (`lookout gate`), slo->gate_open, the header's summary row and
 * GET /v1/gate?slo=NAME (Argo Rollouts web metric shape). */
#ifndef LOOKOUT_GATE_H
#define LOOKOUT_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "slo/slo.h"

enum gate_decision { GATE_ALLOW, GATE_BLOCK, GATE_UNKNOWN };
extern const char *const gate_decision_names[]; /* allow, block, unknown */

enum gate_decision gate_decide(const struct slo *row, const struct gate_opts *o, char *reason,
                               size_t reasonlen);

/* The security verdict over the engine's live kernel view (the local
 * kernel source and the node agents): block on a rule match at or above
 * min in namespace ns's pods since `since` (engine clock, ms; 0: since the
 * engine started); unknown when no kernel source streams now, events were
 * lost in the window, or the window reaches past the KEVENT_HOT_CAP newest
 * warning/critical events the engine keeps; allow otherwise
 * (gate_security.c). */
enum gate_decision gate_security(struct engine *e, const char *ns, enum severity min, int64_t since,
                                 char *reason, size_t reasonlen);

/* Answers GET /v1/gate?<query> (query without '?': "slo=NAME[&policy=page|ticket]
 * [&min_budget=0.1]", and/or "namespace=NS&security=warning|critical
 * [&since=10m]"). Writes a JSON body and returns the HTTP status: 200 with
 * {"data":{"ok":..,"decision":..,"reason":..,"parts":[..]}} for any
 * verdict (with both halves, the stricter decides and the reason names
 * both), 400 for a bad query, 404 for an unknown SLO. */
int gate_http_answer(struct engine *e, const char *query, char *json_out, size_t outlen);

/* Copies text for a terminal line: control bytes (C0, DEL and UTF-8 encoded
 * C1) become '?', so an answer from a server cannot drive the terminal. */
void gate_term_safe(char *dst, size_t dstlen, const char *src);

struct httpd_conn;
struct httpd_req;
/* An httpd handler for GET /v1/gate (ud: the struct engine *), for any
 * server on the loop: httpd_route(h, "/v1/gate", gate_httpd_handler, e). */
void gate_httpd_handler(struct httpd_conn *c, const struct httpd_req *r, void *ud);

#endif
