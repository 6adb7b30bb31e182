/* Pod and container attribution of kernel events (see attribution.h). */
#include "kernel/attribution.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/dict.h"
#include "base/loop.h"

#define CG_MAX        6000 /* bounded cache: inserts past this are refused and counted */
#define POD_MAX       768  /* pod names kept; past it the cache starts over */
#define PENDING_MAX   64
#define RESCAN_MIN_MS 1000
#define WALK_DEPTH    24

struct cg_entry {
    char path[PATH_LEN];
    struct cgroup_ref ref;
};

struct pod_name {
    char name[OBJ_LEN + NAME_LEN + 2]; /* "" not known (yet) */
    int64_t missed;                    /* mono ms of the last failed lookup */
};

struct attribution {
    struct engine *engine;
    char root[PATH_LEN];
    char pods_dir[PATH_LEN];
    struct dict cg;                /* cgroup id -> struct cg_entry */
    struct dict pods;              /* pod UID -> struct pod_name */
    char pending[PENDING_MAX][48]; /* pod UIDs with events still named "uid:..." */
    int npending;
    int64_t last_rescan;
    int64_t last_pods_scan;
    int64_t last_pending_check;
    struct attr_stats stats;
};

/* ---- parsing ---- */

static bool is_hex_id(const char *s, size_t n)
{
    if (n < 12 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* A pod UID as written in cgroup names: dashes, or underscores (systemd). */
static bool take_pod_uid(const char *s, size_t n, char *out, size_t outlen)
{
    if (n < 32 || n > 36 || n >= outlen)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!isxdigit((unsigned char)c) && c != '-' && c != '_')
            return false;
        out[i] = c == '_' ? '-' : (char)tolower((unsigned char)c);
    }
    out[n] = '\0';
    return true;
}

static const struct {
    const char *prefix;
    const char *runtime;
} runtime_prefixes[] = {
    {"cri-containerd-", "containerd"},
    {"containerd-", "containerd"},
    {"crio-", "cri-o"},
    {"docker-", "docker"},
    {"libpod-", "podman"},
};

/* One path component (".scope"/".slice" stripped): a container id? */
static void parse_container(const char *c, size_t n, struct cgroup_ref *ref)
{
    /* conmon and friends belong to the pod, not to a container */
    if (n > 7 && (memmem(c, n, "-conmon-", 8) || memmem(c, n, "conmon-", 7) == c))
        return;
    for (size_t i = 0; i < sizeof(runtime_prefixes) / sizeof(runtime_prefixes[0]); i++) {
        size_t pl = strlen(runtime_prefixes[i].prefix);
        if (n > pl && memcmp(c, runtime_prefixes[i].prefix, pl) == 0 && is_hex_id(c + pl, n - pl)) {
            snprintf(ref->container, sizeof(ref->container), "%.*s", (int)(n - pl), c + pl);
            STR_COPY(ref->runtime, runtime_prefixes[i].runtime);
            return;
        }
    }
    if (n == 64 && is_hex_id(c, n)) { /* cgroupfs driver: bare id */
        snprintf(ref->container, sizeof(ref->container), "%.*s", (int)n, c);
        ref->runtime[0] = '\0';
    }
}

/* "pod<uid>" (cgroupfs) or "...kubepods-<qos>-pod<uid>" (systemd). */
static void parse_pod(const char *c, size_t n, struct cgroup_ref *ref)
{
    const char *p = NULL;
    if (n > 3 && memcmp(c, "pod", 3) == 0)
        p = c + 3;
    else if (memmem(c, n, "kubepods", 8)) {
        for (const char *q = c; (q = memmem(q, n - (size_t)(q - c), "-pod", 4)); q += 4)
            p = q + 4;
    }
    if (p)
        take_pod_uid(p, n - (size_t)(p - c), ref->pod_uid, sizeof(ref->pod_uid));
}

