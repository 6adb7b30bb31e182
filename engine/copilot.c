/* The copilot orchestrator: triggers, debounce and cache per fingerprint,
 * one request in flight, caps, retries, streaming into T_COPILOT, audit. */
#include "copilot.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "app.h"
#include "copilot_audit.h"
#include "copilot_context.h"
#include "copilot_offline.h"
#include "copilot_pseudo.h"
#include "redact.h"
#include "sha256.h"

#define ASKED_MAX       512
#define QUEUE_MAX       16
#define SENT_MAX        4096        /* request times kept for the hourly cap */
#define RAW_MAX         (64u << 10) /* answer bytes kept before rendering */
#define STREAM_MAX      (8u << 20)  /* bytes a stream may send in all */
#define ERRBODY_MAX     (64u << 10) /* error bodies are cut here */
#define UPSERT_EVERY_MS 100         /* streamed text reaches the table this often */
#define SOURCE_NAME     "copilot"

struct pending {
    struct copilot_subject subj;
    char id[32];
    char fp[96];
    int64_t due;
    bool manual;
};

struct call {
    struct copilot *c;
    struct pending p;
    struct buf url;
    struct buf body;
    char headers[LLM_MAX_HEADERS][LLM_HEADER_LEN];
    const char *hdrp[LLM_MAX_HEADERS + 2];
    struct pseudo_map *pm;
    struct redact_counts counts;
    char sha[65];
    struct llm_stream st;
    struct http_req *req;
    struct loop_timer *retry_timer;
    int attempt;
    long status;
    struct buf errbody;
    int64_t retry_after_ms; /* -1: none given */
    int should_retry;       /* -1 unknown, 0 no, 1 yes */
    char request_id[96];
    size_t stream_bytes;
    bool malformed;
    struct buf raw; /* the answer as the model wrote it (with aliases) */
    bool streamed;
    int64_t mono_start;
    int64_t last_upsert;
    struct copilot_answer ans;
};

struct copilot {
    struct engine *e;
    struct loop *loop;
    struct http *http;
    struct copilot_settings s;
    const struct llm_backend *be; /* NULL: offline analysis */
    struct redactor *red;
    struct {
        char fp[96];
        char id[32];
        int severity; /* what the last answer saw, for offline refreshes */
        int signals;
        int64_t answered;
    } asked[ASKED_MAX];
    int nasked;
    struct pending queue[QUEUE_MAX];
    int nqueue;
    struct call *call;
    int64_t sent[SENT_MAX];
    int nsent;
};

static struct copilot *current;

struct copilot *copilot_current(void)
{
    return current;
}

const char *copilot_backend_label(const struct copilot *c)
{
    return c->be ? c->be->name : COPILOT_OFFLINE_LABEL;
}

bool copilot_busy(const struct copilot *c)
{
    return c->call || c->nqueue;
}

void copilot_subject_id(const char *kind, const char *key, char *out, size_t outlen)
{
    if (strcmp(kind, "incident") == 0 && strlen(key) < 32) {
        str_copy(out, outlen, key);
        return;
    }
    struct buf b = {0};
    buf_printf(&b, "%s\n%s", kind, key);
    char hex[65];
    sha256_hex(buf_cstr(&b), b.len, hex);
    buf_free(&b);
    snprintf(out, outlen, "ask:%.12s", hex);
}

/* ---- the answer row ---- */

static void source_state(struct copilot *c, enum source_state st, const char *error)
{
    engine_source_state(c->e, SOURCE_NAME, "copilot", st, error);
}

/* Model text is untrusted: no control characters or escape sequences
 * (C0 but \n and \t, DEL, ESC, UTF-8 encoded C1). */
static void sanitize_into(char *dst, size_t dstlen, const char *src, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < dstlen; i++) {
        unsigned char ch = (unsigned char)src[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
            continue;
        if (ch == 0xc2 && i + 1 < len && (unsigned char)src[i + 1] >= 0x80 &&
            (unsigned char)src[i + 1] <= 0x9f) {
            i++;
            continue;
        }
        dst[j++] = (char)ch;
    }
    /* never end in the middle of a UTF-8 sequence */
    size_t k = j;
    while (k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0x80)
        k--;
    if (k > 0 && ((unsigned char)dst[k - 1] & 0x80)) {
        unsigned char lead = (unsigned char)dst[k - 1];
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (j - (k - 1) < need)
            j = k - 1;
    }
    dst[j] = 0;
}

