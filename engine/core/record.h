/* --record writes every state change as one JSON line:
 *   {"t":MS,"op":"upsert","table":"pods","obj":{...}}
 *   {"t":MS,"op":"remove","table":"pods","key":"ns/name"}
 *   {"t":MS,"op":"append","table":"kevents","obj":{...}}
 *   {"t":MS,"op":"tick",...}   the clock alone; other fields are ignored
 *                              (a shared stream's heartbeat, docs/share.md)
 * Replay applies the same lines to an engine with analysers off. */
#ifndef LOOKOUT_RECORD_H
#define LOOKOUT_RECORD_H

#include <stddef.h>

#include "core/schema.h"

struct engine;

void record_write(struct engine *e, const char *op, const char *table, const struct schema *s,
                  const void *obj);
void record_write_remove(struct engine *e, const char *table, const char *key);

/* Hands every line of the full current state (upserts, then the kevents
 * ring) to fn, newline included, and nothing else: how a record file starts
 * and what a viewer of a shared engine gets first. */
typedef void (*record_emit_fn)(const char *line, size_t len, void *ud);
void record_snapshot(struct engine *e, record_emit_fn fn, void *ud);

/* Parses one record line and applies it (clock first). Returns 0, or -1 with
 * a message in err; *t_out gets the line's time. */
int record_apply_line(struct engine *e, const char *line, size_t len, long long *t_out, char *err,
                      size_t errlen);
/* Applies a whole record file with analysers off (the headless commands).
 * A bad line is reported on stderr as "WHO: ..." and skipped (a record cut
 * by a crash ends with half a line). Returns lines applied, -1 if unreadable. */
int record_load_file(struct engine *e, const char *path, const char *who);

#endif
