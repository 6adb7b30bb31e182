/* The CI poller's ETag cache: the last body of each URL it asked, so a 304
 * (which costs no rate budget on GitLab or GitHub) hands back what the
 * server did not resend. A fixed number of slots, least recently used
 * evicted: a source asks a few URLs per project per cycle. */
#ifndef LOOKOUT_CI_CACHE_H
#define LOOKOUT_CI_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ci/poll.h"

#define CI_CACHE_SLOTS 96

struct ci_cache {
    struct {
        char url[CI_URL_LEN];
        char etag[160];
        char *body;
        uint64_t used;
    } slot[CI_CACHE_SLOTS];
    uint64_t stamp;
};

/* The ETag the body of url was stored with, NULL when there is none. */
const char *ci_cache_etag(const struct ci_cache *c, const char *url);
/* The stored body of url (and marks it used), NULL when there is none. */
const char *ci_cache_body(struct ci_cache *c, const char *url);
/* Stores body (len bytes) for url under etag; out of memory keeps nothing. */
void ci_cache_store(struct ci_cache *c, const char *url, const char *etag, const char *body,
                    size_t len);
void ci_cache_free(struct ci_cache *c);

#endif
