/* CI pipelines (GitLab CI, GitHub Actions): the pieces both sources share.
 *
 * - settings of the `pipelines` config section (intervals, last N, deploy
 *   recognition) and the validators of `gitlab`, `github`, `pipelines`;
 * - status mapping, stage roll-up, deploy recognition, ISO 8601 times;
 * - the module that keeps derived figures (T_CI_PROJECTS) and marks deploy
 *   jobs "blocked by gate" while the SLO gate in T_SUMMARY is closed.
 *
 * Payload parsing lives in gitlab.c / github.c, polling in ci/poll.c. */
#ifndef LOOKOUT_PIPELINE_H
#define LOOKOUT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/module.h"
#include "base/yaml_tree.h"

#define PIPE_PATTERNS 8
#define SEC_WATCHES   8

/* One `pipelines.security` entry: the evidence a project's pipelines are
 * judged on (ci/security.c, docs/pipelines.md). */
struct sec_watch {
    char project[96];         /* fnmatch glob on the project path */
    char namespace[NAME_LEN]; /* the deploy's namespace in the kernel view, "" none */
    char evidence[PATH_LEN];  /* glob of evidence files, {id} = pipeline id, "" none */
    enum severity fail_on;    /* findings at or above this fail the verdict */
};

struct pipeline_settings {
    int last_n;         /* pipelines polled per project and used for figures */
    int64_t fast_ms;    /* poll interval while something runs */
    int64_t slow_ms;    /* poll interval when idle */
    int64_t timeout_ms; /* per request */
    int64_t backoff_max_ms;
    /* Requests of the rate budget kept back: an answer that leaves this many
     * or fewer holds every further request of the source until the reset. */
    long rate_reserve;
    /* Deploy recognition (fnmatch globs). A job with an environment is a
     * production deploy when the environment matches; a job without one is
     * when its stage or its name matches. */
    int nenvs, nstages, njobs;
    char envs[PIPE_PATTERNS][32];
    char stages[PIPE_PATTERNS][32];
    char jobs[PIPE_PATTERNS][NAME_LEN];
    int nsec;
    struct sec_watch sec[SEC_WATCHES];
};

void pipeline_settings_default(struct pipeline_settings *s);
/* Reads the `pipelines` section (NULL: defaults); -1 with "file:line: ...". */
int pipeline_settings_load(struct pipeline_settings *s, const struct ynode *section, char *err,
                           size_t errlen);

/* Validators for config.c's section table. */
int pipeline_check_config(const struct ynode *section, char *err, size_t errlen);
int gitlab_check_config(const struct ynode *section, char *err, size_t errlen);
int github_check_config(const struct ynode *section, char *err, size_t errlen);

/* ---- status ---- */
/* GitLab pipeline/job status string; -1 when unknown. */
int pipeline_status_gitlab(const char *s);
/* GitHub status + conclusion (conclusion may be NULL); -1 when unknown. */
int pipeline_status_github(const char *status, const char *conclusion);
/* Created, pending, running, preparing, waiting: the pipeline is not done. */
bool job_status_active(enum job_status s);
/* Still to run: what the gate can block. */
bool job_status_waiting_to_run(enum job_status s);

/* Sets the stages' status, times, warning and job count from every job of
 * the pipeline (all pages, retried ones left out), by GitLab's composite
 * rule, and keeps at most PIPE_JOBS of them as rows: failed, moving, manual
 * and deploy jobs first, in stage order. The stages must exist already
 * (pipeline_stage); jobs of a stage past the cap are dropped, and counted. */
void pipeline_set_jobs(struct pipeline *p, const struct job *all, int n);
/* Marks a stage blocked while one of its kept jobs waits on the closed gate,
 * and gives it back its CI status once none does. */
void pipeline_rollup_stages(struct pipeline *p);
/* Finds or appends a stage by name, keeping first-seen order; NULL when full. */
struct stage *pipeline_stage(struct pipeline *p, const char *name);

/* ---- deploy recognition ---- */
bool pipeline_is_deploy(const struct pipeline_settings *s, const char *job_name, const char *stage,
                        const char *environment);

/* The last production deploy of a project as the provider's deployments
 * API tells it (GitLab Deployments, GitHub deployments + statuses). */
struct ci_deploy {
    int64_t finished; /* ms: finished_at, else updated_at */
    int64_t pipeline; /* the deployable job's pipeline, 0: unknown */
    enum job_status status;
    char job[NAME_LEN];
    char env[32];
    char version[NAME_LEN];
};

struct cJSON;
/* The deploy among a deployments list that finished last, each read by
 * fill (false: not a finished production deploy); false when none is. */
bool pipeline_latest_deploy(const struct cJSON *items, const struct pipeline_settings *s,
                            bool (*fill)(const struct cJSON *d, const struct pipeline_settings *s,
                                         struct ci_deploy *out),
                            struct ci_deploy *out);

/* ---- the module ---- */
/* Settings in use (defaults until pipeline_attach is given others). */
const struct pipeline_settings *pipeline_settings(void);
/* Registers the observer that keeps T_CI_PROJECTS and gate marks up to
 * date. Idempotent per engine; s NULL keeps the current settings. */
void pipeline_attach(struct engine *e, const struct pipeline_settings *s);
/* Posts a parsed pipeline: applies the gate, skips identical rows. */
void pipeline_post(struct engine *e, struct pipeline *p);
/* What the deployments API said for a project: d NULL when it said nothing
 * usable, and the last deploy then comes from deploy jobs (names, stages). */
void pipeline_set_deploy(const char *provider, const char *project, const struct ci_deploy *d);
/* ---- security verdicts (ci/security.c) ---- */
/* Fills p's sec* fields from the watch its project matches, if any. */
void pipeline_security_apply(struct engine *e, struct pipeline *p);
/* Adds a watch beside the configured ones (the demo's); false when full. */
bool pipeline_security_watch(const struct sec_watch *w);
/* Registers the observers that recompute verdicts when findings, drops or
 * the kernel view's state change. Idempotent per engine. */
void pipeline_security_attach(struct engine *e);

/* Recomputes the derived figures of one project now. */
void pipeline_update_stats(struct engine *e, const char *provider, const char *project);

/* ---- wiring ---- */
struct config;
struct source_set;
struct source_ctx;
/* The CI module: sections `pipelines`, `gitlab`, `github`. */
extern const struct module ci_module;
/* Loads `pipelines`, attaches the pipeline stats, and adds a source for
 * each provider the config has a section for. 0, or -1 with a message. */
int pipeline_add_sources_to(struct source_set *set, const struct source_ctx *ctx,
                            const struct config *cfg, char *err, size_t errlen);

#endif
