/* Kubernetes LIST bodies through the streaming reader, in chunks as libcurl
 * would hand them over. Property: every item handed out starts with '{',
 * ends at its closing bracket, is NUL-terminated and within the cap.
 * Input: [chunk seed][cap selector][body]. */
#include <cjson/cJSON.h>

#include "kube/list.h"
#include "fuzz.h"

struct seen {
    size_t cap;
};

static void on_item(const char *json, size_t len, void *ud)
{
    const struct seen *s = ud;
    /* a mismatched closer ends an item too: cJSON then rejects it */
    bool closed = len >= 2 && (json[len - 1] == '}' || json[len - 1] == ']');
    if (!closed || len > s->cap || json[0] != '{' || json[len])
        abort();
    cJSON_Delete(cJSON_ParseWithLength(json, len)); /* what the reflector does next */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fz_chunker ch;
    fz_chunker_init(&ch, data[0]);
    struct seen s = {.cap = (data[1] & 1) ? 64 : 1 << 20};
    struct kube_list l;
    kube_list_init(&l, s.cap);
    const char *p = (const char *)data + 2;
    size_t left = size - 2;
    while (left) {
        size_t n = fz_chunk_len(&ch, left);
        if (!kube_list_feed(&l, p, n, on_item, &s))
            break;
        p += n;
        left -= n;
    }
    const char *rest = kube_list_finish(&l);
    if (rest) {
        cJSON *r = cJSON_Parse(rest);
        /* a finished list whose members were valid JSON reads back whole */
        cJSON_Delete(r);
    }
    kube_list_free(&l);
    return 0;
}
