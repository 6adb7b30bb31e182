#include "base/redact.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Byte mode (no PCRE2_UTF): the patterns are ASCII and the input is
 * untrusted, possibly invalid UTF-8. Order matters: specific rules first, so
 * the generic assignment rule does not claim a token a typed rule knows. */
static const struct {
    const char *name;
    const char *pattern;
    int group; /* the capture group that is the secret, 0: whole match */
} builtin[] = {
    /* A key ends at its END line, or (cut by a log) at the end of the JSON
     * string it sits in: an unescaped quote, never past it. */
    {"private_key",
     "(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[^\"\\\\]|\\\\.){64,}?"
     "KEY(?: BLOCK)?-----",
     0},
    {"private_key", "-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[^\"\\\\]|\\\\.)*+",
     0},
    {"aws_access_key", "\\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\\b", 1},
    {"aws_secret_key",
     "(?i)\\baws_?(?:secret_?access_?key|secret_?key|sk)\\b(?:\\\\?[\"'])?\\s*[:=]\\s*(?:\\\\?[\"']"
     ")?([A-Za-z0-9/"
     "+=]{40})(?![A-Za-z0-9/+=])",
     1},
    {"github_token", "\\b((?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36}|github_pat_\\w{82})\\b", 1},
    {"gitlab_token", "\\bgl(?:pat|ptt|rt|dt|cbt|oas|ft|soat)-[\\w-]{20,}", 0},
    {"slack_webhook",
     "(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}", 0},
    {"slack_token", "\\bxox[baprse]-[0-9A-Za-z-]{10,}", 0},
    {"anthropic_key", "\\bsk-ant-(?:api|admin)\\d{2}-[A-Za-z0-9_-]{80,}", 0},
    {"openai_key",
     "\\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\\b|\\bsk-(?:"
     "proj|svcacct|admin)-[A-Za-z0-9_-]{40,}",
     0},
    {"google_api_key", "\\bAIza[\\w-]{35}\\b", 0},
    {"stripe_key", "\\b(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99}\\b", 0},
    {"jwt", "\\bey[A-Za-z0-9_-]{10,}\\.ey[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}={0,2}", 0},
    {"auth_header",
     "(?i)\\b(?:authorization|proxy-authorization|x-api-key|api-key|x-auth-token)(?:\\\\?[\"'])?"
     "\\s*[:=]"
     "\\s*(?:\\\\?[\"'])?(?:(?:bearer|basic|token|apikey)\\s+)?(?!<REDACTED)([A-Za-z0-9._~+/"
     "=-]{8,})",
     1},
    {"bearer_token", "(?i)\\bbearer\\s+(?!<REDACTED)([A-Za-z0-9._~+/-]{16,}=*)", 1},
    {"basic_auth", "(?i)\\bbasic\\s+((?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{12,}={0,2})", 1},
    {"url_password",
     "\\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\\s:/@<]{1,64}:(?!<REDACTED)([^\\s@/]{3,128})@", 1},
    {"generic_secret",
     "(?i)\\b[\\w.-]{0,40}(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|"
     "credential|client[_-]?secret)[\\w.-]{0,20}(?:\\\\?[\"'])?\\s*(?:=|:|=>)\\s*(?:\\\\?[\"'])?(?!"
     "<REDACTED)([^"
     "\\s\"',;&<>\\\\]{6,200})",
     1},
};

struct rule {
    char name[48];
    int group;
    pcre2_code *code;
    pcre2_match_data *md;
};

struct redactor {
    struct rule rules[REDACT_MAX_RULES];
    int n;
};

static int compile(struct rule *r, const char *name, const char *pattern, int group, char *err,
                   size_t errlen)
{
    int ec;
    PCRE2_SIZE off;
    r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
    if (!r->code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(err, errlen, "redaction pattern '%s' at offset %zu: %s", name, (size_t)off,
                 (char *)msg);
        return -1;
    }
    pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    snprintf(r->name, sizeof(r->name), "%s", name);
    uint32_t ncap = 0;
    pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
    r->group = group < 0 ? (ncap > 0 ? 1 : 0) : group;
    return 0;
}