static void set_text(struct copilot_answer *a, const char *s, size_t len)
{
    sanitize_into(a->text, sizeof(a->text), s, len);
}

static void upsert(struct copilot *c, const struct copilot_answer *a)
{
    engine_upsert(c->e, T_COPILOT, a);
}

static void answer_init(struct copilot *c, struct copilot_answer *a, const char *id)
{
    memset(a, 0, sizeof(*a));
    STR_COPY(a->incident, id);
    STR_COPY(a->backend, copilot_backend_label(c));
    if (c->be)
        STR_COPY(a->model, c->s.llm.model);
    a->started = engine_now(c->e);
}

/* The offline analysis as the whole answer, or after a failure note. */
static void answer_offline(struct copilot *c, struct copilot_answer *a,
                           const struct copilot_subject *subj, const char *note)
{
    struct buf b = {0};
    if (note)
        buf_printf(&b, "_%s Offline analysis follows._\n\n", note);
    copilot_offline_analysis(c->e, subj, &b);
    set_text(a, buf_cstr(&b), b.len);
    buf_free(&b);
}

/* ---- audit ---- */

static void audit(struct copilot *c, struct call *k, const char *outcome, const char *error)
{
    struct buf red = {0};
    redact_counts_json(c->red, &k->counts, &red);
    struct buf url = {0};
    const char *u = buf_cstr(&k->url);
    buf_append(&url, u, strcspn(u, "?"));
    struct copilot_audit_rec r = {
        .time = engine_now(c->e),
        .backend = c->be ? c->be->name : COPILOT_OFFLINE_LABEL,
        .model = c->s.llm.model,
        .incident = k->p.id,
        .fingerprint = k->p.fp,
        .url = buf_cstr(&url),
        .prompt_bytes = k->body.len,
        .prompt_sha256 = k->sha,
        .redactions = buf_cstr(&red),
        .redactions_total = k->counts.total,
        .pseudonyms = k->pm ? k->pm->n : 0,
        .tokens_in = k->st.tokens_in,
        .tokens_out = k->st.tokens_out,
        .latency_ms = k->mono_start ? loop_mono_ms() - k->mono_start : 0,
        .outcome = outcome,
        .error = error,
        .status = k->status,
        .attempts = k->attempt,
        .request_id = k->request_id,
        .full_text = c->s.audit_full_text ? buf_cstr(&k->body) : NULL,
    };
    char err[300];
    if (copilot_audit_append(c->s.audit_path, &r, err, sizeof(err)) < 0)
        fprintf(stderr, "lookout: copilot: %s\n", err);
    buf_free(&red);
    buf_free(&url);
}

/* ---- request lifecycle ---- */

static void process_queue(struct copilot *c);
static int send_attempt(struct call *k);

static void call_free(struct call *k)
{
    if (!k)
        return;
    if (k->req)
        http_cancel(k->c->http, k->req);
    if (k->retry_timer)
        loop_timer_cancel(k->c->loop, k->retry_timer);
    llm_stream_free(&k->st);
    buf_free(&k->url);
    buf_free(&k->body);
    buf_free(&k->errbody);
    buf_free(&k->raw);
    explicit_bzero(k->headers, sizeof(k->headers));
    free(k->pm);
    free(k);
}

static void render(struct call *k)
{
    if (k->pm && k->pm->n) {
        struct buf shown = {0};
        pseudo_restore(k->pm, buf_cstr(&k->raw), k->raw.len, &shown);
        set_text(&k->ans, buf_cstr(&shown), shown.len);
        buf_free(&shown);
    } else {
        set_text(&k->ans, buf_cstr(&k->raw), k->raw.len);
    }
}

/* Error text from a server can echo secrets (a 401 repeats part of the key). */
static void redacted(struct copilot *c, const char *in, char *out, size_t outlen)
{
    struct buf b = {0};
    redact_text(c->red, in, strlen(in), &b, NULL);
    sanitize_into(out, outlen, buf_cstr(&b), b.len);
    buf_free(&b);
}

static void finish(struct call *k, const char *outcome, const char *error)
{
    struct copilot *c = k->c;
    k->req = NULL;
    k->ans.finished = engine_now(c->e);
    k->ans.tokens_in = k->st.tokens_in;
    k->ans.tokens_out = k->st.tokens_out;
    if (error && *error)
        STR_COPY(k->ans.error, error);
    upsert(c, &k->ans);
    audit(c, k, outcome, error);
    bool failed = strcmp(outcome, "ok") != 0 && strcmp(outcome, "incomplete") != 0;
    source_state(c, failed ? SRC_FAILED : SRC_SYNCED, failed ? error : NULL);
    c->call = NULL;
    call_free(k);
    process_queue(c);
}

