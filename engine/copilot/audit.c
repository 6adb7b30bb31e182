#include "copilot/audit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copilot/context.h"

static void mkdirs(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        mkdir(dir, 0700);
        *p = '/';
    }
    mkdir(dir, 0700);
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

int copilot_audit_append(const char *path, const struct copilot_audit_rec *r, char *err,
                         size_t errlen)
{
    cJSON *o = cJSON_CreateObject();
    char iso[32];
    copilot_iso_time(r->time, iso, sizeof(iso));
    cJSON_AddStringToObject(o, "time", iso);
    add_str(o, "backend", r->backend);
    add_str(o, "model", r->model);
    add_str(o, "incident", r->incident);
    add_str(o, "fingerprint", r->fingerprint);
    add_str(o, "url", r->url);
    cJSON_AddNumberToObject(o, "prompt_bytes", (double)r->prompt_bytes);
    add_str(o, "prompt_sha256", r->prompt_sha256);
    cJSON *red = r->redactions ? cJSON_Parse(r->redactions) : NULL;
    cJSON_AddItemToObject(o, "redactions", red ? red : cJSON_CreateObject());
    cJSON_AddNumberToObject(o, "redactions_total", r->redactions_total);
    cJSON_AddNumberToObject(o, "pseudonyms", r->pseudonyms);
    cJSON_AddNumberToObject(o, "tokens_in", r->tokens_in);
    cJSON_AddNumberToObject(o, "tokens_out", r->tokens_out);
    cJSON_AddNumberToObject(o, "latency_ms", (double)r->latency_ms);
    add_str(o, "outcome", r->outcome);
    if (r->error && *r->error)
        cJSON_AddStringToObject(o, "error", r->error);
    cJSON_AddNumberToObject(o, "status", (double)r->status);
    cJSON_AddNumberToObject(o, "attempts", r->attempts);
    if (r->request_id && *r->request_id)
        cJSON_AddStringToObject(o, "request_id", r->request_id);
    if (r->full_text)
        cJSON_AddStringToObject(o, "prompt", r->full_text);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!line) {
        snprintf(err, errlen, "audit: out of memory");
        return -1;
    }
    mkdirs(path);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = 0;
    struct stat st;
    if (fd < 0) {
        snprintf(err, errlen, "audit log %s: %s", path, strerror(errno));
        rc = -1;
    } else {
        if (fstat(fd, &st) == 0 && (st.st_mode & 077))
            fchmod(fd, 0600); /* tighten a file someone created loosely */
        size_t n = strlen(line);
        line[n] = '\n'; /* one write: lines from one process never interleave */
        if (write(fd, line, n + 1) != (ssize_t)(n + 1)) {
            snprintf(err, errlen, "audit log %s: %s", path, strerror(errno));
            rc = -1;
        }
        close(fd);
    }
    cJSON_free(line);
    return rc;
}
