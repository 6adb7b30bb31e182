/* The `pipelines`, `gitlab` and `github` config sections: validation and settings. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/tls.h"
#include "base/path.h"
#include "ci/pipeline.h"
#include "kernel/evidence.h"

void pipeline_settings_default(struct pipeline_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->last_n = 20;
    s->fast_ms = 5000;
    s->slow_ms = 60000;
    s->timeout_ms = 10000;
    s->backoff_max_ms = 300000;
    STR_COPY(s->envs[s->nenvs++], "production");
    STR_COPY(s->envs[s->nenvs++], "prod");
    STR_COPY(s->envs[s->nenvs++], "prod-*");
    STR_COPY(s->stages[s->nstages++], "deploy");
    STR_COPY(s->stages[s->nstages++], "deploy-prod*");
    STR_COPY(s->jobs[s->njobs++], "deploy-prod*");
    STR_COPY(s->jobs[s->njobs++], "deploy_prod*");
}

/* A list of globs: a sequence of strings (or one string). */
static int load_patterns(const struct ynode *sec, const char *key, char *out, size_t width,
                         int *count, char *err, size_t errlen)
{
    const struct ynode *n = ymap_get(sec, key);
    if (!n)
        return 0;
    const struct ynode *first = n->type == Y_SEQ ? n->child : n;
    if (n->type == Y_MAP)
        return yerr(n, err, errlen, "'%s' must be a list of patterns", key);
    *count = 0;
    for (const struct ynode *c = first; c; c = n->type == Y_SEQ ? c->next : NULL) {
        if (c->type != Y_SCALAR)
            return yerr(c, err, errlen, "'%s' must be a list of patterns", key);
        if (*count >= PIPE_PATTERNS)
            return yerr(c, err, errlen, "'%s' takes at most %d patterns", key, PIPE_PATTERNS);
        if (!str_copy(out + (size_t)*count * width, width, c->value))
            return yerr(c, err, errlen, "pattern '%.40s' is too long", c->value);
        (*count)++;
    }
    return 0;
}

static int get_interval(const struct ynode *sec, const char *key, int64_t *out, int64_t min,
                        char *err, size_t errlen)
{
    int64_t ms = *out;
    int rc = yget_duration(sec, key, &ms, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 1 && ms < min)
        return yerr(ymap_get(sec, key), err, errlen, "'%s' must be at least %lldms", key,
                    (long long)min);
    *out = ms;
    return 0;
}

/* One `security` entry: a project glob and its evidence (ci/security.c). */
static int load_watch(const struct ynode *n, struct sec_watch *w, char *err, size_t errlen)
{
    static const char *const keys[] = {"project", "namespace", "evidence", "fail_on", NULL};
    char fail_on[16] = "critical";
    if (n->type != Y_MAP)
        return yerr(n, err, errlen, "a 'security' entry is a map (project, namespace, evidence)");
    memset(w, 0, sizeof(*w));
    if (ycheck_keys(n, keys, err, errlen) < 0 ||
        yget_str(n, "project", w->project, sizeof(w->project), err, errlen) < 0 ||
        yget_str(n, "namespace", w->namespace, sizeof(w->namespace), err, errlen) < 0 ||
        yget_str(n, "evidence", w->evidence, sizeof(w->evidence), err, errlen) < 0 ||
        yget_str(n, "fail_on", fail_on, sizeof(fail_on), err, errlen) < 0)
        return -1;
    if (!w->project[0])
        return yerr(n, err, errlen, "a 'security' entry needs 'project' (a glob)");
    if (!w->namespace[0] && !w->evidence[0])
        return yerr(n, err, errlen, "a 'security' entry needs 'namespace' or 'evidence'");
    if (evidence_severity_parse(fail_on, &w->fail_on) < 0)
        return yerr(ymap_get(n, "fail_on"), err, errlen, "'fail_on' must be warning or critical");
    return 0;
}

static int load_watches(struct pipeline_settings *s, const struct ynode *sec, char *err,
                        size_t errlen)
{
    const struct ynode *l = ymap_get(sec, "security");
    if (!l)
        return 0;
    if (l->type != Y_SEQ)
        return yerr(l, err, errlen, "'security' must be a list of entries");
    for (const struct ynode *c = l->child; c; c = c->next) {
        if (s->nsec >= SEC_WATCHES)
            return yerr(c, err, errlen, "'security' takes at most %d entries", SEC_WATCHES);
        if (load_watch(c, &s->sec[s->nsec], err, errlen) < 0)
            return -1;
        s->nsec++;
    }
    return 0;
}

