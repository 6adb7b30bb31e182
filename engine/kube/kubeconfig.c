/* Kubeconfig and in-cluster connection settings; see kubeconfig.h. */
#include "base/http.h"
#include "kube/kubeconfig.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/secret.h"
#include "base/yaml_tree.h"

#define PEM_MAX   (1u << 20)
#define TOKEN_MAX (64u << 10)

int kube_b64_decode(const char *in, struct buf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = in; *p; p++) {
        int v;
        char ch = *p;
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z')
            v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9')
            v = ch - '0' + 52;
        else if (ch == '+' || ch == '-')
            v = 62;
        else if (ch == '/' || ch == '_')
            v = 63;
        else if (ch == '=' || ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
            continue;
        else
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            char byte = (char)((acc >> bits) & 0xff);
            buf_append(out, &byte, 1);
        }
    }
    return 0;
}

/* ---- the merged view of several kubeconfig files ---- */

struct kfiles {
    struct ynode *docs[16];
    const char *paths[16];
    int n;
};

static void kfiles_free(struct kfiles *k)
{
    for (int i = 0; i < k->n; i++)
        ytree_free(k->docs[i]);
}

/* Finds list[].name == name in the first file that has it (kubectl's merge rule). */
static const struct ynode *find_named(const struct kfiles *k, const char *list, const char *inner,
                                      const char *name, int *file_idx)
{
    for (int i = 0; i < k->n; i++) {
        const struct ynode *seq = ymap_get(ytree_root(k->docs[i]), list);
        if (!seq || seq->type != Y_SEQ)
            continue;
        for (const struct ynode *e = seq->child; e; e = e->next) {
            const struct ynode *nm = ymap_get(e, "name");
            if (nm && nm->type == Y_SCALAR && strcmp(nm->value, name) == 0) {
                *file_idx = i;
                const struct ynode *body = ymap_get(e, inner);
                return body ? body : e;
            }
        }
    }
    return NULL;
}

/* A scalar field or "" (absent or null); -1 with err on a non-scalar. */
static int str_field(const struct ynode *map, const char *key, const char **out, char *err,
                     size_t errlen)
{
    *out = "";
    const struct ynode *n = map ? ymap_get(map, key) : NULL;
    if (!n)
        return 0;
    if (n->type != Y_SCALAR)
        return yerr(n, err, errlen, "'%s' must be a string", key);
    *out = n->value ? n->value : "";
    return 1;
}

/* Paths in a kubeconfig are relative to the file that holds them. */
static void resolve_path(const char *file, const char *p, char *out, size_t outlen)
{
    if (p[0] == '/' || !file) {
        str_copy(out, outlen, p);
        return;
    }
    char tmp[PATH_MAX];
    str_copy(tmp, sizeof(tmp), file);
    snprintf(out, outlen, "%s/%s", dirname(tmp), p);
}

/* Loads "<key>-data" (base64) or "<key>" (a file) into out. */
static int load_pem(const struct ynode *map, const char *key, const char *file, struct buf *out,
                    char *err, size_t errlen)
{
    char datakey[64];
    snprintf(datakey, sizeof(datakey), "%s-data", key);
    const char *data, *path;
    if (str_field(map, datakey, &data, err, errlen) < 0 ||
        str_field(map, key, &path, err, errlen) < 0)
        return -1;
    if (*data) {
        if (kube_b64_decode(data, out) < 0)
            return yerr(ymap_get(map, datakey), err, errlen, "'%s' is not valid base64", datakey);
        return 0;
    }
    if (!*path)
        return 0;
    char full[PATH_MAX];
    resolve_path(file, path, full, sizeof(full));
    size_t len;
    char *bytes = read_file(full, PEM_MAX, &len);
    if (!bytes)
        return yerr(ymap_get(map, key), err, errlen, "%s: cannot read %s: %s", key, full,
                    strerror(errno));
    buf_append(out, bytes, len);
    free(bytes);
    return 0;
}

/* Splits the server URL into scheme end, host and port. */
static void split_server(const char *server, char *host, size_t hostlen, int *port,
                         const char **rest)
{
    const char *p = strstr(server, "://");
    p = p ? p + 3 : server;
    const char *end = p + strcspn(p, "/");
    *rest = end;
    *port = strncmp(server, "http://", 7) == 0 ? 80 : 443;
    const char *colon = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        colon = rb && rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
    }
    const char *hend = colon ? colon : end;
    snprintf(host, hostlen, "%.*s", (int)(hend - p), p);
    if (colon)
        *port = atoi(colon + 1);
}

