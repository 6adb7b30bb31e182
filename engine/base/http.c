/* libcurl multi on the loop; see http.h. */
#include "base/http.h"
#include "base/redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/secret.h"

#define DEFAULT_MAX_BODY (8u << 20)

struct http {
    struct loop *loop;
    CURLM *multi;
    struct loop_timer *timer;
    int active;
    struct http_req *reqs; /* every transfer in flight, for http_free() */
};

struct http_req {
    struct http *h;
    struct http_req *prev, *next;
    CURL *easy;
    struct curl_slist *headers;
    struct http_opts opts;
    struct buf body;
    bool truncated;
    bool aborted_by_client;
    bool head_done;                /* the final response head arrived */
    struct loop_timer *head_timer; /* head_timeout_ms, until the head arrives */
    char errbuf[CURL_ERROR_SIZE];
};

static void on_socket_ready(int fd, int events, void *ud);

static void unlink_req(struct http *h, struct http_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        h->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    h->active--;
}

/* The header list is ours, and it holds Authorization and API-key lines:
 * wiped before curl frees it, every line, since any may carry a credential. */
static void free_headers(struct curl_slist *l)
{
    for (struct curl_slist *i = l; i; i = i->next)
        secret_wipe(i->data, strlen(i->data));
    curl_slist_free_all(l);
}

static void free_req(struct http_req *r)
{
    if (r->head_timer)
        loop_timer_cancel(r->h->loop, r->head_timer);
    curl_easy_cleanup(r->easy);
    free_headers(r->headers);
    buf_free(&r->body);
    free(r);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *ud, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct http *h = ud;
    if (what == CURL_POLL_REMOVE) {
        loop_unwatch_fd(h->loop, s);
        return 0;
    }
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= LOOP_READ;
    if (what & CURL_POLL_OUT)
        ev |= LOOP_WRITE;
    loop_watch_fd(h->loop, s, ev, on_socket_ready, h);
    return 0;
}

/* Reports a transfer that ended (or that we ended) and frees it. */
static void complete(struct http *h, struct http_req *r, CURLcode code)
{
    struct http_result res = {.curl_code = code};
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
    curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &res.total_s);
    if (r->truncated && res.curl_code == CURLE_WRITE_ERROR)
        res.curl_code = CURLE_OK; /* we cut it on purpose; report truncated */
    /* curl's text can hold the URL and so its userinfo: redacted here. */
    char errtext[CURL_ERROR_SIZE];
    const char *raw = r->errbuf[0] ? r->errbuf : curl_easy_strerror(res.curl_code);
    redact_field(errtext, sizeof(errtext), raw, strlen(raw));
    res.error = res.curl_code == CURLE_OK ? "" : errtext;
    res.body = r->opts.on_data ? NULL : buf_cstr(&r->body);
    res.body_len = r->body.len;
    res.truncated = r->truncated;
    curl_multi_remove_handle(h->multi, r->easy);
    unlink_req(h, r);
    if (r->opts.on_done)
        r->opts.on_done(&res, r->opts.ud);
    free_req(r);
}

static void finish_transfers(struct http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct http_req *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        complete(h, r, msg->data.result);
    }
}

/* A loop timer, not curl's progress callback: curl may not wake at all
 * while a server sends nothing and no other timeout is set. */
static void on_head_timeout(void *ud)
{
    struct http_req *r = ud;
    r->head_timer = NULL;
    if (r->head_done)
        return;
    snprintf(r->errbuf, sizeof(r->errbuf), "no complete response head within %ld ms",
             r->opts.head_timeout_ms);
    complete(r->h, r, CURLE_OPERATION_TIMEDOUT);
}

static void on_socket_ready(int fd, int events, void *ud)
{
    struct http *h = ud;
    int flags = 0, running;
    if (events & LOOP_READ)
        flags |= CURL_CSELECT_IN;
    if (events & LOOP_WRITE)
        flags |= CURL_CSELECT_OUT;
    if (events & LOOP_ERROR)
        flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(h->multi, fd, flags, &running);
    finish_transfers(h);
}

