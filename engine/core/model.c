/* Schemas of the state model: the JSON field names of the snapshot and the
 * record come from here, and docs/snapshot.md is generated from them. */
#include "core/model.h"

#include <math.h>
#include <stdio.h>

const char *const source_state_names[] = {"starting", "synced",   "stale",
                                          "failed",   "disabled", "partial"};
const char *const alert_state_names[] = {"ok", "ticket", "page", "nodata", "burning"};
const char *const gate_state_names[] = {"none", "open", "closed", "unknown"};
const char *const cluster_state_names[] = {"none", "unknown", "known"};
const char *const job_status_names[] = {
    "created",   "pending",         "running", "success",   "failed",
    "canceled",  "skipped",         "manual",  "scheduled", "waiting_for_resource",
    "preparing", "blocked_by_gate",
};
const char *const kev_kind_names[] = {"exec",  "exit",       "open", "priv", "connect", "accept",
                                      "reset", "retransmit", "oom",  "gap",  "throttle"};
const char *const severity_names[] = {"info", "warning", "critical"};
const char *const sec_verdict_names[] = {"none", "clean", "findings", "unknown"};
static const char *const incident_state_names[] = {"open", "resolved"};
static const char *const copilot_state_names[] = {"idle", "waiting", "streaming",
                                                  "done", "error",   "capped"};

#define T struct source_info
static const struct field source_fields[] = {
    F_STR_(T, name, "unique source name"),
    F_STR_(T, kind, "demo, prometheus, kubernetes, gitlab, github, kernel, agent, replay"),
    F_ENUM_(T, state, source_state_names,
            "sync state; stale: delivered before, rows kept but old; failed: never delivered, or "
            "cannot run"),
    F_BOOL_(T, simulated, "data is simulated"),
    F_STR_(T, error, "last error, empty when healthy"),
    F_TIME_(T, last_ok, "last successful update"),
    F_TIME_(T, last_error, "last error"),
    F_U64_(T, updates, "updates posted"),
    F_STR_(T, detail, "source-specific status line"),
};
#undef T
const struct schema source_info_schema =
    SCHEMA("source", struct source_info, source_fields, "name");

#define T struct service
static const struct field service_fields[] = {
    F_STR_(T, name, "service name"),
    F_STR_(T, namespace, "Kubernetes namespace it runs in"),
    F_STR_(T, selector, "label selector of its pods"),
    F_DBL_(T, request_rate, "requests per second"),
    F_DBL_(T, error_ratio, "errors / requests, last sample"),
    F_BOOL_(T, simulated, "data is simulated"),
};
#undef T
const struct schema service_schema = SCHEMA("service", struct service, service_fields, "name");

#define T struct slo_window
static const struct field slo_window_fields[] = {
    F_STR_(T, name, "window, e.g. 5m"),
    F_I64_(T, length_ms, "window length"),
    F_DBL_(T, error_ratio, "errors / total over the window; null: no data"),
    F_DBL_(T, burn_rate, "error_ratio / (1 - objective)"),
};
#undef T
static const struct schema slo_window_schema =
    SCHEMA("slo_window", struct slo_window, slo_window_fields, NULL);

#define T struct slo_pair
static const struct field slo_pair_fields[] = {
    F_STR_(T, long_name, "long window, e.g. 1h"),
    F_STR_(T, short_name, "short window, e.g. 5m"),
    F_DBL_(T, factor, "burn-rate threshold both windows must exceed"),
    F_ENUM_(T, severity, alert_state_names, "page or ticket"),
    F_DBL_(T, long_burn, "burn rate over the long window; null: no data"),
    F_DBL_(T, short_burn, "burn rate over the short window; null: no data"),
    F_TRI_(T, firing,
           "both windows are over the factor; null: unknown (a window has no data or the SLI "
           "failed)"),
    F_FLOATS_(T, burn_history, nhistory,
              "the lower of the two burns over the last hours, oldest first"),
};
#undef T
static const struct schema slo_pair_schema =
    SCHEMA("slo_pair", struct slo_pair, slo_pair_fields, NULL);

