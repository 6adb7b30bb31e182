/* Kubernetes watch stream: the line assembler and the reflector's per-line
 * handling (event envelope, object decoding, engine upserts), exactly as a
 * watch response body reaches them. The reflector's statics are reached by
 * compiling its source into the harness. Input: [chunk seed][kind][body]. */
#include "kube/reflector.c"
#include "fuzz.h"
#include "fuzz_engine.h"

static bool quiet_bool(struct kube_reflector *r, void *ud)
{
    (void)r, (void)ud;
    return false;
}

static void quiet_changed(struct kube_reflector *r, bool health, void *ud)
{
    (void)r, (void)health, (void)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fz_chunker ch;
    fz_chunker_init(&ch, data[0]);
    struct engine *e = fz_engine();
    struct kube_env env = {.engine = e,
                           .line_cap = (data[1] & 0x80) ? 512 : 0,
                           .refresh_auth = quiet_bool,
                           .changed = quiet_changed};
    struct kube_reflector r;
    kube_reflector_init(&r, &env, (enum kube_kind)(data[1] % KK_COUNT), "default");
    r.status = 200;
    const char *p = (const char *)data + 2;
    size_t left = size - 2;
    while (left) {
        size_t n = fz_chunk_len(&ch, left);
        if (!watch_data(p, n, &r))
            break;
        p += n;
        left -= n;
    }
    ndjson_free(&r.lines);
    buf_free(&r.errbody);
    buf_free(&r.cont);
    seen_free(r.seen);
    return 0;
}
