/* The CI poller's ETag cache (see cache.h). */
#include "ci/cache.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static int find(const struct ci_cache *c, const char *url)
{
    for (int i = 0; i < CI_CACHE_SLOTS; i++)
        if (c->slot[i].body && strcmp(c->slot[i].url, url) == 0)
            return i;
    return -1;
}

const char *ci_cache_etag(const struct ci_cache *c, const char *url)
{
    int i = find(c, url);
    return i < 0 ? NULL : c->slot[i].etag;
}

const char *ci_cache_body(struct ci_cache *c, const char *url)
{
    int i = find(c, url);
    if (i < 0)
        return NULL;
    c->slot[i].used = ++c->stamp;
    return c->slot[i].body;
}

/* The slot of url, else a free one, else the least recently used. */
static int slot_for(const struct ci_cache *c, const char *url)
{
    int i = find(c, url);
    for (int k = 0; i < 0 && k < CI_CACHE_SLOTS; k++)
        if (!c->slot[k].body)
            i = k;
    if (i < 0) {
        i = 0;
        for (int k = 1; k < CI_CACHE_SLOTS; k++)
            if (c->slot[k].used < c->slot[i].used)
                i = k;
    }
    return i;
}

void ci_cache_store(struct ci_cache *c, const char *url, const char *etag, const char *body,
                    size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, body, len);
    copy[len] = 0;
    int i = slot_for(c, url);
    free(c->slot[i].body);
    c->slot[i].body = copy;
    STR_COPY(c->slot[i].url, url);
    STR_COPY(c->slot[i].etag, etag);
    c->slot[i].used = ++c->stamp;
}

void ci_cache_free(struct ci_cache *c)
{
    for (int i = 0; i < CI_CACHE_SLOTS; i++) {
        free(c->slot[i].body);
        c->slot[i].body = NULL;
    }
}
