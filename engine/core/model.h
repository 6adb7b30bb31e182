/* The engine's state model: every entity a panel, the snapshot or the
 * copilot can see. Plain structs with fixed-size fields; each has a schema
 * (model.c) that names its JSON fields for the snapshot and the record.
 *
 * Sizes are caps, documented in docs/snapshot.md: a longer string is cut,
 * an array past its capacity drops the rest and the table counts drops. */
#ifndef LOOKOUT_MODEL_H
#define LOOKOUT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/schema.h"

#define NAME_LEN 64  /* namespaces, services, short names */
#define OBJ_LEN  128 /* pod, node, deployment names (longer ones are cut) */
#define TEXT_LEN 256 /* messages, reasons with detail */
#define PATH_LEN 256

/* ---- data sources ---- */
/* PARTIAL: in sync, but a full table refused some objects; the error says
 * how many were kept ("pods: 60,000 of 65,003 kept"). Appended last so
 * recorded numeric values keep their meaning. */
enum source_state { SRC_STARTING, SRC_SYNCED, SRC_STALE, SRC_FAILED, SRC_DISABLED, SRC_PARTIAL };
struct source_info {
    char name[NAME_LEN]; /* unique, e.g. "demo", "prometheus", "kube:prod" */
    char kind[32];       /* demo, prometheus, kubernetes, gitlab, github, kernel, agent, replay */
    enum source_state state;
    bool simulated;        /* true for the demo: everything it posts is simulated */
    char error[TEXT_LEN];  /* last error, "" when healthy */
    int64_t last_ok;       /* ms */
    int64_t last_error;    /* ms */
    uint64_t updates;      /* updates posted */
    char detail[TEXT_LEN]; /* e.g. "rate limit 4812/5000", "ring 8 MiB" */
};

/* ---- services and SLOs ---- */
struct service {
    char name[NAME_LEN];
    char namespace[NAME_LEN];
    char selector[TEXT_LEN]; /* label selector mapping the service to pods */
    double request_rate;     /* requests/s, NaN when unknown */
    double error_ratio;      /* last sample, NaN when unknown */
    bool simulated;
};

/* BURNING: the short window of a pair is over its factor and the long one
 * not yet, so the pair is one long-window climb from paging. Appended last so
 * recorded numeric values keep their meaning. */
enum alert_state { ALERT_OK, ALERT_TICKET, ALERT_PAGE, ALERT_NODATA, ALERT_BURNING };
/* The deploy gate, as `lookout gate` answers it: none when no SLO is
 * configured (nothing to decide on), unknown when an SLO has no data. */
enum gate_state { GATE_STATE_NONE, GATE_STATE_OPEN, GATE_STATE_CLOSED, GATE_STATE_UNKNOWN };
#define SLO_WINDOWS 8
#define SLO_HISTORY 120
struct slo_window {
    char name[16]; /* "5m", "1h", ... */
    int64_t length_ms;
    double error_ratio; /* NaN: no data */
    double burn_rate;   /* error_ratio / (1 - objective) */
};
#define SLO_PAIRS        6  /* = SLO_MAX_PAIRS of the alert policy */
#define SLO_BURN_HISTORY 60 /* points of a pair's burn over the last hours */
/* One multi-window alert condition as evaluated now: it fires when both
 * windows burn over the factor. */
