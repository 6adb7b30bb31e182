/* The Kubernetes source (kind "kubernetes"): one connection (kubeconfig
 * context or in-cluster), one reflector per resource (nodes, pods,
 * deployments, Warning events), credentials refreshed on 401 and before an
 * exec credential expires. See docs/kubernetes.md for when it is on. */
#ifndef LOOKOUT_KUBE_SOURCE_H
#define LOOKOUT_KUBE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/module.h"
#include "core/source.h"
#include "base/yaml_tree.h"

extern const struct source_ops kube_source_ops;

/* The most rows max_pods (and its siblings) may ask a table for. */
#define KUBE_MAX_ROWS 2000000

struct kube_settings {
    char kubeconfig[4096]; /* "" : $KUBECONFIG or ~/.kube/config */
    char context[128];     /* "" : current-context */
    char namespace[64];
    bool namespace_set; /* namespace given (even "" = all namespaces) */
    int in_cluster;     /* -1 auto, 0 never, 1 always */
    bool resources[4];  /* indexed by enum kube_kind */
    int64_t pending_limit_ms;
    size_t max_object_bytes;
    int page_size;
    int64_t backoff_max_ms; /* 0: 30 s */
    int max_rows[4];        /* max_nodes, max_pods ...: table caps; 0 keeps the engine's */
};

/* Validates the `kubernetes` config section (the kube module's section). */
int kube_check_config(const struct ynode *section, char *err, size_t errlen);
/* Reads settings from the section (NULL: defaults). */
void kube_settings_from(struct kube_settings *s, const struct ynode *section);
struct kube_conn;
/* Loads the connection the settings name: in-cluster, or a kubeconfig
 * context (see docs/kubernetes.md); 0 or -1 with err. */
int kube_settings_connect(const struct kube_settings *s, struct kube_conn *c, char *err,
                          size_t errlen);
/* Private state for source_add(). */
void *kube_source_new(const struct kube_settings *s);

/* The Kubernetes module: sections `kubernetes` and `services`; loads the
 * service map and adds the source when a cluster is configured or asked
 * for (--context, KUBECONFIG; see docs/kubernetes.md), never in the demo. */
extern const struct module kube_module;
/* Restarts the source on another context: its rows are dropped, the new
 * context synced from scratch. 0, or -1 with err (nothing changed). */
int kube_switch_context(struct source_set *sources, const char *context, char *err, size_t errlen);
/* Sets the header's context and refreshes the summary counts. */
void kube_update_summary(struct engine *e, const char *context);

#endif
