/* Attribution: every cgroup naming scheme, the id cache, pod names from the
 * cluster state and from /var/log/pods, and (as root) a synthetic kubepods
 * hierarchy with a real process moved into it. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/attribution.h"
#include "base/intern.h"
#include "base/buf.h"
#include "kernel/ingest.h"
#include "test.h"

#define CID  "4f9a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"
#define UID  "8d2f6c1e-3b4a-4c5d-9e8f-0a1b2c3d4e5f"
#define UID_ "8d2f6c1e_3b4a_4c5d_9e8f_0a1b2c3d4e5f"

static void check_path(const char *path, const char *container, const char *pod,
                       const char *runtime)
{
    struct cgroup_ref r;
    bool hit = attr_parse_path(path, &r);
    CHECK(hit == (container[0] || pod[0]));
    CHECK_STR(r.container, container);
    CHECK_STR(r.pod_uid, pod);
    CHECK_STR(r.runtime, runtime);
}

TEST(systemd_driver)
{
    check_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
               ".slice/cri-containerd-" CID ".scope",
               CID, UID, "containerd");
    check_path("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
               ".slice/crio-" CID ".scope",
               CID, UID, "cri-o");
    check_path("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" CID ".scope", CID, UID,
               "docker");
    /* cri-o's conmon belongs to the pod, not to a container */
    check_path("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" CID ".scope", "", UID, "");
    /* the pod slice itself */
    check_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice", "",
               UID, "");
    /* kind: kubelet nested in a docker container */
    check_path(
        "/system.slice/docker-" CID ".scope/kubelet.slice/kubelet-kubepods.slice/"
        "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
        ".slice/cri-containerd-aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999"
        ".scope",
        "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999", UID, "containerd");
}

TEST(cgroupfs_driver)
{
    check_path("/kubepods/burstable/pod" UID "/" CID, CID, UID, "");
    check_path("/kubepods/pod" UID "/" CID, CID, UID, "");
    check_path("/kubepods/besteffort/pod" UID "/crio-" CID, CID, UID, "cri-o");
    /* containerd's cgroupfs-in-systemd form */
    check_path("/system.slice/containerd.service/kubepods-burstable-pod" UID_
               ".slice:cri-containerd:" CID,
               CID, UID, "containerd");
    check_path("/system.slice/crio.service/kubepods-besteffort-pod" UID_ ".slice:crio:" CID, CID,
               UID, "cri-o");
}

TEST(plain_containers_and_host)
{
    check_path("/system.slice/docker-" CID ".scope", CID, "", "docker");
    check_path("/docker/" CID, CID, "", "");
    check_path("/machine.slice/libpod-" CID ".scope/container", CID, "", "podman");
    check_path("/user.slice/user-1000.slice/session-3.scope", "", "", "");
    check_path("/system.slice/sshd.service", "", "", "");
    check_path("/", "", "", "");
    /* near misses: short ids, non-hex, a "pod" that is no UID */
    check_path("/system.slice/docker-abc.scope", "", "", "");
    check_path("/kubepods/podcast/zzzz", "", "", "");
    check_path("/system.slice/podman.service", "", "", "");
}

TEST(cache_and_pod_names)
{
    struct engine e;
    engine_init(&e);
    char dir[] = "/tmp/lookout-attr-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char logdir[256];
    snprintf(logdir, sizeof(logdir), "%s/shop_cart-7d9f_" UID, dir);
    CHECK(mkdir(logdir, 0755) == 0);
    struct attribution *a = attr_new(&e, "/nonexistent", dir);
    /* many ids with removals: the open-addressing cache must stay consistent */
    for (uint64_t id = 100; id < 3100; id++)
        attr_cgroup(a, id, "/system.slice/x.service", false);
    for (uint64_t id = 100; id < 3100; id += 2)
        attr_cgroup(a, id, NULL, true);
    CHECK(attr_stats(a)->cgroups == 1500);
    attr_cgroup(a, 5, "/kubepods/pod" UID "/" CID, false);
    struct kevent ev = {.kind = KEV_EXEC, .cgroup_id = 5};
    attr_event(a, &ev);
    CHECK_STR(ev.container, CID);
    CHECK_STR(ev.pod, "shop/cart-7d9f"); /* from /var/log/pods */
    struct kevent host = {.kind = KEV_EXEC, .cgroup_id = 101};
    attr_event(a, &host);
    CHECK_STR(host.container, "");
    CHECK_STR(host.pod, "");
    struct kevent gone = {.kind = KEV_EXEC, .cgroup_id = 100};
    attr_event(a, &gone);
    CHECK_STR(gone.container, "cg:100"); /* honest, never "host" */
    attr_free(a);
    rmdir(logdir);
    rmdir(dir);
    engine_free(&e);
}

TEST(cgroup_cache_is_bounded)
{
    struct engine e;
    engine_init(&e);
    struct attribution *a = attr_new(&e, "/nonexistent", "/nonexistent");
    /* 6000 ids fit; the rest are refused and counted, updates still land */
    for (uint64_t id = 1; id <= 7000; id++)
        attr_cgroup(a, id << 32, "/system.slice/x.service", false);
    CHECK(attr_stats(a)->cgroups == 6000);
    CHECK(attr_stats(a)->cache_full == 1000);
    attr_cgroup(a, 1ULL << 32, "/kubepods/pod" UID "/" CID, false);
    CHECK(attr_stats(a)->cache_full == 1000);
    struct kevent ev = {.kind = KEV_EXEC, .cgroup_id = 1ULL << 32};
    attr_event(a, &ev);
    CHECK_STR(ev.container, CID);
    attr_cgroup(a, 2ULL << 32, NULL, true);
    attr_cgroup(a, 6001ULL << 32, "/system.slice/y.service", false);
    CHECK(attr_stats(a)->cgroups == 6000 && attr_stats(a)->cache_full == 1000);
    attr_free(a);
    engine_free(&e);
}

