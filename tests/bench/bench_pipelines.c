/* Parse cost of CI payloads: GitHub's recorded 30-run list page (366 KB)
 * and a GitLab pipeline with 32 jobs, through the same functions the live
 * sources and the demo use, plus the per-post cost of the derived figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "base/buf.h"
#include "core/engine.h"
#include "ci/github.h"
#include "ci/gitlab.h"

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    /* The benchmark scripts run from the repository root. */
    const char *path = "tests/fixtures/ci/github-runs-list-page1-link-header.body.json";
    char err[256];
    size_t len = 0;
    char *text = read_file(path, 1 << 24, &len);
    if (!text) {
        fprintf(stderr, "missing %s\n", path);
        return 1;
    }
    struct engine e;
    engine_init(&e);
    double t0 = now_s();
    int runs = 0;
    for (int r = 0; r < reps; r++) {
        cJSON *doc = cJSON_Parse(text);
        const cJSON *run;
        cJSON_ArrayForEach(run, cJSON_GetObjectItem(doc, "workflow_runs"))
        {
            github_apply_run(&e, "ReDASers/PhishBench", run, NULL, false, err, sizeof(err));
            runs++;
        }
        cJSON_Delete(doc);
    }
    double dt = now_s() - t0;
    printf(
        "   github runs page (%zu KB, 30 runs): %.2f ms per page (parse + post), %.1f us per run\n",
        len / 1024, dt * 1e3 / reps, dt * 1e6 / runs);
    /* GitLab: 32 jobs over 7 stages, posted repeatedly with a changing status */
    cJSON *jobs = cJSON_CreateArray();
    const char *stages[] = {"check",           "build",    "test",   "deploy",
                            "experiment-ebpf", "ai-check", "cleanup"};
    for (int i = 0; i < 32; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "id", 1000 + i);
        char name[32];
        snprintf(name, sizeof(name), "job-%d", i);
        cJSON_AddStringToObject(j, "name", name);
        cJSON_AddStringToObject(j, "stage", stages[i * 7 / 32]);
        cJSON_AddStringToObject(j, "status", i < 20 ? "success" : "running");
        cJSON_AddStringToObject(j, "started_at", "2026-03-02T14:00:00.000Z");
        cJSON_AddItemToArray(jobs, j);
    }
    char *jobs_text = cJSON_PrintUnformatted(jobs);
    cJSON_Delete(jobs);
    int n = reps * 200;
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        char pl[256];
        snprintf(
            pl, sizeof(pl),
            "{\"id\":%d,\"status\":\"running\",\"ref\":\"main\",\"sha\":\"abc\","
            "\"created_at\":\"2026-03-02T14:00:00Z\",\"updated_at\":\"2026-03-02T14:%02d:00Z\"}",
            100 + i % 20, i % 60);
        gitlab_apply_pipeline_json(&e, "shop/checkout", pl, jobs_text, false, err, sizeof(err));
    }
    dt = now_s() - t0;
    printf("   gitlab pipeline with 32 jobs: %.1f us per post (parse, roll-up, gate, figures over "
           "%d rows)\n",
           dt * 1e6 / n, e.tables[T_PIPELINES].count);
    free(jobs_text);
    free(text);
    engine_free(&e);
    return 0;
}
