/* Kubernetes JSON objects (cJSON trees) to the engine's small structs.
 * Only the fields the panels and the copilot need are kept; the tree is the
 * caller's to free. Each decoder returns 0, or -1 with a reason in err when
 * the object is malformed (the caller skips it and counts the error). */
#ifndef LOOKOUT_KUBE_DECODE_H
#define LOOKOUT_KUBE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/model.h"

struct kube_decode_opts {
    int64_t now;              /* engine time, for "Pending too long" */
    int64_t pending_limit_ms; /* 0: the default */
};

int kube_decode_pod(const cJSON *o, const struct kube_decode_opts *opt, struct k8s_pod *out,
                    char *err, size_t errlen);
int kube_decode_node(const cJSON *o, struct k8s_node *out, char *err, size_t errlen);
int kube_decode_deployment(const cJSON *o, struct k8s_deployment *out, char *err, size_t errlen);
int kube_decode_event(const cJSON *o, struct k8s_event *out, char *err, size_t errlen);

/* metadata.resourceVersion, or NULL. */
const char *kube_obj_rv(const cJSON *o);

#endif