struct redactor *redactor_new(char *err, size_t errlen)
{
    struct redactor *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        if (compile(&r->rules[r->n], builtin[i].name, builtin[i].pattern, builtin[i].group, err,
                    errlen) < 0) {
            redactor_free(r);
            return NULL;
        }
        r->n++;
    }
    return r;
}

void redactor_free(struct redactor *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        pcre2_match_data_free(r->rules[i].md);
        pcre2_code_free(r->rules[i].code);
    }
    free(r);
}

int redactor_add(struct redactor *r, const char *name, const char *pattern, char *err,
                 size_t errlen)
{
    if (r->n >= REDACT_MAX_RULES) {
        snprintf(err, errlen, "too many redaction patterns (max %d)", REDACT_MAX_RULES);
        return -1;
    }
    if (compile(&r->rules[r->n], name, pattern, -1, err, errlen) < 0)
        return -1;
    r->n++;
    return 0;
}

int redactor_count(const struct redactor *r)
{
    return r->n;
}

const char *redactor_rule_name(const struct redactor *r, int i)
{
    return i >= 0 && i < r->n ? r->rules[i].name : "";
}

/* One rule over in[0..len) into out; returns spans redacted. */
static int apply_rule(struct rule *rl, const char *in, size_t len, struct buf *out)
{
    size_t pos = 0, copied = 0;
    int hits = 0;
    while (pos <= len) {
        int rc = pcre2_match(rl->code, (PCRE2_SPTR)in, len, pos, 0, rl->md, NULL);
        if (rc < 0)
            break; /* no match, or a resource limit: keep the rest as is */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rl->md);
        size_t me = ov[1];
        size_t s = ov[2 * rl->group], e = ov[2 * rl->group + 1];
        if (rc <= rl->group || s == PCRE2_UNSET || e <= s) {
            pos = me > pos ? me : pos + 1;
            continue;
        }
        buf_append(out, in + copied, s - copied);
        buf_printf(out, "<REDACTED:%s>", rl->name);
        copied = e;
        hits++;
        pos = me > pos ? me : pos + 1;
        if (pos < e)
            pos = e;
    }
    buf_append(out, in + copied, len - copied);
    return hits;
}

int redact_text(struct redactor *r, const char *in, size_t len, struct buf *out,
                struct redact_counts *counts)
{
    struct buf a = {0}, b = {0};
    buf_append(&a, in, len);
    int total = 0;
    for (int i = 0; i < r->n; i++) {
        buf_reset(&b);
        int hits = apply_rule(&r->rules[i], buf_cstr(&a), a.len, &b);
        if (hits) {
            struct buf t = a;
            a = b;
            b = t;
            total += hits;
            if (counts) {
                counts->n[i] += hits;
                counts->total += hits;
            }
        }
    }
    buf_append(out, buf_cstr(&a), a.len);
    buf_free(&a);
    buf_free(&b);
    return total;
}

void redact_counts_json(const struct redactor *r, const struct redact_counts *c, struct buf *out)
{
    /* Two built-in rules share a name (private_key): sum by name. */
    buf_puts(out, "{");
    bool first = true;
    for (int i = 0; i < r->n; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(r->rules[j].name, r->rules[i].name) == 0;
        if (seen)
            continue;
        int sum = 0;
        for (int j = i; j < r->n; j++)
            if (strcmp(r->rules[j].name, r->rules[i].name) == 0)
                sum += c->n[j];
        if (!sum)
            continue;
        buf_printf(out, "%s\"%s\":%d", first ? "" : ",", r->rules[i].name, sum);
        first = false;
    }
    buf_puts(out, "}");
}
