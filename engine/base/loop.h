/* The single event loop: one epoll wait point for every fd and timer.
 *
 * Terminal input, libcurl sockets, the BPF ring buffer, signalfd and timers
 * all wake the same epoll_wait(); nothing in Lookout polls on its own. */
#ifndef LOOKOUT_LOOP_H
#define LOOKOUT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

/* events is a mask of LOOP_READ / LOOP_WRITE / LOOP_ERROR. */
enum { LOOP_READ = 1, LOOP_WRITE = 2, LOOP_ERROR = 4 };

typedef void (*loop_fd_fn)(int fd, int events, void *ud);
typedef void (*loop_timer_fn)(void *ud);
/* Runs once per loop turn after all callbacks: where dirty flags are merged. */
typedef void (*loop_idle_fn)(void *ud);

struct loop *loop_new(void);
void loop_free(struct loop *l);

int loop_watch_fd(struct loop *l, int fd, int events, loop_fd_fn fn, void *ud);
int loop_change_fd(struct loop *l, int fd, int events);
void loop_unwatch_fd(struct loop *l, int fd);

/* One-shot timer; returns a handle valid until it fires or is cancelled. */
struct loop_timer *loop_timer_start(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *ud);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

void loop_set_idle(struct loop *l, loop_idle_fn fn, void *ud);

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
int64_t loop_mono_ms(void);
/* Monotonic microseconds, for budgets shorter than a millisecond. */
int64_t loop_mono_us(void);
/* Wall clock milliseconds since the Unix epoch. */
int64_t loop_wall_ms(void);

/* One turn: wait for at most max_wait_ms (-1: until an fd or timer). */
void loop_run_once(struct loop *l, int max_wait_ms);
/* The longest turn so far (callbacks, timers and idle work, the wait not
 * counted), in microseconds: how long the loop was deaf to its fds at worst,
 * on the clock and on this thread's CPU (apart: on a shared machine the
 * clock also counts time the scheduler gave to others). */
void loop_longest_turn(const struct loop *l, int64_t *wall_us, int64_t *cpu_us);
/* Turns until loop_stop(). */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);
bool loop_stopped(const struct loop *l);
/* SIGINT and SIGTERM stop the loop: they are blocked and read through a
 * signalfd it watches. Returns that fd for loop_close_signals (-1 when
 * signalfd failed: the signals then stay blocked). */
int loop_stop_on_signals(struct loop *l);
void loop_close_signals(struct loop *l, int fd);

#endif