static void parse_component(const char *c, size_t n, struct cgroup_ref *ref)
{
    if (n > 6 && (memcmp(c + n - 6, ".scope", 6) == 0 || memcmp(c + n - 6, ".slice", 6) == 0))
        n -= 6;
    /* cgroupfs driver inside systemd: "<pod slice>:<runtime prefix>:<id>" */
    const char *colon = memchr(c, ':', n);
    if (colon) {
        size_t pl = (size_t)(colon - c);
        if (pl > 6 && memcmp(colon - 6, ".slice", 6) == 0)
            pl -= 6;
        parse_pod(c, pl, ref);
        const char *last = colon;
        for (const char *q = colon; (q = memchr(q + 1, ':', n - (size_t)(q + 1 - c)));)
            last = q;
        if (last != colon) {
            char tmp[160];
            snprintf(tmp, sizeof(tmp), "%.*s-%.*s", (int)(last - colon - 1), colon + 1,
                     (int)(n - (size_t)(last + 1 - c)), last + 1);
            parse_container(tmp, strlen(tmp), ref);
        }
        return;
    }
    parse_pod(c, n, ref);
    parse_container(c, n, ref);
}

bool attr_parse_path(const char *path, struct cgroup_ref *out)
{
    memset(out, 0, sizeof(*out));
    /* Every component is parsed: the deepest container id and pod win, so a
     * service nested in a container (…/<id>.scope/init.scope) still counts. */
    for (const char *c = path; *c;) {
        while (*c == '/')
            c++;
        size_t n = strcspn(c, "/");
        if (n)
            parse_component(c, n, out);
        c += n;
    }
    return out->container[0] || out->pod_uid[0];
}

/* ---- cgroup ids ---- */

void attr_cgroup2_root(char *out, size_t outlen)
{
    out[0] = '\0';
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        /* id parent maj:min root mountpoint opts ... - fstype source opts */
        char mnt[PATH_LEN], fstype[32];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(dash + 3, "%31s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
            continue;
        if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1) {
            str_copy(out, outlen, mnt);
            if (strcmp(mnt, "/sys/fs/cgroup") == 0 || strcmp(mnt, "/sys/fs/cgroup/unified") == 0)
                break; /* the canonical places win over bind mounts elsewhere */
        }
    }
    fclose(f);
}

uint64_t attr_cgroup_id(const char *dir)
{
    union {
        struct file_handle fh;
        char raw[sizeof(struct file_handle) + 64];
    } h;
    int mount_id;
    h.fh.handle_bytes = 64;
    if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mount_id, 0) < 0 || h.fh.handle_bytes < 8)
        return 0;
    uint64_t id;
    memcpy(&id, h.fh.f_handle, sizeof(id));
    return id;
}

/* ---- the id -> path cache ---- */

/* Keyed by the cgroup id itself; bounded so a host churning containers
 * cannot grow it without end. */
static const struct dict_type cg_type = {.val_free = free, .max = CG_MAX};

static struct cg_entry *cg_find(struct attribution *a, uint64_t id)
{
    struct dict_entry *e = dict_find_u64(&a->cg, id);
    return e ? e->val.p : NULL;
}

static void cg_put(struct attribution *a, uint64_t id, const char *path)
{
    if (!id)
        return;
    bool created;
    struct dict_entry *e = dict_add_u64(&a->cg, id, &created);
    if (e && created && !(e->val.p = malloc(sizeof(struct cg_entry)))) {
        dict_delete_entry(&a->cg, e);
        e = NULL;
    }
    if (!e) {
        a->stats.cache_full++;
        return;
    }
    struct cg_entry *c = e->val.p;
    STR_COPY(c->path, path);
    attr_parse_path(c->path, &c->ref);
    a->stats.cgroups = (int)dict_count(&a->cg);
}

static void cg_del(struct attribution *a, uint64_t id)
{
    dict_delete_u64(&a->cg, id);
    a->stats.cgroups = (int)dict_count(&a->cg);
}