struct slo_pair {
    char long_name[16];  /* "1h" */
    char short_name[16]; /* "5m" */
    double factor;
    enum alert_state severity; /* ALERT_PAGE or ALERT_TICKET */
    double long_burn;          /* NaN: no data */
    double short_burn;
    enum tribool firing; /* unknown unless both burns are known and the SLI is healthy */
    int nhistory;
    /* the pair's level, the lower of its two burns (it fires when this is
     * over the factor), oldest first, slo.burn_step_ms apart; NaN: no data */
    float burn_history[SLO_BURN_HISTORY];
};
struct slo {
    char name[96];
    char service[NAME_LEN];
    char description[TEXT_LEN];
    double objective;        /* e.g. 0.999 */
    int64_t period_ms;       /* SLO window, e.g. 30 days */
    char source[NAME_LEN];   /* where the SLI comes from */
    double sli;              /* good ratio over the shortest window, NaN: no data */
    double budget_remaining; /* 1 - err(period)/(1-objective); may be negative */
    int64_t exhaustion_ms;   /* time to exhaustion, -1: never, -2: unknown */
    enum alert_state alert;
    int64_t alert_since;  /* ms */
    int64_t burn_started; /* ms when burn first exceeded 1 in this episode, 0: none */
    int nwindows;
    struct slo_window windows[SLO_WINDOWS];
    int64_t history_step_ms; /* spacing of budget_history */
    int nhistory;
    float budget_history[SLO_HISTORY]; /* remaining budget, oldest first */
    int npairs;
    struct slo_pair pairs[SLO_PAIRS];
    int pair;             /* the pair the state is about (see slo_pair_pick), -1: none */
    int64_t burn_step_ms; /* spacing of pairs[].burn_history */
    enum gate_state gate; /* deploy gate verdict for this SLO */
    bool gate_open;       /* derived: gate == GATE_STATE_OPEN */
    char gate_reason[TEXT_LEN];
    bool simulated;
    bool no_error_series; /* Prometheus had no error series: 0 errors, not no data */
    bool awaiting;        /* Prometheus has not answered yet: no data is not "no traffic" */
    char error[TEXT_LEN];
};

/* ---- pipelines ---- */
enum job_status {
    JOB_CREATED,
    JOB_PENDING,
    JOB_RUNNING,
    JOB_SUCCESS,
    JOB_FAILED,
    JOB_CANCELED,
    JOB_SKIPPED,
    JOB_MANUAL,
    JOB_SCHEDULED,
    JOB_WAITING,
    JOB_PREPARING,
    JOB_BLOCKED,
};
#define PIPE_STAGES 12
#define PIPE_JOBS   32
struct job {
    int64_t id;
    char name[NAME_LEN];
    char stage[32];
    enum job_status status;
    bool allow_failure;
    bool is_deploy;
    char environment[32];
    int64_t started;           /* ms, 0: not started */
    int64_t finished;          /* ms, 0: not finished */
    char failure_reason[48];   /* GitLab failure_reason, GitHub conclusion detail */
    char step[NAME_LEN];       /* GitHub: the running or first failing step */
    enum job_status ci_status; /* as the CI reports it; status may say blocked_by_gate */
};
struct stage {
    char name[32];
    enum job_status status; /* worst/current status of its jobs */
    int64_t started;
    int64_t finished;
    bool warning;              /* passed, but an allow_failure job failed */
    int jobs;                  /* its jobs on every page, retried ones not counted */
    enum job_status ci_status; /* over all its jobs; status may say blocked_by_gate */
};
/* A pipeline's security verdict (ci/security.c): from the kernel view of
 * its deploy's namespace since the deploy started, and/or evidence files. */
enum sec_verdict { SEC_NONE, SEC_CLEAN, SEC_FINDINGS, SEC_UNKNOWN };
#define SEC_TEXT 400
struct pipeline {
    char key[128];     /* "provider:project:id" */
    char provider[16]; /* gitlab, github */
    char project[96];
    int64_t id;
    char ref[NAME_LEN];
    char sha[48];
    char version[NAME_LEN]; /* what it deploys, when known */
    enum job_status status;
    int64_t created;
    int64_t updated;
    int64_t finished;
    char web_url[TEXT_LEN];
    int nstages;
    struct stage stages[PIPE_STAGES];
    int njobs;
    struct job jobs[PIPE_JOBS];
    bool gate_blocked;
    char gate_reason[TEXT_LEN];
    bool simulated;
    int64_t started;      /* ms, 0: not started */
    double duration_s;    /* run time, NaN when unknown */
    bool warning;         /* passed with warnings (allow_failure) */
    int jobs_dropped;     /* jobs past PIPE_JOBS */
    enum sec_verdict sec; /* SEC_NONE: no evidence attached */
    int sec_critical;     /* findings by severity in the window */
    int sec_warning;
    char sec_scope[96];      /* "namespace shop", "evidence 978.jsonl" */
    char sec_text[SEC_TEXT]; /* the findings, '\n'-separated, or why unknown */
};
/* Derived figures per CI project (engine/ci/stats.c). */
struct ci_project {
    char key[128]; /* "provider:project" */
    char provider[16];
    char project[96];
    int window; /* finished pipelines considered (last N) */
    int failures;
    double failure_ratio;     /* NaN: none finished */
    double median_duration_s; /* NaN: none finished */
    int active;               /* pipelines created, pending or running */
    char running_stage[32];   /* "" when nothing runs */
    int64_t stage_since;      /* ms the running stage started; time in stage = now - this */
    int64_t last_deploy;      /* ms the last production deploy finished, 0: none */
    int64_t last_deploy_pipeline;
    char last_deploy_job[NAME_LEN];
    char last_deploy_env[32];
    char last_deploy_version[NAME_LEN];
    enum job_status last_deploy_status;
    int gate_blocked; /* pipelines whose deploy waits on the gate */
    bool simulated;
};