static void fail(struct call *k, const char *error)
{
    struct copilot *c = k->c;
    if (k->streamed) {
        /* keep what arrived: it is still the best we have */
        render(k);
        k->ans.state = COP_DONE;
        k->ans.incomplete = true;
        finish(k, "incomplete", error);
        return;
    }
    k->ans.state = COP_ERROR;
    char note[TEXT_LEN + 64];
    snprintf(note, sizeof(note), "The %s request failed: %s.", c->be->name, error);
    answer_offline(c, &k->ans, &k->p.subj, note);
    finish(k, "error", error);
}

static void on_text(const char *s, size_t n, void *ud)
{
    struct call *k = ud;
    if (k->raw.len + n > RAW_MAX)
        n = RAW_MAX - k->raw.len;
    buf_append(&k->raw, s, n);
    k->streamed = true;
}

static bool status_ok(long st)
{
    return st >= 200 && st < 300;
}

static void on_header(const char *name, const char *value, void *ud)
{
    struct call *k = ud;
    if (!strncmp(name, "HTTP/", 5)) {
        const char *sp = strchr(name, ' ');
        k->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        return;
    }
    if (http_header_is(name, "retry-after-ms")) {
        k->retry_after_ms = (int64_t)strtod(value, NULL);
    } else if (http_header_is(name, "retry-after") && k->retry_after_ms < 0) {
        char *end;
        double s = strtod(value, &end);
        if (end != value && *end == 0) {
            k->retry_after_ms = (int64_t)(s * 1000);
        } else {
            struct tm tm = {0};
            if (strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
                int64_t when = (int64_t)timegm(&tm) * 1000;
                k->retry_after_ms = when - loop_wall_ms();
            }
        }
    } else if (http_header_is(name, "x-should-retry")) {
        k->should_retry = !strcasecmp(value, "true") ? 1 : !strcasecmp(value, "false") ? 0 : -1;
    } else if (http_header_is(name, "x-request-id") || http_header_is(name, "request-id")) {
        STR_COPY(k->request_id, value);
    }
}

static bool on_data(const char *buf, size_t len, void *ud)
{
    struct call *k = ud;
    struct copilot *c = k->c;
    if (!status_ok(k->status)) {
        size_t room = ERRBODY_MAX - k->errbody.len;
        buf_append(&k->errbody, buf, len < room ? len : room);
        return len <= room; /* a huge error body is cut, not buffered */
    }
    k->stream_bytes += len;
    if (k->stream_bytes > STREAM_MAX || llm_stream_feed(&k->st, c->be, buf, len) < 0) {
        k->malformed = true;
        return false;
    }
    if (k->streamed) {
        int64_t now = loop_mono_ms();
        if (k->ans.state != COP_STREAMING || now - k->last_upsert >= UPSERT_EVERY_MS) {
            k->ans.state = COP_STREAMING;
            k->ans.tokens_in = k->st.tokens_in;
            render(k);
            upsert(c, &k->ans);
            k->last_upsert = now;
        }
    }
    return true;
}

static int64_t backoff_ms(int attempt)
{
    double base = 500.0;
    for (int i = 0; i < attempt; i++)
        base *= 2;
    if (base > 8000)
        base = 8000;
    uint16_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
        r = (uint16_t)(loop_mono_ms() & 0xffff);
    return (int64_t)(base * (1.0 - 0.25 * (r / 65535.0)));
}

static void on_retry_timer(void *ud)
{
    struct call *k = ud;
    k->retry_timer = NULL;
    if (send_attempt(k) < 0)
        fail(k, "cannot start the HTTP request");
}

/* The SDKs' policy: x-should-retry wins; else 408, 409, 429 (not a quota),
 * 5xx (Anthropic 529 too) and connection errors. Never after tokens arrived. */
static bool retryable(struct call *k, const char *type)
{
    if (k->streamed || k->attempt > k->c->s.max_retries)
        return false;
    if (k->should_retry >= 0)
        return k->should_retry == 1;
    if (strstr(type, "insufficient_quota") || strstr(type, "billing"))
        return false;
    long s = k->status;
    if (s == 0)
        return true;
    if (status_ok(s)) /* an error event inside a 200 stream */
        return strstr(type, "overloaded") || strstr(type, "rate_limit") ||
               strstr(type, "api_error") || strstr(type, "server_error");
    return s == 408 || s == 409 || s == 429 || s >= 500;
}

