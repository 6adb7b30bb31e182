/* Rules: each default rule fires on its trigger and not on a near miss;
 * broken rules are skipped with file:line, the rest of the file loads. */
#include <stdlib.h>

#include "kernel/rules.h"
#include "test.h"
#include "base/yaml_tree.h"

static struct rule_set *defaults(void)
{
    struct rule_set *rs = rules_new();
    struct buf w = {0};
    int n = rules_load_default(rs, &w);
    if (w.len)
        fprintf(stderr, "  default rule warnings: %s", w.data);
    CHECK(n == 7);
    CHECK(w.len == 0);
    buf_free(&w);
    return rs;
}

/* The name of the rule that fires, or "" */
static const char *fires(struct rule_set *rs, struct kevent ev)
{
    static char name[NAME_LEN];
    int i = rules_apply(rs, &ev);
    struct rule_info ri;
    name[0] = '\0';
    if (i >= 0 && rules_info(rs, i, &ri))
        STR_COPY(name, ri.name);
    return name;
}

static struct kevent ev_open(const char *comm, const char *path, const char *flags, int ret)
{
    struct kevent e = {.kind = KEV_OPEN, .pid = 4242, .uid = 1000, .ret = ret};
    STR_COPY(e.comm, comm);
    STR_COPY(e.path, path);
    STR_COPY(e.args, flags);
    return e;
}

static struct kevent ev_exec(const char *path, const char *container)
{
    struct kevent e = {.kind = KEV_EXEC, .pid = 7, .ppid = 1};
    const char *base = strrchr(path, '/');
    STR_COPY(e.comm, base ? base + 1 : path);
    STR_COPY(e.path, path);
    STR_COPY(e.container, container);
    return e;
}

static struct kevent ev_connect(const char *pod, const char *daddr, int dport)
{
    struct kevent e = {.kind = KEV_CONNECT, .pid = 9, .sport = 40000, .dport = dport};
    STR_COPY(e.comm, "curl");
    STR_COPY(e.pod, pod);
    STR_COPY(e.saddr, "10.0.0.7");
    STR_COPY(e.daddr, daddr);
    return e;
}

static struct kevent ev_priv(const char *comm, uint32_t uid, const char *call, const char *ids,
                             int ret)
{
    struct kevent e = {.kind = KEV_PRIV, .pid = 11, .uid = uid, .ret = ret};
    STR_COPY(e.comm, comm);
    STR_COPY(e.path, call);
    STR_COPY(e.args, ids);
    return e;
}

TEST(account_database_read_in_container)
{
    struct rule_set *rs = defaults();
    struct kevent ev = ev_open("python3", "/etc/passwd", "O_RDONLY|O_CLOEXEC", 3);
    STR_COPY(ev.container, "3f2a9c1d7b04");
    CHECK_STR(fires(rs, ev), "account_database_read_in_container");
    /* Near misses: the same read on the host, a failed open, an allowed tool. */
    CHECK_STR(fires(rs, ev_open("python3", "/etc/passwd", "O_RDONLY", 3)), "");
    ev.ret = -13;
    CHECK_STR(fires(rs, ev), "");
    ev.ret = 3;
    STR_COPY(ev.comm, "id");
    CHECK_STR(fires(rs, ev), "");
    rules_free(rs);
}

TEST(sensitive_file_read)
{
    struct rule_set *rs = defaults();
    CHECK_STR(fires(rs, ev_open("cat", "/etc/shadow", "O_RDONLY", 3)), "sensitive_file_read");
    CHECK_STR(fires(rs, ev_open("python3", "/root/.ssh/id_rsa", "O_RDONLY|O_CLOEXEC", 3)),
              "sensitive_file_read");
    CHECK_STR(fires(rs, ev_open("cat", "/var/run/secrets/kubernetes.io/serviceaccount/token",
                                "O_RDONLY", 3)),
              "sensitive_file_read");
    /* near misses: an allowlisted reader, a world-readable file, a look-alike path */
    CHECK_STR(fires(rs, ev_open("sshd", "/etc/shadow", "O_RDONLY", 3)), "");
    CHECK_STR(fires(rs, ev_open("cat", "/etc/passwd", "O_RDONLY", 3)), "");
    CHECK_STR(fires(rs, ev_open("cat", "/etc/shadow.bak", "O_RDONLY", 3)), "");
    rules_free(rs);
}

