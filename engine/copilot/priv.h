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

/* What a question about an incident was about: a change in it is material
 * (copilot/follow.c). */
#define MEMO_ENTITIES 32
struct copilot_memo {
    char paging[160]; /* the names of the incident's SLOs that page, space-separated */
    char top_cause[128];
    int nentities;
    uint64_t entities[MEMO_ENTITIES]; /* hashes of the objects its timeline names */
};

/* One fingerprint asked about, and how its incident has moved since. */
struct asked {
    char fp[96];
    char id[32];
    int severity; /* what the last answer saw, for offline refreshes */
    int signals;
    int64_t answered;
    bool sent;                /* a question went out (automatic or `a`) */
    int64_t asked_at;         /* the last one */
    struct copilot_memo memo; /* what it saw */
    int64_t changed;          /* the last material change since, 0: none */
    char why[160];            /* that change in words */
};

struct copilot {
    struct engine *e;
    struct loop *loop;
    struct http *http;
    struct copilot_settings s;
    const struct llm_backend *be; /* NULL: offline analysis */
    struct redactor *red;
    struct asked asked[ASKED_MAX];
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
int copilot_enqueue(struct copilot *c, const struct pending *p, bool front);
bool copilot_queued(struct copilot *c, const char *id);

/* copilot/follow.c: asking again when an incident changes materially */
void copilot_memo_take(struct engine *e, const struct incident *inc, struct copilot_memo *m);
/* Is now materially different from old (an SLO started paging, the top
 * cause changed, a new entity joined)? The first such difference in words. */
bool copilot_memo_changed(struct engine *e, const struct incident *inc,
                          const struct copilot_memo *old, const struct copilot_memo *now, char *why,
                          size_t whylen);
/* An incident asked about was updated: note a material change. */
void copilot_follow_update(struct copilot *c, struct asked *a, const struct incident *inc);
/* Every second: mark stale answers, queue the debounced re-asks. */
void copilot_follow_tick(struct copilot *c);
/* A question is about to go out: false when it is automatic and its
 * incident has not changed materially since the last one (no request). */
bool copilot_follow_send(struct copilot *c, const struct pending *p);

#endif
