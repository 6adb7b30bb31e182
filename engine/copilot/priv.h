/* What the copilot's two halves share: the orchestrator (copilot.c: triggers,
 * queue, cache per fingerprint) and one request's lifecycle (copilot/call.c:
 * building, sending, streaming, retries, audit). Not for other modules. */
#ifndef LOOKOUT_COPILOT_PRIV_H
#define LOOKOUT_COPILOT_PRIV_H

#include "copilot/copilot.h"
#include "base/redact.h"

#define ASKED_MAX 512
#define QUEUE_MAX 16
#define SENT_MAX  4096 /* request times kept for the hourly cap */

struct pending {
    struct copilot_subject subj;
    char id[32];
    char fp[96];
    int64_t due;
    bool manual;
};

struct call;

struct copilot {
    struct engine *e;
    struct loop *loop;
    struct http *http;
    struct copilot_settings s;
    const struct llm_backend *be; /* NULL: offline analysis */
    struct redactor *red;
    struct {
        char fp[96];
        char id[32];
        int severity; /* what the last answer saw, for offline refreshes */
        int signals;
        int64_t answered;
    } asked[ASKED_MAX];
    int nasked;
    struct pending queue[QUEUE_MAX];
    int nqueue;
    struct call *call;
    int64_t sent[SENT_MAX];
    int nsent;
};

/* copilot/call.c */
void copilot_call_start(struct copilot *c, const struct pending *p);
void copilot_call_free(struct call *k);
const char *copilot_call_id(const struct call *k); /* the subject id asked about */
void copilot_answer_init(struct copilot *c, struct copilot_answer *a, const char *id);
void copilot_upsert(struct copilot *c, const struct copilot_answer *a);
void copilot_source_state(struct copilot *c, enum source_state st, const char *error);

/* copilot.c: starts the next due request once none is in flight */
void copilot_process_queue(struct copilot *c);

#endif
