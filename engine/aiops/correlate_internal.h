/* Shared between correlate*.c: the correlator's state. */
#ifndef LOOKOUT_CORRELATE_INTERNAL_H
#define LOOKOUT_CORRELATE_INTERNAL_H

#include "aiops/correlate.h"
#include "base/dict.h"

enum sig_kind {
    SIG_SLO,
    SIG_POD,
    SIG_NODE,
    SIG_EVENT,
    SIG_PIPELINE,
    SIG_DEPLOY,
    SIG_KERNEL,
    SIG_ANOMALY,
    SIG_DEPLOYMENT, /* Deployment problem (ProgressDeadlineExceeded ...) */
};

/* One raw signal, kept in a ring for lookback folding and cause ranking. */
struct signal {
    int64_t time;
    enum sig_kind kind;
    enum severity severity;
    bool opens;   /* may open an incident on its own */
    bool counted; /* a raw signal for the noise figure (deploys are context) */
    char service[NAME_LEN];
    char subject[OBJ_LEN]; /* pod key, node, pipeline, series, rule ... */
    char node[NAME_LEN];   /* pod's node, when known */
    char reason[48];       /* problem, reason, rule, version */
    char text[160];        /* the timeline line */
    double score;          /* anomaly score */
};

#define SIG_RING       2048
#define RULE_RING      1024
#define STATE_MAX      12288 /* entity states kept; past it they are all forgotten */
#define MINUTE_BUCKETS 60

/* A kernel-rule hit in a service's pod (for the rule-spike cause). */
struct rule_hit {
    int64_t time;
    char service[NAME_LEN];
    char rule[NAME_LEN];
};

/* ---- correlate_pods.c: pod counters per service, kept incrementally ---- */

/* The pods of one service (or owner, for pods no service maps). */
struct svc_pods {
    char name[NAME_LEN];
    int total, failing, oom, crash, image, pending;
    int nodes_failing;                   /* nodes hosting at least one of its failing pods */
    int owners_failing;                  /* deployments with at least one failing pod */
    int64_t first_failing, last_failing; /* this episode: 0 when none fails */
    bool dirty;                          /* changed since the last rank */
};

#define BAD_NODE_MAX 256 /* nodes with a problem the views consider */

struct pod_rec;
struct corr_pods {
    struct dict by_key;    /* hash of pod key -> index into recs */
    struct dict svc_index; /* hash of service name -> index into svcs */
    struct dict pairs;     /* hash of (service, node or owner) -> failing pods */
    struct dict owner_svc; /* hash of "namespace/deployment" -> index into svcs */
    struct pod_rec *recs;
    int nrecs, caprecs;
    uint32_t *free_recs;
    int nfree;
    struct svc_pods *svcs;
    int nsvcs, capsvcs;
    uint32_t *dirty; /* svcs changed since the last rank */
    int ndirty;
    char bad[BAD_NODE_MAX][OBJ_LEN]; /* nodes with a problem now */
    int nbad;
    uint32_t gen;   /* bumped when the services change: pods map again */
    uint32_t sweep; /* the last sweep's mark */
    bool stale;     /* a pod was removed or the services changed since the last sync */
};

/* What a pod upsert changed that is worth a signal. */
struct pod_change {
    bool problem; /* a problem this pod has not signalled this quiet period */
    bool oom;     /* an OOM kill appeared behind another problem */
};

struct correlator;
int corr_pods_init(struct corr_pods *cp);
void corr_pods_free(struct corr_pods *cp);
/* A pod upsert: moves its share of the counters, says what to signal. */
void corr_pods_account(struct correlator *c, const struct k8s_pod *p, struct pod_change *chg);
void corr_pods_removed(struct correlator *c);
void corr_pods_services_changed(struct correlator *c);
/* Catches up after removals or a service change (one pass over the pods). */
void corr_pods_sync(struct correlator *c);
/* The counters of a service, NULL when it has no pods. */
const struct svc_pods *corr_pods_of(struct correlator *c, const char *service);
/* Failing pods of service on node. */
int corr_pods_failing_on(struct correlator *c, const char *service, const char *node);
/* The service the pods of deployment ns/name map to, from its pods seen. */
bool corr_pods_owner_service(struct correlator *c, const char *ns, const char *deployment,
                             char *out, size_t outlen);
void corr_pods_clear_dirty(struct correlator *c);
void corr_bad_node(struct correlator *c, const char *node, bool bad);
/* For the unit test: 0 when the counters equal a full recount of the
 * pods table, else -1 and what differs in err. */
int corr_pods_verify(struct correlator *c, char *err, size_t errlen);

struct correlator {
    struct engine *e;
    struct correlate_opts o;
    struct signal sigs[SIG_RING];
    uint64_t nsigs; /* total pushed; sigs[i % SIG_RING] */
    struct rule_hit hits[RULE_RING];
    uint64_t nhits;
    /* Last seen state of each entity (hash of key -> hash of state), so a
     * repeated upsert of the same problem is not a new signal. */
    struct dict states;
    /* Raw signals per engine minute over the last hour. */
    int64_t minute_of[MINUTE_BUCKETS];
    int minute_count[MINUTE_BUCKETS];
    int next_id;
    /* Open incidents that changed (hash of id -> 1): re-ranked at the tick,
     * with those whose service's pod counters moved. */
    struct dict dirty;
    bool all_dirty; /* a node's problem changed: every open incident ranks again */
    struct corr_pods pods;
    int not_opened; /* incidents the table's cap refused (shown in the summary) */
};

/* snprintf for display text, where cutting a long line is intended. */
void corr_textf(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* n with thousands grouped ("4,500"). */
void corr_count(char *dst, size_t len, int64_t n);

/* ---- correlate_map.c: who a signal belongs to ---- */
/* The service of a pod: the T_SERVICES row whose namespace and selector
 * match, else its deployment name, else "". */
void corr_pod_service(struct engine *e, const struct k8s_pod *p, char *out, size_t outlen);
/* The service of "namespace/name" (a pod key), guessing from the name when the
 * pod is gone. */
void corr_podkey_service(struct engine *e, const char *podkey, char *out, size_t outlen);
void corr_deployment_service(struct correlator *c, const char *ns, const char *name, char *out,
                             size_t outlen);
/* The service a pipeline deploys: a service named like the project's last
 * path component, or contained in the project or the deploy job's name. */
void corr_pipeline_service(struct engine *e, const struct pipeline *p, char *out, size_t outlen);
/* Subject of a series ("service" or "namespace/pod") to a service. */
void corr_subject_service(struct engine *e, const char *subject, char *out, size_t outlen);
bool corr_selector_matches(const char *selector, const char *labels);

/* ---- correlate_causes.c ---- */
/* Re-ranks the candidate causes of inc from the signal ring and live state. */
void corr_rank_causes(struct correlator *c, struct incident *inc);

/* ---- correlate.c ---- */
/* Iterates the signal ring newest first; fn returns false to stop. */
const struct signal *corr_sig_at(const struct correlator *c, uint64_t age);
uint64_t corr_sig_count(const struct correlator *c);
/* When the incident's trouble began: the earliest burn start of its
 * service's SLOs in this episode, else its first problem signal. */
int64_t corr_incident_start(struct correlator *c, const struct incident *inc);

#endif
