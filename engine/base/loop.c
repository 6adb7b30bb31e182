#include "base/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

struct fd_watch {
    int fd;
    loop_fd_fn fn;
    void *ud;
    bool active;
};

struct loop_timer {
    int64_t due_ms;
    loop_timer_fn fn;
    void *ud;
    bool active;
    struct loop_timer *next;
};

struct loop {
    int epfd;
    struct fd_watch *watches; /* indexed by fd */
    int nwatches;
    struct loop_timer *timers; /* unsorted: there are only a handful */
    loop_idle_fn idle_fn;
    void *idle_ud;
    bool stop;
    /* Work between two waits: how long the loop was deaf, on the clock and
     * on the CPU (the first includes time other tenants took from us). */
    int64_t longest_turn_us, longest_turn_cpu_us;
};

int64_t loop_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t loop_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
    struct loop *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return NULL;
    }
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    struct loop_timer *t = l->timers;
    while (t) {
        struct loop_timer *next = t->next;
        free(t);
        t = next;
    }
    close(l->epfd);
    free(l->watches);
    free(l);
}

static uint32_t to_epoll(int events)
{
    uint32_t ev = 0;
    if (events & LOOP_READ)
        ev |= EPOLLIN | EPOLLRDHUP;
    if (events & LOOP_WRITE)
        ev |= EPOLLOUT;
    return ev;
}

int loop_watch_fd(struct loop *l, int fd, int events, loop_fd_fn fn, void *ud)
{
    if (fd < 0)
        return -EINVAL;
    if (fd >= l->nwatches) {
        int n = fd + 16;
        struct fd_watch *w = realloc(l->watches, (size_t)n * sizeof(*w));
        if (!w)
            return -ENOMEM;
        memset(w + l->nwatches, 0, (size_t)(n - l->nwatches) * sizeof(*w));
        l->watches = w;
        l->nwatches = n;
    }
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    int op = l->watches[fd].active ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    /* A watched fd closed without loop_unwatch_fd() left the epoll set when
     * it was closed: its number, reused, is a new fd to add. Without the
     * retry the new fd would never be watched (its transfer would sit until
     * its timeout). */
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0 &&
        (op != EPOLL_CTL_MOD || errno != ENOENT || epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0))
        return -errno;
    l->watches[fd] = (struct fd_watch){.fd = fd, .fn = fn, .ud = ud, .active = true};
    return 0;
}

int loop_change_fd(struct loop *l, int fd, int events)
{
    if (fd < 0 || fd >= l->nwatches || !l->watches[fd].active)
        return -ENOENT;
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_unwatch_fd(struct loop *l, int fd)
{
    if (fd < 0 || fd >= l->nwatches || !l->watches[fd].active)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    l->watches[fd].active = false;
}

struct loop_timer *loop_timer_start(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *ud)
{
    struct loop_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->due_ms = loop_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->fn = fn;
    t->ud = ud;
    t->active = true;
    t->next = l->timers;
    l->timers = t;
    return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    (void)l;
    if (t)
        t->active = false; /* reaped on the next turn */
}

void loop_set_idle(struct loop *l, loop_idle_fn fn, void *ud)
{
    l->idle_fn = fn;
    l->idle_ud = ud;
}

static int next_timeout(struct loop *l, int max_wait_ms)
{
    int64_t now = loop_mono_ms(), best = -1;
    for (struct loop_timer *t = l->timers; t; t = t->next) {
        if (!t->active)
            continue;
        int64_t wait = t->due_ms > now ? t->due_ms - now : 0;
        if (best < 0 || wait < best)
            best = wait;
    }
    if (max_wait_ms >= 0 && (best < 0 || best > max_wait_ms))
        best = max_wait_ms;
    return best > 1000000 ? 1000000 : (int)best;
}

static void run_due_timers(struct loop *l)
{
    int64_t now = loop_mono_ms();
    /* Detach the due ones first: a callback may start or cancel timers. */
    struct loop_timer *due = NULL, **pp = &l->timers;
    while (*pp) {
        struct loop_timer *t = *pp;
        if (!t->active || t->due_ms <= now) {
            *pp = t->next;
            t->next = due;
            due = t;
        } else {
            pp = &t->next;
        }
    }
    /* Fire in due order for fairness: the list is short, pick the min each time. */
    while (due) {
        struct loop_timer **minp = &due;
        for (struct loop_timer **p = &due; *p; p = &(*p)->next)
            if ((*p)->due_ms < (*minp)->due_ms)
                minp = p;
        struct loop_timer *t = *minp;
        *minp = t->next;
        if (t->active) {
            t->active = false;
            t->fn(t->ud);
        }
        free(t);
    }
}

void loop_run_once(struct loop *l, int max_wait_ms)
{
    struct epoll_event evs[64];
    int n = epoll_wait(l->epfd, evs, 64, next_timeout(l, max_wait_ms));
    if (n < 0 && errno != EINTR)
        n = 0;
    int64_t start = loop_mono_us(), cpu_start = thread_cpu_us();
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd < 0 || fd >= l->nwatches || !l->watches[fd].active)
            continue;
        int events = 0;
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
            events |= LOOP_READ;
        if (evs[i].events & EPOLLOUT)
            events |= LOOP_WRITE;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            events |= LOOP_ERROR;
        struct fd_watch w = l->watches[fd];
        w.fn(fd, events, w.ud);
    }
    run_due_timers(l);
    if (l->idle_fn)
        l->idle_fn(l->idle_ud);
    /* CPU read before wall, so the CPU span lies inside the wall span (read
     * the other way, the second clock call itself made cpu > wall). */
    int64_t cpu = thread_cpu_us() - cpu_start;
    int64_t took = loop_mono_us() - start;
    if (took > l->longest_turn_us)
        l->longest_turn_us = took;
    if (cpu > l->longest_turn_cpu_us)
        l->longest_turn_cpu_us = cpu;
}

void loop_longest_turn(const struct loop *l, int64_t *wall_us, int64_t *cpu_us)
{
    *wall_us = l->longest_turn_us;
    *cpu_us = l->longest_turn_cpu_us;
}

void loop_run(struct loop *l)
{
    while (!l->stop)
        loop_run_once(l, -1);
}

void loop_stop(struct loop *l)
{
    l->stop = true;
}

bool loop_stopped(const struct loop *l)
{
    return l->stop;
}

static void on_stop_signal(int fd, int events, void *ud)
{
    (void)events;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof(si)) > 0)
        loop_stop(ud);
}

int loop_stop_on_signals(struct loop *l)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd >= 0)
        loop_watch_fd(l, fd, LOOP_READ, on_stop_signal, l);
    return fd;
}

void loop_close_signals(struct loop *l, int fd)
{
    if (fd < 0)
        return;
    loop_unwatch_fd(l, fd);
    close(fd);
}
