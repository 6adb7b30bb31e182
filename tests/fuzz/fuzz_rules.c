/* Kernel event rule files: YAML, PCRE2 compilation, then matching against a
 * few events of every kind so compiled rules are exercised too. */
#include "base/buf.h"
#include "fuzz.h"
#include "core/model.h"
#include "kernel/rules.h"

static void sample_events(struct kevent *ev, int n)
{
    static const char *const paths[] = {"/bin/sh", "/etc/shadow", "/usr/bin/curl", "setuid"};
    for (int i = 0; i < n; i++) {
        memset(&ev[i], 0, sizeof(ev[i]));
        ev[i].kind = (enum kev_kind)(i % KEV_KIND_COUNT);
        ev[i].uid = i & 1 ? 0 : 1000;
        snprintf(ev[i].comm, sizeof(ev[i].comm), "%s", i & 2 ? "bash" : "nginx");
        snprintf(ev[i].path, sizeof(ev[i].path), "%s", paths[i % 4]);
        snprintf(ev[i].args, sizeof(ev[i].args), "-c id O_WRONLY|O_CREAT");
        snprintf(ev[i].daddr, sizeof(ev[i].daddr), "10.0.0.%d", i);
        ev[i].dport = 4444 + i;
        snprintf(ev[i].pod, sizeof(ev[i].pod), "shop/checkout-%d", i);
        snprintf(ev[i].container, sizeof(ev[i].container), "app");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rule_set *rs = rules_new();
    struct buf warnings = {0};
    char err[256];
    rules_load_string(rs, (const char *)data, size, "fuzz.yaml", &warnings, err, sizeof(err));
    struct kevent ev[KEV_KIND_COUNT + 2];
    int n = (int)(sizeof(ev) / sizeof(ev[0]));
    sample_events(ev, n);
    for (int i = 0; i < n; i++) {
        int matches[8];
        rules_apply(rs, &ev[i]);
        rules_match_all(rs, &ev[i], matches, 8);
    }
    for (int i = 0; i < rules_count(rs); i++) {
        struct rule_info info;
        rules_info(rs, i, &info);
    }
    buf_free(&warnings);
    rules_free(rs);
    return 0;
}