/* ---- cluster ---- */
struct k8s_node {
    char name[OBJ_LEN];
    char uid[48];
    bool ready;
    bool memory_pressure;
    bool disk_pressure;
    bool pid_pressure;
    bool unschedulable;
    char kubelet_version[32];
    char problem[48]; /* derived: NotReady, MemoryPressure, ... or "" */
    bool simulated;
};

/* Kept per pod: 4 covers nearly every pod (an app, a sidecar, an init or
 * two) at a quarter of the row size 8 took. A pod with more keeps its first
 * 4; containers_total counts them all, and restarts and the derived problem
 * cover every container, kept or not. */
#define POD_CONTAINERS 4
/* The names a pod shares with others (namespace, node, owner, phase,
 * reasons, images, label sets, container names) are interned (base/intern.h,
 * F_SREF in the schema): never NULL, "" when empty, cut to the *_LEN beside
 * them like the char arrays they replaced, compared with strcmp as before
 * (equal strings are also equal pointers). What is the pod's own (key, name,
 * uid, IP, container ids) stays in the row. Start a row with schema_zero. */
#define POD_PHASE_LEN  16
#define POD_STATE_LEN  16
#define POD_REASON_LEN 48
#define POD_KIND_LEN   24
struct container_status {
    const char *name; /* NAME_LEN */
    bool ready;
    int restarts;
    int last_exit_code;
    const char *state;       /* running, waiting, terminated */
    const char *reason;      /* CrashLoopBackOff, ImagePullBackOff, Completed ... */
    const char *last_reason; /* last termination: OOMKilled, Error ... */
    const char *image;       /* OBJ_LEN */
    char id[80];             /* containerd://<id> */
};
struct k8s_pod {
    char key[OBJ_LEN + NAME_LEN + 2]; /* "namespace/name" */
    char uid[48];
    char name[OBJ_LEN];
    char ip[48];           /* status.podIP, "" until scheduled (agent discovery dials it) */
    const char *namespace; /* NAME_LEN */
    const char *node;      /* OBJ_LEN */
    const char *phase;
    const char *owner_kind;
    const char *owner_name; /* OBJ_LEN */
    const char *deployment; /* OBJ_LEN, derived from the ReplicaSet owner */
    const char *labels;     /* TEXT_LEN, "k=v,k=v" for service mapping */
    const char *problem;    /* derived: CrashLoopBackOff, OOMKilled, ImagePullBackOff, Pending */
    int64_t created;
    bool ready;
    int restarts;    /* sum over containers */
    int ncontainers; /* kept in containers[], at most POD_CONTAINERS */
    struct container_status containers[POD_CONTAINERS];
    int containers_total; /* init and main containers, kept or not */
    bool simulated;
};
struct k8s_deployment {
    char key[OBJ_LEN + NAME_LEN + 2];
    char namespace[NAME_LEN];
    char name[OBJ_LEN];
    char uid[48];
    int desired;
    int updated;
    int ready;
    int available;
    int unavailable;
    char image[OBJ_LEN];
    char revision[16];
    bool progressing;
    char problem[48]; /* derived: ProgressDeadlineExceeded, Unavailable ... */
    int64_t changed;  /* ms of the last rollout change */
    bool simulated;
};
struct k8s_event {
    char key[96]; /* namespace/uid */
    char namespace[NAME_LEN];
    char type[16]; /* Normal, Warning */
    char reason[48];
    char message[TEXT_LEN];
    char object_kind[24];
    char object_name[OBJ_LEN];
    int count;
    int64_t first_seen;
    int64_t last_seen;
    bool simulated;
};

