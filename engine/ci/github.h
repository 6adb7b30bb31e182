/* GitHub Actions: workflow run payloads to pipeline rows, and the API's
 * URLs and auth. A run is a pipeline; each job is a job whose stage is its
 * name without the matrix suffix ("test (3.11)" is in stage "test"); the
 * running or first failing step is kept on the job. */
#ifndef LOOKOUT_GITHUB_H
#define LOOKOUT_GITHUB_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/engine.h"
#include "ci/poll.h"

/* run_json: a workflow run object; jobs_json: {"jobs": [...]} as
 * GET /actions/runs/{id}/jobs returns it, or a bare array, or NULL. */
int github_apply_run_json(struct engine *e, const char *repo, const char *run_json,
                          const char *jobs_json, bool simulated, char *err, size_t errlen);
int github_apply_run(struct engine *e, const char *repo, const cJSON *run, const cJSON *jobs,
                     bool simulated, char *err, size_t errlen);

extern const struct ci_provider github_provider;

#endif