int pipeline_settings_load(struct pipeline_settings *s, const struct ynode *sec, char *err,
                           size_t errlen)
{
    static const char *const keys[] = {
        "last",          "fast",        "slow",         "timeout",  "deploy_environments",
        "deploy_stages", "deploy_jobs", "rate_reserve", "security", NULL};
    pipeline_settings_default(s);
    if (!sec)
        return 0;
    if (ycheck_keys(sec, keys, err, errlen) < 0)
        return -1;
    int64_t last = s->last_n;
    if (yget_int(sec, "last", &last, err, errlen) < 0)
        return -1;
    if (last < 1 || last > 100)
        return yerr(ymap_get(sec, "last"), err, errlen, "'last' must be between 1 and 100");
    s->last_n = (int)last;
    int64_t reserve = s->rate_reserve;
    if (yget_int(sec, "rate_reserve", &reserve, err, errlen) < 0)
        return -1;
    if (reserve < 0 || reserve > 100000)
        return yerr(ymap_get(sec, "rate_reserve"), err, errlen,
                    "'rate_reserve' must be between 0 and 100000 requests");
    s->rate_reserve = reserve;
    if (get_interval(sec, "fast", &s->fast_ms, 100, err, errlen) < 0 ||
        get_interval(sec, "slow", &s->slow_ms, 100, err, errlen) < 0 ||
        get_interval(sec, "timeout", &s->timeout_ms, 100, err, errlen) < 0)
        return -1;
    if (s->slow_ms < s->fast_ms)
        return yerr(sec, err, errlen, "'slow' must not be shorter than 'fast'");
    if (load_patterns(sec, "deploy_environments", &s->envs[0][0], sizeof(s->envs[0]), &s->nenvs,
                      err, errlen) < 0 ||
        load_patterns(sec, "deploy_stages", &s->stages[0][0], sizeof(s->stages[0]), &s->nstages,
                      err, errlen) < 0 ||
        load_patterns(sec, "deploy_jobs", &s->jobs[0][0], sizeof(s->jobs[0]), &s->njobs, err,
                      errlen) < 0)
        return -1;
    return load_watches(s, sec, err, errlen);
}

int pipeline_check_config(const struct ynode *section, char *err, size_t errlen)
{
    struct pipeline_settings s;
    return pipeline_settings_load(&s, section, err, errlen);
}

static int check_url(const struct ynode *sec, char *err, size_t errlen)
{
    char url[256] = "";
    if (yget_str(sec, "url", url, sizeof(url), err, errlen) < 0)
        return -1;
    if (url[0] && strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        return yerr(ymap_get(sec, "url"), err, errlen, "'url' must start with https:// or http://");
    char file[256];
    struct tls_opts tls;
    if (yget_path(sec, "token_file", file, sizeof(file), err, errlen) < 0 ||
        tls_config_read(sec, &tls, err, errlen) < 0)
        return -1;
    if (ymap_get(sec, "token"))
        return yerr(ymap_get(sec, "token"), err, errlen,
                    "put the token in the environment or in a 0600 token_file, not in the config");
    return 0;
}

/* projects/repos: a list of "path" scalars or {key: path, ref_key: name} maps. */
static int check_projects(const struct ynode *sec, const char *list, const char *idkey,
                          const char *refkey, char *err, size_t errlen)
{
    const struct ynode *l = ymap_get(sec, list);
    if (!l)
        return yerr(sec, err, errlen, "'%s' is required: the %s to watch", list, list);
    if (l->type != Y_SEQ || !l->child)
        return yerr(l, err, errlen, "'%s' must be a non-empty list", list);
    int n = 0;
    for (const struct ynode *p = l->child; p; p = p->next, n++) {
        char v[96] = "";
        if (n >= 16)
            return yerr(p, err, errlen, "at most 16 %s per source", list);
        if (p->type == Y_SCALAR) {
            if (!str_copy(v, sizeof(v), p->value) || !v[0])
                return yerr(p, err, errlen, "bad entry in '%s'", list);
            continue;
        }
        const char *const keys[] = {idkey, refkey, NULL};
        if (p->type != Y_MAP || ycheck_keys(p, keys, err, errlen) < 0) {
            if (p->type != Y_MAP)
                return yerr(p, err, errlen, "entries of '%s' are paths or maps", list);
            return -1;
        }
        if (yget_str(p, idkey, v, sizeof(v), err, errlen) < 0)
            return -1;
        if (!v[0])
            return yerr(p, err, errlen, "'%s' is required", idkey);
        char ref[NAME_LEN];
        if (yget_str(p, refkey, ref, sizeof(ref), err, errlen) < 0)
            return -1;
    }
    return 0;
}

int gitlab_check_config(const struct ynode *sec, char *err, size_t errlen)
{
    static const char *const keys[] = {"url",      "token_file",    "token",
                                       "projects", TLS_CONFIG_KEYS, NULL};
    if (sec->type != Y_MAP)
        return yerr(sec, err, errlen, "'gitlab' must be a mapping");
    if (ycheck_keys(sec, keys, err, errlen) < 0 || check_url(sec, err, errlen) < 0)
        return -1;
    return check_projects(sec, "projects", "id", "ref", err, errlen);
}

int github_check_config(const struct ynode *sec, char *err, size_t errlen)
{
    static const char *const keys[] = {"url",   "token_file",    "token",
                                       "repos", TLS_CONFIG_KEYS, NULL};
    if (sec->type != Y_MAP)
        return yerr(sec, err, errlen, "'github' must be a mapping");
    if (ycheck_keys(sec, keys, err, errlen) < 0 || check_url(sec, err, errlen) < 0)
        return -1;
    if (check_projects(sec, "repos", "repo", "branch", err, errlen) < 0)
        return -1;
    const struct ynode *l = ymap_get(sec, "repos");
    for (const struct ynode *p = l->child; p; p = p->next) {
        const struct ynode *v = p->type == Y_SCALAR ? p : ymap_get(p, "repo");
        const char *slash = v && v->value ? strchr(v->value, '/') : NULL;
        if (!slash || slash == v->value || !slash[1] || strchr(slash + 1, '/'))
            return yerr(p, err, errlen, "repos are written owner/repo");
    }
    return 0;
}