static void schedule_retry(struct call *k, const char *why)
{
    struct copilot *c = k->c;
    int64_t delay = k->retry_after_ms > 0 && k->retry_after_ms <= c->s.retry_after_cap_ms
                        ? k->retry_after_ms
                        : backoff_ms(k->attempt - 1);
    snprintf(k->ans.error, sizeof(k->ans.error), "%s; retry %d/%d in %.1f s", why, k->attempt,
             c->s.max_retries, delay / 1000.0);
    k->ans.state = COP_WAITING;
    upsert(c, &k->ans);
    k->retry_timer = loop_timer_start(c->loop, delay, on_retry_timer, k);
}

static void describe_http_error(struct call *k, const char *type, const char *msg, char *out,
                                size_t outlen)
{
    const char *be = k->c->be->name;
    long s = k->status;
    if (s == 401 || s == 403)
        snprintf(out, outlen, "check the API key for %s (HTTP %ld: %s)", be, s, msg);
    else if (s == 429 && (strstr(type, "insufficient_quota") || strstr(type, "billing")))
        snprintf(out, outlen, "%s quota exhausted (%s): check billing; not retried", be, type);
    else if (s == 429)
        snprintf(out, outlen, "rate limited by %s (HTTP 429: %s)", be, msg);
    else
        snprintf(out, outlen, "%s answered HTTP %ld%s%s%s%s", be, s, type[0] ? " " : "", type,
                 msg[0] ? ": " : "", msg);
}

static void on_done(const struct http_result *res, void *ud)
{
    struct call *k = ud;
    struct copilot *c = k->c;
    k->req = NULL;
    if (res->status)
        k->status = res->status;
    char type[64] = "", msg[TEXT_LEN] = "", raw[TEXT_LEN], why[TEXT_LEN + 128];
    if (status_ok(k->status)) {
        llm_stream_finish(&k->st, c->be);
        render(k);
        if (k->st.failed) {
            STR_COPY(type, k->st.error_type);
            redacted(c, k->st.error, msg, sizeof(msg));
            snprintf(why, sizeof(why), "%s stream error %s: %s", c->be->name, type, msg);
            if (retryable(k, type))
                return schedule_retry(k, why);
            return fail(k, why);
        }
        if (llm_stream_complete(&k->st)) {
            k->ans.state = COP_DONE;
            k->ans.error[0] = 0;
            if (!strcmp(k->st.stop_reason, "length") || !strcmp(k->st.stop_reason, "max_tokens")) {
                /* the per-request token cap cut the answer: say so */
                k->ans.incomplete = true;
                snprintf(why, sizeof(why), "answer cut at the token cap (copilot.max_tokens %d)",
                         c->s.llm.max_tokens);
                return finish(k, "incomplete", why);
            }
            return finish(k, "ok", NULL);
        }
        if (k->malformed)
            snprintf(why, sizeof(why), "the %s stream was malformed or too large; cut",
                     c->be->name);
        else if (res->curl_code != CURLE_OK)
            snprintf(why, sizeof(why), "stream interrupted: %s", res->error);
        else
            snprintf(why, sizeof(why), "stream ended early (truncated)");
        if (!k->streamed && retryable(k, ""))
            return schedule_retry(k, why);
        if (k->streamed)
            return fail(k, why);
        return fail(k, why);
    }
    if (k->status == 0) {
        redacted(c, res->error, msg, sizeof(msg));
        snprintf(why, sizeof(why), "cannot reach %s: %s", c->be->name, msg);
        if (retryable(k, ""))
            return schedule_retry(k, why);
        return fail(k, why);
    }
    llm_parse_error(buf_cstr(&k->errbody), k->errbody.len, type, sizeof(type), raw, sizeof(raw));
    redacted(c, raw, msg, sizeof(msg));
    describe_http_error(k, type, msg, why, sizeof(why));
    if (retryable(k, type))
        return schedule_retry(k, why);
    fail(k, why);
}

