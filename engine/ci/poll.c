/* Polite polling of CI REST APIs: ETag cache, pagination, rate limits, backoff. */
#include "base/http.h"
#include "ci/poll.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/backoff.h"
#include "base/buf.h"
#include "base/secret.h"
#include "ci/cache.h"
#include "ci/pipeline.h"
#include "base/json_num.h"
#include "base/retry_after.h"
#include "base/timeparse.h"

#define RETRY_AFTER_MAX_MS 86400000 /* a longer wait is a server bug: a day at most */
#define MAX_PAGES          10       /* pipelines: the last N fit in one or two */
#define MAX_JOB_PAGES      100      /* jobs: 10 000 of them, every one counted */
#define RESET_MARGIN_MS    250      /* the reset is in whole seconds: ask just after it */
#define URL_LEN            CI_URL_LEN

/* Headers of the response being received. */
struct resp_hdr {
    char etag[160];
    char next[URL_LEN];
    long x_next_page;
    long rl_limit, rl_remaining; /* -1: not sent */
    int64_t rl_reset_ms;         /* wall clock, 0: not sent */
    int64_t retry_after_ms;      /* -1: not sent */
};

enum fetch_kind {
    FETCH_LIST,
    FETCH_DETAIL,
    FETCH_JOBS,
    FETCH_BRIDGES,
    FETCH_DEPLOYS,
    FETCH_DEPLOY_STATUSES
};

/* Deployments whose statuses are asked for, newest first, per cycle: the
 * newest finished one is nearly always among the first, and each costs a
 * request (a 304 once it stops changing). */
#define MAX_DEPLOY_STATUS 3

struct ci_client {
    struct ci_client_cfg cfg;
    struct source *src;
    char token[512]; /* secret: only ever copied into the auth header */
    char auth[600];
    char token_err[TEXT_LEN];
    /* the current paginated fetch */
    enum fetch_kind kind;
    char url[URL_LEN];
    char first_url[URL_LEN];
    int pages;
    bool fresh;       /* some page came with a 200, not a 304 */
    bool retried_304; /* a 304 without a cached body was asked again */
    cJSON *acc;       /* items of all pages so far */
    struct http_req *req;
    struct resp_hdr hdr;
    /* the cycle */
    int proj;
    cJSON *list; /* current project's pipelines */
    bool list_fresh;
    cJSON *detail; /* the current pipeline in full, when the API has that */
    bool detail_fresh;
    cJSON *jobs; /* its jobs, while its bridges are asked for */
    bool jobs_fresh;
    char deploy_note[96]; /* why deploys come from job names, "" when from the API */
    cJSON *deploys;       /* the deployments list, while their statuses are asked for */
    int deploy_i, deploy_asked;
    int item;
    bool any_active;
    int project_errors;
    int projects_failed; /* this cycle: all of them failed means nothing is fresh */
    bool ever_read;      /* some cycle read a project: old rows exist */
    char cycle_err[TEXT_LEN];
    /* health and politeness */
    struct loop_timer *timer;
    struct backoff backoff; /* 5xx and transport errors */
    long rl_limit, rl_remaining;
    int64_t rl_reset_ms;
    int64_t held_until_ms; /* wall clock: no request before, 0: not held */
    uint64_t requests, not_modified;
    struct ci_cache cache;
};

static void start_cycle(void *ud);
static void next_project(struct ci_client *c);
static void next_item(struct ci_client *c);
static void fetch_start(struct ci_client *c, enum fetch_kind kind, const char *url);
static void take_deploys(struct ci_client *c);
static void start_deploys(struct ci_client *c);

static const struct pipeline_settings *settings(void)
{
    return pipeline_settings();
}

/* "rate limit 0/5000, resumes 14:03:10" (local time, as the clock on the wall) */
static void rate_held(const struct ci_client *c, char *out, size_t n)
{
    time_t t = (time_t)(c->held_until_ms / 1000);
    struct tm tm;
    char when[16] = "?";
    if (localtime_r(&t, &tm))
        strftime(when, sizeof(when), "%H:%M:%S", &tm);
    char left[48];
    if (c->rl_limit > 0)
        snprintf(left, sizeof(left), "%ld/%ld", c->rl_remaining < 0 ? 0 : c->rl_remaining,
                 c->rl_limit);
    else
        snprintf(left, sizeof(left), "%ld left", c->rl_remaining < 0 ? 0 : c->rl_remaining);
    snprintf(out, n, "rate limit %s, resumes %s", left, when);
}