/* Pod UID -> name; keys are copies, values malloc'd struct pod_name. */
static const struct dict_type pod_type = {
    .hash = dict_hash_str, .key_dup = dict_strdup, .key_free = free, .val_free = free};

/* ---- construction and walking ---- */

struct attribution *attr_new(struct engine *e, const char *root, const char *pods_dir)
{
    struct attribution *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    dict_init(&a->cg, &cg_type, NULL);
    dict_init(&a->pods, &pod_type, NULL);
    a->engine = e;
    if (root)
        STR_COPY(a->root, root);
    else
        attr_cgroup2_root(a->root, sizeof(a->root));
    STR_COPY(a->pods_dir, pods_dir ? pods_dir : "/var/log/pods");
    a->last_rescan = a->last_pods_scan = a->last_pending_check = INT64_MIN / 2;
    return a;
}

void attr_free(struct attribution *a)
{
    if (!a)
        return;
    dict_free(&a->cg);
    dict_free(&a->pods);
    free(a);
}

static int walk(struct attribution *a, char *abs, size_t rootlen, int depth)
{
    uint64_t id = attr_cgroup_id(abs);
    int n = 0;
    if (id) {
        cg_put(a, id, abs[rootlen] ? abs + rootlen : "/");
        n++;
    }
    if (depth >= WALK_DEPTH)
        return n;
    DIR *d = opendir(abs);
    if (!d)
        return n;
    size_t len = strlen(abs);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        if (len + 1 + strlen(de->d_name) >= PATH_MAX)
            continue;
        abs[len] = '/';
        strcpy(abs + len + 1, de->d_name);
        n += walk(a, abs, rootlen, depth + 1);
        abs[len] = '\0';
    }
    closedir(d);
    return n;
}

int attr_rescan(struct attribution *a)
{
    a->last_rescan = loop_mono_ms();
    a->stats.rescans++;
    if (!a->root[0])
        return 0;
    char abs[PATH_MAX];
    STR_COPY(abs, a->root);
    return walk(a, abs, strlen(a->root), 0);
}

void attr_cgroup(struct attribution *a, uint64_t id, const char *path, bool removed)
{
    if (removed)
        cg_del(a, id);
    else
        cg_put(a, id, path && path[0] ? path : "/");
}

/* ---- pod names ---- */

static void pod_put(struct attribution *a, const char *uid, const char *name)
{
    if (dict_count(&a->pods) >= POD_MAX) /* bounded: start over */
        dict_clear(&a->pods);
    bool created;
    struct dict_entry *e = dict_add(&a->pods, uid, &created);
    if (e && created && !(e->val.p = malloc(sizeof(struct pod_name)))) {
        dict_delete_entry(&a->pods, e);
        return;
    }
    if (!e)
        return; /* out of memory: the name is looked up again next time */
    struct pod_name *p = e->val.p;
    STR_COPY(p->name, name);
    p->missed = name[0] ? 0 : loop_mono_ms();
}

static struct pod_name *pod_find(struct attribution *a, const char *uid)
{
    struct dict_entry *e = dict_find(&a->pods, uid);
    return e ? e->val.p : NULL;
}

static const char *pod_get(struct attribution *a, const char *uid)
{
    struct pod_name *p = pod_find(a, uid);
    return p && p->name[0] ? p->name : NULL;
}

static bool pod_from_cluster(struct attribution *a, const char *uid)
{
    struct table *t = engine_table(a->engine, T_PODS);
    for (int i = 0; i < t->count; i++) {
        const struct k8s_pod *p = table_row(t, i);
        if (strcmp(p->uid, uid) == 0) {
            char name[sizeof(p->key)];
            snprintf(name, sizeof(name), "%s/%s", p->namespace, p->name);
            pod_put(a, uid, name);
            return true;
        }
    }
    return false;
}