static int setup_sni(struct kube_conn *c, char *err, size_t errlen)
{
    char host[256], line[600];
    int port;
    const char *rest;
    split_server(c->server, host, sizeof(host), &port, &rest);
    if (strchr(c->tls_server_name, ':') || strchr(c->tls_server_name, '/')) {
        snprintf(err, errlen, "tls-server-name must be a host name");
        return -1;
    }
    snprintf(line, sizeof(line), "%s:%d:%s:%d", c->tls_server_name, port, host, port);
    c->connect_to = curl_slist_append(NULL, line);
    return 0;
}

void kube_conn_url(const struct kube_conn *c, const char *path, struct buf *out)
{
    if (!*c->tls_server_name) {
        buf_printf(out, "%s%s", c->server, path);
        return;
    }
    char host[256];
    int port;
    const char *rest;
    split_server(c->server, host, sizeof(host), &port, &rest);
    buf_printf(out, "https://%s:%d%s%s", c->tls_server_name, port, rest, path);
}

static int load_cluster(struct kube_conn *c, const struct kfiles *k, const struct ynode *ctxnode,
                        char *err, size_t errlen)
{
    int fi = 0;
    const struct ynode *cl = find_named(k, "clusters", "cluster", c->cluster, &fi);
    if (!cl)
        return yerr(ctxnode, err, errlen, "context '%s' names cluster '%s', which is not defined",
                    c->context, c->cluster);
    const char *server, *sni, *proxy;
    if (str_field(cl, "server", &server, err, errlen) < 0 ||
        str_field(cl, "tls-server-name", &sni, err, errlen) < 0 ||
        str_field(cl, "proxy-url", &proxy, err, errlen) < 0)
        return -1;
    if (!*server)
        return yerr(cl, err, errlen, "cluster '%s' has no server", c->cluster);
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return yerr(ymap_get(cl, "server"), err, errlen,
                    "cluster '%s': server must be an http(s) URL, not '%.60s'", c->cluster, server);
    STR_COPY(c->server, server);
    size_t n = strlen(c->server);
    while (n > 8 && c->server[n - 1] == '/')
        c->server[--n] = 0;
    STR_COPY(c->tls_server_name, sni);
    if (*sni && setup_sni(c, err, errlen) < 0)
        return yerr(ymap_get(cl, "tls-server-name"), err, errlen, "%s", err);
    STR_COPY(c->proxy_url, proxy);
    const struct ynode *ins = ymap_get(cl, "insecure-skip-tls-verify");
    c->insecure = ins && ins->type == Y_SCALAR && strcmp(ins->value, "true") == 0;
    if (c->insecure)
        snprintf(c->warning, sizeof(c->warning),
                 "INSECURE: TLS verification is off for cluster '%.100s' "
                 "(insecure-skip-tls-verify)",
                 c->cluster);
    return load_pem(cl, "certificate-authority", k->paths[fi], &c->ca, err, errlen);
}