static void set_detail(struct ci_client *c)
{
    struct engine *e = c->src->ctx.engine;
    struct source_info *row = engine_get(e, T_SOURCES, c->src->name);
    if (!row)
        return;
    struct source_info s = *row;
    char rate[96] = "rate limit unknown";
    if (c->held_until_ms > loop_wall_ms())
        rate_held(c, rate, sizeof(rate));
    else if (c->rl_remaining >= 0 && c->rl_limit > 0)
        snprintf(rate, sizeof(rate), "rate limit %ld/%ld left", c->rl_remaining, c->rl_limit);
    else if (c->rl_remaining >= 0)
        snprintf(rate, sizeof(rate), "rate limit %ld left", c->rl_remaining);
    snprintf(s.detail, sizeof(s.detail), "%s; %llu requests, %llu not modified%s%s", rate,
             (unsigned long long)c->requests, (unsigned long long)c->not_modified,
             c->deploy_note[0] ? "; " : "", c->deploy_note);
    if (strcmp(s.detail, row->detail) != 0)
        engine_upsert(e, T_SOURCES, &s);
}

static void report(struct ci_client *c, enum source_state st, const char *error)
{
    engine_source_state(c->src->ctx.engine, c->src->name, c->cfg.prov->kind, st, error);
    set_detail(c);
}

static void schedule(struct ci_client *c, int64_t delay_ms)
{
    if (c->timer)
        loop_timer_cancel(c->src->ctx.loop, c->timer);
    c->timer = loop_timer_start(c->src->ctx.loop, delay_ms, start_cycle, c);
}

static void reset_fetch(struct ci_client *c)
{
    cJSON_Delete(c->acc);
    c->acc = NULL;
}

static void abort_cycle(struct ci_client *c)
{
    reset_fetch(c);
    cJSON_Delete(c->detail);
    c->detail = NULL;
    cJSON_Delete(c->jobs);
    c->jobs = NULL;
    cJSON_Delete(c->list);
    c->list = NULL;
    cJSON_Delete(c->deploys);
    c->deploys = NULL;
}

/* What a failure makes of the source: stale when rows from a good cycle are
 * kept, failed when nothing was ever read ("stale" would claim old data). */
static enum source_state failed_state(const struct ci_client *c)
{
    return c->ever_read ? SRC_STALE : SRC_FAILED;
}

/* 5xx, timeouts, transport errors: keep the state, back off. */
static void fail_transient(struct ci_client *c, const char *what)
{
    int64_t delay = backoff_fail(&c->backoff, loop_mono_ms());
    char msg[TEXT_LEN];
    snprintf(msg, sizeof(msg), "%s; retrying in %.1fs", what, delay / 1000.0);
    abort_cycle(c);
    report(c, failed_state(c), msg);
    schedule(c, delay);
}

/* A 403/429 that says the budget is spent: nothing goes out before
 * Retry-After, else the reset when the budget is 0, else a minute (GitHub's
 * advice for a secondary limit that gives neither). */
static void fail_rate_limited(struct ci_client *c, long status)
{
    int64_t now = loop_wall_ms(), wait = c->hdr.retry_after_ms;
    if (wait < 0 && c->rl_remaining == 0 && c->rl_reset_ms > now)
        wait = c->rl_reset_ms - now + RESET_MARGIN_MS;
    if (wait < 0)
        wait = 60000;
    if (wait < 100)
        wait = 100;
    c->held_until_ms = now + wait;
    char msg[TEXT_LEN];
    snprintf(msg, sizeof(msg), "rate limited (HTTP %ld); next request in %.1fs%s", status,
             wait / 1000.0, c->hdr.retry_after_ms >= 0 ? " as Retry-After asks" : "");
    abort_cycle(c);
    report(c, failed_state(c), msg);
    schedule(c, wait);
}

