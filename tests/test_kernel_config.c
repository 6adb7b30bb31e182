/* The kernel section of the config, sizes, and the user-space process table
 * (no BPF here: the ground truth against the kernel is t_kernel.py). */
#include <string.h>

#include "kernel/config.h"
#include "kernel/proc_table.h"
#include "test.h"
#include "base/yaml_tree.h"

static int check_yaml(const char *text, char *err, size_t errlen)
{
    struct ynode *doc = ytree_load_string(text, strlen(text), "c.yaml", err, errlen);
    if (!doc)
        return -2;
    int rc = kernel_config_check(ymap_get(ytree_root(doc), "kernel"), err, errlen);
    ytree_free(doc);
    return rc;
}

TEST(sizes)
{
    CHECK(parse_size_bytes("8MiB") == 8 << 20);
    CHECK(parse_size_bytes("512KiB") == 512 << 10);
    CHECK(parse_size_bytes("65536") == 65536);
    CHECK(parse_size_bytes("1.5M") == 3 << 19);
    CHECK(parse_size_bytes("lots") == -1);
    CHECK(parse_size_bytes("8 parsecs") == -1);
    CHECK(ring_size_round(5000) == 8192);
    CHECK(ring_size_round(8 << 20) == 8 << 20);
    CHECK(ring_size_round(1) == 4096);
}

TEST(config_accepts_a_full_section)
{
    char err[256] = "";
    CHECK(check_yaml("kernel:\n"
                     "  enabled: true\n"
                     "  ring_size: 16MiB\n"
                     "  drain_interval: 200ms\n"
                     "  rate_limit: 500\n"
                     "  drop_privileges: false\n"
                     "  kinds: {retransmit: false, oom: true}\n"
                     "  watch: [/etc/shadow, /etc/ssl/private/, \"/proc/*/environ\"]\n"
                     "  watch_extra: [/srv/app/secret.key]\n",
                     err, sizeof(err)) == 0);
    CHECK_STR(err, "");
}

TEST(config_errors_carry_file_and_line)
{
    char err[256];
    CHECK(check_yaml("kernel:\n  ring_size: huge\n", err, sizeof(err)) == -1);
    CHECK(strstr(err, "c.yaml:2:") && strstr(err, "ring_size"));
    CHECK(check_yaml("kernel:\n  kinds: {exec: true, teleport: true}\n", err, sizeof(err)) == -1);
    CHECK(strstr(err, "c.yaml:2:") && strstr(err, "teleport"));
    CHECK(check_yaml("kernel:\n  watch: [etc/shadow]\n", err, sizeof(err)) == -1);
    CHECK(strstr(err, "absolute"));
    CHECK(check_yaml("kernel:\n  watch: [\"/a/*/b/*\"]\n", err, sizeof(err)) == -1);
    CHECK(strstr(err, "one '*'"));
    CHECK(check_yaml("kernel:\n  drain_interval: 5s\n", err, sizeof(err)) == -1);
    CHECK(check_yaml("kernel:\n  rate_limit: -3\n", err, sizeof(err)) == -1);
    CHECK(check_yaml("kernel:\n  colour: blue\n", err, sizeof(err)) == -1);
    CHECK(strstr(err, "colour"));
}

TEST(options_from_config)
{
    struct kernel_options o;
    bool enabled = true;
    char err[256];
    CHECK(kernel_options_from_config(NULL, &o, &enabled, err, sizeof(err)) == 0);
    CHECK(enabled && o.ring_bytes == 8u << 20 && o.kind_on[LO_EXEC] && o.nwatch > 5);
    bool has_shadow = false;
    for (int i = 0; i < o.nwatch; i++)
        has_shadow |= strcmp(o.watch[i], "/etc/shadow") == 0;
    CHECK(has_shadow);
}

TEST(process_table)
{
    static struct proc_table t;
    memset(&t, 0, sizeof(t));
    proc_table_fork(&t, 100, 200, 1000, "bash", 1);
    const struct proc_entry *e = proc_table_get(&t, 200);
    CHECK(e && e->ppid == 100 && e->uid == 1000 && strcmp(e->comm, "bash") == 0);
    proc_table_exec(&t, 200, 100, 1000, "curl", 2);
    CHECK(strcmp(proc_table_get(&t, 200)->comm, "curl") == 0);
    proc_table_set_uid(&t, 200, 0);
    CHECK(proc_table_get(&t, 200)->uid == 0);
    proc_table_exit(&t, 200);
    CHECK(proc_table_get(&t, 200) == NULL && t.count == 0);
    /* bounded: far more processes than slots never overflows */
    for (uint32_t pid = 1; pid < 3 * PROC_TABLE_CAP; pid++)
        proc_table_fork(&t, 1, pid, 0, "x", pid);
    CHECK(t.count <= PROC_TABLE_CAP);
    CHECK(proc_table_get(&t, 3 * PROC_TABLE_CAP - 1) != NULL);
}

RUN_TESTS()