/* ---- kernel events ---- */
enum kev_kind {
    KEV_EXEC,
    KEV_EXIT,
    KEV_OPEN,
    KEV_PRIV,
    KEV_CONNECT,
    KEV_ACCEPT,
    KEV_RESET,
    KEV_RETRANSMIT,
    KEV_OOM,
    KEV_GAP,
    KEV_THROTTLE,
    KEV_KIND_COUNT,
};
enum severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };
struct kevent {
    uint64_t seq; /* engine-wide arrival order */
    int64_t time; /* ms, engine clock at arrival */
    enum kev_kind kind;
    enum severity severity;
    char node[NAME_LEN]; /* "" for this host */
    uint32_t pid;
    uint32_t ppid;
    uint32_t uid;
    char comm[16];
    char path[PATH_LEN]; /* exec filename, opened path */
    char args[128];
    char saddr[48];
    char daddr[48];
    int sport;
    int dport;
    int ret; /* syscall result, exit code, signal ... by kind */
    uint64_t cgroup_id;
    char container[72];
    char pod[OBJ_LEN + NAME_LEN + 2]; /* "namespace/name", "" for host */
    char rule[NAME_LEN];              /* matched rule, "" when none */
    char title[96];
    uint64_t lost; /* KEV_GAP: events lost here */
    bool simulated;
    bool real; /* a real host event beside a simulated story (--demo --host-kernel) */
};
/* The one guard where kernel events become signals, causes or questions: a
 * real host event never joins a simulated story's entities. */
static inline bool kevent_may_correlate(const struct kevent *k)
{
    return !k->real;
}
/* Kernel-side counters, one row per event source ("kernel", "agent:node-a"). */
struct kstats {
    char name[NAME_LEN];
    uint64_t seen[KEV_KIND_COUNT];
    uint64_t ring_drops;
    uint64_t filtered;
    uint64_t too_big;
    uint64_t rule_matches;
    double drop_pct_1s; /* drops / events past the in-kernel filters, last second */
    double events_per_s;
    bool simulated;
    /* agent rows, as this console received them (agent/conn.c) */
    uint64_t received;             /* event rows since the console started */
    uint64_t lost;                 /* events the agent said this stream lost (gap rows) */
    double lag_p50_ms, lag_p99_ms; /* event time to arrival, last heartbeat window; NaN: none */
};

/* ---- incidents and copilot ---- */
enum incident_state { INC_OPEN, INC_RESOLVED };
#define INC_TIMELINE 32
#define INC_CAUSES   6
struct timeline_entry {
    int64_t time;
    char kind[24]; /* deploy, slo, pod, node, kernel, anomaly, pipeline, copilot */
    char text[160];
};
#define CAUSE_EVIDENCE 640
struct cause {
    double score; /* 0..1, a score (never a probability or a percentage) */
    char title[128];
    char evidence[CAUSE_EVIDENCE]; /* one line per piece of evidence, '\n'-separated */
    int nevidence;
    bool followed; /* began after the incident's start: a consequence, never ranked first */
};
struct incident {
    char id[32];
    char fingerprint[96];
    char title[128];
    char service[NAME_LEN];
    enum severity severity;
    enum incident_state state;
    int64_t opened;
    int64_t updated;
    int64_t closed;
    int signals; /* raw signals folded into this incident */
    int ntimeline;
    struct timeline_entry timeline[INC_TIMELINE];
    int ncauses;
    struct cause causes[INC_CAUSES];
    bool simulated;
    /* The one reference time: when the trouble began (burn start, else the
     * first symptom). Every "N s before" is measured from it. */
    int64_t start;
    /* What the rank is made of (core/incident.h), kept at their peak so a
     * replayed or resolved incident ranks as it did. */
    enum alert_state peak_alert; /* highest SLO alert of its service: page, ticket */
    int slos_hit;                /* SLOs of the service that paged or ticketed */
    double budget_per_hour;      /* peak error budget burned per hour, percent */
    double peak_burn;            /* peak burn rate of the alerting window pair */
    int64_t paged;               /* first page, 0: never paged */
    double budget_alerted;       /* budget left (0..1) of its first alerting SLO then */
    char budget_slo[96];         /* that SLO */
    bool security;               /* a critical kernel rule is part of it */
    /* Material changes (an SLO starts paging, the top cause changes, a new
     * entity joins): a consumer that analysed revision N compares. */
    int revision;
    int64_t changed;
};

