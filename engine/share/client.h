/* The viewer side of a shared engine (`lookout --attach URL`): a source
 * that streams GET URL/v1/stream and applies its record lines to an engine
 * with no sources of its own and its analysers off (as a replay does), so
 * the whole screen works locally on the shared state. Each connection
 * starts from an empty engine (the server sends the full state first). A
 * silent or lost server turns STALE, keeping the last state on screen, and
 * is reconnected with backoff (1 s doubling to 15 s). "Ask again" posts to
 * the server's copilot: a viewer never calls an LLM. docs/share.md. */
#ifndef LOOKOUT_SHARE_CLIENT_H
#define LOOKOUT_SHARE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/source.h"

extern const struct source_ops share_source_ops;

/* Private state for source_add(): url is the server's base ("http://h:p",
 * a trailing slash is fine), token "" for none (copied, wiped on stop).
 * NULL with err on a bad URL or token. */
void *share_client_new(const char *url, const char *token, char *err, size_t errlen);

enum share_state {
    SHARE_CONNECTING, /* never attached yet */
    SHARE_ATTACHED,
    SHARE_STALE,  /* attached once; the state shown is the last one received */
    SHARE_REFUSED /* the server answered, but not with a stream (401, 503 ...) */
};

/* What the header shows. */
struct share_status {
    enum share_state state;
    char name[64];     /* the server's name, from its heartbeat */
    int viewers;       /* as the server counts them, this one included */
    int64_t retry_in;  /* ms until the next attempt, 0 while connected */
    char error[160];   /* why not attached (sanitised later by the screen) */
    char asked[200];   /* the outcome of the last ask, "" before any */
    bool ask_refused;  /* that outcome is a refusal ("not asked: ...") */
    int64_t asked_ago; /* ms since that outcome arrived */
};

/* The attach source of a set, NULL when this run is not attached. */
struct source *share_find(struct source_set *set);
void share_get_status(const struct source *s, struct share_status *st);
/* Asks the server's copilot about a subject (what `a` does). The outcome
 * arrives later, in share_status.asked. 0, or -1 with err. */
int share_ask(struct source *s, const char *kind, const char *key, char *err, size_t errlen);

#endif
