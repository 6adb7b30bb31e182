/* The deployment files agree with docs/kernel.md: the DaemonSet
 * (docs/deploy/agent-daemonset.yaml, read with the project's own YAML
 * reader) and the Debian package's agent unit grant exactly the
 * capabilities listed under "Privileges and mounts", the DaemonSet mounts
 * exactly the host paths listed there with the same read-only flags, and
 * its image is the tag docs/deploy/Containerfile builds for this version.
 * A capability added in one place and not the others is a failing test, not
 * a silent widening of the grant. */
#include "base/buf.h"
#include "base/yaml_tree.h"
#include "test.h"

#include <stdbool.h>
#include <string.h>

#define MAX_NAMES 16
#define IMAGE     "ghcr.io/example/lookout:" LOOKOUT_VERSION

struct names {
    char v[MAX_NAMES][96];
    bool ro[MAX_NAMES];
    int n;
};

static void names_add(struct names *s, const char *v, size_t len, bool ro)
{
    if (s->n == MAX_NAMES || len >= sizeof(s->v[0]))
        return;
    memcpy(s->v[s->n], v, len);
    s->v[s->n][len] = '\0';
    s->ro[s->n++] = ro;
}

static int names_find(const struct names *s, const char *v)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i], v) == 0)
            return i;
    return -1;
}

static bool same_set(const struct names *a, const struct names *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (names_find(b, a->v[i]) < 0)
            return false;
    return true;
}

static char *repo_file(const char *rel)
{
    /* tests/run.sh runs from the repository root and says so in LOOKOUT_ROOT. */
    const char *root = getenv("LOOKOUT_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", rel);
    size_t len;
    return read_file(path, 1 << 20, &len);
}

/* The two tables of kernel.md's "Privileges and mounts": capabilities
 * without their CAP_ prefix (as Kubernetes writes them), host paths with
 * whether they are read-only. */
static int kernel_md_lists(struct names *caps, struct names *paths)
{
    char *md = repo_file("docs/kernel.md");
    if (!md)
        return -1;
    char *sec = strstr(md, "\n## Privileges and mounts\n");
    char *end = sec ? strstr(sec + 1, "\n## ") : NULL;
    if (!sec || !end) {
        free(md);
        return -1;
    }
    *end = '\0';
    for (char *line = sec; line; line = strchr(line + 1, '\n')) {
        char *cell = line + 1;
        if (strncmp(cell, "| `CAP_", 7) == 0)
            names_add(caps, cell + 7, strcspn(cell + 7, "`"), false);
        else if (strncmp(cell, "| `/", 4) == 0) {
            char *eol = strchr(cell, '\n');
            size_t n = eol ? (size_t)(eol - cell) : strlen(cell);
            bool ro = memmem(cell, n, "| read-only |", 13) != NULL;
            names_add(paths, cell + 3, strcspn(cell + 3, "`"), ro);
        }
    }
    free(md);
    return 0;
}

static void seq_names(const struct ynode *seq, struct names *out)
{
    for (const struct ynode *c = seq ? seq->child : NULL; c; c = c->next)
        if (c->type == Y_SCALAR && c->value)
            names_add(out, c->value, strlen(c->value), false);
}

static bool scalar_is(const struct ynode *n, const char *v)
{
    return n && n->type == Y_SCALAR && n->value && strcmp(n->value, v) == 0;
}

static const struct ynode *daemonset_pod(const struct ynode *docs)
{
    for (const struct ynode *d = docs->child; d; d = d->next)
        if (scalar_is(ymap_get(d, "kind"), "DaemonSet"))
            return ymap_get(ymap_get(ymap_get(d, "spec"), "template"), "spec");
    return NULL;
}

static const struct ynode *mount_named(const struct ynode *mounts, const char *name)
{
    for (const struct ynode *m = mounts ? mounts->child : NULL; m; m = m->next)
        if (scalar_is(ymap_get(m, "name"), name))
            return m;
    return NULL;
}

TEST(kernel_md_lists_privileges_and_mounts)
{
    struct names caps = {0}, paths = {0};
    if (kernel_md_lists(&caps, &paths) < 0)
        SKIP("docs/kernel.md not at hand: run from the repository root");
    CHECK(names_find(&caps, "BPF") >= 0);
    CHECK(names_find(&caps, "PERFMON") >= 0);
    CHECK(caps.n >= 2 && caps.n <= 8);
    CHECK(names_find(&paths, "/sys/kernel/btf") >= 0);
    CHECK(paths.n >= 3);
}