static int send_attempt(struct call *k)
{
    struct copilot *c = k->c;
    k->attempt++;
    k->status = 0;
    k->retry_after_ms = -1;
    k->should_retry = -1;
    k->stream_bytes = 0;
    k->malformed = false;
    buf_reset(&k->errbody);
    llm_stream_free(&k->st);
    k->st.on_text = on_text;
    k->st.ud = k;
    llm_stream_init(&k->st, c->be);
    struct http_opts o = {
        .method = "POST",
        .url = buf_cstr(&k->url),
        .headers = k->hdrp,
        .body = buf_cstr(&k->body),
        .body_len = k->body.len,
        .connect_timeout_ms = c->s.connect_timeout_ms,
        .timeout_ms = c->s.total_timeout_ms,
        .idle_timeout_ms = c->s.idle_timeout_ms,
        .on_data = on_data,
        .on_header = on_header,
        .on_done = on_done,
        .ud = k,
    };
    k->req = http_start(c->http, &o);
    return k->req ? 0 : -1;
}

/* ---- building what is sent ---- */

/* Redact, then pseudonymise (aliases for the names as they read after
 * redaction), build the body, and redact the body once more as a net. */
static int prepare(struct call *k, char *err, size_t errlen)
{
    struct copilot *c = k->c;
    struct copilot_prompt pr;
    if (c->s.pseudonymize)
        k->pm = calloc(1, sizeof(*k->pm));
    if (copilot_context_build(c->e, &k->p.subj, (size_t)c->s.max_prompt_tokens * 4, k->pm, &pr) <
        0) {
        snprintf(err, errlen, "no %s '%s' to ask about", k->p.subj.kind, k->p.subj.key);
        return -1;
    }
    struct buf user = {0}, sys = {0}, tmp = {0};
    redact_text(c->red, buf_cstr(&pr.user), pr.user.len, &tmp, &k->counts);
    redact_text(c->red, buf_cstr(&pr.system), pr.system.len, &sys, &k->counts);
    if (k->pm) {
        for (int i = 0; i < k->pm->n; i++) {
            struct buf nm = {0};
            redact_text(c->red, k->pm->e[i].real, strlen(k->pm->e[i].real), &nm, NULL);
            STR_COPY(k->pm->e[i].match, buf_cstr(&nm));
            buf_free(&nm);
        }
        pseudo_apply(k->pm, buf_cstr(&tmp), tmp.len, &user);
    } else {
        buf_append(&user, buf_cstr(&tmp), tmp.len);
    }
    int n = 0;
    struct buf body = {0};
    int rc =
        c->be->build(&c->s.llm, buf_cstr(&sys), buf_cstr(&user), &k->url, k->headers, &n, &body);
    for (int i = 0; i < n; i++)
        k->hdrp[i] = k->headers[i];
    k->hdrp[n] = "Expect:"; /* no 100-continue round trip before the body */
    k->hdrp[n + 1] = NULL;
    if (rc == 0 && redact_text(c->red, buf_cstr(&body), body.len, &k->body, &k->counts) > 0) {
        cJSON *check = cJSON_ParseWithLength(buf_cstr(&k->body), k->body.len);
        if (!check) {
            snprintf(err, errlen, "redaction broke the request body; not sent");
            rc = -1;
        }
        cJSON_Delete(check);
    }
    sha256_hex(buf_cstr(&k->body), k->body.len, k->sha);
    buf_free(&body);
    buf_free(&user);
    buf_free(&sys);
    buf_free(&tmp);
    copilot_prompt_free(&pr);
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "cannot build the request");
    return rc;
}

static int sent_last_hour(struct copilot *c)
{
    int64_t since = engine_now(c->e) - 3600 * 1000LL;
    int n = 0;
    for (int i = 0; i < c->nsent; i++)
        n += c->sent[i] > since;
    return n;
}

static void note_sent(struct copilot *c)
{
    if (c->nsent == SENT_MAX) {
        memmove(c->sent, c->sent + 1, sizeof(c->sent[0]) * (SENT_MAX - 1));
        c->nsent--;
    }
    c->sent[c->nsent++] = engine_now(c->e);
}

static void answer_now_offline(struct copilot *c, const struct pending *p)
{
    struct copilot_answer *a = calloc(1, sizeof(*a));
    if (!a)
        return;
    answer_init(c, a, p->id);
    answer_offline(c, a, &p->subj, NULL);
    a->state = COP_DONE;
    a->finished = engine_now(c->e);
    upsert(c, a);
    free(a);
}

