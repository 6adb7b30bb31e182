/* One resource kept in sync with the API server, like client-go's
 * reflector: LIST (paged, replacing the cache), then WATCH from the list's
 * resourceVersion, with client-go's rules for what to do after each kind of
 * ending (see docs/kubernetes.md). Everything runs on the loop through
 * engine/base/http.h; nothing blocks. */
#ifndef LOOKOUT_KUBE_REFLECTOR_H
#define LOOKOUT_KUBE_REFLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "base/backoff.h"
#include "base/buf.h"
#include "base/ndjson.h"
#include "core/engine.h"
#include "base/http.h"
#include "kube/list.h"
#include "kube/kubeconfig.h"
#include "base/loop.h"

/* One watch object's size cap unless configured (max_object_bytes): etcd
 * keeps objects up to 1.5 MiB by default and their JSON stays far below. */
#define KUBE_LINE_CAP_DEFAULT (4u << 20)

enum kube_kind { KK_NODES, KK_PODS, KK_DEPLOYMENTS, KK_EVENTS, KK_COUNT };

extern const char *const kube_kind_names[KK_COUNT]; /* "nodes", "pods", ... */

struct kube_reflector;

/* What the reflectors of one source share. */
struct kube_env {
    struct loop *loop;
    struct http *http;
    struct engine *engine;
    struct kube_conn *conn;
    int64_t pending_limit_ms;
    size_t line_cap;        /* one watch object's size cap (0: 4 MiB) */
    int page_size;          /* 0: 500 */
    int64_t backoff_max_ms; /* 0: BACKOFF_MAX_MS (30 s) */
    /* The credential was rejected (401) or is about to expire: refresh it and
     * call kube_reflector_auth_done() on r later, or return false when there
     * is nothing to refresh. */
    bool (*refresh_auth)(struct kube_reflector *r, void *ud);
    /* A batch of changes was applied, or the reflector's health changed. */
    void (*changed)(struct kube_reflector *r, bool health, void *ud);
    void *ud;
};

enum kube_phase { KR_IDLE, KR_LISTING, KR_WATCHING, KR_BACKOFF, KR_WAIT_AUTH, KR_FORBIDDEN };

struct kube_seen;

struct kube_reflector {
    const struct kube_env *env;
    enum kube_kind kind;
    char path[256];  /* /api/v1/pods or /api/v1/namespaces/NS/pods */
    char extra[128]; /* extra query, e.g. fieldSelector=type%3DWarning */
    enum kube_phase phase;
    enum kube_phase after_wait; /* what to do when a backoff or auth wait ends */
    char rv[128];               /* opaque: compared for equality only */
    bool rv_unavailable;        /* the last RV expired: list from "" */
    bool paged;                 /* the current list uses limit/continue */
    struct buf cont;            /* continue token of the next page */
    struct kube_seen *seen;     /* keys in the current list */
    int seen_kept;              /* of them, those in the table */
    struct kube_seen *unkept;   /* keys the server has that the full table refused */
    bool unkept_changed;        /* since the last health report */
    /* Events come from events.k8s.io/v1 or, when that one is forbidden or
     * absent, core/v1 (or the other way round); see docs/kubernetes.md. */
    bool events_core;     /* core/v1 is the API in use */
    unsigned events_down; /* APIs that answered 403/404 this round (bit 0: events.k8s.io) */
    char events_why[48];  /* why the preferred API is not in use, "" when it is */
    bool events_both;     /* both APIs refused the last round */
    char ns[64];          /* the namespace watched, "" for cluster-wide */
    struct http_req *req;
    struct loop_timer *timer;
    long status;                /* HTTP status of the response in flight */
    struct ndjson_parser lines; /* the watch body; an object over the cap is skipped */
    struct kube_list list;      /* the list page being read */
    bool list_changed;          /* an item of this chunk changed a row */
    struct buf errbody;         /* body of a non-200 watch response (capped) */
    int64_t watch_started;
    int watch_events;
    uint64_t watch_skipped_at; /* oversized + malformed when the watch started */
    int stream_error;          /* 0, or the Status code of an ERROR event (410 ...) */
    bool changed_batch;
    bool auth_retried;
    uint64_t req_gen; /* credential generation the request in flight used */
    struct backoff backoff;
    /* health */
    bool synced;     /* a list has completed */
    bool settled;    /* synced, forbidden, or failed once: --once may go on */
    bool failing;    /* the last attempt failed */
    char error[256]; /* last error, "" when healthy */
    uint64_t decode_errors, oversized, lists, watches, events;
    int objects; /* objects in the last list */
};

/* Objects the server has that the table could not keep (its cap was reached):
 * the source reports them instead of a plain "synced". */
int kube_reflector_unkept(const struct kube_reflector *r);
/* "events.k8s.io/v1" or "core/v1": the events API r reads (KK_EVENTS). */
const char *kube_events_api(const struct kube_reflector *r);

void kube_reflector_init(struct kube_reflector *r, const struct kube_env *env, enum kube_kind k,
                         const char *namespace);
void kube_reflector_start(struct kube_reflector *r);
void kube_reflector_stop(struct kube_reflector *r);
/* After refresh_auth: ok false means the credential could not be refreshed. */
void kube_reflector_auth_done(struct kube_reflector *r, bool ok, const char *err);

#endif
