/* Kubeconfig and in-cluster configuration, resolved the way kubectl does:
 * $KUBECONFIG (colon-separated, merged: the first file to define a name or
 * current-context wins), else ~/.kube/config; a context picks a cluster, a
 * user and a namespace. The result is one connection: server URL, TLS
 * material (PEM bytes, handed to libcurl as blobs, never written to disk)
 * and how to get a credential (static token, token file, client cert, exec
 * plugin). Errors read "file:line: message". */
#ifndef LOOKOUT_KUBECONFIG_H
#define LOOKOUT_KUBECONFIG_H

#include <curl/curl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define KUBE_EXEC_MAX_ARGS 32
#define KUBE_EXEC_MAX_ENV  32

struct kube_exec {
    char api_version[64]; /* client.authentication.k8s.io/v1 or v1beta1 */
    char command[PATH_MAX];
    char *args[KUBE_EXEC_MAX_ARGS + 2]; /* argv: command, args..., NULL */
    int nargs;
    char *env[KUBE_EXEC_MAX_ENV + 1]; /* "NAME=value", NULL-terminated */
    int nenv;
    char install_hint[512];
    bool provide_cluster_info;
    char interactive_mode[16]; /* Never, IfAvailable, Always */
};

struct kube_conn {
    char origin[PATH_MAX + 32]; /* "kubeconfig <file>" or "in-cluster" */
    char context[128];
    char cluster[128];
    char user[128];
    char server[512];   /* https://host:port[/prefix], no trailing slash */
    char namespace[64]; /* "" = all namespaces */
    bool insecure;      /* insecure-skip-tls-verify: allowed, loudly warned */
    char tls_server_name[256];
    char proxy_url[512];
    struct buf ca;   /* PEM; empty: system roots */
    struct buf cert; /* client certificate PEM (static or from exec) */
    struct buf key;
    char *token; /* current bearer token (static, from file or exec), NULL: none */
    char token_file[PATH_MAX];
    int64_t token_read_ms; /* monotonic ms of the last tokenFile read */
    uint64_t cred_gen;     /* bumps whenever the credential changes */
    bool has_exec;
    struct kube_exec exec;
    int64_t cred_expiry_ms;        /* exec credential expiry (wall ms), 0: none */
    char warning[256];             /* shown in the header (insecure TLS) */
    struct curl_slist *connect_to; /* tls-server-name: URL host -> real host */
};

/* Paths from $KUBECONFIG or ~/.kube/config; explicit overrides both. */
int kubeconfig_load(struct kube_conn *c, const char *explicit_path, const char *context,
                    const char *ns_override, char *err, size_t errlen);
/* Same, from an already split list of files (tests). */
int kubeconfig_load_files(struct kube_conn *c, const char *const *files, int nfiles,
                          const char *context, const char *ns_override, char *err, size_t errlen);
/* In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service-account files under
 * dir (NULL: /var/run/secrets/kubernetes.io/serviceaccount). */
int kube_incluster_load(struct kube_conn *c, const char *dir, const char *ns_override, char *err,
                        size_t errlen);
/* True when a kubeconfig file exists ($KUBECONFIG set or ~/.kube/config). */
bool kubeconfig_present(void);
/* Lists context names into out (comma separated), for error messages and the UI. */
void kubeconfig_contexts(const char *explicit_path, char *out, size_t outlen);
void kube_conn_free(struct kube_conn *c);

/* (Re)reads tokenFile into c->token; 0 or -1 with err. */
int kube_conn_read_token_file(struct kube_conn *c, char *err, size_t errlen);
/* Sets TLS, auth and proxy on a request. */
void kube_conn_configure(CURL *easy, const struct kube_conn *c);
/* server + path, with the host replaced by tls-server-name when set (the
 * connection then goes to the real host through CURLOPT_CONNECT_TO, so the
 * certificate is checked against tls-server-name). */
void kube_conn_url(const struct kube_conn *c, const char *path, struct buf *out);
/* The Authorization header line for the current token, "" when none. */
void kube_conn_auth_header(const struct kube_conn *c, char *out, size_t outlen);

/* Base64 (standard alphabet, padding optional, whitespace ignored); -1 when invalid. */
int kube_b64_decode(const char *in, struct buf *out);

#endif
