/* Exec credential plugins (client.authentication.k8s.io v1 / v1beta1).
 *
 * The plugin runs with fork/exec and pipes; its stdout and stderr are read
 * through the loop, so a slow plugin (SSO, cloud CLIs) never blocks the
 * screen. It is killed after a timeout. stdin is /dev/null and
 * KUBERNETES_EXEC_INFO says interactive:false: the terminal is Lookout's. */
#ifndef LOOKOUT_KUBE_EXEC_H
#define LOOKOUT_KUBE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "kube/kubeconfig.h"
#include "base/loop.h"

#define KUBE_EXEC_TIMEOUT_MS 60000

struct kube_exec_run;
/* ok: c's token or cert/key and cred_expiry_ms were updated; else err says why. */
typedef void (*kube_exec_done_fn)(int ok, const char *err, void *ud);

/* Starts the plugin of c->exec; NULL with err when it could not start. */
struct kube_exec_run *kube_exec_start(struct loop *l, struct kube_conn *c, int64_t timeout_ms,
                                      kube_exec_done_fn done, void *ud, char *err, size_t errlen);
/* Kills the child (if running) and frees; done is not called. */
void kube_exec_cancel(struct kube_exec_run *r);

/* Parses an ExecCredential from the plugin's stdout into c. 0 or -1 with err. */
int kube_exec_parse(struct kube_conn *c, const char *out, size_t len, char *err, size_t errlen);
/* The KUBERNETES_EXEC_INFO value for c (caller frees). */
char *kube_exec_info(const struct kube_conn *c);
/* True when c's exec credential is missing or expires within 30 s of now_wall_ms. */
int kube_exec_needs_refresh(const struct kube_conn *c, int64_t now_wall_ms);

#endif
