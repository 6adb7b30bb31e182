/* --record writes every state change as one JSON line:
 *   {"t":MS,"op":"upsert","table":"pods","obj":{...}}
 *   {"t":MS,"op":"remove","table":"pods","key":"ns/name"}
 *   {"t":MS,"op":"append","table":"kevents","obj":{...}}
 * Replay applies the same lines to an engine with analysers off. */
#ifndef LOOKOUT_RECORD_H
#define LOOKOUT_RECORD_H

#include <stddef.h>

#include "core/schema.h"

struct engine;

void record_write(struct engine *e, const char *op, const char *table, const struct schema *s,
                  const void *obj);
void record_write_remove(struct engine *e, const char *table, const char *key);

/* Parses one record line and applies it (clock first). Returns 0, or -1 with
 * a message in err; *t_out gets the line's time. */
int record_apply_line(struct engine *e, const char *line, size_t len, long long *t_out, char *err,
                      size_t errlen);
/* Applies a whole record file with analysers off (the headless commands).
 * A bad line is reported on stderr as "WHO: ..." and skipped (a record cut
 * by a crash ends with half a line). Returns lines applied, -1 if unreadable. */
int record_load_file(struct engine *e, const char *path, const char *who);

#endif
