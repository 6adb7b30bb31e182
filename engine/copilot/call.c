/* One copilot request, from a queued subject to the answer row: redact and
 * pseudonymise the context, send it, stream the reply into T_COPILOT, retry
 * as the SDKs do, fall back to the offline analysis, and audit every call. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "copilot/audit.h"
#include "copilot/context.h"
#include "copilot/offline.h"
#include "copilot/priv.h"
#include "copilot/pseudo.h"
#include "base/backoff.h"
#include "base/retry_after.h"
#include "base/secret.h"
#include "base/textsafe.h"
#include "base/sha256.h"

#define RAW_MAX         (64u << 10) /* answer bytes kept before rendering */
#define STREAM_MAX      (8u << 20)  /* bytes a stream may send in all */
#define ERRBODY_MAX     (64u << 10) /* error bodies are cut here */
#define UPSERT_EVERY_MS 100         /* streamed text reaches the table this often */
#define SOURCE_NAME     "copilot"

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
    int64_t retry_after_ms; /* -1: none given; clamped to retry_after_cap_ms + 1 */
    struct backoff backoff;
    int should_retry; /* -1 unknown, 0 no, 1 yes */
    char request_id[96];
    size_t stream_bytes;
    bool malformed;
    struct buf raw; /* the answer as the model wrote it (with aliases) */
    bool streamed;
    int64_t mono_start;
    int64_t last_upsert;
    struct copilot_answer ans;
};

const char *copilot_call_id(const struct call *k)
{
    return k->p.id;
}

/* ---- the answer row ---- */

void copilot_source_state(struct copilot *c, enum source_state st, const char *error)
{
    engine_source_state(c->e, SOURCE_NAME, "copilot", st, error);
}

/* Model text is untrusted: it goes through the one sanitiser (controls,
 * bidi, zero-width and tag characters shown as <U+XXXX>), keeping lines, and
 * is cut to dst on a whole character. */
static void sanitize_into(char *dst, size_t dstlen, const char *src, size_t len)
{
    struct buf b = {0};
    ts_sanitize_buf(src, len, &b, TS_KEEP_NEWLINES);
    size_t j = b.len < dstlen ? b.len : dstlen - 1;
    memcpy(dst, buf_cstr(&b), j);
    buf_free(&b);
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

void copilot_upsert(struct copilot *c, const struct copilot_answer *a)
{
    engine_upsert(c->e, T_COPILOT, a);
}

void copilot_answer_init(struct copilot *c, struct copilot_answer *a, const char *id)
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

void copilot_process_queue(struct copilot *c);
static int send_attempt(struct call *k);

void copilot_call_free(struct call *k)
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
    secret_wipe(k->headers, sizeof(k->headers));
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
static void redacted(const char *in, char *out, size_t outlen)
{
    char tmp[TEXT_LEN];
    size_t n = redact_field(tmp, sizeof(tmp) < outlen ? sizeof(tmp) : outlen, in, strlen(in));
    sanitize_into(out, outlen, tmp, n);
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
    copilot_upsert(c, &k->ans);
    audit(c, k, outcome, error);
    bool failed = strcmp(outcome, "ok") != 0 && strcmp(outcome, "incomplete") != 0;
    copilot_source_state(c, failed ? SRC_FAILED : SRC_SYNCED, failed ? error : NULL);
    c->call = NULL;
    copilot_call_free(k);
    copilot_process_queue(c);
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
    /* Clamped one past the cap: a longer wait stays recognisable (it falls
     * back to backoff) and no server value reaches an integer unclamped. */
    int64_t ceiling = k->c->s.retry_after_cap_ms + 1, ms;
    if (http_header_is(name, "retry-after-ms")) {
        if (retry_after_ms_parse(value, 0, ceiling, &ms, NULL, 0) == 0)
            k->retry_after_ms = ms;
    } else if (http_header_is(name, "retry-after") && k->retry_after_ms < 0) {
        if (retry_after_parse(value, loop_wall_ms(), 0, ceiling, &ms, NULL, 0) == 0)
            k->retry_after_ms = ms;
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
            copilot_upsert(c, &k->ans);
            k->last_upsert = now;
        }
    }
    return true;
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
    /* the step grows with every retry, also those that waited a Retry-After */
    int64_t backoff = backoff_fail(&k->backoff, loop_mono_ms());
    int64_t delay = k->retry_after_ms > 0 && k->retry_after_ms <= c->s.retry_after_cap_ms
                        ? k->retry_after_ms
                        : backoff;
    snprintf(k->ans.error, sizeof(k->ans.error), "%s; retry %d/%d in %.1f s", why, k->attempt,
             c->s.max_retries, delay / 1000.0);
    k->ans.state = COP_WAITING;
    copilot_upsert(c, &k->ans);
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

static bool blank(const struct buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (!strchr(" \t\r\n", b->data[i]))
            return false;
    return true;
}

/* Why a complete stream held no text, in words the reader can act on. */
static void empty_answer(const struct call *k, char *out, size_t outlen)
{
    const struct llm_stream *st = &k->st;
    snprintf(out, outlen, "the model returned no text (finish_reason: %s%s%s)",
             st->stop_reason[0] ? st->stop_reason : "none",
             st->tool_calls && strcmp(st->stop_reason, "tool_calls") != 0 ? "; tool calls only"
                                                                          : "",
             st->generate ? "; an /api/generate stream, not /api/chat" : "");
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
            redacted(k->st.error, msg, sizeof(msg));
            snprintf(why, sizeof(why), "%s stream error %s: %s", c->be->name, type, msg);
            if (retryable(k, type))
                return schedule_retry(k, why);
            return fail(k, why);
        }
        if (llm_stream_complete(&k->st) && blank(&k->raw)) {
            /* a stream that ends well with nothing to read is not an answer */
            empty_answer(k, why, sizeof(why));
            k->streamed = false;
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
        redacted(res->error, msg, sizeof(msg));
        snprintf(why, sizeof(why), "cannot reach %s: %s", c->be->name, msg);
        if (retryable(k, ""))
            return schedule_retry(k, why);
        return fail(k, why);
    }
    llm_parse_error(buf_cstr(&k->errbody), k->errbody.len, type, sizeof(type), raw, sizeof(raw));
    redacted(raw, msg, sizeof(msg));
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
        .tls = &c->s.llm.tls,
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
    copilot_answer_init(c, a, p->id);
    answer_offline(c, a, &p->subj, NULL);
    a->state = COP_DONE;
    a->finished = engine_now(c->e);
    copilot_upsert(c, a);
    free(a);
}

void copilot_call_start(struct copilot *c, const struct pending *p)
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
    /* the SDKs' retry waits: 0.5 s doubling to 8 s, up to 25 % off */
    struct backoff_policy bp = {.base_ms = 500, .cap_ms = 8000, .factor = 2, .jitter = -0.25};
    backoff_init(&k->backoff, &bp, 0);
    copilot_answer_init(c, &k->ans, p->id);
    k->ans.state = COP_WAITING;
    char err[TEXT_LEN] = "";
    if (c->s.setup_error[0]) {
        k->ans.state = COP_ERROR;
        answer_offline(c, &k->ans, &p->subj, "The copilot backend is not usable.");
        STR_COPY(k->ans.error, c->s.setup_error);
        k->ans.finished = engine_now(c->e);
        copilot_upsert(c, &k->ans);
        copilot_call_free(k);
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
    copilot_upsert(c, &k->ans);
    copilot_source_state(c, SRC_STARTING, NULL);
    if (send_attempt(k) < 0)
        fail(k, "cannot start the HTTP request");
}