static void fail_auth(struct ci_client *c, long status)
{
    char host[128], msg[TEXT_LEN];
    const char *from = c->cfg.token_file[0] ? "token_file" : c->cfg.prov->token_env;
    snprintf(msg, sizeof(msg), "%s at %s answered %ld %s: %s; check %s (retrying every %.0fs)",
             c->cfg.prov->title, ci_host_of(c->cfg.api, host, sizeof(host)), status,
             status == 401 ? "Unauthorized" : "Forbidden",
             c->token[0] ? "the token was rejected" : "a token is needed", from,
             settings()->slow_ms / 1000.0);
    abort_cycle(c);
    report(c, SRC_FAILED, msg);
    /* read again: the file may have been rotated */
    secret_wipe(c->token, sizeof(c->token));
    secret_wipe(c->auth, sizeof(c->auth));
    schedule(c, settings()->slow_ms);
}

/* A 4xx that is not about auth or rate: GitLab and GitHub both answer 404
 * for a private project asked without a token (never 401), so say what to
 * set; with a token, the token may not see it. */
static void not_ok_text(const struct ci_client *c, long st, char *out, size_t outlen)
{
    if (st != 404)
        snprintf(out, outlen, "HTTP %ld", st);
    else if (c->token[0])
        snprintf(out, outlen, "HTTP 404 (not found, or the token cannot see it)");
    else
        snprintf(out, outlen,
                 "HTTP 404: not found (no token set: private projects need %s or token_file)",
                 c->cfg.prov->token_env);
}

static void project_error(struct ci_client *c, const char *fmt, const char *detail)
{
    c->project_errors++;
    c->projects_failed++;
    char msg[TEXT_LEN];
    snprintf(msg, sizeof(msg), fmt, c->cfg.projects[c->proj].id, detail);
    STR_COPY(c->cycle_err, msg);
    abort_cycle(c);
    c->proj++;
    next_project(c);
}

/* --------------------------------------------------------------- requests */

static void on_header(const char *name, const char *value, void *ud)
{
    struct ci_client *c = ud;
    struct resp_hdr *h = &c->hdr;
    if (strncmp(name, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
        memset(h, 0, sizeof(*h));
        h->rl_limit = h->rl_remaining = h->retry_after_ms = -1;
    } else if (http_header_is(name, "ETag")) {
        STR_COPY(h->etag, value);
    } else if (http_header_is(name, "Link")) {
        if (!ci_link_next(value, h->next, sizeof(h->next)))
            h->next[0] = 0;
    } else if (http_header_is(name, "X-Next-Page")) {
        h->x_next_page = strtol(value, NULL, 10);
    } else if (http_header_is(name, "RateLimit-Limit") ||
               http_header_is(name, "X-RateLimit-Limit")) {
        h->rl_limit = strtol(value, NULL, 10);
    } else if (http_header_is(name, "RateLimit-Remaining") ||
               http_header_is(name, "X-RateLimit-Remaining")) {
        h->rl_remaining = strtol(value, NULL, 10);
    } else if (http_header_is(name, "RateLimit-Reset") ||
               http_header_is(name, "X-RateLimit-Reset")) {
        /* Unix epoch seconds (GitHub, GitLab); a small number is the IETF
         * draft's seconds from now, as some proxies send it */
        long long v = strtoll(value, NULL, 10);
        h->rl_reset_ms = v >= 1000000000LL ? v * 1000 : loop_wall_ms() + v * 1000;
    } else if (http_header_is(name, "Retry-After")) {
        int64_t ms;
        h->retry_after_ms =
            retry_after_parse(value, loop_wall_ms(), 0, RETRY_AFTER_MAX_MS, &ms, NULL, 0) == 0 ? ms
                                                                                               : -1;
    }
}

static const cJSON *items_of(struct ci_client *c, const cJSON *body)
{
    if (c->kind == FETCH_LIST)
        return c->cfg.prov->list_items(body);
    if (c->kind == FETCH_DEPLOYS || c->kind == FETCH_DEPLOY_STATUSES)
        return c->cfg.prov->deploys_items ? c->cfg.prov->deploys_items(body) : body;
    return c->cfg.prov->jobs_items(body);
}

static void fetch_done(struct ci_client *c);

/* One page arrived (fresh or from the cache): collect it, go on. */
static void take_page(struct ci_client *c, const char *body)
{
    cJSON *doc = cJSON_Parse(body);
    if (c->kind == FETCH_DETAIL) {
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            project_error(c, "project %s: %s", "a pipeline that is not a JSON object");
            return;
        }
        c->detail = doc;
        fetch_done(c);
        return;
    }
    const cJSON *items = doc ? items_of(c, doc) : NULL;
    if (!cJSON_IsArray(items)) {
        cJSON_Delete(doc);
        project_error(c, "project %s: %s",
                      "the API answered something that is not the expected "
                      "JSON list");
        return;
    }
    if (!c->acc)
        c->acc = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, items) cJSON_AddItemToArray(c->acc, cJSON_Duplicate(it, 1));
    cJSON_Delete(doc);
    c->pages++;
    /* every job counts; of pipelines the last N, of deployments the newest page */
    int want = c->kind == FETCH_LIST ? settings()->last_n : c->kind >= FETCH_DEPLOYS ? 1 : 0;
    bool enough = want && cJSON_GetArraySize(c->acc) >= want;
    int max_pages = c->kind == FETCH_LIST ? MAX_PAGES : MAX_JOB_PAGES;
    char next[URL_LEN] = "";
    if (c->hdr.next[0] && ci_same_origin(c->hdr.next, c->cfg.api))
        STR_COPY(next, c->hdr.next);
    else if (c->hdr.x_next_page > 0)
        ci_with_page(c->url, c->hdr.x_next_page, next, sizeof(next));
    if (next[0] && !enough && c->pages < max_pages) {
        fetch_start(c, c->kind, next);
        return;
    }
    fetch_done(c);
}