static void start(struct copilot *c, const struct pending *p)
{
    if (!c->be) {
        answer_now_offline(c, p);
        return;
    }
    struct call *k = calloc(1, sizeof(*k));
    if (!k)
        return;
    k->c = c;
    k->p = *p;
    answer_init(c, &k->ans, p->id);
    k->ans.state = COP_WAITING;
    char err[TEXT_LEN] = "";
    if (c->s.setup_error[0]) {
        k->ans.state = COP_ERROR;
        answer_offline(c, &k->ans, &p->subj, "The copilot backend is not usable.");
        STR_COPY(k->ans.error, c->s.setup_error);
        k->ans.finished = engine_now(c->e);
        upsert(c, &k->ans);
        call_free(k);
        return;
    }
    int used = sent_last_hour(c);
    if (used >= c->s.max_requests_per_hour) {
        k->ans.state = COP_CAPPED;
        snprintf(err, sizeof(err),
                 "copilot paused: %d requests in the last hour reached the cap "
                 "(copilot.max_requests_per_hour)",
                 used);
        answer_offline(c, &k->ans, &p->subj, "The copilot request cap stopped this call.");
        c->call = k;
        finish(k, "capped", err);
        return;
    }
    c->call = k;
    if (prepare(k, err, sizeof(err)) < 0) {
        k->ans.state = COP_ERROR;
        answer_offline(c, &k->ans, &p->subj, "The request was not sent.");
        finish(k, "blocked", err);
        return;
    }
    note_sent(c);
    k->mono_start = loop_mono_ms();
    upsert(c, &k->ans);
    source_state(c, SRC_STARTING, NULL);
    if (send_attempt(k) < 0)
        fail(k, "cannot start the HTTP request");
}

/* ---- triggers ---- */

static int asked_index(struct copilot *c, const char *fp)
{
    for (int i = 0; i < c->nasked; i++)
        if (strcmp(c->asked[i].fp, fp) == 0)
            return i;
    return -1;
}

static void remember(struct copilot *c, const char *fp, const char *id)
{
    if (c->nasked == ASKED_MAX) {
        memmove(c->asked, c->asked + 1, sizeof(c->asked[0]) * (ASKED_MAX - 1));
        c->nasked--;
    }
    memset(&c->asked[c->nasked], 0, sizeof(c->asked[0]));
    STR_COPY(c->asked[c->nasked].fp, fp);
    STR_COPY(c->asked[c->nasked].id, id);
    c->asked[c->nasked].answered = engine_now(c->e);
    c->nasked++;
}

static bool queued(struct copilot *c, const char *id)
{
    for (int i = 0; i < c->nqueue; i++)
        if (strcmp(c->queue[i].id, id) == 0)
            return true;
    return c->call && strcmp(c->call->p.id, id) == 0;
}

static int enqueue(struct copilot *c, const struct pending *p, bool front)
{
    if (queued(c, p->id))
        return 0;
    if (c->nqueue == QUEUE_MAX)
        return -1;
    if (front) {
        memmove(c->queue + 1, c->queue, sizeof(c->queue[0]) * (size_t)c->nqueue);
        c->queue[0] = *p;
    } else {
        c->queue[c->nqueue] = *p;
    }
    c->nqueue++;
    /* asked by hand: show "waiting" at once; automatic ones appear when sent */
    if (c->be && p->manual && !engine_get(c->e, T_COPILOT, p->id)) {
        struct copilot_answer *a = calloc(1, sizeof(*a));
        if (a) {
            answer_init(c, a, p->id);
            a->state = COP_WAITING;
            upsert(c, a);
            free(a);
        }
    }
    return 0;
}

/* An SLO page or kernel hit that an open incident already covers is
 * answered through that incident. */
static bool covered_by_incident(struct copilot *c, const struct pending *p)
{
    if (strcmp(p->subj.kind, "incident") == 0 && !p->manual) {
        /* merged into another incident (and removed) or resolved meanwhile */
        const struct incident *inc = engine_get(c->e, T_INCIDENTS, p->subj.key);
        return !inc || inc->state != INC_OPEN;
    }
    if (p->manual)
        return false;
    char service[NAME_LEN] = "";
    int64_t ref;
    const struct k8s_pod *pod = NULL;
    if (strcmp(p->subj.kind, "slo") == 0)
        copilot_subject_service(c->e, &p->subj, service, sizeof(service), &ref);
    else if (strcmp(p->subj.kind, "kevent") == 0)
        pod = engine_get(c->e, T_PODS, p->subj.key);
    struct table *t = engine_table(c->e, T_INCIDENTS);
    for (int i = 0; i < t->count; i++) {
        const struct incident *inc = table_row(t, i);
        if (inc->state != INC_OPEN)
            continue;
        if (service[0] && strcmp(inc->service, service) == 0)
            return true;
        if (pod && copilot_pod_in_service(c->e, pod, inc->service))
            return true;
        for (int j = 0; j < inc->ntimeline && p->subj.key[0]; j++)
            if (!strcmp(inc->timeline[j].kind, "kernel") &&
                strstr(inc->timeline[j].text, p->subj.key))
                return true;
    }
    return false;
}

