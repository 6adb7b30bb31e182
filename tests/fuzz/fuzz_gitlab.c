/* GitLab CI: a pipelines list (or one pipeline) and a jobs list, as the
 * poller hands them to the provider, and the public JSON entry point.
 * Input: [list or item JSON] NUL [jobs JSON]. The first part also goes
 * through the Link and Retry-After header parsers. */
#include <cjson/cJSON.h>

#include "core/engine.h"
#include "fuzz.h"
#include "fuzz_engine.h"
#include "ci/gitlab.h"
#include "ci/poll.h"
#include "base/retry_after.h"

static void apply_items(struct engine *e, const cJSON *doc, const cJSON *jobs)
{
    const struct ci_provider *p = &gitlab_provider;
    char err[256];
    const cJSON *items = p->list_items(doc);
    if (!cJSON_IsArray(items)) {
        if (cJSON_IsObject(doc))
            p->apply(e, "group/project", doc, jobs, false, err, sizeof(err));
        return;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        p->item_status(it);
        if (cJSON_IsObject(it))
            p->apply(e, "group/project", it, jobs, false, err, sizeof(err));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *a, *b;
    size_t alen, blen;
    fz_split(data, size, &a, &alen, &b, &blen);
    struct engine *e = fz_engine();
    cJSON *doc = cJSON_ParseWithLength(a, alen);
    cJSON *jdoc = b ? cJSON_ParseWithLength(b, blen) : NULL;
    const cJSON *jobs = jdoc ? gitlab_provider.jobs_items(jdoc) : NULL;
    apply_items(e, doc, cJSON_IsArray(jobs) ? jobs : NULL);
    char err[256];
    gitlab_apply_pipeline_json(e, "group/project", a, b, false, err, sizeof(err));
    char next[512];
    ci_link_next(a, next, sizeof(next));
    int64_t delay;
    retry_after_parse(a, 1732094061000, 0, 86400000, &delay, NULL, 0);
    cJSON_Delete(doc);
    cJSON_Delete(jdoc);
    free(a);
    free(b);
    return 0;
}