static void on_timeout(void *ud)
{
    struct http *h = ud;
    int running;
    h->timer = NULL;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    finish_transfers(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *ud)
{
    (void)multi;
    struct http *h = ud;
    if (h->timer) {
        loop_timer_cancel(h->loop, h->timer);
        h->timer = NULL;
    }
    if (timeout_ms >= 0)
        h->timer = loop_timer_start(h->loop, timeout_ms, on_timeout, h);
    return 0;
}

struct http *http_new(struct loop *l)
{
    static bool global_done;
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = true;
    }
    struct http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->loop = l;
    h->multi = curl_multi_init();
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    return h;
}

void http_free(struct http *h)
{
    if (!h)
        return;
    while (h->reqs)
        http_cancel(h, h->reqs);
    if (h->timer)
        loop_timer_cancel(h->loop, h->timer);
    curl_multi_cleanup(h->multi);
    free(h);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct http_req *r = ud;
    size_t n = size * nmemb;
    if (r->opts.on_data) {
        if (!r->opts.on_data(ptr, n, r->opts.ud)) {
            r->aborted_by_client = true;
            return 0;
        }
        return n;
    }
    size_t cap = r->opts.max_body ? r->opts.max_body : DEFAULT_MAX_BODY;
    if (r->body.len + n > cap) {
        buf_append(&r->body, ptr, cap - r->body.len);
        r->truncated = true;
        return 0; /* abort: bounded memory beats a complete garbage body */
    }
    buf_append(&r->body, ptr, n);
    return n;
}

static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct http_req *r = ud;
    size_t n = size * nmemb;
    if (n <= 2 && (n == 0 || ptr[0] == '\r' || ptr[0] == '\n')) {
        long code = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200)
            r->head_done = true; /* a 100 Continue head is not the answer */
    }
    if (!r->opts.on_header)
        return n;
    char line[1024];
    size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
    memcpy(line, ptr, len);
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    line[len] = 0;
    char *colon = strchr(line, ':');
    if (!colon) {
        r->opts.on_header(line, "", r->opts.ud); /* status line or blank */
        return n;
    }
    *colon = 0;
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    r->opts.on_header(line, value, r->opts.ud);
    return n;
}

int http_header_value_check(const char *what, const char *value, char *err, size_t errlen)
{
    if (!strpbrk(value, "\r\n"))
        return 0;
    snprintf(err, errlen, "%s must be one line (no CR, LF or NUL): it is sent as an HTTP header",
             what);
    return -1;
}

struct http_req *http_start(struct http *h, const struct http_opts *opts)
{
    for (int i = 0; opts->headers && opts->headers[i]; i++)
        if (strpbrk(opts->headers[i], "\r\n"))
            return NULL; /* never an injected header, whoever built it */
    struct http_req *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->h = h;
    r->opts = *opts;
    r->easy = curl_easy_init();
    if (!r->easy) {
        free(r);
        return NULL;
    }
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, opts->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     opts->connect_timeout_ms ? opts->connect_timeout_ms : 5000L);
    if (opts->timeout_ms)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, opts->timeout_ms);
    if (opts->idle_timeout_ms) {
        /* "Less than 1 byte/s for N seconds" is curl's idle timeout. */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (opts->idle_timeout_ms + 999) / 1000);
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    tls_apply(e, opts->tls);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "lookout/" LOOKOUT_VERSION);
    for (int i = 0; opts->headers && opts->headers[i]; i++)
        r->headers = curl_slist_append(r->headers, opts->headers[i]);
    if (r->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (opts->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)opts->body_len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, opts->body);
    }
    if (opts->method)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, opts->method);
    if (opts->configure)
        opts->configure(e, opts->ud);
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        free_headers(r->headers);
        free(r);
        return NULL;
    }
    if (opts->head_timeout_ms)
        r->head_timer = loop_timer_start(h->loop, opts->head_timeout_ms, on_head_timeout, r);
    h->active++;
    r->next = h->reqs;
    if (h->reqs)
        h->reqs->prev = r;
    h->reqs = r;
    return r;
}

void http_cancel(struct http *h, struct http_req *r)
{
    if (!r)
        return;
    curl_multi_remove_handle(h->multi, r->easy);
    unlink_req(h, r);
    if (r->opts.on_cancel)
        r->opts.on_cancel(r->opts.ud);
    free_req(r);
}

int http_active(const struct http *h)
{
    return h->active;
}

bool http_header_is(const char *name, const char *want)
{
    return strcasecmp(name, want) == 0;
}
