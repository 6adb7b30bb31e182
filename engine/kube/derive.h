/* Derived problems: the one-word verdicts the header, the cluster view and
 * the copilot use ("CrashLoopBackOff", "OOMKilled", "NotReady" ...). They
 * follow kubectl's STATUS column where it has one, and name the cause where
 * kubectl would need `describe` (OOMKilled behind a CrashLoopBackOff). */
#ifndef LOOKOUT_KUBE_DERIVE_H
#define LOOKOUT_KUBE_DERIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"

#define KUBE_PENDING_LIMIT_MS_DEFAULT (5 * 60 * 1000)

/* Sets p->problem from all n containers of the pod (the row may keep fewer).
 * The first ninit are init containers (their problems read "Init:<reason>",
 * as kubectl shows them). */
void kube_derive_pod(struct k8s_pod *p, const struct container_status *cs, int n, int ninit,
                     int64_t now, int64_t pending_limit_ms);
/* Re-checks a pod without a container problem for "Pending too long";
 * returns true when its problem changed. */
bool kube_recheck_pending(struct k8s_pod *p, int64_t now, int64_t pending_limit_ms);

/* ready_status is the Ready condition's status: "True", "False", "Unknown" or "". */
void kube_derive_node(struct k8s_node *n, const char *ready_status);

/* Condition statuses "True"/"False"/"" and the Progressing reason. */
void kube_derive_deployment(struct k8s_deployment *d, const char *available_status,
                            const char *progressing_status, const char *progressing_reason);

#endif
