/* The replay source: plays a --record file back into the engine with
 * analysers off, as a player: at the recorded pace times a speed, paused,
 * seeking by time or to the next incident or SLO alert. The engine clock is
 * the record's, so pausing the player stops everything the screen shows.
 * Seeking backwards empties the engine and plays the record again from its
 * start up to the target (correct rather than fast: state is not
 * reversible). */
#ifndef LOOKOUT_REPLAY_H
#define LOOKOUT_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/source.h"

extern const struct source_ops replay_source_ops;

/* Private state for source_add(); speed 0 plays as fast as possible. Reads
 * the file once to learn its span and marks: returns NULL with the path and
 * the reason in err when it cannot be read or holds no record line. */
void *replay_new(const char *path, double speed, char *err, size_t errlen);

/* Where the player is, for the screen's badge. Times are record times. */
struct replay_status {
    int64_t first, last, pos;
    double speed; /* 0: as fast as possible */
    bool paused;
    bool ended; /* every line applied, the clock at the last one */
};

/* The replay source of a set, NULL when this run is not a replay. */
struct source *replay_find(struct source_set *set);
void replay_get_status(const struct source *s, struct replay_status *st);
/* Pauses or resumes the clock; resuming at the end plays from the start. */
void replay_toggle_pause(struct source *s);
/* Moves the clock by delta_ms (clamped to the record's span). */
void replay_seek_by(struct source *s, int64_t delta_ms);
/* Moves to the next (dir > 0) or previous incident opening or SLO alert;
 * returns -1 when there is none that way. */
int replay_jump(struct source *s, int dir);
/* One step up or down the speed ladder (x0.25 .. x64). */
void replay_speed_step(struct source *s, int dir);

#endif
