/* Non-blocking HTTP on the event loop: libcurl multi driven by epoll.
 *
 * Every remote source (Prometheus, Kubernetes, GitLab, GitHub, LLM APIs,
 * node agents, webhooks) goes through here, so timeouts, body caps, TLS
 * verification and redirects are decided in one place. */
#ifndef LOOKOUT_HTTP_H
#define LOOKOUT_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/loop.h"
#include "base/tls.h"

struct http;
struct http_req;

/* What a finished request reports. body is NUL-terminated (NULL when streamed). */
struct http_result {
    long status;        /* HTTP status, 0 when no response arrived */
    CURLcode curl_code; /* CURLE_OK or the transport error */
    const char *error;  /* human text for a transport error, else "" */
    const char *body;   /* collected body unless a data callback streams it */
    size_t body_len;
    bool truncated; /* body hit max_body and was cut */
    double total_s; /* wall time of the transfer */
};

struct http_opts {
    const char *method; /* NULL: GET, or POST when body is set */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" list */
    const char *body;
    size_t body_len;
    long connect_timeout_ms;    /* 0: 5000 */
    long timeout_ms;            /* 0: no total limit (watches, streams) */
    long idle_timeout_ms;       /* abort if no byte arrives for this long; 0: off */
    long head_timeout_ms;       /* abort if the response head is not complete this long
                                   after the start (a stalled or trickling server);
                                   reported as CURLE_OPERATION_TIMEDOUT; 0: off */
    size_t max_body;            /* cap on a collected body; 0: 8 MiB */
    const struct tls_opts *tls; /* CA, client cert (base/tls.h); NULL: the environment's */
    /* Lets a client set TLS material, auth or proxy on the easy handle. */
    void (*configure)(CURL *easy, void *ud);
    /* Streaming: called for each received chunk; the body is then not collected.
     * Return false to abort the transfer. */
    bool (*on_data)(const char *buf, size_t len, void *ud);
    /* Called once per response header line (without CRLF). */
    void (*on_header)(const char *name, const char *value, void *ud);
    /* Always called exactly once, unless the request is cancelled. */
    void (*on_done)(const struct http_result *res, void *ud);
    /* Called instead of on_done when the request is cancelled (http_cancel,
     * http_free), so a client can free what ud owns; may be NULL. */
    void (*on_cancel)(void *ud);
    void *ud;
};

struct http *http_new(struct loop *l);
void http_free(struct http *h);

/* Starts a request; NULL on a setup failure (out of memory, bad option). */
struct http_req *http_start(struct http *h, const struct http_opts *opts);
/* Cancels without calling on_done. Safe from inside callbacks of other requests. */
void http_cancel(struct http *h, struct http_req *r);
/* Number of transfers in flight. */
int http_active(const struct http *h);

/* A value that goes into a request header (a tenant, a token, an API key)
 * must be one line: a CR or LF would end the header and start one the user
 * never wrote. 0, or -1 with "WHAT must be one line ...". http_start refuses
 * such a header too, as a net; this gives the config error its name. */
int http_header_value_check(const char *what, const char *value, char *err, size_t errlen);

/* Case-insensitive header lookup helper for on_header users. */
bool http_header_is(const char *name, const char *want);

#endif
