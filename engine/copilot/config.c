/* The copilot section of the config: backend, limits, and the API key from
 * the environment or a private key file; see config.h. */
#include "base/http.h"
#include "base/tls.h"
#include "base/path.h"
#include "copilot/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/redact.h"
#include "base/secret.h"
#include "copilot/postmortem.h"

static const char *const keys[] = {
    "backend",           "model",
    "base_url",          "api_key_file",
    "api_version",       "max_tokens",
    "max_tokens_field",  "temperature",
    "max_prompt_tokens", "max_requests_per_hour",
    "group_wait",        "debounce",
    "pseudonymize",      "audit_log",
    "audit_full_text",   "postmortem_dir",
    "connect_timeout",   "idle_timeout",
    "timeout",           "retries",
    "trigger",           "redact",
    TLS_CONFIG_KEYS,     NULL,
};

static bool backend_known(const char *b)
{
    return !*b || strcmp(b, "offline") == 0 || strcmp(b, "none") == 0 || llm_backend_find(b);
}

static bool rule_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static int check_redact(const struct ynode *seq, char *err, size_t errlen)
{
    if (seq->type != Y_SEQ)
        return yerr(seq, err, errlen, "copilot.redact: expected a list of {name, pattern}");
    if (yseq_len(seq) > COPILOT_USER_RULES)
        return yerr(seq, err, errlen, "copilot.redact: at most %d patterns", COPILOT_USER_RULES);
    static const char *const rkeys[] = {"name", "pattern", NULL};
    struct redactor *r = redactor_new(err, errlen);
    if (!r)
        return -1;
    int rc = 0;
    for (const struct ynode *it = seq->child; it && rc == 0; it = it->next) {
        char name[40] = "", pat[512] = "", msg[200];
        if (it->type != Y_MAP) {
            rc = yerr(it, err, errlen, "copilot.redact: expected {name, pattern}");
            break;
        }
        if (ycheck_keys(it, rkeys, err, errlen) < 0 ||
            yget_str(it, "name", name, sizeof(name), err, errlen) < 0 ||
            yget_str(it, "pattern", pat, sizeof(pat), err, errlen) < 0) {
            rc = -1;
            break;
        }
        if (!rule_name_ok(name))
            rc = yerr(it, err, errlen, "copilot.redact: name must be [a-z0-9_]+");
        else if (!pat[0])
            rc = yerr(it, err, errlen, "copilot.redact: pattern is empty");
        else if (redactor_add(r, name, pat, msg, sizeof(msg)) < 0)
            rc = yerr(it, err, errlen, "copilot.redact: %s", msg);
    }
    redactor_free(r);
    return rc;
}

int copilot_config_check(const struct ynode *c, char *err, size_t errlen)
{
    if (c->type != Y_MAP)
        return yerr(c, err, errlen, "copilot: expected a mapping");
    if (ycheck_keys(c, keys, err, errlen) < 0)
        return -1;
    char s[PATH_MAX];
    int64_t i;
    double d;
    bool b;
    s[0] = 0;
    if (yget_str(c, "backend", s, sizeof(s), err, errlen) < 0)
        return -1;
    if (!backend_known(s))
        return yerr(ymap_get(c, "backend"), err, errlen,
                    "copilot.backend: unknown '%s' (openai, openai-compat, azure, anthropic, "
                    "ollama, offline)",
                    s);
    static const char *const strs[] = {"model", "base_url", "api_version"};
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
        if (yget_str(c, strs[k], s, sizeof(s), err, errlen) < 0)
            return -1;
    char path[PATH_MAX];
    struct tls_opts tls;
    if (yget_path(c, "api_key_file", path, sizeof(path), err, errlen) < 0 ||
        yget_path(c, "audit_log", path, sizeof(path), err, errlen) < 0 ||
        yget_path(c, "postmortem_dir", path, sizeof(path), err, errlen) < 0 ||
        tls_config_read(c, &tls, err, errlen) < 0)
        return -1;
    s[0] = 0;
    if (yget_str(c, "max_tokens_field", s, sizeof(s), err, errlen) < 0)
        return -1;
    if (s[0] && strcmp(s, "max_tokens") && strcmp(s, "max_completion_tokens"))
        return yerr(ymap_get(c, "max_tokens_field"), err, errlen,
                    "copilot.max_tokens_field: max_tokens or max_completion_tokens");
    static const struct {
        const char *k;
        int64_t lo, hi;
    } ints[] = {{"max_tokens", 16, 100000},
                {"max_prompt_tokens", 256, 1000000},
                {"max_requests_per_hour", 0, 100000},
                {"retries", 0, 10}};
    for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
        int r = yget_int(c, ints[k].k, &i, err, errlen);
        if (r < 0)
            return -1;
        if (r > 0 && (i < ints[k].lo || i > ints[k].hi))
            return yerr(ymap_get(c, ints[k].k), err, errlen, "copilot.%s: must be %lld..%lld",
                        ints[k].k, (long long)ints[k].lo, (long long)ints[k].hi);
    }
    int r = yget_double(c, "temperature", &d, err, errlen);
    if (r < 0)
        return -1;
    if (r > 0 && (d < 0 || d > 2))
        return yerr(ymap_get(c, "temperature"), err, errlen, "copilot.temperature: 0..2");
    static const char *const durs[] = {"group_wait", "debounce", "connect_timeout", "idle_timeout",
                                       "timeout"};
    for (size_t k = 0; k < sizeof(durs) / sizeof(durs[0]); k++)
        if (yget_duration(c, durs[k], &i, err, errlen) < 0)
            return -1;
    if (yget_bool(c, "pseudonymize", &b, err, errlen) < 0 ||
        yget_bool(c, "audit_full_text", &b, err, errlen) < 0)
        return -1;
    s[0] = 0;
    if (yget_str(c, "trigger", s, sizeof(s), err, errlen) < 0)
        return -1;
    if (s[0] && strcmp(s, "off") && strcmp(s, "warning") && strcmp(s, "critical"))
        return yerr(ymap_get(c, "trigger"), err, errlen,
                    "copilot.trigger: off, warning or critical");
    const struct ynode *red = ymap_get(c, "redact");
    if (red && check_redact(red, err, errlen) < 0)
        return -1;
    return 0;
}