/* GitHub: "API rate limit exceeded for ...", "You have exceeded a secondary
 * rate limit"; GitLab: "Retry later" comes with a 429 anyway. */
static bool says_rate_limit(const char *body)
{
    return body && (strstr(body, "rate limit") || strstr(body, "Rate limit"));
}

static void deploys_unavailable(struct ci_client *c, long status);

static void on_done(const struct http_result *res, void *ud)
{
    struct ci_client *c = ud;
    c->req = NULL;
    c->requests++;
    if (res->status && c->hdr.rl_remaining >= 0) {
        c->rl_remaining = c->hdr.rl_remaining;
        if (c->hdr.rl_limit >= 0)
            c->rl_limit = c->hdr.rl_limit;
        c->rl_reset_ms = c->hdr.rl_reset_ms;
    }
    long st = res->status;
    if (st == 0) {
        char what[TEXT_LEN];
        if (res->curl_code == CURLE_OPERATION_TIMEDOUT)
            snprintf(what, sizeof(what), "no answer within %.1fs", settings()->timeout_ms / 1e3);
        else
            snprintf(what, sizeof(what), "%.200s", res->error);
        fail_transient(c, what);
        return;
    }
    if (st == 304) {
        c->not_modified++;
        const char *body = ci_cache_body(&c->cache, c->url);
        if (body) {
            take_page(c, body);
            return;
        }
        if (!c->retried_304) { /* cache evicted: ask again without a tag */
            c->retried_304 = true;
            fetch_start(c, c->kind, c->url);
            return;
        }
        fail_transient(c, "304 Not Modified for a page we do not have");
        return;
    }
    if (st == 429 ||
        ((st == 403 || st == 503) &&
         (c->hdr.retry_after_ms >= 0 || c->hdr.rl_remaining == 0 || says_rate_limit(res->body)))) {
        fail_rate_limited(c, st);
        return;
    }
    if (c->kind >= FETCH_DEPLOYS && (st == 401 || st == 403 || st == 404)) {
        deploys_unavailable(c, st);
        return;
    }
    if (st == 401 || (st == 403 && !c->token[0])) {
        fail_auth(c, st);
        return;
    }
    if (st >= 500) {
        char what[64];
        snprintf(what, sizeof(what), "HTTP %ld from the API", st);
        fail_transient(c, what);
        return;
    }
    if (st < 200 || st > 299) {
        char what[TEXT_LEN];
        not_ok_text(c, st, what, sizeof(what));
        project_error(c, "project %s: %s", what);
        return;
    }
    if (res->truncated) {
        project_error(c, "project %s: %s", "answer larger than the body cap");
        return;
    }
    c->fresh = true;
    if (c->hdr.etag[0])
        ci_cache_store(&c->cache, c->url, c->hdr.etag, res->body, res->body_len);
    take_page(c, res->body);
}