static int load_exec(struct kube_exec *x, const struct ynode *ex, const char *file, char *err,
                     size_t errlen)
{
    const char *cmd, *api, *hint, *mode;
    if (str_field(ex, "command", &cmd, err, errlen) < 0 ||
        str_field(ex, "apiVersion", &api, err, errlen) < 0 ||
        str_field(ex, "installHint", &hint, err, errlen) < 0 ||
        str_field(ex, "interactiveMode", &mode, err, errlen) < 0)
        return -1;
    if (!*cmd)
        return yerr(ex, err, errlen, "exec: 'command' is required");
    if (strcmp(api, "client.authentication.k8s.io/v1") != 0 &&
        strcmp(api, "client.authentication.k8s.io/v1beta1") != 0)
        return yerr(ex, err, errlen,
                    "exec: apiVersion '%.60s' is not supported (client.authentication.k8s.io/v1 "
                    "or v1beta1)",
                    api);
    STR_COPY(x->api_version, api);
    STR_COPY(x->install_hint, hint);
    STR_COPY(x->interactive_mode, *mode ? mode : "IfAvailable");
    if (strcmp(x->interactive_mode, "Always") == 0)
        return yerr(ex, err, errlen,
                    "exec: interactiveMode Always needs a terminal, which Lookout's screen owns; "
                    "log in with the plugin first, then use IfAvailable or Never");
    if (strchr(cmd, '/'))
        resolve_path(file, cmd, x->command, sizeof(x->command));
    else
        STR_COPY(x->command, cmd);
    x->args[x->nargs++] = strdup(x->command);
    const struct ynode *args = ymap_get(ex, "args");
    for (const struct ynode *a = args ? args->child : NULL; a; a = a->next) {
        if (a->type != Y_SCALAR || x->nargs >= KUBE_EXEC_MAX_ARGS)
            return yerr(a, err, errlen, "exec: args must be at most %d strings",
                        KUBE_EXEC_MAX_ARGS);
        x->args[x->nargs++] = strdup(a->value ? a->value : "");
    }
    const struct ynode *env = ymap_get(ex, "env");
    for (const struct ynode *e = env ? env->child : NULL; e; e = e->next) {
        const char *name, *value;
        if (str_field(e, "name", &name, err, errlen) < 0 ||
            str_field(e, "value", &value, err, errlen) < 0)
            return -1;
        if (!*name || strchr(name, '=') || x->nenv >= KUBE_EXEC_MAX_ENV)
            return yerr(e, err, errlen, "exec: env entries need a name (at most %d)",
                        KUBE_EXEC_MAX_ENV);
        struct buf b = {0};
        buf_printf(&b, "%s=%s", name, value);
        x->env[x->nenv++] = b.data;
    }
    const struct ynode *pci = ymap_get(ex, "provideClusterInfo");
    x->provide_cluster_info = pci && pci->type == Y_SCALAR && strcmp(pci->value, "true") == 0;
    return 0;
}

static int load_user(struct kube_conn *c, const struct kfiles *k, const struct ynode *ctxnode,
                     char *err, size_t errlen)
{
    int fi = 0;
    if (!*c->user)
        return 0; /* anonymous: allowed, the server decides */
    const struct ynode *u = find_named(k, "users", "user", c->user, &fi);
    if (!u)
        return yerr(ctxnode, err, errlen, "context '%s' names user '%s', which is not defined",
                    c->context, c->user);
    const char *user, *pass, *token, *tfile;
    if (str_field(u, "username", &user, err, errlen) < 0 ||
        str_field(u, "password", &pass, err, errlen) < 0 ||
        str_field(u, "token", &token, err, errlen) < 0 ||
        str_field(u, "tokenFile", &tfile, err, errlen) < 0)
        return -1;
    if (*user || *pass)
        return yerr(u, err, errlen,
                    "user '%s': basic auth (username/password) is not supported; Kubernetes "
                    "removed static passwords: use a token, a client certificate or an exec plugin",
                    c->user);
    const struct ynode *ap = ymap_get(u, "auth-provider");
    if (ap)
        return yerr(ap, err, errlen,
                    "user '%s': auth-provider was removed from kubectl (1.26); use an exec "
                    "credential plugin (e.g. kubelogin, gke-gcloud-auth-plugin)",
                    c->user);
    if (load_pem(u, "client-certificate", k->paths[fi], &c->cert, err, errlen) < 0 ||
        load_pem(u, "client-key", k->paths[fi], &c->key, err, errlen) < 0)
        return -1;
    if ((c->cert.len == 0) != (c->key.len == 0))
        return yerr(u, err, errlen, "user '%s': a client certificate needs its key, and back",
                    c->user);
    char why[200];
    if (*token && http_header_value_check("token", token, why, sizeof(why)) < 0)
        return yerr(ymap_get(u, "token"), err, errlen, "user '%s': %s", c->user, why);
    if (*token)
        c->token = strdup(token);
    if (*tfile) {
        resolve_path(k->paths[fi], tfile, c->token_file, sizeof(c->token_file));
        if (kube_conn_read_token_file(c, err, errlen) < 0)
            return yerr(ymap_get(u, "tokenFile"), err, errlen, "%s", err);
    }
    const struct ynode *ex = ymap_get(u, "exec");
    if (ex) {
        c->has_exec = true;
        if (load_exec(&c->exec, ex, k->paths[fi], err, errlen) < 0)
            return -1;
    }
    return 0;
}

