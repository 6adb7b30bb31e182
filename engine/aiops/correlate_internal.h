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
    bool dirty; /* some open incident changed: re-rank causes at the tick */
};

/* snprintf for display text, where cutting a long line is intended. */
void corr_textf(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- correlate_map.c: who a signal belongs to ---- */
/* The service of a pod: the T_SERVICES row whose namespace and selector
 * match, else its deployment name, else "". */
void corr_pod_service(struct engine *e, const struct k8s_pod *p, char *out, size_t outlen);
/* Cheaper than corr_pod_service when the service is known: does p belong to it? */
bool corr_pod_in_service(struct engine *e, const struct k8s_pod *p, const char *service);
/* The service of "namespace/name" (a pod key), guessing from the name when the
 * pod is gone. */
void corr_podkey_service(struct engine *e, const char *podkey, char *out, size_t outlen);
void corr_deployment_service(struct engine *e, const char *ns, const char *name, char *out,
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
