/* Kubernetes objects: every decoder on one JSON object, plus the RFC 3339
 * time and base64 helpers they and the kubeconfig loader use. */
#include <cjson/cJSON.h>

#include "base/buf.h"
#include "fuzz.h"
#include "kube/decode.h"
#include "kube/kubeconfig.h"
#include "base/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_str(data, size);
    cJSON *o = cJSON_ParseWithLength(s, size);
    if (o) {
        char err[128];
        struct kube_decode_opts opt = {.now = 1732094061000, .pending_limit_ms = 0};
        struct k8s_pod pod;
        struct k8s_node node;
        struct k8s_deployment dep;
        struct k8s_event ev;
        kube_decode_pod(o, &opt, &pod, err, sizeof(err));
        kube_decode_node(o, &node, err, sizeof(err));
        kube_decode_deployment(o, &dep, err, sizeof(err));
        kube_decode_event(o, &ev, err, sizeof(err));
        kube_obj_rv(o);
        cJSON_Delete(o);
    }
    time_rfc3339_or_zero(s);
    struct buf b = {0};
    kube_b64_decode(s, &b);
    buf_free(&b);
    free(s);
    return 0;
}
