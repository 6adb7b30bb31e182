/* Service mapping: the config's `services` section ties a service (the name
 * an SLO uses) to a namespace and a label selector, so an SLO breach can be
 * tied to its pods and deployments. */
#ifndef LOOKOUT_KUBE_SERVICES_H
#define LOOKOUT_KUBE_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/engine.h"

/* Validates the `services` section (config.c's table). */
int kube_check_services(const struct ynode *section, char *err, size_t errlen);
/* Upserts one T_SERVICES row per entry (keeping fields other modules own). */
void kube_services_load(struct engine *e, const struct config *c);

/* Equality-based label selectors, as kubectl -l takes them:
 * "k=v", "k==v", "k!=v", "k" (exists), "!k" (absent), comma = AND.
 * labels is "k=v,k=v" as stored in struct k8s_pod. An empty selector matches
 * nothing (a service without a selector is not mapped). */
bool kube_selector_valid(const char *selector, char *err, size_t errlen);
bool kube_selector_match(const char *selector, const char *labels);

typedef void (*kube_pod_fn)(const struct k8s_pod *p, void *ud);
/* Calls fn for each pod of the service; returns how many matched, -1 when
 * the service is unknown or has no selector. */
int kube_service_pods(struct engine *e, const char *service, kube_pod_fn fn, void *ud);

#endif