#define T struct slo
static const struct field slo_fields[] = {
    F_STR_(T, name, "SLO name"),
    F_STR_(T, service, "service it belongs to"),
    F_STR_(T, description, "what it promises"),
    F_DBL_(T, objective, "target ratio of good events, e.g. 0.999"),
    F_I64_(T, period_ms, "SLO window"),
    F_STR_(T, source, "SLI source"),
    F_DBL_(T, sli, "good ratio over the shortest window; null: no data"),
    F_DBL_(T, budget_remaining, "1 - error ratio over the period / (1 - objective)"),
    F_I64_(T, exhaustion_ms,
           "time to exhaustion at the current burn; -1: never (no burn); -2: unknown (no data)"),
    F_ENUM_(T, alert, alert_state_names, "alert state"),
    F_TIME_(T, alert_since, "when the alert state last changed"),
    F_TIME_(
        T, burn_started,
        "when the current burn began; 0: none seen (with alert nodata: unknown, not \"no burn\")"),
    F_ARRAY_(T, windows, nwindows, slo_window_schema, "burn per alert window"),
    F_I64_(T, history_step_ms, "spacing of budget_history"),
    F_FLOATS_(T, budget_history, nhistory, "remaining budget over time, oldest first"),
    F_ARRAY_(T, pairs, npairs, slo_pair_schema, "alert window pairs, as the policy lists them"),
    F_INT_(T, pair, "index in pairs of the firing (else the nearest) pair; -1: none"),
    F_I64_(T, burn_step_ms, "spacing of pairs[].burn_history"),
    F_ENUM_(T, gate, gate_state_names, "deploy gate verdict: open, closed or unknown (no data)"),
    F_BOOL_(T, gate_open, "derived: gate is open"),
    F_STR_(T, gate_reason, "why the gate is as it is"),
    F_BOOL_(T, simulated, "data is simulated"),
    F_BOOL_(T, no_error_series, "Prometheus had no error series over the period: read as 0 errors"),
    F_BOOL_(T, awaiting,
            "no answer from Prometheus yet (the first queries are in flight): unknown"),
    F_STR_(T, error, "last SLI error, empty when healthy"),
};
#undef T
const struct schema slo_schema = SCHEMA("slo", struct slo, slo_fields, "name");

#define T struct job
static const struct field job_fields[] = {
    F_I64_(T, id, "job id"),
    F_STR_(T, name, "job name"),
    F_STR_(T, stage, "stage it belongs to"),
    F_ENUM_(T, status, job_status_names, "status"),
    F_BOOL_(T, allow_failure, "a failure is a warning"),
    F_BOOL_(T, is_deploy, "recognised as a deploy job"),
    F_STR_(T, environment, "deploy environment"),
    F_TIME_(T, started, "0: not started"),
    F_TIME_(T, finished, "0: not finished"),
    F_STR_(T, failure_reason, "why it failed, when known"),
    F_STR_(T, step, "GitHub: running or first failing step"),
    F_ENUM_(T, ci_status, job_status_names, "status as the CI reports it"),
};
#undef T
static const struct schema job_schema = SCHEMA("job", struct job, job_fields, NULL);

#define T struct stage
static const struct field stage_fields[] = {
    F_STR_(T, name, "stage name, in pipeline order"),
    F_ENUM_(T, status, job_status_names, "status of the stage"),
    F_TIME_(T, started, "0: not started"),
    F_TIME_(T, finished, "0: not finished"),
    F_BOOL_(T, warning, "passed, but an allow_failure job failed"),
    F_INT_(T, jobs, "jobs in the stage on every page (the kept rows are capped)"),
    F_ENUM_(T, ci_status, job_status_names, "status over all its jobs, as the CI rolls it up"),
};
#undef T
static const struct schema stage_schema = SCHEMA("stage", struct stage, stage_fields, NULL);