static void default_audit_path(char *out, size_t outlen)
{
    const char *st = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (st && *st)
        snprintf(out, outlen, "%s/lookout/copilot-audit.jsonl", st);
    else
        snprintf(out, outlen, "%s/.local/state/lookout/copilot-audit.jsonl", home ? home : ".");
}

/* The key from a file only its owner can read (see base/secret.h). */
static int read_key_file(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    char why[PATH_MAX + 256];
    if (secret_file_read(path, out, outlen, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "copilot.api_key_file %s", why);
        return -1;
    }
    return 0;
}

static void env_copy(char *dst, size_t dstlen, const char *name)
{
    const char *v = getenv(name);
    if (v && *v && !dst[0])
        str_copy(dst, dstlen, v);
}

/* Base URL and key by the conventional variables, unless the config set them. */
static void from_env(struct copilot_settings *s)
{
    struct llm_settings *l = &s->llm;
    const char *b = l->backend;
    if (!strcmp(b, "openai") || !strcmp(b, "openai-compat")) {
        env_copy(l->base_url, sizeof(l->base_url), "OPENAI_BASE_URL");
        env_copy(l->api_key, sizeof(l->api_key), "OPENAI_API_KEY");
    } else if (!strcmp(b, "azure")) {
        env_copy(l->base_url, sizeof(l->base_url), "AZURE_OPENAI_ENDPOINT");
        env_copy(l->api_key, sizeof(l->api_key), "AZURE_OPENAI_API_KEY");
        env_copy(l->api_key, sizeof(l->api_key), "OPENAI_API_KEY");
    } else if (!strcmp(b, "anthropic")) {
        env_copy(l->base_url, sizeof(l->base_url), "ANTHROPIC_BASE_URL");
        env_copy(l->api_key, sizeof(l->api_key), "ANTHROPIC_API_KEY");
    } else if (!strcmp(b, "ollama") && !l->base_url[0]) {
        const char *h = getenv("OLLAMA_HOST");
        if (h && *h)
            snprintf(l->base_url, sizeof(l->base_url), "%s%s", strstr(h, "://") ? "" : "http://",
                     h);
    }
}

static void check_key(struct copilot_settings *s)
{
    const struct llm_settings *l = &s->llm;
    bool needs = !strcmp(l->backend, "anthropic") || !strcmp(l->backend, "azure") ||
                 (!strcmp(l->backend, "openai") && strstr(l->base_url, "api.openai.com"));
    if (needs && !l->api_key[0])
        snprintf(s->setup_error, sizeof(s->setup_error),
                 "no API key for %s: set %s or copilot.api_key_file", l->backend,
                 !strcmp(l->backend, "anthropic") ? "ANTHROPIC_API_KEY"
                 : !strcmp(l->backend, "azure")   ? "AZURE_OPENAI_API_KEY"
                                                  : "OPENAI_API_KEY");
    if (!l->base_url[0])
        snprintf(s->setup_error, sizeof(s->setup_error), "no endpoint for %s: set copilot.base_url",
                 l->backend);
}

