/* A tiny test runner: TEST(name) { CHECK(...); } and RUN_TESTS() in main.
 * Each binary prints "ok"/"FAIL"/"SKIP" lines and closes with
 * "N passed, N failed, N skipped". A test that cannot run on this machine (no
 * root, no cgroup2) says so with SKIP(reason) rather than passing in silence. */
#ifndef LOOKOUT_TEST_H
#define LOOKOUT_TEST_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};

static struct test_case test_cases[512];
static int test_count;
static int test_failed_checks;
static char test_skip_reason[256]; /* set by SKIP: the current test did not run */

#define TEST(tname)                                                                                \
    static void test_##tname(void);                                                                \
    __attribute__((constructor)) static void register_##tname(void)                                \
    {                                                                                              \
        test_cases[test_count].name = #tname;                                                      \
        test_cases[test_count++].fn = test_##tname;                                                \
    }                                                                                              \
    static void test_##tname(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            test_failed_checks++;                                                                  \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)", \
                    b_ ? b_ : "(null)");                                                           \
            test_failed_checks++;                                                                  \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            fprintf(stderr, "  %s:%d: %.12g != %.12g (tol %g)\n", __FILE__, __LINE__, a_, b_,      \
                    (double)(tol));                                                                \
            test_failed_checks++;                                                                  \
        }                                                                                          \
    } while (0)

/* Ends the current test as skipped, with why; checks that already failed still count. */
#define SKIP(...)                                                                                  \
    do {                                                                                           \
        test_skip_(__VA_ARGS__);                                                                   \
        return;                                                                                    \
    } while (0)

__attribute__((format(printf, 1, 2))) static inline void test_skip_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(test_skip_reason, sizeof(test_skip_reason), fmt, ap);
    va_end(ap);
    if (!test_skip_reason[0]) /* an empty reason would read as "not skipped" */
        snprintf(test_skip_reason, sizeof(test_skip_reason), "(no reason given)");
}

/* Relative comparison for the SLO math: |a-b| <= rel * max(|a|,|b|). */
#define CHECK_REL(a, b, rel)                                                                       \
    CHECK_NEAR((a), (b), (rel) * (fabs(a) > fabs(b) ? fabs(a) : fabs(b)) + 1e-300)

static int run_tests(const char *filter)
{
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < test_count; i++) {
        if (filter && !strstr(test_cases[i].name, filter))
            continue;
        int before = test_failed_checks;
        test_skip_reason[0] = 0;
        test_cases[i].fn();
        if (test_failed_checks == before && test_skip_reason[0]) {
            printf("SKIP %s: %s\n", test_cases[i].name, test_skip_reason);
            skipped++;
        } else if (test_failed_checks == before) {
            printf("ok   %s\n", test_cases[i].name);
            passed++;
        } else {
            printf("FAIL %s\n", test_cases[i].name);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

#define RUN_TESTS()                                                                                \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return run_tests(argc > 1 ? argv[1] : NULL);                                               \
    }

#endif
