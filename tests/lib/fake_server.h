/* Starting a loopback fake server (a script in tests/servers) from a C test. The
 * server runs under python3 with its stdout on a pipe and says its port on
 * its first line: "PORT n" (ci_fake_base, fake_llm) or {"port": n, ...}
 * (fake_apiserver). Header-only: each test binary is one file. */
#ifndef LOOKOUT_TESTS_FAKE_SERVER_H
#define LOOKOUT_TESTS_FAKE_SERVER_H

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_SERVER_MAX_ARGS 24
#ifndef FAKE_SERVER_WAIT_MS       /* a bench seeding 50k objects waits longer */
#define FAKE_SERVER_WAIT_MS 30000 /* the API server makes its TLS certificates first */
#endif

struct fake_server {
    pid_t pid;
    int port;
};

static inline void fake_server_stop(struct fake_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

/* Reads the first line (bounded in time and size) and takes the port from it. */
static inline int fake_server_read_port(int fd)
{
    char line[256] = "";
    size_t got = 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (got < sizeof(line) - 1 && !strchr(line, '\n') &&
           poll(&pfd, 1, FAKE_SERVER_WAIT_MS) > 0) {
        ssize_t n = read(fd, line + got, sizeof(line) - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        line[got] = 0;
    }
    int port;
    if (sscanf(line, "PORT %d", &port) == 1 || sscanf(line, "{\"port\": %d", &port) == 1)
        return port;
    fprintf(stderr, "  fake server did not say its port: '%s'\n", line);
    return -1;
}

/* Runs `python3 SCRIPT ARGS... NULL` with env_name=env_value in its environment
 * when env_name is set (a secret stays out of argv); 0 once it listens on
 * s->port, -1 (the process gone) when it did not start. */
static inline int fake_server_start(struct fake_server *s, const char *env_name,
                                    const char *env_value, const char *script, ...)
{
    const char *argv[FAKE_SERVER_MAX_ARGS + 3] = {"python3", script};
    int argc = 2;
    va_list ap;
    va_start(ap, script);
    for (const char *a; argc < FAKE_SERVER_MAX_ARGS + 2 && (a = va_arg(ap, const char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (env_name)
            setenv(env_name, env_value, 1);
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    s->port = s->pid > 0 ? fake_server_read_port(fds[0]) : -1;
    close(fds[0]);
    if (s->port > 0)
        return 0;
    fprintf(stderr, "  %s did not start\n", script);
    fake_server_stop(s);
    return -1;
}

#endif