static int load_section(const struct ynode *c, struct copilot_settings *s, char *keyfile,
                        size_t keyfilelen, char *err, size_t errlen)
{
    struct llm_settings *l = &s->llm;
    int64_t i;
    yget_str(c, "backend", l->backend, sizeof(l->backend), err, errlen);
    yget_str(c, "model", l->model, sizeof(l->model), err, errlen);
    yget_str(c, "base_url", l->base_url, sizeof(l->base_url), err, errlen);
    yget_str(c, "api_version", l->api_version, sizeof(l->api_version), err, errlen);
    yget_str(c, "max_tokens_field", l->max_tokens_field, sizeof(l->max_tokens_field), err, errlen);
    yget_path(c, "api_key_file", keyfile, keyfilelen, err, errlen);
    yget_path(c, "audit_log", s->audit_path, sizeof(s->audit_path), err, errlen);
    tls_config_read(c, &l->tls, err, errlen); /* checked by copilot_config_check */
    if (yget_int(c, "max_tokens", &i, err, errlen) > 0)
        l->max_tokens = (int)i;
    if (yget_int(c, "max_prompt_tokens", &i, err, errlen) > 0)
        s->max_prompt_tokens = (int)i;
    if (yget_int(c, "max_requests_per_hour", &i, err, errlen) > 0)
        s->max_requests_per_hour = (int)i;
    if (yget_int(c, "retries", &i, err, errlen) > 0)
        s->max_retries = (int)i;
    yget_double(c, "temperature", &l->temperature, err, errlen);
    yget_duration(c, "group_wait", &s->group_wait_ms, err, errlen);
    yget_duration(c, "debounce", &s->debounce_ms, err, errlen);
    if (yget_duration(c, "connect_timeout", &i, err, errlen) > 0)
        s->connect_timeout_ms = (long)i;
    if (yget_duration(c, "idle_timeout", &i, err, errlen) > 0)
        s->idle_timeout_ms = (long)i;
    if (yget_duration(c, "timeout", &i, err, errlen) > 0)
        s->total_timeout_ms = (long)i;
    yget_bool(c, "pseudonymize", &s->pseudonymize, err, errlen);
    yget_bool(c, "audit_full_text", &s->audit_full_text, err, errlen);
    char trig[16] = "";
    yget_str(c, "trigger", trig, sizeof(trig), err, errlen);
    s->auto_trigger = strcmp(trig, "off") != 0;
    if (!strcmp(trig, "critical"))
        s->trigger_severity = SEV_CRITICAL;
    else if (!strcmp(trig, "warning"))
        s->trigger_severity = SEV_WARNING;
    const struct ynode *red = ymap_get(c, "redact");
    for (const struct ynode *it = red ? red->child : NULL;
         it && s->nuser_rules < COPILOT_USER_RULES; it = it->next) {
        yget_str(it, "name", s->user_rules[s->nuser_rules].name, sizeof(s->user_rules[0].name), err,
                 errlen);
        yget_str(it, "pattern", s->user_rules[s->nuser_rules].pattern,
                 sizeof(s->user_rules[0].pattern), err, errlen);
        s->nuser_rules++;
    }
    return 0;
}

int copilot_settings_load(const struct config *cfg, const char *backend_override,
                          struct copilot_settings *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->max_requests_per_hour = 20;
    s->max_prompt_tokens = 4000;
    s->group_wait_ms = 10000;
    s->debounce_ms = 30000;
    s->connect_timeout_ms = 5000;
    s->idle_timeout_ms = 60000;
    s->total_timeout_ms = 120000;
    s->max_retries = 2;
    s->retry_after_cap_ms = 60000;
    /* an incident is worth a question from warning on, with an LLM too: the
     * debounce and the hourly cap bound what that costs */
    s->trigger_severity = SEV_WARNING;
    s->auto_trigger = true;
    s->llm.temperature = 0.2;
    bool pseudo_set = false;
    char keyfile[PATH_MAX] = "";
    const struct ynode *c = cfg ? config_section(cfg, "copilot") : NULL;
    if (c) {
        s->pseudonymize = true; /* sentinel to detect an explicit value */
        bool probe = false;
        pseudo_set = yget_bool(c, "pseudonymize", &probe, err, errlen) > 0;
        load_section(c, s, keyfile, sizeof(keyfile), err, errlen);
    }
    if (backend_override && *backend_override)
        STR_COPY(s->llm.backend, backend_override);
    if (!strcmp(s->llm.backend, "offline") || !strcmp(s->llm.backend, "none"))
        s->llm.backend[0] = 0;
    if (!backend_known(s->llm.backend)) {
        snprintf(err, errlen,
                 "unknown copilot backend '%s' (openai, openai-compat, azure, anthropic, "
                 "ollama, offline)",
                 s->llm.backend);
        return -1;
    }
    if (!s->audit_path[0])
        default_audit_path(s->audit_path, sizeof(s->audit_path));
    if (!s->llm.backend[0])
        return 0;
    const struct llm_backend *b = llm_backend_find(s->llm.backend);
    if (!pseudo_set)
        s->pseudonymize = b->cloud;
    if (keyfile[0] &&
        read_key_file(keyfile, s->llm.api_key, sizeof(s->llm.api_key), err, errlen) < 0)
        return -1;
    from_env(s);
    if (http_header_value_check("the copilot API key (environment or copilot.api_key_file)",
                                s->llm.api_key, err, errlen) < 0)
        return -1;
    llm_settings_defaults(&s->llm);
    check_key(s);
    return 0;
}

void copilot_settings_clear(struct copilot_settings *s)
{
    secret_wipe(s->llm.api_key, sizeof(s->llm.api_key));
}

void copilot_postmortem_dir(const struct config *cfg, char *out, size_t outlen)
{
    const struct ynode *c = cfg ? config_section(cfg, "copilot") : NULL;
    char err[64];
    out[0] = 0;
    if (c)
        yget_path(c, "postmortem_dir", out, outlen, err, sizeof err);
    if (!out[0])
        postmortem_default_dir(out, outlen);
}
