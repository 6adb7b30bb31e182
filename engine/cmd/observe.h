/* `lookout observe`'s state, shared by its two files: observe.c (the
 * command, the local kernel, the window, the evidence and the summary) and
 * observe_remote.c (the node agents of --agent and the pods of
 * --pod-selector). Nothing else includes it. */
#ifndef LOOKOUT_CMD_OBSERVE_H
#define LOOKOUT_CMD_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/conn.h"
#include "base/buf.h"
#include "base/http.h"
#include "base/loop.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/source.h"
#include "kernel/evidence.h"
#include "kube/kubeconfig.h"
#include "kube/reflector.h"
#include "kube/source.h"

#define MAX_CGROUPS   4096
#define MAX_AGENTS    64
#define START_WAIT_MS 10000 /* for the agents to stream and the pods to list */

struct observe_opts {
    int64_t for_ms;
    const char *ns, *cgroup, *out, *config, *selector, *token_file;
    const char *agents[MAX_AGENTS]; /* URL or NAME=URL */
    int nagents;
    bool all, json, discover;
    enum severity fail_on;
};

/* One agent's coverage of the window, from its source row. */
struct remote {
    struct evidence_agent a;
    char source[NAME_LEN + 8]; /* "agent:NODE" */
    bool synced_at_open;       /* streaming when the window opened */
    bool ever_synced;          /* streaming at some time in the window */
    bool interrupted;          /* stopped streaming in the window */
    bool have_drops;
    bool unready;    /* --discover: its node's agent pod was not ready; no connection */
    uint64_t drops0; /* its ring drops at its first heartbeat in the window */
};

/* A pod the selector picked at some time in the window: a pod deleted
 * before the end still owns what it did. */
struct picked {
    char key[OBJ_LEN + NAME_LEN + 2]; /* "namespace/name" */
    char uid[48];
};

/* --pod-selector: the matching pods, listed and watched into the
 * observer's own engine (where attribution also finds their names). */
struct pods {
    struct kube_settings set;
    struct kube_conn conn;
    bool conn_loaded, started, dirty;
    struct kube_env env;
    struct kube_reflector refl;
    struct picked *p;
    int n, cap;
};

struct observe {
    const struct observe_opts *o;
    struct loop *loop;
    struct engine *e;
    struct http *http;
    struct evidence_header h;
    char cgdir[512];
    uint64_t ids[MAX_CGROUPS];
    int nids;
    int64_t last_scan;
    struct buf body;
    struct evidence matched; /* in-scope rule matches, for the summary */
    uint64_t by_kind[KEV_KIND_COUNT], by_sev[3];
    int64_t started;
    bool open; /* the window is open: events before it are not the workload's */
    struct agent_fleet fleet;
    struct remote remotes[MAX_AGENTS];
    struct evidence_agent agents[MAX_AGENTS]; /* the header's copy */
    int nremotes;
    int discovered, unready; /* --discover: nodes with an agent pod, those not ready */
    struct pods pods;
};

/* ---- pods by label (observe_remote.c) ---- */

/* Lists and watches the selector's pods into ob's engine; -1 with err. */
int observe_pods_start(struct observe *ob, struct config *cfg, char *err, size_t errlen);
void observe_pods_stop(struct pods *pp);
/* k is of a selected pod; its pod is then named "namespace/name". */
bool observe_in_pods(struct observe *ob, struct kevent *k);
/* No pod picked in the whole window: a failed observation. */
void observe_pods_conclude(struct observe *ob);

/* ---- node agents (observe_remote.c) ---- */

/* NAME=URL, or URL named after its host[:port]; -1 when malformed. */
int observe_agent_name(const char *arg, char *name, size_t namelen, const char **url);
/* One connection and source per --agent, and per discovered agent pod
 * (--discover), into set; -1 with err. */
int observe_remotes_start(struct observe *ob, struct source_set *set, const struct source_ctx *ctx,
                          char *err, size_t errlen);
struct remote *observe_remote_of(struct observe *ob, const char *node);
bool observe_remote_streaming(struct observe *ob, const struct remote *r);
/* The window opens: who streams now. */
void observe_remotes_open(struct observe *ob);
/* Once per loop turn in the window. */
void observe_remotes_track(struct observe *ob);
/* The header's agents, and its status when one was not watched throughout. */
void observe_remotes_conclude(struct observe *ob);

#endif
