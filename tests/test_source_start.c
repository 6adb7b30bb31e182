/* The source set's start order: a source's slow start_late (the kernel
 * source's BPF load) can wait for the screen's first frame, and the
 * sources after it must not start before it ran (they would run as root
 * before the kernel source drops privileges). Fake sources log each step. */
#include "core/engine.h"
#include "core/source.h"
#include "test.h"

static char steps[256];

static void log_step(const struct source *s, const char *what)
{
    size_t n = strlen(steps);
    snprintf(steps + n, sizeof(steps) - n, "%s%s.%s", n ? " " : "", s->name, what);
}

static int fake_start(struct source *s, char *err, size_t errlen)
{
    log_step(s, "start");
    if (!strcmp(s->name, "broken")) {
        snprintf(err, errlen, "cannot start");
        return -1;
    }
    return 0;
}

static int fake_late(struct source *s, char *err, size_t errlen)
{
    log_step(s, "late");
    if (!strcmp(s->name, "badload")) {
        snprintf(err, errlen, "cannot load");
        return -1;
    }
    return 0;
}

static void fake_stop(struct source *s)
{
    log_step(s, "stop");
}

static const struct source_ops quick_ops = {
    .kind = "quick", .start = fake_start, .stop = fake_stop};
static const struct source_ops slow_ops = {
    .kind = "slow", .start = fake_start, .stop = fake_stop, .start_late = fake_late};

static struct engine e;

static void add_all(struct source_set *set, const char *const *names, const bool *slow)
{
    struct source_ctx ctx = {.engine = &e};
    memset(set, 0, sizeof(*set));
    steps[0] = 0;
    for (int i = 0; names[i]; i++)
        CHECK(source_add(set, slow[i] ? &slow_ops : &quick_ops, names[i], &ctx, NULL) != NULL);
}

static enum source_state state_of(const char *name)
{
    const struct source_info *si = engine_get(&e, T_SOURCES, name);
    return si ? si->state : (enum source_state) - 1;
}

TEST(start_all_runs_start_late_in_place)
{
    engine_init(&e);
    struct source_set set;
    const char *names[] = {"prom", "kernel", "kube", NULL};
    const bool slow[] = {false, true, false};
    add_all(&set, names, slow);
    source_start_all(&set);
    CHECK(!strcmp(steps, "prom.start kernel.start kernel.late kube.start"));
    source_stop_all(&set);
    engine_free(&e);
}

TEST(held_source_and_the_rest_wait)
{
    engine_init(&e);
    struct source_set set;
    const char *names[] = {"prom", "kernel", "kube", "ci", NULL};
    const bool slow[] = {false, true, false, false};
    add_all(&set, names, slow);
    int held = source_start_until_late(&set);
    CHECK(held == 1);
    CHECK(!strcmp(steps, "prom.start kernel.start"));
    CHECK(state_of("kube") == SRC_STARTING);
    CHECK(source_start_rest(&set, held) == -1);
    CHECK(!strcmp(steps, "prom.start kernel.start kernel.late kube.start ci.start"));
    source_stop_all(&set);
    engine_free(&e);
}

TEST(two_slow_sources_hold_in_turn)
{
    engine_init(&e);
    struct source_set set;
    const char *names[] = {"a", "k1", "b", "k2", "c", NULL};
    const bool slow[] = {false, true, false, true, false};
    add_all(&set, names, slow);
    int held = source_start_until_late(&set);
    CHECK(held == 1);
    held = source_start_rest(&set, held);
    CHECK(held == 3);
    CHECK(!strcmp(steps, "a.start k1.start k1.late b.start k2.start"));
    CHECK(source_start_rest(&set, held) == -1);
    CHECK(!strcmp(steps, "a.start k1.start k1.late b.start k2.start k2.late c.start"));
    source_stop_all(&set);
    engine_free(&e);
}

TEST(failed_start_skips_late_and_holds_nothing)
{
    engine_init(&e);
    struct source_set set;
    const char *names[] = {"broken", "kube", NULL};
    const bool slow[] = {true, false};
    add_all(&set, names, slow);
    CHECK(source_start_until_late(&set) == -1);
    CHECK(!strcmp(steps, "broken.start kube.start"));
    CHECK(state_of("broken") == SRC_FAILED);
    source_stop_all(&set);
    engine_free(&e);
}

TEST(failed_late_marks_the_source_failed_and_goes_on)
{
    engine_init(&e);
    struct source_set set;
    const char *names[] = {"badload", "kube", NULL};
    const bool slow[] = {true, false};
    add_all(&set, names, slow);
    int held = source_start_until_late(&set);
    CHECK(held == 0);
    CHECK(state_of("badload") == SRC_STARTING);
    CHECK(source_start_rest(&set, held) == -1);
    CHECK(state_of("badload") == SRC_FAILED);
    CHECK(!strcmp(steps, "badload.start badload.late kube.start"));
    const struct source_info *si = engine_get(&e, T_SOURCES, "badload");
    CHECK(si && !strcmp(si->error, "cannot load"));
    source_stop_all(&set);
    engine_free(&e);
}

TEST(stop_reaches_sources_that_never_started)
{
    engine_init(&e);
    struct source_set set;
    const char *names[] = {"kernel", "kube", NULL};
    const bool slow[] = {true, false};
    add_all(&set, names, slow);
    CHECK(source_start_until_late(&set) == 0);
    source_stop_all(&set); /* the screen quit before the held ones ran */
    CHECK(!strcmp(steps, "kernel.start kube.stop kernel.stop"));
    CHECK(set.count == 0);
    engine_free(&e);
}

RUN_TESTS()
