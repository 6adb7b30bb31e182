/* Kernel events as JSON lines on the wire between a node agent and the
 * console: Tetragon-style field names (process.binary, process.pod...),
 * documented in docs/events.md. Encoding then decoding gives the event back
 * (strings are cut to the struct's sizes; seq is the agent's). */
#ifndef LOOKOUT_KEVENT_JSON_H
#define LOOKOUT_KEVENT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "core/model.h"

/* Appends one JSON object and "\n". node: the agent's node name, used when
 * ev->node is empty. */
void kevent_json_append(struct buf *out, const struct kevent *ev, const char *node);
/* Parses one line; false with a reason in err when it is not an event. */
bool kevent_json_parse(const char *line, size_t len, struct kevent *ev, char *err, size_t errlen);

#endif
