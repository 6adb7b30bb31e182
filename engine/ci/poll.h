/* Polite polling of a CI REST API (GitLab, GitHub) on the event loop.
 *
 * One request in flight per source. Each cycle lists recent pipelines per
 * project, then fetches the jobs of those that run or changed; every URL is
 * asked with If-None-Match and its last body is kept, so a 304 costs
 * neither rate budget nor a re-parse. Pages are followed through Link
 * rel="next" (or X-Next-Page). The next cycle comes after the fast interval
 * while something runs and the slow one when idle, later when the rate
 * budget runs low, after Retry-After on 429, and with exponential backoff
 * after 5xx, timeouts and transport errors (the source is then STALE and
 * keeps its last state). */
#ifndef LOOKOUT_PIPELINE_POLL_H
#define LOOKOUT_PIPELINE_POLL_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/yaml_tree.h"
#include "base/tls.h"
#include "core/source.h"

#define CI_MAX_PROJECTS 16

struct pipeline_settings;
struct ci_deploy;

/* What differs between GitLab and GitHub. */
struct ci_provider {
    const char *kind;      /* "gitlab", "github": source kind and key prefix */
    const char *title;     /* "GitLab", "GitHub" for messages */
    const char *token_env; /* "GITLAB_TOKEN" */
    /* Config: the section is named kind; its API root defaults to
     * default_url, with api_suffix added when missing; its project list is
     * projects_key, each entry a scalar id or a map {id_key, ref_key}. */
    const char *default_url;
    const char *api_suffix;
    const char *projects_key, *id_key, *ref_key;
    int (*check_config)(const struct ynode *section, char *err, size_t errlen);
    void (*auth_header)(const char *token, char *out, size_t n);
    const char *const *extra_headers; /* NULL-terminated, may be NULL */
    void (*list_url)(const char *api, const char *project, const char *ref, int per_page, char *out,
                     size_t n);
    /* The single pipeline (more fields than the list), or NULL when the list has them all. */
    void (*detail_url)(const char *api, const char *project, int64_t id, char *out, size_t n);
    void (*jobs_url)(const char *api, const char *project, int64_t id, char *out, size_t n);
    /* Trigger jobs of a pipeline (GitLab bridges), or NULL. */
    void (*bridges_url)(const char *api, const char *project, int64_t id, char *out, size_t n);
    /* Recent deployments of a project, newest first, or NULL. */
    void (*deploys_url)(const char *api, const char *project, char *out, size_t n);
    const cJSON *(*deploys_items)(const cJSON *body); /* NULL: the body is the list */
    /* GitHub keeps a deployment's outcome in its statuses: the statuses URL
     * of one listed deployment when it is a production candidate (false:
     * skip it). NULL when the list says it all (GitLab). The poller puts
     * each answer into the deployment as "statuses" before last_deploy. */
    bool (*deploy_statuses_url)(const char *api, const char *project, const cJSON *deploy,
                                const struct pipeline_settings *s, char *out, size_t n);
    /* The newest finished production deploy among them; false: none. */
    bool (*last_deploy)(const cJSON *items, const struct pipeline_settings *s,
                        struct ci_deploy *out);
    const cJSON *(*list_items)(const cJSON *body); /* the array of pipelines/runs */
    const cJSON *(*jobs_items)(const cJSON *body); /* the array of jobs */
    int (*item_status)(const cJSON *item);         /* enum job_status, -1 unknown */
    int (*apply)(struct engine *e, const char *project, const cJSON *item, const cJSON *jobs,
                 bool simulated, char *err, size_t errlen);
};

struct ci_project_cfg {
    char id[96];        /* GitLab: numeric id or group/project; GitHub: owner/repo */
    char ref[NAME_LEN]; /* branch filter, "" for all */
};

struct ci_client_cfg {
    const struct ci_provider *prov;
    char api[256];             /* API root, e.g. https://gitlab.com/api/v4 */
    char token_file[PATH_MAX]; /* "" : the provider's environment variable */
    struct tls_opts tls;       /* ca_file, client certificate */
    int nprojects;
    struct ci_project_cfg projects[CI_MAX_PROJECTS];
};

/* Adds a source named `name` (not started) that polls cfg's projects. */
struct source *ci_source_add(struct source_set *set, const struct source_ctx *ctx, const char *name,
                             const struct ci_client_cfg *cfg);

/* ---- helpers, exposed for tests ---- */
/* The rel="next" URL of a Link header value; false when there is none. */
bool ci_link_next(const char *link, char *out, size_t n);
/* Percent-encodes a path segment ("group/project" -> "group%2Fproject"). */
void ci_escape(const char *in, char *out, size_t n);
/* Reads a token: the file (must be 0600 or stricter) or the environment
 * variable. Returns 0 (token may be ""), -1 with a message naming the file
 * but never the token. */
int ci_read_token(const char *file, const char *env, char *out, size_t n, char *err, size_t errlen);
/* Longest URL the poller builds or follows. */
#define CI_URL_LEN 1024
/* Whether url has api's scheme://host[:port]: a Link is followed, with the
 * token, only to the server the token is for. */
bool ci_same_origin(const char *url, const char *api);
/* url with its page parameter set to page (GitLab's X-Next-Page). */
void ci_with_page(const char *url, long page, char *out, size_t n);
/* The host[:port] of an API root, into out. */
const char *ci_host_of(const char *api, char *out, size_t n);

#endif
