/* Subcommands of `lookout`: one line each; tui/main.c dispatches by name. */
#ifndef LOOKOUT_COMMANDS_H
#define LOOKOUT_COMMANDS_H

int cmd_agent(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_slo(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_nab(int argc, char **argv);
int cmd_postmortem(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_observe(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