static void resume_fetch(void *ud)
{
    struct ci_client *c = ud;
    c->timer = NULL;
    c->held_until_ms = 0;
    c->rl_remaining = -1; /* a new window: the next answer tells */
    fetch_start(c, c->kind, c->url);
}

/* No budget left (or only the reserve): this request, and so every one
 * after it, waits for the reset, even in the middle of a cycle. */
static bool hold_for_reset(struct ci_client *c)
{
    int64_t now = loop_wall_ms();
    if (c->rl_remaining < 0 || c->rl_remaining > settings()->rate_reserve || c->rl_reset_ms <= now)
        return false;
    c->held_until_ms = c->rl_reset_ms + RESET_MARGIN_MS;
    if (c->held_until_ms - now > RETRY_AFTER_MAX_MS) /* a reset years away is a server bug */
        c->held_until_ms = now + RETRY_AFTER_MAX_MS;
    set_detail(c);
    if (c->timer)
        loop_timer_cancel(c->src->ctx.loop, c->timer);
    c->timer = loop_timer_start(c->src->ctx.loop, c->held_until_ms - now, resume_fetch, c);
    return true;
}

static void fetch_start(struct ci_client *c, enum fetch_kind kind, const char *url)
{
    c->kind = kind;
    if (url != c->url)
        STR_COPY(c->url, url);
    if (hold_for_reset(c))
        return;
    const char *headers[8];
    int n = 0;
    char inm[200];
    if (c->auth[0])
        headers[n++] = c->auth;
    for (int i = 0; c->cfg.prov->extra_headers && c->cfg.prov->extra_headers[i] && n < 5; i++)
        headers[n++] = c->cfg.prov->extra_headers[i];
    const char *etag = c->retried_304 ? NULL : ci_cache_etag(&c->cache, c->url);
    if (etag) {
        snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
        headers[n++] = inm;
    }
    headers[n] = NULL;
    memset(&c->hdr, 0, sizeof(c->hdr));
    c->hdr.rl_limit = c->hdr.rl_remaining = c->hdr.retry_after_ms = -1;
    struct http_opts o = {
        .url = c->url,
        .headers = headers,
        .timeout_ms = settings()->timeout_ms,
        .connect_timeout_ms = settings()->timeout_ms < 5000 ? settings()->timeout_ms : 5000,
        .max_body = 4u << 20, /* a page of 100 jobs is well under 1 MiB */
        .tls = &c->cfg.tls,
        .on_header = on_header,
        .on_done = on_done,
        .ud = c,
    };
    c->req = http_start(c->src->ctx.http, &o);
    if (!c->req)
        fail_transient(c, "could not start an HTTP request");
}

/* The first page of a paginated fetch. */
static void fetch_begin(struct ci_client *c, enum fetch_kind kind, const char *url)
{
    reset_fetch(c);
    c->pages = 0;
    c->fresh = false;
    c->retried_304 = false;
    STR_COPY(c->first_url, url);
    fetch_start(c, kind, url);
}

/* ------------------------------------------------------------------ cycle */

static int64_t json_id(const cJSON *item)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    return cJSON_IsNumber(id) ? num_to_i64(id->valuedouble) : 0;
}

static const struct pipeline *known_row(struct ci_client *c, int64_t id)
{
    char key[160];
    snprintf(key, sizeof(key), "%s:%s:%lld", c->cfg.prov->kind, c->cfg.projects[c->proj].id,
             (long long)id);
    return engine_get(c->src->ctx.engine, T_PIPELINES, key);
}

/* Finished pipelines we already hold need no jobs request unless the list changed. */
static bool needs_jobs(struct ci_client *c, const cJSON *item, int status)
{
    const struct pipeline *row = known_row(c, json_id(item));
    if (!row || job_status_active((enum job_status)status) || status < 0)
        return true;
    if (!c->list_fresh)
        return false;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(item, "updated_at");
    int64_t updated = time_rfc3339_or_zero(cJSON_GetStringValue(u));
    return row->status != (enum job_status)status || row->updated != updated;
}

