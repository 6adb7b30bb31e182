/* Who did it: kernel cgroup id -> cgroup path -> container id and pod UID
 * -> pod namespace/name. Works on cgroup v2 at /sys/fs/cgroup and on the
 * hybrid layout (v1 controllers + cgroup2 at /sys/fs/cgroup/unified): ids
 * are always those of the cgroup2 (default) hierarchy, which is what
 * bpf_get_current_cgroup_id() returns.
 *
 * Rendering (docs/events.md): host processes get container "" and pod "";
 * a cgroup we cannot resolve gets container "cg:<id>" (never "host"); a pod
 * whose name is not known yet gets pod "uid:<UID>", rewritten in the event
 * ring once the pod shows up in T_PODS or /var/log/pods. */
#ifndef LOOKOUT_ATTRIBUTION_H
#define LOOKOUT_ATTRIBUTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"

/* What a cgroup path says about its processes. */
struct cgroup_ref {
    char container[72]; /* hex id, "" when not in a container */
    char pod_uid[48];   /* dashed UID, "" when not in a pod */
    char runtime[16];   /* containerd, cri-o, docker, podman, "" when unknown */
};

/* Pure parsing of every naming scheme of the systemd and cgroupfs drivers.
 * True when the path names a container or a pod. */
bool attr_parse_path(const char *path, struct cgroup_ref *out);

/* The cgroup2 mount point ("/sys/fs/cgroup" or "/sys/fs/cgroup/unified"),
 * "" when there is none. */
void attr_cgroup2_root(char *out, size_t outlen);
/* The cgroup id (kernfs node id) of a cgroup directory, 0 on failure. */
uint64_t attr_cgroup_id(const char *dir);

struct attribution;

/* root NULL: the cgroup2 mount. pods_dir NULL: /var/log/pods. */
struct attribution *attr_new(struct engine *e, const char *root, const char *pods_dir);
void attr_free(struct attribution *a);
/* Walks the hierarchy (ids from name_to_handle_at); returns cgroups seen. */
int attr_rescan(struct attribution *a);
/* Cgroup churn: path relative to the cgroup2 root ("/kubepods.slice/..."). */
void attr_cgroup(struct attribution *a, uint64_t id, const char *path, bool removed);
/* Fills ev->container and ev->pod from ev->cgroup_id. */
void attr_event(struct attribution *a, struct kevent *ev);

struct attr_stats {
    int cgroups; /* cached ids */
    uint64_t lookups;
    uint64_t misses; /* ids not in the cache after a rescan */
    uint64_t rescans;
    uint64_t pods_pending; /* events waiting for a pod name */
    uint64_t pods_filled;  /* events renamed later */
    uint64_t cache_full;   /* inserts refused: the cache is full */
};
const struct attr_stats *attr_stats(const struct attribution *a);

#endif
