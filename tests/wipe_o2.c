/* test_wipe_o2: the secret wipes survive optimisation. A memset() of memory
 * that is freed (or goes out of scope) right after is a dead store, and gcc
 * and clang drop it at -O2; secret_wipe() must not be dropped. So this test
 * is built apart from the ASan ones (see the Makefile): -O2, no sanitizer
 * (ASan's allocator would hide the bytes), linked against the release
 * library, and with -Wl,--wrap=free so that every free() in it comes here
 * first. Each case puts a marker in a secret, runs the real code that wipes
 * and frees it, and asserts that no block still held the marker when it
 * was freed. The control case frees a marker unwiped and must be seen, so
 * the hook is known to look. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/httpd.h"
#include "base/loop.h"
#include "base/secret.h"
#include "core/source.h"
#include "kube/kubeconfig.h"
#include "slo/prom.h"
#include "slo/prometheus.h"
#include "test.h"

#define MARKER "wipe-marker-7f3a9c"

void __real_free(void *p);

static int watching, freed, seen;

/* Counts the blocks freed while watching and those that still held MARKER. */
void __wrap_free(void *p)
{
    if (p && watching) {
        freed++;
        if (memmem(p, malloc_usable_size(p), MARKER, strlen(MARKER)))
            seen++;
    }
    __real_free(p);
}

static void watch(void)
{
    freed = seen = 0;
    watching = 1;
}

static void unwatch(void)
{
    watching = 0;
}

/* Through a volatile pointer the compiler cannot see a free, so the marker
 * stays in the block: this proves the hook finds what is left. */
TEST(control_unwiped_block_is_seen)
{
    void (*volatile release)(void *) = free;
    char *p = malloc(64);
    CHECK(p != NULL);
    if (!p)
        return;
    strcpy(p, "x " MARKER " y");
    watch();
    release(p);
    unwatch();
    CHECK(freed == 1);
    CHECK(seen == 1);
}

TEST(secret_free_wipes_a_heap_string)
{
    char *p = strdup("token=" MARKER);
    CHECK(p != NULL);
    watch();
    secret_free(p);
    unwatch();
    CHECK(freed == 1);
    CHECK(seen == 0);
}

TEST(kube_conn_free_wipes_token_and_key)
{
    struct kube_conn c;
    memset(&c, 0, sizeof(c));
    c.token = strdup(MARKER);
    buf_puts(&c.key, "-----BEGIN PRIVATE KEY-----\n" MARKER "\n");
    watch();
    kube_conn_free(&c);
    unwatch();
    CHECK(freed >= 2);
    CHECK(seen == 0);
}

TEST(httpd_free_wipes_its_token)
{
    char err[256];
    struct loop *l = loop_new();
    struct httpd *h = l ? httpd_new(l, "127.0.0.1:0", err, sizeof(err)) : NULL;
    CHECK(h != NULL);
    if (!h) {
        loop_free(l);
        return;
    }
    httpd_set_token(h, MARKER);
    watch();
    httpd_free(h);
    unwatch();
    loop_free(l);
    CHECK(freed >= 1);
    CHECK(seen == 0);
}

TEST(prometheus_source_stop_wipes_bearer_and_password)
{
    struct prom_config pc;
    memset(&pc, 0, sizeof(pc));
    strcpy(pc.bearer, MARKER);
    strcpy(pc.password, MARKER);
    struct source s = {.ops = &slo_prom_source_ops};
    s.priv = slo_prom_source_priv(&pc);
    secret_wipe(&pc, sizeof(pc));
    CHECK(s.priv != NULL);
    watch();
    slo_prom_source_ops.stop(&s);
    unwatch();
    CHECK(freed == 1);
    CHECK(seen == 0);
}

TEST(refused_secret_file_buffer_is_wiped)
{
    char path[] = "/tmp/lookout-wipe-o2-XXXXXX", err[512];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char text[] = MARKER "\nsecond line\n"; /* two lines: refused after the read */
    CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
    close(fd);
    watch();
    CHECK(!secret_file_load(path, 1024, 0, err, sizeof(err)));
    unwatch();
    CHECK(freed >= 1);
    CHECK(seen == 0);
    CHECK(strstr(err, MARKER) == NULL);
    unlink(path);
}

RUN_TESTS()