#define T struct pipeline
static const struct field pipeline_fields[] = {
    F_STR_(T, key, "provider:project:id"),
    F_STR_(T, provider, "gitlab or github"),
    F_STR_(T, project, "project path or owner/repo"),
    F_I64_(T, id, "pipeline or run id"),
    F_STR_(T, ref, "branch or tag"),
    F_STR_(T, sha, "commit"),
    F_STR_(T, version, "version it deploys, when known"),
    F_ENUM_(T, status, job_status_names, "pipeline status"),
    F_TIME_(T, created, "created"),
    F_TIME_(T, updated, "last update"),
    F_TIME_(T, finished, "0: not finished"),
    F_STR_(T, web_url, "link"),
    F_ARRAY_(T, stages, nstages, stage_schema, "stages in order"),
    F_ARRAY_(T, jobs, njobs, job_schema, "jobs"),
    F_BOOL_(T, gate_blocked, "a deploy stage waits on the closed gate"),
    F_STR_(T, gate_reason, "why the gate is closed"),
    F_BOOL_(T, simulated, "data is simulated"),
    F_TIME_(T, started, "0: not started"),
    F_DBL_(T, duration_s, "run time in seconds; null: unknown"),
    F_BOOL_(T, warning, "passed with warnings (allow_failure jobs failed)"),
    F_INT_(T, jobs_dropped, "jobs with no row (past the cap of 32); stages count them all"),
    F_ENUM_(T, sec, sec_verdict_names,
            "security verdict: none (no evidence attached), clean, findings, unknown"),
    F_INT_(T, sec_critical, "critical rule findings in the security window"),
    F_INT_(T, sec_warning, "warning rule findings in the security window"),
    F_STR_(T, sec_scope, "where the verdict comes from: namespace NS, evidence FILE"),
    F_STR_(T, sec_text, "the findings one a line, or why the verdict is unknown"),
};
#undef T
const struct schema pipeline_schema = SCHEMA("pipeline", struct pipeline, pipeline_fields, "key");

#define T struct ci_project
static const struct field ci_project_fields[] = {
    F_STR_(T, key, "provider:project"),
    F_STR_(T, provider, "gitlab or github"),
    F_STR_(T, project, "project path or owner/repo"),
    F_INT_(T, window, "finished pipelines considered (last N)"),
    F_INT_(T, failures, "failed among them"),
    F_DBL_(T, failure_ratio, "failures / window; null: none finished"),
    F_DBL_(T, median_duration_s, "median run time in seconds; null: none finished"),
    F_INT_(T, active, "pipelines created, pending or running"),
    F_STR_(T, running_stage,
           "first running, pending or gate-blocked stage of the newest active pipeline, empty when "
           "idle"),
    F_TIME_(T, stage_since, "when the running stage started"),
    F_TIME_(T, last_deploy, "when the last production deploy finished; 0: none"),
    F_I64_(T, last_deploy_pipeline, "pipeline of that deploy"),
    F_STR_(T, last_deploy_job, "deploy job name"),
    F_STR_(T, last_deploy_env, "its environment"),
    F_STR_(T, last_deploy_version, "version it deployed, when known"),
    F_ENUM_(T, last_deploy_status, job_status_names, "its status"),
    F_INT_(T, gate_blocked, "pipelines whose deploy waits on the closed gate"),
    F_BOOL_(T, simulated, "data is simulated"),
};
#undef T
const struct schema ci_project_schema =
    SCHEMA("ci_project", struct ci_project, ci_project_fields, "key");

#define T struct k8s_node
static const struct field node_fields[] = {
    F_STR_(T, name, "node name"),
    F_STR_(T, uid, "uid"),
    F_BOOL_(T, ready, "Ready condition"),
    F_BOOL_(T, memory_pressure, "MemoryPressure"),
    F_BOOL_(T, disk_pressure, "DiskPressure"),
    F_BOOL_(T, pid_pressure, "PIDPressure"),
    F_BOOL_(T, unschedulable, "cordoned"),
    F_STR_(T, kubelet_version, "kubelet version"),
    F_STR_(T, problem, "derived problem, empty when fine"),
    F_BOOL_(T, simulated, "data is simulated"),
};
#undef T
const struct schema k8s_node_schema = SCHEMA("node", struct k8s_node, node_fields, "name");

#define T struct container_status
static const struct field container_fields[] = {
    F_SREF_(T, name, NAME_LEN, "container name"),
    F_BOOL_(T, ready, "ready"),
    F_INT_(T, restarts, "restart count"),
    F_SREF_(T, state, POD_STATE_LEN, "running, waiting or terminated"),
    F_SREF_(T, reason, POD_REASON_LEN, "reason of the current state"),
    F_SREF_(T, last_reason, POD_REASON_LEN, "reason of the last termination, e.g. OOMKilled"),
    F_INT_(T, last_exit_code, "exit code of the last termination"),
    F_SREF_(T, image, OBJ_LEN, "image"),
    F_STR_(T, id, "container id with runtime prefix"),
};
#undef T
static const struct schema container_schema =
    SCHEMA("container", struct container_status, container_fields, NULL);

