/* The one table of modules. Order is set-up order: analysers first (they
 * observe what the sources post from their first update on), then the
 * sources, the simulated environment before the live ones. A family adds
 * itself with one row here and a const struct module in its own folder. */
#include "app/app.h"

#include "agent/server.h"
#include "agent/source.h"
#include "aiops/aiops.h"
#include "ci/pipeline.h"
#include "copilot/copilot.h"
#include "demo/demo.h"
#include "kernel/source.h"
#include "kube/source.h"
#include "slo/slo.h"

const struct module *const modules[] = {
    &slo_module,          /* SLO evaluation, the gate, webhooks, the Prometheus source */
    &aiops_module,        /* correlation into incidents, anomaly detection */
    &copilot_module,      /* LLM suggestions and the offline analysis */
    &demo_module,         /* the simulated environment (--demo) */
    &kernel_module,       /* eBPF events of this node */
    &agents_module,       /* eBPF events of other nodes, through their agents */
    &ci_module,           /* GitLab and GitHub pipelines */
    &kube_module,         /* Kubernetes list/watch, the service map */
    &agent_server_module, /* `lookout agent`: config only, the command serves */
    NULL,
};