TEST(daemonset_grants_what_kernel_md_lists)
{
    struct names caps = {0}, paths = {0};
    char *text = repo_file("docs/deploy/agent-daemonset.yaml");
    if (!text || kernel_md_lists(&caps, &paths) < 0) {
        free(text);
        SKIP("docs/ not at hand: run from the repository root");
    }
    char err[256] = "";
    struct ynode *docs =
        ytree_load_all(text, strlen(text), "agent-daemonset.yaml", err, sizeof err);
    free(text);
    CHECK(docs != NULL);
    if (!docs) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(yseq_len(docs) == 5); /* ServiceAccount, ClusterRole, binding, DaemonSet, Service */
    const struct ynode *pod = daemonset_pod(docs);
    CHECK(pod != NULL);
    CHECK(scalar_is(ymap_get(pod, "hostPID"), "true"));
    const struct ynode *ctr = ymap_get(pod, "containers");
    ctr = ctr ? ctr->child : NULL;
    CHECK(ctr != NULL);
    CHECK(scalar_is(ymap_get(ctr, "image"), IMAGE));

    const struct ynode *sc = ymap_get(ctr, "securityContext");
    CHECK(scalar_is(ymap_get(sc, "allowPrivilegeEscalation"), "false"));
    CHECK(scalar_is(ymap_get(sc, "readOnlyRootFilesystem"), "true"));
    struct names add = {0}, drop = {0};
    seq_names(ymap_get(ymap_get(sc, "capabilities"), "add"), &add);
    seq_names(ymap_get(ymap_get(sc, "capabilities"), "drop"), &drop);
    CHECK(same_set(&add, &caps));
    CHECK(drop.n == 1 && strcmp(drop.v[0], "ALL") == 0);

    /* Every hostPath is listed, mounted at the same path, read-only as listed. */
    const struct ynode *mounts = ymap_get(ctr, "volumeMounts");
    const struct ynode *vols = ymap_get(pod, "volumes");
    struct names host = {0};
    for (const struct ynode *v = vols ? vols->child : NULL; v; v = v->next) {
        const struct ynode *hp = ymap_get(ymap_get(v, "hostPath"), "path");
        if (!hp || !hp->value)
            continue;
        names_add(&host, hp->value, strlen(hp->value), false);
        int i = names_find(&paths, hp->value);
        CHECK(i >= 0);
        const struct ynode *name = ymap_get(v, "name");
        const struct ynode *m = mount_named(mounts, name ? name->value : "");
        CHECK(scalar_is(ymap_get(m, "mountPath"), hp->value));
        if (i >= 0)
            CHECK(scalar_is(ymap_get(m, "readOnly"), "true") == paths.ro[i]);
    }
    CHECK(same_set(&host, &paths));
    ytree_free(docs);
}

/* CapabilityBoundingSet= and AmbientCapabilities= of the agent's unit. */
static void unit_caps(const char *unit, const char *key, struct names *out)
{
    const char *p = strstr(unit, key);
    if (!p)
        return;
    p += strlen(key);
    size_t end = strcspn(p, "\n");
    for (const char *c = p; c < p + end;) {
        c += strspn(c, " ");
        size_t n = strcspn(c, " \n");
        if (n > 4 && strncmp(c, "CAP_", 4) == 0)
            names_add(out, c + 4, n - 4, false);
        c += n;
    }
}

TEST(agent_unit_grants_what_kernel_md_lists)
{
    struct names caps = {0}, paths = {0};
    char *unit = repo_file("docs/deploy/debian/lookout-agent.service");
    if (!unit || kernel_md_lists(&caps, &paths) < 0) {
        free(unit);
        SKIP("docs/ not at hand: run from the repository root");
    }
    struct names bound = {0}, ambient = {0};
    unit_caps(unit, "\nCapabilityBoundingSet=", &bound);
    unit_caps(unit, "\nAmbientCapabilities=", &ambient);
    CHECK(same_set(&bound, &caps));
    CHECK(same_set(&ambient, &caps));
    CHECK(strstr(unit, "\nNoNewPrivileges=yes\n") != NULL);
    CHECK(strstr(unit, "\nDynamicUser=yes\n") != NULL);
    free(unit);
}

TEST(containerfile_builds_the_daemonset_image)
{
    char *cf = repo_file("docs/deploy/Containerfile");
    if (!cf)
        SKIP("docs/deploy/Containerfile not at hand: run from the repository root");
    CHECK(strstr(cf, "\nARG VERSION=" LOOKOUT_VERSION "\n") != NULL);
    CHECK(strstr(cf, "podman build -f docs/deploy/Containerfile -t " IMAGE " ") != NULL);
    CHECK(strstr(cf, "docker build -f docs/deploy/Containerfile -t " IMAGE " ") != NULL);
    CHECK(strstr(cf, "\nFROM docker.io/library/debian:12") != NULL);
    CHECK(strstr(cf, "\nUSER 65532") != NULL);
    free(cf);
}

RUN_TESTS()