enum copilot_state { COP_IDLE, COP_WAITING, COP_STREAMING, COP_DONE, COP_ERROR, COP_CAPPED };
#define COPILOT_TEXT 12288
struct copilot_answer {
    char incident[32]; /* one conversation per incident */
    char backend[32];  /* "offline analysis", "openai", "anthropic", "ollama" */
    char model[NAME_LEN];
    enum copilot_state state;
    bool incomplete; /* stream ended early: what arrived is kept */
    char error[TEXT_LEN];
    int64_t started;
    int64_t finished;
    int tokens_in;
    int tokens_out;
    bool stale;              /* the incident changed materially after this answer */
    int64_t changed;         /* when, 0: not stale */
    char stale_reason[160];  /* "SLO checkout-availability paged (...)" */
    char text[COPILOT_TEXT]; /* Markdown sections, as received */
};

/* One row with the cross-cutting figures the header shows. */
/* Whether the cluster counts mean anything: no source can post them (none:
 * no cluster configured, the counts are left out), sources exist but none has
 * delivered (unknown: a failed kubeconfig, a first LIST in flight), or known. */
enum cluster_state { CLUSTER_NONE, CLUSTER_UNKNOWN, CLUSTER_KNOWN };
extern const char *const cluster_state_names[];

struct summary {
    char name[16]; /* always "summary" */
    int signals_1h;
    int incidents_1h;
    enum cluster_state cluster;
    int nodes_ready; /* the three counts are -1 unless cluster is CLUSTER_KNOWN */
    int nodes_total;
    int pods_failing;
    int open_incidents;
    int incidents_not_opened; /* openings the full incidents table refused: shown, never silent */
    enum gate_state
        gate;       /* over every SLO: closed if one blocks, else unknown if one cannot tell */
    bool gate_open; /* derived: gate == GATE_STATE_OPEN */
    char gate_reason[TEXT_LEN];
    char context[NAME_LEN]; /* kube context or environment name */
    bool simulated;
    int sources_not_reporting; /* source_not_reporting(): what the zeros above may miss */
};

extern const struct schema ci_project_schema;
extern const struct schema source_info_schema, service_schema, slo_schema, pipeline_schema,
    k8s_node_schema, k8s_pod_schema, k8s_deployment_schema, k8s_event_schema, kevent_schema,
    kstats_schema, incident_schema, copilot_answer_schema, summary_schema;

extern const char *const job_status_names[];
extern const char *const kev_kind_names[];
extern const char *const severity_names[];
extern const char *const sec_verdict_names[];
extern const char *const alert_state_names[];
extern const char *const gate_state_names[]; /* none, open, closed, unknown */
extern const char *const source_state_names[];

/* "1h 18.7x and 5m 267x over 14.4": the pair the SLO's state is about, for
 * reasons (gate, incidents, CLI); "no window data" when it has none. */
void slo_pair_reason(const struct slo *s, char *out, size_t n);
/* "267x", "18.7x", "0.3x", "-" for NaN: burn rates as every surface writes them. */
void slo_fmt_burn(char *out, size_t n, double burn);

#endif
