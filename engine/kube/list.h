/* Streaming reader for a Kubernetes LIST body.
 *
 * A list is one JSON object, {"kind":..., "metadata":{...}, "items":[...]},
 * that can be hundreds of megabytes for a large cluster (or a hostile
 * server). Collecting it and then parsing it holds the body and its whole
 * tree at once. This reader hands each element of "items" to a callback as
 * its own JSON text as soon as it is complete, and keeps only the other
 * top-level members (kind, apiVersion, metadata: small) to be read at the
 * end. One item over the cap is dropped and counted, like a watch line. */
#ifndef LOOKOUT_KUBE_LIST_H
#define LOOKOUT_KUBE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define KUBE_LIST_REST_CAP (64u << 10) /* kind, apiVersion and metadata together */

/* Called with one complete item (NUL-terminated JSON object text). */
typedef void (*kube_item_fn)(const char *json, size_t len, void *ud);

struct kube_list {
    size_t item_cap;
    struct buf item; /* the item being read */
    struct buf rest; /* "{" + the other top-level members + "}" */
    int state;       /* where in the root object we are (kube/list.c) */
    int depth;       /* nesting depth of the current item or value */
    bool in_string, escape;
    bool skipping;  /* the current item went over the cap */
    bool items_key; /* the member being read is "items" */
    bool keep;      /* the member being read goes into rest */
    char key[16];   /* the member's name (kind, apiVersion, metadata, items) */
    size_t keylen;
    char error[96]; /* set once: the body is not a list */
    uint64_t items, oversized;
};

void kube_list_init(struct kube_list *l, size_t item_cap);
void kube_list_free(struct kube_list *l);
/* Feeds one chunk; false once the body proved not to be a list (see error). */
bool kube_list_feed(struct kube_list *l, const char *data, size_t len, kube_item_fn fn, void *ud);
/* After the last chunk: the top-level members other than items as one JSON
 * object text, or NULL with error set (truncated, not a list). */
const char *kube_list_finish(struct kube_list *l);

#endif