static void list_contexts(const struct kfiles *k, char *out, size_t outlen)
{
    struct buf b = {0};
    for (int i = 0; i < k->n; i++) {
        const struct ynode *seq = ymap_get(ytree_root(k->docs[i]), "contexts");
        for (const struct ynode *e = seq ? seq->child : NULL; e; e = e->next) {
            const struct ynode *nm = ymap_get(e, "name");
            if (nm && nm->type == Y_SCALAR)
                buf_printf(&b, "%s'%s'", b.len ? ", " : "", nm->value);
        }
    }
    str_copy(out, outlen, b.len ? buf_cstr(&b) : "none");
    buf_free(&b);
}

static int resolve(struct kube_conn *c, const struct kfiles *k, const char *context,
                   const char *ns_override, char *err, size_t errlen)
{
    if (!context || !*context) {
        for (int i = 0; i < k->n && !*c->context; i++) {
            const char *cur;
            if (str_field(ytree_root(k->docs[i]), "current-context", &cur, err, errlen) < 0)
                return -1;
            STR_COPY(c->context, cur);
        }
        if (!*c->context) {
            char names[512];
            list_contexts(k, names, sizeof(names));
            snprintf(err, errlen, "%s: no current-context set; pass --context (contexts: %s)",
                     k->paths[0], names);
            return -1;
        }
    } else {
        STR_COPY(c->context, context);
    }
    int fi = 0;
    const struct ynode *ctx = find_named(k, "contexts", "context", c->context, &fi);
    if (!ctx) {
        char names[512];
        list_contexts(k, names, sizeof(names));
        snprintf(err, errlen, "%s: context '%s' not found (contexts: %s)", k->paths[0], c->context,
                 names);
        return -1;
    }
    const char *cluster, *user, *ns;
    if (str_field(ctx, "cluster", &cluster, err, errlen) < 0 ||
        str_field(ctx, "user", &user, err, errlen) < 0 ||
        str_field(ctx, "namespace", &ns, err, errlen) < 0)
        return -1;
    STR_COPY(c->cluster, cluster);
    STR_COPY(c->user, user);
    STR_COPY(c->namespace, ns_override ? ns_override : ns);
    snprintf(c->origin, sizeof(c->origin), "kubeconfig %s", k->paths[fi]);
    if (load_cluster(c, k, ctx, err, errlen) < 0)
        return -1;
    return load_user(c, k, ctx, err, errlen);
}

int kubeconfig_load_files(struct kube_conn *c, const char *const *files, int nfiles,
                          const char *context, const char *ns_override, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    struct kfiles k = {0};
    for (int i = 0; i < nfiles && k.n < 16; i++) {
        if (access(files[i], F_OK) != 0)
            continue; /* kubectl skips missing entries of $KUBECONFIG */
        k.docs[k.n] = ytree_load_file(files[i], err, errlen);
        if (!k.docs[k.n]) {
            kfiles_free(&k);
            return -1;
        }
        k.paths[k.n++] = files[i];
    }
    if (k.n == 0) {
        snprintf(err, errlen,
                 "no kubeconfig found (%s%s): set $KUBECONFIG or kubernetes.kubeconfig in the "
                 "config",
                 nfiles ? files[0] : "none", nfiles > 1 ? ", ..." : "");
        return -1;
    }
    int rc = resolve(c, &k, context, ns_override, err, errlen);
    kfiles_free(&k);
    if (rc < 0)
        kube_conn_free(c);
    return rc;
}

/* Splits $KUBECONFIG (or the default) into paths held in store. */
static int kubeconfig_paths(const char *explicit_path, char *store, size_t storelen,
                            const char **files, int max)
{
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    if (explicit_path)
        str_copy(store, storelen, explicit_path);
    else if (env && *env)
        str_copy(store, storelen, env);
    else
        snprintf(store, storelen, "%s/.kube/config", home ? home : "");
    int n = 0;
    for (char *save = NULL, *p = strtok_r(store, ":", &save); p && n < max;
         p = strtok_r(NULL, ":", &save))
        files[n++] = p;
    return n;
}

int kubeconfig_load(struct kube_conn *c, const char *explicit_path, const char *context,
                    const char *ns_override, char *err, size_t errlen)
{
    char store[4096];
    const char *files[16];
    int n = kubeconfig_paths(explicit_path, store, sizeof(store), files, 16);
    return kubeconfig_load_files(c, files, n, context, ns_override, err, errlen);
}

bool kubeconfig_present(void)
{
    char store[4096];
    const char *files[16];
    int n = kubeconfig_paths(NULL, store, sizeof(store), files, 16);
    for (int i = 0; i < n; i++)
        if (access(files[i], R_OK) == 0)
            return true;
    return false;
}