#define T struct k8s_pod
static const struct field pod_fields[] = {
    F_STR_(T, key, "namespace/name"),
    F_STR_(T, uid, "uid"),
    F_SREF_(T, namespace, NAME_LEN, "namespace"),
    F_STR_(T, name, "name"),
    F_SREF_(T, node, OBJ_LEN, "node it runs on"),
    F_STR_(T, ip, "pod IP"),
    F_SREF_(T, phase, POD_PHASE_LEN, "Pending, Running, Succeeded, Failed, Unknown"),
    F_SREF_(T, owner_kind, POD_KIND_LEN, "controller kind"),
    F_SREF_(T, owner_name, OBJ_LEN, "controller name"),
    F_SREF_(T, deployment, OBJ_LEN, "owning deployment, when known"),
    F_SREF_(T, labels, TEXT_LEN, "k=v,k=v"),
    F_TIME_(T, created, "creation time"),
    F_BOOL_(T, ready, "Ready condition"),
    F_INT_(T, restarts, "restarts over all containers"),
    F_SREF_(T, problem, POD_REASON_LEN, "derived problem, empty when fine"),
    F_ARRAY_(T, containers, ncontainers, container_schema, "container statuses"),
    F_INT_(T, containers_total,
           "containers of the pod, init included (containers keeps the first)"),
    F_BOOL_(T, simulated, "data is simulated"),
};
#undef T
const struct schema k8s_pod_schema = SCHEMA("pod", struct k8s_pod, pod_fields, "key");

#define T struct k8s_deployment
static const struct field deployment_fields[] = {
    F_STR_(T, key, "namespace/name"),
    F_STR_(T, namespace, "namespace"),
    F_STR_(T, name, "name"),
    F_STR_(T, uid, "uid"),
    F_INT_(T, desired, "spec.replicas"),
    F_INT_(T, updated, "status.updatedReplicas"),
    F_INT_(T, ready, "status.readyReplicas"),
    F_INT_(T, available, "status.availableReplicas"),
    F_INT_(T, unavailable, "status.unavailableReplicas"),
    F_STR_(T, image, "first container image"),
    F_STR_(T, revision, "deployment.kubernetes.io/revision"),
    F_BOOL_(T, progressing, "Progressing condition true"),
    F_STR_(T, problem, "derived problem, empty when fine"),
    F_TIME_(T, changed, "last rollout change"),
    F_BOOL_(T, simulated, "data is simulated"),
};
#undef T
const struct schema k8s_deployment_schema =
    SCHEMA("deployment", struct k8s_deployment, deployment_fields, "key");

#define T struct k8s_event
static const struct field event_fields[] = {
    F_STR_(T, key, "namespace/uid"),
    F_STR_(T, namespace, "namespace"),
    F_STR_(T, type, "Normal or Warning"),
    F_STR_(T, reason, "reason"),
    F_STR_(T, message, "message (untrusted text)"),
    F_STR_(T, object_kind, "involved object kind"),
    F_STR_(T, object_name, "involved object name"),
    F_INT_(T, count, "occurrences"),
    F_TIME_(T, first_seen, "first occurrence"),
    F_TIME_(T, last_seen, "last occurrence"),
    F_BOOL_(T, simulated, "data is simulated"),
};
#undef T
const struct schema k8s_event_schema = SCHEMA("k8s_event", struct k8s_event, event_fields, "key");

#define T struct kevent
static const struct field kevent_fields[] = {
    F_U64_(T, seq, "arrival order"),
    F_TIME_(T, time, "engine time at arrival"),
    F_ENUM_(T, kind, kev_kind_names, "event kind"),
    F_ENUM_(T, severity, severity_names, "severity from rules"),
    F_STR_(T, node, "node that saw it; empty: this host"),
    F_INT_(T, pid, "process id"),
    F_INT_(T, ppid, "parent process id"),
    F_INT_(T, uid, "user id"),
    F_STR_(T, comm, "command name (untrusted text)"),
    F_STR_(T, path, "exec filename or opened path (untrusted text)"),
    F_STR_(T, args, "first arguments (untrusted text)"),
    F_STR_(T, saddr, "source address"),
    F_STR_(T, daddr, "destination address"),
    F_INT_(T, sport, "source port"),
    F_INT_(T, dport, "destination port"),
    F_INT_(T, ret, "result, exit code or signal by kind"),
    F_U64_(T, cgroup_id, "cgroup id"),
    F_STR_(T, container, "container id"),
    F_STR_(T, pod, "namespace/name; empty: host"),
    F_STR_(T, rule, "matched rule"),
    F_STR_(T, title, "rule title"),
    F_U64_(T, lost, "gap: events lost"),
    F_BOOL_(T, simulated, "data is simulated"),
    F_BOOL_(T, real, "a real host event beside the simulated demo (--host-kernel)"),
};
#undef T
const struct schema kevent_schema = SCHEMA("kevent", struct kevent, kevent_fields, NULL);