static void process_queue(struct copilot *c)
{
    int64_t now = engine_now(c->e);
    for (int i = 0; i < c->nqueue && !c->call;) {
        if (c->queue[i].due > now) {
            i++;
            continue;
        }
        struct pending p = c->queue[i];
        memmove(c->queue + i, c->queue + i + 1, sizeof(c->queue[0]) * (size_t)(c->nqueue - i - 1));
        c->nqueue--;
        if (covered_by_incident(c, &p))
            continue;
        start(c, &p);
    }
}

/* An incident merged into another one is removed: so is its answer. */
static void drop_orphans(struct copilot *c)
{
    struct table *t = engine_table(c->e, T_COPILOT);
    for (int i = t->count - 1; i >= 0; i--) {
        const struct copilot_answer *a = table_row(t, i);
        if (!strncmp(a->incident, "ask:", 4) || engine_get(c->e, T_INCIDENTS, a->incident) ||
            queued(c, a->incident))
            continue;
        char id[sizeof(a->incident)];
        STR_COPY(id, a->incident);
        engine_remove(c->e, T_COPILOT, id);
    }
}

static void tick(struct engine *e, int64_t now, void *ud)
{
    (void)e;
    (void)now;
    process_queue(ud);
    drop_orphans(ud);
}

/* A fingerprint seen again under a new incident id gets the cached answer. */
static void reuse_answer(struct copilot *c, int idx, const char *id)
{
    const struct copilot_answer *old = engine_get(c->e, T_COPILOT, c->asked[idx].id);
    if (!old || strcmp(c->asked[idx].id, id) == 0 || engine_get(c->e, T_COPILOT, id))
        return;
    struct copilot_answer *a = malloc(sizeof(*a));
    if (!a)
        return;
    *a = *old;
    STR_COPY(a->incident, id);
    upsert(c, a);
    free(a);
}

/* Offline analysis costs nothing: it follows the incident as it grows
 * (severity or signals changed), at most once per group_wait. */
static void refresh_offline(struct copilot *c, int idx, const struct incident *inc)
{
    int64_t now = engine_now(c->e);
    int64_t every = c->s.group_wait_ms > 5000 ? c->s.group_wait_ms : 5000;
    if (c->be || strcmp(c->asked[idx].id, inc->id) != 0 || now - c->asked[idx].answered < every ||
        (c->asked[idx].severity == (int)inc->severity && c->asked[idx].signals == inc->signals))
        return;
    c->asked[idx].severity = (int)inc->severity;
    c->asked[idx].signals = inc->signals;
    c->asked[idx].answered = now;
    struct pending p = {.due = now};
    STR_COPY(p.subj.kind, "incident");
    STR_COPY(p.subj.key, inc->id);
    STR_COPY(p.id, inc->id);
    STR_COPY(p.fp, c->asked[idx].fp);
    enqueue(c, &p, false);
}

static void trigger(struct copilot *c, const char *kind, const char *key, const char *fp)
{
    int idx = asked_index(c, fp);
    struct pending p = {.due = engine_now(c->e) + c->s.group_wait_ms};
    copilot_subject_id(kind, key, p.id, sizeof(p.id));
    if (idx >= 0) {
        if (strcmp(kind, "incident") == 0)
            reuse_answer(c, idx, p.id);
        return;
    }
    STR_COPY(p.subj.kind, kind);
    STR_COPY(p.subj.key, key);
    STR_COPY(p.fp, fp);
    remember(c, fp, p.id);
    enqueue(c, &p, false);
}

