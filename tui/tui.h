/* The curses front end: the mission-control screen. */
#ifndef LOOKOUT_TUI_H
#define LOOKOUT_TUI_H

struct app;

/* Runs the screen on the controlling terminal until q, SIGHUP/SIGTERM/SIGINT,
 * terminal EOF or --frames N frames; the engine and sources keep running on
 * a->loop meanwhile. Restores the terminal; returns the exit code. */
int tui_run(struct app *a);

#endif