/* kubelet's log directories: <namespace>_<pod>_<uid> */
static void pods_from_log_dir(struct attribution *a)
{
    int64_t now = loop_mono_ms();
    if (now - a->last_pods_scan < RESCAN_MIN_MS)
        return;
    a->last_pods_scan = now;
    DIR *d = opendir(a->pods_dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *u = strrchr(de->d_name, '_');
        char *p = strchr(de->d_name, '_');
        char uid[48];
        if (!u || u == p || !take_pod_uid(u + 1, strlen(u + 1), uid, sizeof(uid)))
            continue;
        char name[OBJ_LEN + NAME_LEN + 2];
        snprintf(name, sizeof(name), "%.*s/%.*s", (int)(p - de->d_name), de->d_name,
                 (int)(u - p - 1), p + 1);
        pod_put(a, uid, name);
    }
    closedir(d);
}

/* Cached; an unknown pod is looked up again at most once a second (the
 * cluster state scan is linear in the number of pods). */
static const char *pod_name(struct attribution *a, const char *uid)
{
    struct pod_name *p = pod_find(a, uid);
    if (p && p->name[0])
        return p->name;
    if (p && loop_mono_ms() - p->missed < RESCAN_MIN_MS)
        return NULL;
    if (pod_from_cluster(a, uid))
        return pod_get(a, uid);
    pods_from_log_dir(a);
    const char *n = pod_get(a, uid);
    if (!n)
        pod_put(a, uid, "");
    return n;
}

/* Events posted before their pod was known: rename them in the ring. */
static void fill_pending(struct attribution *a)
{
    int64_t now = loop_mono_ms();
    if (!a->npending || now - a->last_pending_check < RESCAN_MIN_MS)
        return;
    a->last_pending_check = now;
    for (int i = 0; i < a->npending;) {
        const char *name = pod_name(a, a->pending[i]);
        if (!name) {
            i++;
            continue;
        }
        char tag[64];
        snprintf(tag, sizeof(tag), "uid:%s", a->pending[i]);
        struct ring *r = &a->engine->kevents;
        for (int k = 0, n = ring_count(r); k < n; k++) {
            struct kevent *ev = ring_at(r, k);
            if (strcmp(ev->pod, tag) == 0) {
                STR_COPY(ev->pod, name);
                a->stats.pods_filled++;
            }
        }
        a->engine->dirty |= DIRTY_KEVENTS;
        memmove(a->pending[i], a->pending[i + 1], (size_t)(a->npending - i - 1) * 48);
        a->npending--;
    }
}

static void add_pending(struct attribution *a, const char *uid)
{
    for (int i = 0; i < a->npending; i++)
        if (strcmp(a->pending[i], uid) == 0)
            return;
    if (a->npending == PENDING_MAX) { /* bounded: the oldest stays unnamed */
        memmove(a->pending[0], a->pending[1], (PENDING_MAX - 1) * 48);
        a->npending--;
    }
    STR_COPY(a->pending[a->npending], uid);
    a->npending++;
}

/* ---- events ---- */

void attr_event(struct attribution *a, struct kevent *ev)
{
    fill_pending(a);
    if (!ev->cgroup_id)
        return;
    a->stats.lookups++;
    struct cg_entry *e = cg_find(a, ev->cgroup_id);
    if (!e && loop_mono_ms() - a->last_rescan >= RESCAN_MIN_MS) {
        attr_rescan(a);
        e = cg_find(a, ev->cgroup_id);
    }
    if (!e) {
        a->stats.misses++;
        snprintf(ev->container, sizeof(ev->container), "cg:%" PRIu64, ev->cgroup_id);
        return;
    }
    STR_COPY(ev->container, e->ref.container);
    if (!e->ref.pod_uid[0])
        return;
    const char *name = pod_name(a, e->ref.pod_uid);
    if (name) {
        STR_COPY(ev->pod, name);
        return;
    }
    snprintf(ev->pod, sizeof(ev->pod), "uid:%s", e->ref.pod_uid);
    a->stats.pods_pending++;
    add_pending(a, e->ref.pod_uid);
}

const struct attr_stats *attr_stats(const struct attribution *a)
{
    return &a->stats;
}