TEST(pod_filled_in_later)
{
    struct engine e;
    engine_init(&e);
    char err[256];
    struct kevent_ingest *ki = kevent_ingest_new(&e, NULL, err, sizeof(err));
    CHECK(ki != NULL);
    kevent_ingest_cgroup(
        ki, 77, "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" CID ".scope", false);
    struct kevent ev = {.kind = KEV_EXEC, .cgroup_id = 77, .pid = 1};
    STR_COPY(ev.comm, "sh");
    STR_COPY(ev.path, "/bin/sh");
    kevent_ingest_post(ki, &ev);
    CHECK_STR(ev.pod, "uid:" UID);
    CHECK_STR(ev.rule, "shell_in_container");
    /* the Kubernetes source learns the pod; the next event renames the old one */
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    STR_COPY(p.key, "shop/cart-1");
    p.namespace = intern_str("shop");
    STR_COPY(p.name, "cart-1");
    STR_COPY(p.uid, UID);
    engine_upsert(&e, T_PODS, &p);
    usleep(1100 * 1000); /* the pending check is rate-limited to once a second */
    struct kevent ev2 = {.kind = KEV_EXEC, .cgroup_id = 77, .pid = 2};
    kevent_ingest_post(ki, &ev2);
    CHECK_STR(ev2.pod, "shop/cart-1");
    struct kevent *first = ring_at(&e.kevents, 0);
    CHECK_STR(first->pod, "shop/cart-1");
    CHECK(kevent_ingest_stats(ki)->posted[KEV_EXEC] == 2);
    CHECK(kevent_ingest_stats(ki)->rule_matches == 1);
    kevent_ingest_free(ki);
    engine_free(&e);
}

/* Root only: a kubepods-like cgroup under the real cgroup2 mount, a child
 * process moved into it, and an event carrying that process's cgroup id. */
TEST(synthetic_hierarchy)
{
    char root[256];
    attr_cgroup2_root(root, sizeof(root));
    if (geteuid() != 0 || !root[0])
        SKIP("needs root and a cgroup2 mount");
    char top[512], pod[640], ctr[800], procs[840];
    snprintf(top, sizeof(top), "%s/lookout-test-%d.slice", root, (int)getpid());
    snprintf(pod, sizeof(pod), "%s/kubepods-burstable-pod" UID_ ".slice", top);
    snprintf(ctr, sizeof(ctr), "%s/cri-containerd-" CID ".scope", pod);
    if (mkdir(top, 0755) < 0)
        SKIP("mkdir %s: %s", top, strerror(errno));
    CHECK(mkdir(pod, 0755) == 0);
    CHECK(mkdir(ctr, 0755) == 0);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", ctr);
    FILE *f = fopen(procs, "w");
    CHECK(f != NULL);
    if (f) {
        fprintf(f, "%d\n", (int)child);
        CHECK(fclose(f) == 0);
    }
    /* The child's own view of its cgroup2 membership, as the kernel gives it */
    char pc[64], line[1024] = "", cgpath[1400] = "";
    snprintf(pc, sizeof(pc), "/proc/%d/cgroup", (int)child);
    f = fopen(pc, "r");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(cgpath, sizeof(cgpath), "%s%s", root, line + 3);
        }
    if (f)
        fclose(f);
    CHECK_STR(cgpath, ctr);
    uint64_t id = attr_cgroup_id(cgpath);
    CHECK(id != 0);

    struct engine e;
    engine_init(&e);
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    STR_COPY(p.key, "payments/api-0");
    p.namespace = intern_str("payments");
    STR_COPY(p.name, "api-0");
    STR_COPY(p.uid, UID);
    engine_upsert(&e, T_PODS, &p);
    char err[256];
    struct kevent_ingest *ki = kevent_ingest_new(&e, NULL, err, sizeof(err));
    struct kevent ev = {.kind = KEV_EXEC, .pid = (uint32_t)child, .cgroup_id = id};
    STR_COPY(ev.comm, "bash");
    STR_COPY(ev.path, "/bin/bash");
    kevent_ingest_post(ki, &ev); /* found by the initial walk */
    CHECK_STR(ev.container, CID);
    CHECK_STR(ev.pod, "payments/api-0");
    CHECK_STR(ev.rule, "shell_in_container");
    /* a host process: our own cgroup */
    struct kevent host = {.kind = KEV_EXEC, .pid = (uint32_t)getpid()};
    f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(cgpath, sizeof(cgpath), "%s%s", root, line + 3);
            host.cgroup_id = attr_cgroup_id(cgpath);
        }
    if (f)
        fclose(f);
    STR_COPY(host.path, "/bin/bash");
    kevent_ingest_post(ki, &host);
    CHECK_STR(host.pod, "");
    CHECK_STR(host.rule, "");
    kevent_ingest_free(ki);
    engine_free(&e);

    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    CHECK(rmdir(ctr) == 0);
    CHECK(rmdir(pod) == 0);
    CHECK(rmdir(top) == 0);
}

RUN_TESTS()