#define T struct kstats
static const struct field kstats_fields[] = {
    F_STR_(T, name, "kernel, or agent:NODE"),
    F_U64S_(T, seen, "events seen per kind, in kev_kind order"),
    F_U64_(T, ring_drops, "lost: ring buffer full"),
    F_U64_(T, filtered, "dropped by in-kernel filters"),
    F_U64_(T, too_big, "records too large"),
    F_U64_(T, rule_matches, "rule matches"),
    F_DBL_(T, drop_pct_1s,
           "drop percentage over the last whole second; null: none yet, or nothing passed"),
    F_DBL_(T, events_per_s, "events per second over the last whole second; null: none yet"),
    F_BOOL_(T, simulated, "data is simulated"),
    F_U64_(T, received, "agent rows: events this console received from the agent"),
    F_U64_(T, lost, "agent rows: events the agent reported lost to this console (gap rows)"),
    F_DBL_(T, lag_p50_ms, "agent rows: median delay, event time to arrival, last window"),
    F_DBL_(T, lag_p99_ms, "agent rows: 99th percentile of that delay"),
};
#undef T
const struct schema kstats_schema = SCHEMA("kstats", struct kstats, kstats_fields, "name");

#define T struct timeline_entry
static const struct field timeline_fields[] = {
    F_TIME_(T, time, "when"),
    F_STR_(T, kind, "deploy, slo, pod, node, kernel, anomaly, pipeline, copilot"),
    F_STR_(T, text, "what happened"),
};
#undef T
static const struct schema timeline_schema =
    SCHEMA("timeline_entry", struct timeline_entry, timeline_fields, NULL);

#define T struct cause
static const struct field cause_fields[] = {
    F_DBL_(T, score, "0..1, higher is likelier"),
    F_STR_(T, title, "candidate cause"),
    F_STR_(T, evidence, "why: one line per piece of evidence"),
    F_INT_(T, nevidence, "pieces of evidence"),
    F_BOOL_(T, followed, "began after the incident's start (a consequence)"),
};
#undef T
static const struct schema cause_schema = SCHEMA("cause", struct cause, cause_fields, NULL);

#define T struct incident
static const struct field incident_fields[] = {
    F_STR_(T, id, "incident id"),
    F_STR_(T, fingerprint, "deduplication key"),
    F_STR_(T, title, "title"),
    F_STR_(T, service, "affected service"),
    F_ENUM_(T, severity, severity_names, "severity"),
    F_ENUM_(T, state, incident_state_names, "open or resolved"),
    F_TIME_(T, opened, "opened"),
    F_TIME_(T, updated, "last update"),
    F_TIME_(T, closed, "0: open"),
    F_INT_(T, signals, "raw signals folded in"),
    F_ARRAY_(T, timeline, ntimeline, timeline_schema, "timeline, oldest first"),
    F_ARRAY_(T, causes, ncauses, cause_schema, "ranked likely causes"),
    F_BOOL_(T, simulated, "data is simulated"),
    F_TIME_(T, start, "reference time: when the trouble began"),
    F_ENUM_(T, peak_alert, alert_state_names, "highest SLO alert of its service"),
    F_INT_(T, slos_hit, "SLOs of the service that paged or ticketed"),
    F_DBL_(T, budget_per_hour, "peak error budget burned per hour, percent"),
    F_DBL_(T, peak_burn, "peak burn rate of the alerting window pair"),
    F_TIME_(T, paged, "first page, 0: never"),
    F_DBL_(T, budget_alerted, "budget left (0..1) of its first alerting SLO then"),
    F_STR_(T, budget_slo, "that SLO"),
    F_BOOL_(T, security, "a critical kernel rule is part of it"),
    F_INT_(T, revision, "bumped on each material change"),
    F_TIME_(T, changed, "last material change"),
};
#undef T
const struct schema incident_schema = SCHEMA("incident", struct incident, incident_fields, "id");

