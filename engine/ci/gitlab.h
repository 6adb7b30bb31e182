/* GitLab CI: payload parsing (shared by the live source and the demo) and
 * the provider description the poller uses. */
#ifndef LOOKOUT_GITLAB_H
#define LOOKOUT_GITLAB_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/engine.h"
#include "ci/poll.h"

/* Parses a pipeline (GET /projects/:id/pipelines[/:pid] item) and its jobs
 * (GET /projects/:id/pipelines/:pid/jobs, any order, retried ones included
 * or not) and posts the pipeline row. jobs_json may be NULL. Returns 0, or -1
 * with a message. Everything that posts GitLab pipelines comes through here. */
int gitlab_apply_pipeline_json(struct engine *e, const char *project, const char *pipeline_json,
                               const char *jobs_json, bool simulated, char *err, size_t errlen);
int gitlab_apply_pipeline(struct engine *e, const char *project, const cJSON *pipeline,
                          const cJSON *jobs, bool simulated, char *err, size_t errlen);

extern const struct ci_provider gitlab_provider;

#endif