TEST(shell_in_container)
{
    struct rule_set *rs = defaults();
    CHECK_STR(fires(rs, ev_exec("/bin/bash", "3f2a9c0d11aa")), "shell_in_container");
    CHECK_STR(fires(rs, ev_exec("/bin/sh", "3f2a9c0d11aa")), "shell_in_container");
    CHECK_STR(fires(rs, ev_exec("/bin/bash", "")), ""); /* host shell */
    CHECK_STR(fires(rs, ev_exec("/usr/bin/bashbug", "3f2a9c0d11aa")), "");
    rules_free(rs);
}

TEST(write_below_etc)
{
    struct rule_set *rs = defaults();
    CHECK_STR(fires(rs, ev_open("python3", "/etc/cron.d/evil", "O_WRONLY|O_CREAT|O_TRUNC", 3)),
              "write_below_etc");
    CHECK_STR(fires(rs, ev_open("vim", "/etc/hosts", "O_RDWR", 4)), "write_below_etc");
    /* near misses: read only, failed open, outside /etc, a package manager */
    CHECK_STR(fires(rs, ev_open("python3", "/etc/hosts", "O_RDONLY", 3)), "");
    CHECK_STR(fires(rs, ev_open("python3", "/etc/hosts", "O_WRONLY", -13)), "");
    CHECK_STR(fires(rs, ev_open("python3", "/etcetera/x", "O_WRONLY|O_CREAT", 3)), "");
    CHECK_STR(fires(rs, ev_open("dpkg", "/etc/ld.so.conf", "O_WRONLY|O_CREAT", 3)), "");
    rules_free(rs);
}

TEST(unusual_outbound_port)
{
    struct rule_set *rs = defaults();
    CHECK_STR(fires(rs, ev_connect("shop/cart-5d9f", "203.0.113.9", 4444)),
              "unusual_outbound_port");
    CHECK_STR(fires(rs, ev_connect("shop/cart-5d9f", "203.0.113.9", 443)), "");
    CHECK_STR(fires(rs, ev_connect("", "203.0.113.9", 4444)), ""); /* host, not a pod */
    CHECK_STR(fires(rs, ev_connect("shop/cart-5d9f", "127.0.0.1", 4444)), "");
    rules_free(rs);
}

TEST(privilege_escalation_uid0)
{
    struct rule_set *rs = defaults();
    CHECK_STR(fires(rs, ev_priv("exploit", 1000, "setuid", "0", 0)), "privilege_escalation_uid0");
    CHECK_STR(fires(rs, ev_priv("exploit", 1000, "setresuid", "-1 0 -1", 0)),
              "privilege_escalation_uid0");
    /* near misses: failed call, not to 0, already root, sudo, setgid */
    CHECK_STR(fires(rs, ev_priv("exploit", 1000, "setuid", "0", -1)), "");
    CHECK_STR(fires(rs, ev_priv("app", 1000, "setuid", "1000", 0)), "");
    CHECK_STR(fires(rs, ev_priv("app", 1000, "setuid", "10", 0)), "");
    CHECK_STR(fires(rs, ev_priv("daemon", 0, "setuid", "0", 0)), "");
    CHECK_STR(fires(rs, ev_priv("sudo", 1000, "setuid", "0", 0)), "");
    CHECK_STR(fires(rs, ev_priv("exploit", 1000, "setgid", "0", 0)), "");
    rules_free(rs);
}

