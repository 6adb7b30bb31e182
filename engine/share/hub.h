/* The server side of a shared engine (`lookout serve --share`): every
 * viewer of GET /v1/stream gets the full state, then every change as the
 * engine records it, then a heartbeat line each second carrying the
 * server's name and the number of viewers. One serialisation per change,
 * fanned out (the engine's record tap); a viewer more than its snapshot
 * plus the lag cap (SHARE_LAG_CAP by default) behind is cut, with the reason as its last line, so a
 * stalled one costs bounded memory and never blocks the engine.
 * POST /v1/copilot/ask?kind=K&key=KEY is "ask again" through the engine's
 * own copilot, its caps and debounce included; nothing else writes.
 * The wire format is docs/share.md. */
#ifndef LOOKOUT_SHARE_HUB_H
#define LOOKOUT_SHARE_HUB_H

#include <stddef.h>

#include "base/httpd.h"
#include "base/loop.h"
#include "core/engine.h"

#define SHARE_LAG_CAP      (4u << 20) /* bytes a viewer may lag past its snapshot */
#define SHARE_MAX_VIEWERS  32
#define SHARE_HEARTBEAT_MS 1000
#define SHARE_SNDBUF       (256 << 10) /* a viewer's kernel send buffer, at most */

struct share_hub;
struct copilot;

/* Adds the two routes to h and taps e's record path. name (copied) is
 * what viewers show; copilot may be NULL (asking answers 503); lag_cap 0
 * is SHARE_LAG_CAP. NULL with err when the routes do not fit or memory is
 * short. */
struct share_hub *share_hub_new(struct engine *e, struct loop *l, struct httpd *h, const char *name,
                                struct copilot *copilot, size_t lag_cap, char *err, size_t errlen);
/* After httpd_free (which closes the streams through the hub). */
void share_hub_free(struct share_hub *hub);
/* Viewers being fed now (a cut one no longer counts). */
int share_hub_viewers(const struct share_hub *hub);

#endif
