/* Exec credential plugins, run through the loop; see exec.h. */
#include "kube/exec.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/secret.h"
#include "kube/decode.h"
#include "base/timeparse.h"

#define EXEC_OUT_MAX   (1u << 20)
#define EXEC_ERR_MAX   2048
#define EXPIRY_SKEW_MS 30000

struct kube_exec_run {
    struct loop *loop;
    struct kube_conn *conn;
    pid_t pid;
    int out_fd, err_fd;
    struct buf out, errtext;
    struct loop_timer *deadline;
    struct loop_timer *reap_timer;
    kube_exec_done_fn done;
    void *ud;
    bool timed_out;
};

static void b64_encode(const struct buf *in, struct buf *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)in->data;
    for (size_t i = 0; i < in->len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < in->len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < in->len)
            v |= p[i + 2];
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < in->len ? tbl[(v >> 6) & 63] : '=',
                     i + 2 < in->len ? tbl[v & 63] : '='};
        buf_append(out, q, 4);
    }
}

char *kube_exec_info(const struct kube_conn *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "apiVersion", c->exec.api_version);
    cJSON_AddStringToObject(root, "kind", "ExecCredential");
    cJSON *spec = cJSON_AddObjectToObject(root, "spec");
    cJSON_AddBoolToObject(spec, "interactive", 0);
    if (c->exec.provide_cluster_info) {
        cJSON *cl = cJSON_AddObjectToObject(spec, "cluster");
        cJSON_AddStringToObject(cl, "server", c->server);
        if (*c->tls_server_name)
            cJSON_AddStringToObject(cl, "tls-server-name", c->tls_server_name);
        if (c->insecure)
            cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", 1);
        if (*c->proxy_url)
            cJSON_AddStringToObject(cl, "proxy-url", c->proxy_url);
        if (c->ca.len) {
            struct buf b = {0};
            b64_encode(&c->ca, &b);
            cJSON_AddStringToObject(cl, "certificate-authority-data", buf_cstr(&b));
            buf_free(&b);
        }
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

int kube_exec_needs_refresh(const struct kube_conn *c, int64_t now_wall_ms)
{
    bool have = (c->token && *c->token) || c->cert.len;
    if (!have)
        return 1;
    return c->cred_expiry_ms && now_wall_ms + EXPIRY_SKEW_MS >= c->cred_expiry_ms;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int kube_exec_parse(struct kube_conn *c, const char *out, size_t len, char *err, size_t errlen)
{
    cJSON *root = cJSON_ParseWithLength(out, len);
    if (!root) {
        snprintf(err, errlen, "exec plugin %s: output is not JSON", c->exec.command);
        return -1;
    }
    int rc = -1;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
    const char *api = jstr(root, "apiVersion");
    if (strcmp(jstr(root, "kind"), "ExecCredential") != 0) {
        snprintf(err, errlen, "exec plugin %s: output is not an ExecCredential", c->exec.command);
    } else if (strcmp(api, c->exec.api_version) != 0) {
        snprintf(err, errlen, "exec plugin %s: answered %.60s, kubeconfig asks for %s",
                 c->exec.command, api, c->exec.api_version);
    } else if (!cJSON_IsObject(st)) {
        snprintf(err, errlen, "exec plugin %s: no status in its ExecCredential", c->exec.command);
    } else {
        const char *token = jstr(st, "token");
        const char *cert = jstr(st, "clientCertificateData");
        const char *key = jstr(st, "clientKeyData");
        if (!*token && !(*cert && *key)) {
            snprintf(err, errlen, "exec plugin %s: status has neither a token nor a client cert",
                     c->exec.command);
        } else {
            secret_free(c->token);
            c->token = *token ? strdup(token) : NULL;
            if (*cert && *key) {
                buf_reset(&c->cert);
                secret_wipe(c->key.data, c->key.cap);
                buf_reset(&c->key);
                buf_puts(&c->cert, cert);
                buf_puts(&c->key, key);
            }
            c->cred_expiry_ms = time_rfc3339_or_zero(jstr(st, "expirationTimestamp"));
            c->cred_gen++;
            rc = 0;
        }
    }
    cJSON_Delete(root);
    return rc;
}

static void close_fd(struct kube_exec_run *r, int *fd)
{
    if (*fd < 0)
        return;
    loop_unwatch_fd(r->loop, *fd);
    close(*fd);
    *fd = -1;
}

static void run_free(struct kube_exec_run *r)
{
    close_fd(r, &r->out_fd);
    close_fd(r, &r->err_fd);
    if (r->deadline)
        loop_timer_cancel(r->loop, r->deadline);
    if (r->reap_timer)
        loop_timer_cancel(r->loop, r->reap_timer);
    buf_free(&r->out);
    buf_free(&r->errtext);
    free(r);
}

/* Last line of the plugin's stderr: usually the reason ("token expired, run login"). */
static void stderr_tail(struct kube_exec_run *r, char *out, size_t outlen)
{
    char *s = (char *)buf_cstr(&r->errtext);
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    char *nl = strrchr(s, '\n');
    str_copy(out, outlen, nl ? nl + 1 : s);
}

static void finish(struct kube_exec_run *r, int status)
{
    char err[512] = "", tail[200];
    stderr_tail(r, tail, sizeof(tail));
    const char *cmd = r->conn->exec.command;
    if (r->timed_out)
        snprintf(err, sizeof(err), "exec plugin %.120s: no answer within %d s, killed", cmd,
                 KUBE_EXEC_TIMEOUT_MS / 1000);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(err, sizeof(err), "exec plugin %.120s not found%s%.300s", cmd,
                 *r->conn->exec.install_hint ? ": " : "", r->conn->exec.install_hint);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(err, sizeof(err), "exec plugin %.120s failed (%s %d)%s%.200s", cmd,
                 WIFEXITED(status) ? "exit" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *tail ? ": " : "",
                 tail);
    else
        kube_exec_parse(r->conn, r->out.data ? r->out.data : "", r->out.len, err, sizeof(err));
    kube_exec_done_fn done = r->done;
    void *ud = r->ud;
    run_free(r);
    done(err[0] == 0, err, ud);
}

static void try_reap(void *ud)
{
    struct kube_exec_run *r = ud;
    r->reap_timer = NULL;
    int status = 0;
    pid_t p = waitpid(r->pid, &status, WNOHANG);
    if (p == 0) { /* pipes closed, child still exiting */
        r->reap_timer = loop_timer_start(r->loop, 10, try_reap, r);
        return;
    }
    finish(r, p < 0 ? 1 << 8 : status);
}

static void on_deadline(void *ud)
{
    struct kube_exec_run *r = ud;
    r->deadline = NULL;
    r->timed_out = true;
    kill(r->pid, SIGKILL);
    close_fd(r, &r->out_fd);
    close_fd(r, &r->err_fd);
    try_reap(r);
}

static void on_readable(int fd, int events, void *ud)
{
    (void)events;
    struct kube_exec_run *r = ud;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    bool is_out = fd == r->out_fd;
    if (n <= 0) {
        close_fd(r, is_out ? &r->out_fd : &r->err_fd);
        if (r->out_fd < 0 && r->err_fd < 0)
            try_reap(r);
        return;
    }
    struct buf *b = is_out ? &r->out : &r->errtext;
    size_t cap = is_out ? EXEC_OUT_MAX : EXEC_ERR_MAX;
    if (b->len + (size_t)n <= cap)
        buf_append(b, chunk, (size_t)n);
}

static void child(struct kube_conn *c, int out[2], int errp[2], const char *info)
{
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(errp[1], 2);
    for (int i = 0; i < c->exec.nenv; i++)
        putenv(c->exec.env[i]);
    setenv("KUBERNETES_EXEC_INFO", info, 1);
    execvp(c->exec.command, c->exec.args);
    _exit(errno == ENOENT ? 127 : 126);
}

struct kube_exec_run *kube_exec_start(struct loop *l, struct kube_conn *c, int64_t timeout_ms,
                                      kube_exec_done_fn done, void *ud, char *err, size_t errlen)
{
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        goto fail;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        close(out[0]);
        close(out[1]);
        goto fail;
    }
    char *info = kube_exec_info(c);
    pid_t pid = fork();
    if (pid == 0)
        child(c, out, errp, info ? info : "{}");
    free(info);
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        close(out[0]);
        close(errp[0]);
        goto fail;
    }
    struct kube_exec_run *r = calloc(1, sizeof(*r));
    r->loop = l;
    r->conn = c;
    r->pid = pid;
    r->out_fd = out[0];
    r->err_fd = errp[0];
    r->done = done;
    r->ud = ud;
    fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(r->err_fd, F_SETFL, O_NONBLOCK);
    loop_watch_fd(l, r->out_fd, LOOP_READ, on_readable, r);
    loop_watch_fd(l, r->err_fd, LOOP_READ, on_readable, r);
    r->deadline =
        loop_timer_start(l, timeout_ms ? timeout_ms : KUBE_EXEC_TIMEOUT_MS, on_deadline, r);
    return r;
fail:
    snprintf(err, errlen, "exec plugin %s: cannot start: %s", c->exec.command, strerror(errno));
    return NULL;
}

void kube_exec_cancel(struct kube_exec_run *r)
{
    if (!r)
        return;
    kill(r->pid, SIGKILL);
    close_fd(r, &r->out_fd);
    close_fd(r, &r->err_fd);
    waitpid(r->pid, NULL, 0); /* SIGKILL: immediate */
    run_free(r);
}