static void apply_item(struct ci_client *c, const cJSON *item, const cJSON *jobs)
{
    char err[TEXT_LEN] = "";
    const char *project = c->cfg.projects[c->proj].id;
    if (c->cfg.prov->apply(c->src->ctx.engine, project, item, jobs, false, err, sizeof(err)) < 0) {
        c->project_errors++;
        snprintf(c->cycle_err, sizeof(c->cycle_err), "project %s: %s", project, err);
    }
}

static void start_jobs(struct ci_client *c, const cJSON *item)
{
    char url[URL_LEN];
    c->cfg.prov->jobs_url(c->cfg.api, c->cfg.projects[c->proj].id, json_id(item), url, sizeof(url));
    fetch_begin(c, FETCH_JOBS, url);
}

static void fetch_done(struct ci_client *c)
{
    if (c->kind == FETCH_LIST) {
        c->list = c->acc;
        c->acc = NULL;
        c->list_fresh = c->fresh;
        c->item = 0;
        start_deploys(c);
        return;
    }
    if (c->kind == FETCH_DEPLOYS || c->kind == FETCH_DEPLOY_STATUSES) {
        take_deploys(c);
        return;
    }
    const cJSON *item = cJSON_GetArrayItem(c->list, c->item);
    if (c->kind == FETCH_DETAIL) {
        c->detail_fresh = c->fresh;
        start_jobs(c, item);
        return;
    }
    if (c->kind == FETCH_JOBS && c->cfg.prov->bridges_url) {
        /* trigger jobs (child pipelines) are not in the jobs list: ask for them */
        c->jobs = c->acc ? c->acc : cJSON_CreateArray();
        c->acc = NULL;
        c->jobs_fresh = c->fresh;
        char url[URL_LEN];
        c->cfg.prov->bridges_url(c->cfg.api, c->cfg.projects[c->proj].id, json_id(item), url,
                                 sizeof(url));
        fetch_begin(c, FETCH_BRIDGES, url);
        return;
    }
    if (c->kind == FETCH_BRIDGES) {
        const cJSON *b;
        cJSON_ArrayForEach(b, c->acc) cJSON_AddItemToArray(c->jobs, cJSON_Duplicate(b, 1));
        reset_fetch(c);
        c->acc = c->jobs;
        c->jobs = NULL;
        c->fresh |= c->jobs_fresh;
    }
    const struct pipeline *row = known_row(c, json_id(item));
    if (c->fresh || c->list_fresh || c->detail_fresh || !row)
        apply_item(c, c->detail ? c->detail : item, c->acc);
    reset_fetch(c);
    cJSON_Delete(c->detail);
    c->detail = NULL;
    c->item++;
    next_item(c);
}

/* Rows of this project that fell out of the last N are removed. */
static void prune(struct ci_client *c, int count)
{
    struct engine *e = c->src->ctx.engine;
    struct table *t = engine_table(e, T_PIPELINES);
    const char *project = c->cfg.projects[c->proj].id;
    for (int i = t->count - 1; i >= 0; i--) {
        const struct pipeline *p = table_row(t, i);
        if (strcmp(p->provider, c->cfg.prov->kind) != 0 || strcmp(p->project, project) != 0)
            continue;
        bool listed = false;
        for (int k = 0; k < count && !listed; k++)
            listed = json_id(cJSON_GetArrayItem(c->list, k)) == p->id;
        if (!listed) {
            char key[sizeof(p->key)];
            STR_COPY(key, p->key);
            engine_remove(e, T_PIPELINES, key);
        }
    }
}

static int listed_count(const struct ci_client *c)
{
    int count = cJSON_GetArraySize(c->list);
    return count > settings()->last_n ? settings()->last_n : count;
}

/* The project's pipelines are all in: figures, then the next project. */
static void finish_project(struct ci_client *c)
{
    prune(c, listed_count(c));
    pipeline_update_stats(c->src->ctx.engine, c->cfg.prov->kind, c->cfg.projects[c->proj].id);
    cJSON_Delete(c->list);
    c->list = NULL;
    c->proj++;
    next_project(c);
}

/* Deployments before the pipelines' jobs: a pipeline that just deployed is
 * posted with the deploy already known, so the figures never go back. */
