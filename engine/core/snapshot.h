/* One JSON document with the whole state (lookout --once --json).
 * Field names come from the schemas in model.c; docs/snapshot.md lists them. */
#ifndef LOOKOUT_SNAPSHOT_H
#define LOOKOUT_SNAPSHOT_H

#include <cjson/cJSON.h>
#include <stdio.h>

struct engine;

cJSON *snapshot_build(struct engine *e);
/* Streams the same document row by row (one row a line), so its peak memory
 * is one row's, not the whole tree's and its text; returns 0 or -1. */
int snapshot_print(struct engine *e, FILE *out);
/* Writes docs/snapshot.md's field reference. */
void snapshot_print_doc(FILE *out);

#endif