TEST(oom_kill)
{
    struct rule_set *rs = defaults();
    struct kevent oom = {.kind = KEV_OOM, .pid = 99};
    STR_COPY(oom.comm, "java");
    struct kevent ev = oom;
    CHECK(rules_apply(rs, &ev) >= 0);
    CHECK_STR(ev.rule, "oom_kill");
    CHECK(ev.severity == SEV_CRITICAL);
    CHECK_STR(ev.title, "Process killed by the OOM killer");
    struct kevent killed = {.kind = KEV_EXIT, .pid = 99, .ret = -9}; /* SIGKILL, not OOM */
    STR_COPY(killed.comm, "java");
    CHECK_STR(fires(rs, killed), "");
    rules_free(rs);
}

TEST(broken_rule_is_skipped_with_file_line)
{
    const char *text = "rules:\n"
                       "  - rule: good_one\n"
                       "    kind: exec\n"
                       "    match: {comm: '^evil$'}\n"
                       "  - rule: bad_regex\n"
                       "    kind: exec\n"
                       "    match:\n"
                       "      comm: '(unclosed'\n"
                       "  - rule: bad_kind\n"
                       "    kind: teleport\n"
                       "  - rule: bad_field\n"
                       "    kind: open\n"
                       "    match: {colour: red}\n"
                       "  - rule: bad_sev\n"
                       "    kind: open\n"
                       "    severity: apocalyptic\n"
                       "  - title: no name\n"
                       "    kind: open\n"
                       "  - rule: also_good\n"
                       "    kind: [open, exec]\n"
                       "    severity: info\n"
                       "    tags: [a, b]\n";
    struct rule_set *rs = rules_new();
    struct buf w = {0};
    char err[256] = "";
    int n = rules_load_string(rs, text, strlen(text), "local.yaml", &w, err, sizeof(err));
    CHECK(n == 2);
    CHECK(rules_count(rs) == 2);
    CHECK(strstr(buf_cstr(&w), "local.yaml:8: field 'comm': bad regex") != NULL);
    CHECK(strstr(buf_cstr(&w), "local.yaml:10: unknown kind 'teleport'") != NULL);
    CHECK(strstr(buf_cstr(&w), "local.yaml:13:") != NULL);
    CHECK(strstr(buf_cstr(&w), "local.yaml:16: severity") != NULL);
    CHECK(strstr(buf_cstr(&w), "local.yaml:17: rule without a name") != NULL);
    struct rule_info ri;
    CHECK(rules_info(rs, 1, &ri));
    CHECK_STR(ri.tags, "a,b");
    struct kevent ev = {.kind = KEV_EXEC};
    STR_COPY(ev.comm, "evil");
    CHECK(rules_apply(rs, &ev) == 0); /* warning beats info */
    CHECK_STR(ev.rule, "good_one");
    CHECK(rules_disable(rs, "good_one"));
    ev.rule[0] = '\0';
    CHECK(rules_apply(rs, &ev) == 1);
    buf_free(&w);
    /* not YAML at all: the whole file fails with a location */
    CHECK(rules_load_string(rs, "rules: [\n", 9, "x.yaml", &w, err, sizeof(err)) < 0);
    CHECK(strncmp(err, "x.yaml:", 7) == 0);
    buf_free(&w);
    rules_free(rs);
}

TEST(config_section)
{
    char err[256];
    const char *good = "rules:\n  default: true\n  files: [/a.yaml]\n";
    struct ynode *doc = ytree_load_string(good, strlen(good), "c.yaml", err, sizeof(err));
    CHECK(doc != NULL);
    CHECK(rules_config_check(ymap_get(ytree_root(doc), "rules"), err, sizeof(err)) == 0);
    ytree_free(doc);
    const char *bad = "rules:\n  files: /a.yaml\n";
    doc = ytree_load_string(bad, strlen(bad), "c.yaml", err, sizeof(err));
    CHECK(rules_config_check(ymap_get(ytree_root(doc), "rules"), err, sizeof(err)) < 0);
    CHECK(strncmp(err, "c.yaml:2:", 9) == 0);
    ytree_free(doc);
    bad = "rules:\n  colour: red\n";
    doc = ytree_load_string(bad, strlen(bad), "c.yaml", err, sizeof(err));
    CHECK(rules_config_check(ymap_get(ytree_root(doc), "rules"), err, sizeof(err)) < 0);
    ytree_free(doc);
}

RUN_TESTS()
