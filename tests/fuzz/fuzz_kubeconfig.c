/* Kubeconfig files: YAML, contexts, clusters, users, exec plugins (parsed,
 * never run here), PEM data, resolved as kubectl does. */
#include "fuzz.h"
#include "kube/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".kubeconfig");
    const char *files[] = {path};
    struct kube_conn c;
    char err[512];
    if (kubeconfig_load_files(&c, files, 1, NULL, NULL, err, sizeof(err)) == 0) {
        struct buf url = {0};
        char auth[2048];
        kube_conn_url(&c, "/api/v1/pods?watch=1", &url);
        kube_conn_auth_header(&c, auth, sizeof(auth));
        buf_free(&url);
        kube_conn_free(&c);
    }
    if (kubeconfig_load_files(&c, files, 1, "prod", "kube-system", err, sizeof(err)) == 0)
        kube_conn_free(&c);
    return 0;
}