static void start_deploys(struct ci_client *c)
{
    if (!c->cfg.prov->deploys_url) {
        next_item(c);
        return;
    }
    char url[URL_LEN];
    c->cfg.prov->deploys_url(c->cfg.api, c->cfg.projects[c->proj].id, url, sizeof(url));
    fetch_begin(c, FETCH_DEPLOYS, url);
}

/* The deploy is known: from the API (d), or not (NULL: job names, and
 * note says why when the API refused). Before next_item, which may end the
 * cycle and report the note. */
static void deploys_known(struct ci_client *c, const struct ci_deploy *d, const char *note)
{
    pipeline_set_deploy(c->cfg.prov->kind, c->cfg.projects[c->proj].id, d);
    STR_COPY(c->deploy_note, note);
    cJSON_Delete(c->deploys);
    c->deploys = NULL;
    reset_fetch(c);
    next_item(c);
}

/* GitHub: the statuses of the next candidate, newest deployment first;
 * the first one with a finished status is the last deploy. */
static void next_deploy_status(struct ci_client *c)
{
    struct ci_deploy d;
    if (c->cfg.prov->last_deploy(c->deploys, pipeline_settings(), &d)) {
        deploys_known(c, &d, "");
        return;
    }
    char url[URL_LEN];
    int n = cJSON_GetArraySize(c->deploys);
    for (; c->deploy_i < n && c->deploy_asked < MAX_DEPLOY_STATUS; c->deploy_i++) {
        const cJSON *dep = cJSON_GetArrayItem(c->deploys, c->deploy_i);
        if (c->cfg.prov->deploy_statuses_url(c->cfg.api, c->cfg.projects[c->proj].id, dep,
                                             pipeline_settings(), url, sizeof(url))) {
            c->deploy_asked++;
            fetch_begin(c, FETCH_DEPLOY_STATUSES, url);
            return;
        }
    }
    deploys_known(c, NULL, "");
}

/* Deploys from the deployments API; job names stay the fallback. */
static void take_deploys(struct ci_client *c)
{
    if (c->cfg.prov->deploy_statuses_url) {
        if (c->kind == FETCH_DEPLOYS) {
            c->deploys = c->acc ? c->acc : cJSON_CreateArray();
            c->acc = NULL;
            c->deploy_i = c->deploy_asked = 0;
        } else {
            cJSON *dep = cJSON_GetArrayItem(c->deploys, c->deploy_i++);
            cJSON_AddItemToObject(dep, "statuses", c->acc ? c->acc : cJSON_CreateArray());
            c->acc = NULL;
        }
        next_deploy_status(c);
        return;
    }
    struct ci_deploy d;
    bool found = c->cfg.prov->last_deploy(c->acc, pipeline_settings(), &d);
    deploys_known(c, found ? &d : NULL, "");
}

static void deploys_unavailable(struct ci_client *c, long status)
{
    char note[sizeof(c->deploy_note)];
    snprintf(note, sizeof(note), "deploys from job names (deployments API: HTTP %ld)", status);
    deploys_known(c, NULL, note);
}

static void next_item(struct ci_client *c)
{
    int count = listed_count(c);
    for (; c->item < count; c->item++) {
        const cJSON *item = cJSON_GetArrayItem(c->list, c->item);
        int status = c->cfg.prov->item_status(item);
        if (status >= 0 && job_status_active((enum job_status)status))
            c->any_active = true;
        if (!json_id(item))
            continue;
        if (needs_jobs(c, item, status)) {
            c->detail_fresh = false;
            if (c->cfg.prov->detail_url) {
                char url[URL_LEN];
                c->cfg.prov->detail_url(c->cfg.api, c->cfg.projects[c->proj].id, json_id(item), url,
                                        sizeof(url));
                fetch_begin(c, FETCH_DETAIL, url);
            } else {
                start_jobs(c, item);
            }
            return;
        }
    }
    finish_project(c);
}

static int64_t next_delay(struct ci_client *c)
{
    const struct pipeline_settings *s = settings();
    int64_t delay = c->any_active ? s->fast_ms : s->slow_ms;
    /* Budget nearly spent: wait for the reset instead of hitting 429. */
    long reserve = c->rl_limit > 0 ? c->rl_limit / 20 : 5;
    if (reserve < 5)
        reserve = 5;
    if (c->rl_remaining >= 0 && c->rl_remaining < reserve && c->rl_reset_ms) {
        int64_t until = c->rl_reset_ms - loop_wall_ms();
        if (until > delay)
            delay = until;
    }
    return delay;
}