static void observe(struct engine *e, int table, const void *obj, void *ud)
{
    struct copilot *c = ud;
    if (!obj || e->replaying || !c->s.auto_trigger)
        return;
    char fp[96];
    if (table == T_INCIDENTS) {
        const struct incident *inc = obj;
        if (inc->state != INC_OPEN)
            return;
        const char *ifp = inc->fingerprint[0] ? inc->fingerprint : inc->id;
        int idx = asked_index(c, ifp);
        if (idx >= 0) {
            /* known fingerprint, whatever its severity now: cache, no new call */
            refresh_offline(c, idx, inc);
            trigger(c, "incident", inc->id, ifp);
            return;
        }
        if ((int)inc->severity < c->s.trigger_severity)
            return;
        trigger(c, "incident", inc->id, ifp);
    } else if (table == T_SLOS) {
        const struct slo *s = obj;
        if (s->alert != ALERT_PAGE)
            return;
        snprintf(fp, sizeof(fp), "page:%.90s", s->name);
        trigger(c, "slo", s->name, fp);
    } else if (table == OBS_KEVENT) {
        const struct kevent *k = obj;
        if (k->severity != SEV_CRITICAL || !k->rule[0])
            return;
        snprintf(fp, sizeof(fp), "kernel:%.40s:%.46s", k->rule, k->pod[0] ? k->pod : k->node);
        trigger(c, "kevent", k->pod[0] ? k->pod : k->node, fp);
    }
}

int copilot_ask(struct copilot *c, const char *subject_kind, const char *subject_key, char *err,
                size_t errlen)
{
    if (!c) {
        snprintf(err, errlen, "the copilot is not running");
        return -1;
    }
    struct pending p = {.due = engine_now(c->e), .manual = true};
    static const char *const plural[][2] = {{"incidents", "incident"}, {"slos", "slo"},
                                            {"pods", "pod"},           {"nodes", "node"},
                                            {"services", "service"},   {"kevents", "kevent"},
                                            {"pipelines", "pipeline"}};
    for (size_t i = 0; i < sizeof(plural) / sizeof(plural[0]); i++)
        if (strcmp(subject_kind, plural[i][0]) == 0)
            subject_kind = plural[i][1];
    STR_COPY(p.subj.kind, subject_kind);
    STR_COPY(p.subj.key, subject_key);
    copilot_subject_id(subject_kind, subject_key, p.id, sizeof(p.id));
    snprintf(p.fp, sizeof(p.fp), "ask:%s", p.id);
    if (c->call && strcmp(c->call->p.id, p.id) == 0) {
        snprintf(err, errlen, "already asking about this");
        return -1;
    }
    for (int i = 0; i < c->nqueue; i++)
        if (strcmp(c->queue[i].id, p.id) == 0) {
            c->queue[i].due = p.due; /* asked by hand: no more waiting */
            process_queue(c);
            return 0;
        }
    if (enqueue(c, &p, true) < 0) {
        snprintf(err, errlen, "too many questions queued");
        return -1;
    }
    process_queue(c);
    return 0;
}

/* ---- setup ---- */

struct copilot *copilot_new(struct engine *e, struct loop *l, struct http *h,
                            const struct copilot_settings *s, char *err, size_t errlen)
{
    struct copilot *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->e = e;
    c->loop = l;
    c->http = h;
    c->s = *s;
    c->be = s->llm.backend[0] ? llm_backend_find(s->llm.backend) : NULL;
    c->red = redactor_new(err, errlen);
    for (int i = 0; c->red && i < s->nuser_rules; i++)
        if (redactor_add(c->red, s->user_rules[i].name, s->user_rules[i].pattern, err, errlen) <
            0) {
            redactor_free(c->red);
            c->red = NULL;
        }
    if (!c->red) {
        copilot_settings_clear(&c->s);
        free(c);
        return NULL;
    }
    engine_observe(e, observe, c);
    engine_add_hook(e, "copilot", 1000, tick, c);
    if (c->be)
        source_state(c, c->s.setup_error[0] ? SRC_FAILED : SRC_SYNCED, c->s.setup_error);
    return c;
}

void copilot_free(struct copilot *c)
{
    if (!c)
        return;
    call_free(c->call);
    redactor_free(c->red);
    copilot_settings_clear(&c->s);
    if (current == c)
        current = NULL;
    free(c);
}

int copilot_attach(struct app *a, char *err, size_t errlen)
{
    struct copilot_settings *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = copilot_settings_load(&a->config, a->opt.copilot, s, err, errlen);
    if (rc == 0) {
        current = copilot_new(&a->engine, a->loop, a->http, s, err, errlen);
        rc = current ? 0 : -1;
    }
    copilot_settings_clear(s);
    free(s);
    return rc;
}