#define T struct copilot_answer
static const struct field copilot_fields[] = {
    F_STR_(T, incident, "incident id"),
    F_STR_(T, backend, "who answered"),
    F_STR_(T, model, "model"),
    F_ENUM_(T, state, copilot_state_names, "request state"),
    F_BOOL_(T, incomplete, "stream ended early"),
    F_STR_(T, error, "error, empty when fine"),
    F_TIME_(T, started, "request start"),
    F_TIME_(T, finished, "0: not finished"),
    F_INT_(T, tokens_in, "prompt tokens"),
    F_INT_(T, tokens_out, "answer tokens"),
    F_BOOL_(T, stale, "the incident changed materially since this answer"),
    F_TIME_(T, changed, "that change, 0: not stale"),
    F_STR_(T, stale_reason, "that change in words"),
    F_STR_(T, text, "answer, Markdown (untrusted text)"),
};
#undef T
const struct schema copilot_answer_schema =
    SCHEMA("copilot", struct copilot_answer, copilot_fields, "incident");

#define T struct summary
static const struct field summary_fields[] = {
    F_STR_(T, name, "always summary"),
    F_INT_(T, signals_1h, "raw signals in the last hour"),
    F_INT_(T, incidents_1h, "incidents they became"),
    F_ENUM_(T, cluster, cluster_state_names,
            "whether the cluster counts are known: none (no cluster source), unknown (sources "
            "configured, none has delivered yet), known"),
    F_COUNT_(T, nodes_ready, "nodes Ready; null unless cluster is known"),
    F_COUNT_(T, nodes_total, "nodes; null unless cluster is known"),
    F_COUNT_(T, pods_failing,
             "pods with a problem; null unless cluster is known (never 0 for "
             "unknown)"),
    F_INT_(T, open_incidents, "open incidents"),
    F_INT_(T, sources_not_reporting,
           "sources failed, stale, partial or still starting (disabled and outbound ones not "
           "counted): unless 0, a 0 above may be blindness, not quiet"),
    F_INT_(T, incidents_not_opened,
           "incident openings refused: the incidents table was full (shown in the header)"),
    F_ENUM_(
        T, gate, gate_state_names,
        "deploy gate over every SLO: open, closed, unknown (an SLO cannot tell), none (no SLO)"),
    F_BOOL_(T, gate_open, "derived: gate is open"),
    F_STR_(T, gate_reason, "why"),
    F_STR_(T, context, "kube context or environment"),
    F_BOOL_(T, simulated, "data is simulated"),
};
#undef T
const struct schema summary_schema = SCHEMA("summary", struct summary, summary_fields, "name");

void slo_fmt_burn(char *out, size_t n, double burn)
{
    if (isnan(burn))
        snprintf(out, n, "-");
    else
        snprintf(out, n, burn >= 99.95 ? "%.0fx" : "%.1fx", burn);
}

/* A burn next to its factor gets two decimals, so "14.4x over 14.4" never
 * reads as a tie that fired. */
static void pair_burn(char *out, size_t n, double burn, double factor)
{
    if (isnan(burn))
        snprintf(out, n, "no data");
    else if (fabs(burn - factor) < 0.05)
        snprintf(out, n, "%.2fx", burn);
    else
        slo_fmt_burn(out, n, burn);
}

void slo_pair_reason(const struct slo *s, char *out, size_t n)
{
    if (s->pair < 0 || s->pair >= s->npairs || s->pair >= SLO_PAIRS) {
        snprintf(out, n, "no window data");
        return;
    }
    const struct slo_pair *p = &s->pairs[s->pair];
    char lb[24], sb[24];
    pair_burn(lb, sizeof lb, p->long_burn, p->factor);
    pair_burn(sb, sizeof sb, p->short_burn, p->factor);
    bool lo = p->long_burn > p->factor, so = p->short_burn > p->factor;
    if (p->firing == TB_UNKNOWN)
        snprintf(out, n, "%s %s and %s %s, factor %g: firing unknown", p->long_name, lb,
                 p->short_name, sb, p->factor);
    else if (lo && so)
        snprintf(out, n, "%s %s and %s %s over %g", p->long_name, lb, p->short_name, sb, p->factor);
    else if (so)
        snprintf(out, n, "%s %s over %g, %s %s not yet", p->short_name, sb, p->factor, p->long_name,
                 lb);
    else if (lo)
        snprintf(out, n, "%s %s over %g, %s %s back under", p->long_name, lb, p->factor,
                 p->short_name, sb);
    else
        snprintf(out, n, "%s %s and %s %s under %g", p->long_name, lb, p->short_name, sb,
                 p->factor);
}