static void end_cycle(struct ci_client *c)
{
    backoff_ok(&c->backoff, loop_mono_ms());
    bool none_fresh = c->cfg.nprojects > 0 && c->projects_failed >= c->cfg.nprojects;
    /* Every project answered an error (404, bad JSON): nothing to show yet
     * is a failure (--once counts it); after some good cycle the old rows
     * stay, stale. Some projects read: synced, with the error. */
    enum source_state st = !none_fresh ? SRC_SYNCED : failed_state(c);
    c->ever_read |= !none_fresh;
    report(c, st, c->project_errors ? c->cycle_err : NULL);
    schedule(c, next_delay(c));
}

static void next_project(struct ci_client *c)
{
    if (c->proj >= c->cfg.nprojects) {
        end_cycle(c);
        return;
    }
    const struct ci_project_cfg *p = &c->cfg.projects[c->proj];
    int per_page = settings()->last_n < 100 ? settings()->last_n : 100;
    char url[URL_LEN];
    c->cfg.prov->list_url(c->cfg.api, p->id, p->ref, per_page, url, sizeof(url));
    fetch_begin(c, FETCH_LIST, url);
}

static void start_cycle(void *ud)
{
    struct ci_client *c = ud;
    c->timer = NULL;
    if (!c->token[0]) {
        char err[TEXT_LEN] = "";
        if (ci_read_token(c->cfg.token_file, c->cfg.prov->token_env, c->token, sizeof(c->token),
                          err, sizeof(err)) < 0) {
            report(c, SRC_FAILED, err);
            schedule(c, settings()->slow_ms);
            return;
        }
        c->auth[0] = 0;
        if (c->token[0])
            c->cfg.prov->auth_header(c->token, c->auth, sizeof(c->auth));
    }
    c->proj = 0;
    c->any_active = false;
    c->project_errors = 0;
    c->projects_failed = 0;
    c->cycle_err[0] = 0;
    next_project(c);
}

/* ----------------------------------------------------------------- source */

static int ci_start(struct source *s, char *err, size_t errlen)
{
    struct ci_client *c = s->priv;
    c->src = s;
    (void)err;
    (void)errlen;
    c->rl_limit = c->rl_remaining = -1;
    /* From `fast`, doubling to 5 min. A cycle cannot fail sooner than one
     * poll after a clean one, so one `fast` of health is a whole clean cycle. */
    const struct pipeline_settings *set = settings();
    struct backoff_policy bp = {.base_ms = set->fast_ms,
                                .cap_ms = set->backoff_max_ms,
                                .factor = 2,
                                .healthy_ms = set->fast_ms};
    backoff_init(&c->backoff, &bp, 0);
    pipeline_attach(s->ctx.engine, NULL);
    /* The first cycle reads the token; a bad token_file is reported there
     * and retried every `slow`, so fixing its mode needs no restart. */
    c->timer = loop_timer_start(s->ctx.loop, 0, start_cycle, c);
    return 0;
}

static void ci_stop(struct source *s)
{
    struct ci_client *c = s->priv;
    if (!c)
        return;
    if (c->timer)
        loop_timer_cancel(s->ctx.loop, c->timer);
    if (c->req)
        http_cancel(s->ctx.http, c->req);
    abort_cycle(c);
    ci_cache_free(&c->cache);
    secret_wipe(c->token, sizeof(c->token));
    secret_wipe(c->auth, sizeof(c->auth));
    free(c);
    s->priv = NULL;
}

struct source *ci_source_add(struct source_set *set, const struct source_ctx *ctx, const char *name,
                             const struct ci_client_cfg *cfg)
{
    /* One poller for every provider: the kind comes from the provider. */
    static const struct source_ops ops = {.kind = "ci", .start = ci_start, .stop = ci_stop};
    struct ci_client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cfg = *cfg;
    struct source *s = source_add_kind(set, &ops, cfg->prov->kind, name, ctx, c);
    if (!s)
        free(c);
    return s;
}