void kubeconfig_contexts(const char *explicit_path, char *out, size_t outlen)
{
    char store[4096], err[256];
    const char *files[16];
    int n = kubeconfig_paths(explicit_path, store, sizeof(store), files, 16);
    struct kfiles k = {0};
    for (int i = 0; i < n; i++) {
        struct ynode *d =
            access(files[i], R_OK) == 0 ? ytree_load_file(files[i], err, sizeof(err)) : NULL;
        if (d) {
            k.docs[k.n] = d;
            k.paths[k.n++] = files[i];
        }
    }
    list_contexts(&k, out, outlen);
    kfiles_free(&k);
}

int kube_incluster_load(struct kube_conn *c, const char *dir, const char *ns_override, char *err,
                        size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (!dir)
        dir = "/var/run/secrets/kubernetes.io/serviceaccount";
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port) {
        snprintf(err, errlen, "not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
        return -1;
    }
    /* JoinHostPort: an IPv6 literal needs brackets. */
    bool v6 = strchr(host, ':') != NULL;
    snprintf(c->server, sizeof(c->server), "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
             port);
    STR_COPY(c->origin, "in-cluster");
    STR_COPY(c->context, "in-cluster");
    snprintf(c->token_file, sizeof(c->token_file), "%s/token", dir);
    if (kube_conn_read_token_file(c, err, errlen) < 0)
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/ca.crt", dir);
    size_t len;
    char *ca = read_file(path, PEM_MAX, &len);
    if (!ca) {
        snprintf(err, errlen, "in-cluster: cannot read %s: %s", path, strerror(errno));
        kube_conn_free(c);
        return -1;
    }
    buf_append(&c->ca, ca, len);
    free(ca);
    snprintf(path, sizeof(path), "%s/namespace", dir);
    char *ns = read_file(path, 256, &len);
    if (ns_override)
        STR_COPY(c->namespace, ns_override);
    else if (ns)
        STR_COPY(c->namespace, strtok(ns, " \r\n") ? ns : "");
    free(ns);
    return 0;
}

/* Any mode and owner, as kubectl: the kubelet mounts the service-account
 * token 0644 by default. */
int kube_conn_read_token_file(struct kube_conn *c, char *err, size_t errlen)
{
    char why[PATH_MAX + 256];
    char *t = secret_file_load(c->token_file, TOKEN_MAX, SECRET_ANY_OWNER_MODE, why, sizeof(why));
    if (!t) {
        snprintf(err, errlen, "token file %s", why);
        return -1;
    }
    secret_free(c->token);
    c->token = t;
    c->token_read_ms = loop_mono_ms();
    c->cred_gen++;
    return 0;
}

void kube_conn_free(struct kube_conn *c)
{
    buf_free(&c->ca);
    buf_free(&c->cert);
    secret_wipe(c->key.data, c->key.cap); /* a key in freed memory is still a key */
    buf_free(&c->key);
    secret_free(c->token);
    c->token = NULL;
    for (int i = 0; i < c->exec.nargs; i++)
        free(c->exec.args[i]);
    for (int i = 0; i < c->exec.nenv; i++)
        free(c->exec.env[i]);
    c->exec.nargs = c->exec.nenv = 0;
    curl_slist_free_all(c->connect_to);
    c->connect_to = NULL;
}

void kube_conn_auth_header(const struct kube_conn *c, char *out, size_t outlen)
{
    if (c->token && *c->token)
        snprintf(out, outlen, "Authorization: Bearer %s", c->token);
    else
        out[0] = 0;
}

static void set_blob(CURL *e, CURLoption opt, const struct buf *b)
{
    struct curl_blob blob = {.data = b->data, .len = b->len, .flags = CURL_BLOB_COPY};
    curl_easy_setopt(e, opt, &blob);
}

void kube_conn_configure(CURL *e, const struct kube_conn *c)
{
    if (c->ca.len)
        set_blob(e, CURLOPT_CAINFO_BLOB, &c->ca);
    if (c->cert.len && c->key.len) {
        set_blob(e, CURLOPT_SSLCERT_BLOB, &c->cert);
        set_blob(e, CURLOPT_SSLKEY_BLOB, &c->key);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (c->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->connect_to)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
    if (*c->proxy_url)
        curl_easy_setopt(e, CURLOPT_PROXY, c->proxy_url);
}
