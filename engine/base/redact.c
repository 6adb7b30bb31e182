#include "base/redact.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Byte mode (no PCRE2_UTF): the patterns are ASCII and the input is
 * untrusted, possibly invalid UTF-8. Order matters: specific rules first, so
 * the generic assignment rule does not claim a token a typed rule knows.
 *
 * Each rule names its triggers: literal fragments ('|' between them, lower
 * case, 3 bytes or more) one of which every match of the rule contains,
 * case-insensitively. A text runs only the rules whose fragments occur in
 * it, and none at all for most kernel paths and argv. One pass finds them,
 * with a filter on each fragment's first three bytes (a PCRE2 alternation
 * of forty fragments tries most of them at nearly every offset: 40x slower).
 *
 * A fixed-length token that ends at the end of the subject may have been cut
 * by its producer (the kernel's 128-byte argv, a log line limit): each such
 * rule also takes a shorter run that reaches \z. */
typedef bool (*accept_fn)(const char *v, size_t n);
static bool looks_secret(const char *v, size_t n);
static bool not_placeholder(const char *v, size_t n);
static bool not_word(const char *v, size_t n);
static bool has_assignment(const char *v, size_t n);

#define TAIL_END "(?![A-Za-z0-9])"
static const struct {
    const char *name;
    const char *pattern;
    int group; /* the capture group that is the secret, 0: whole match */
    const char *trigger;
    accept_fn accept; /* NULL: every match is redacted */
} builtin[] = {
    /* A key ends at its END line, or (cut by a log) at the end of the JSON
     * string it sits in: an unescaped quote, never past it. */
    {"private_key",
     "(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[^\"\\\\]|\\\\.){64,}?"
     "KEY(?: BLOCK)?-----",
     0, "-----begin", NULL},
    {"private_key", "-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[^\"\\\\]|\\\\.)*+",
     0, "-----begin", NULL},
    /* kubeconfig client-key-data, and any base64 PEM that is not a
     * certificate or a public key ("-----BEGIN " is "LS0tLS1CRUdJTi"). */
    {"private_key",
     "(?i)\\bclient-key-data(?:\\\\?[\"'])?\\s*:\\s*(?:\\\\?[\"'])?([A-Za-z0-9+/]{16,}={0,2})", 1,
     "client-key-data", NULL},
    {"private_key", "LS0tLS1CRUdJTi(?!BDRVJUSUZJQ0FURS|BQVUJMSUMg)[A-Za-z0-9+/]{16,}={0,2}", 0,
     "ls0tls1crudjt", NULL},
    {"aws_access_key",
     "\\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)(?:[A-Z2-7]{16}(?![A-Za-z0-9])|[A-Z2-7]{3,15}\\z))", 1,
     "a3t|akia|asia|abia|acca", NULL},
    {"aws_secret_key",
     "(?i)\\baws_?(?:secret_?access_?key|secret_?key|sk)\\b(?:\\\\?[\"'])?(?:\\s*[:=]\\s*|\\s+)"
     "(?:\\\\?[\"'])?(?-i)((?:[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])|[A-Za-z0-9/+=]{3,39}\\z))",
     1, "aws", NULL},
    {"github_token",
     "\\b((?:ghp|gho|ghu|ghs|ghr)_(?:[0-9A-Za-z]{36}" TAIL_END "|[0-9A-Za-z]{3,35}\\z)"
     "|github_pat_(?:\\w{22,}|\\w{3,21}\\z))",
     1, "ghp_|gho_|ghu_|ghs_|ghr_|github_pat_", NULL},
    {"gitlab_token", "\\bgl(?:pat|ptt|rt|dt|cbt|oas|ft|soat)-(?:[\\w-]{20,}|[\\w-]{3,19}\\z)", 0,
     "glpat-|glptt-|glrt-|gldt-|glcbt-|gloas-|glft-|glsoat-", NULL},
    {"slack_webhook",
     "(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}", 0,
     "hooks.slack.com", NULL},
    {"slack_token",
     "\\bxox[baprse]-(?:[0-9A-Za-z-]{10,}|[0-9A-Za-z-]{3,9}\\z)|\\bxapp-(?:[0-9A-Za-z-]{20,}|[0-9A-"
     "Za-z-]{3,19}\\z)",
     0, "xox|xapp-", NULL},
    {"anthropic_key", "\\bsk-ant-(?:api|admin)\\d{2}-[A-Za-z0-9_-]{80,}", 0, "sk-ant-", NULL},
    {"openai_key",
     "\\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\\b|\\bsk-(?:"
     "proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|\\bsk-[A-Za-z0-9]{48}" TAIL_END
     "|\\bsk-[A-Za-z0-9_-]{6,}\\z",
     0, "sk-", NULL},
    {"google_api_key", "\\bAIza(?:[\\w-]{35}(?![\\w-])|[\\w-]{3,34}\\z)", 0, "aiza", NULL},
    {"stripe_key", "\\b(?:sk|rk)_(?:test|live|prod)_(?:[A-Za-z0-9]{10,99}|[A-Za-z0-9]{3,9}\\z)", 0,
     "sk_|rk_", NULL},
    {"npm_token", "\\bnpm_(?:[A-Za-z0-9]{36}" TAIL_END "|[A-Za-z0-9]{3,35}\\z)", 0, "npm_", NULL},
    {"vault_token", "\\bhv[sbr]\\.(?:[A-Za-z0-9_-]{20,}|[A-Za-z0-9_-]{3,19}\\z)", 0,
     "hvs.|hvb.|hvr.", NULL},
    {"sendgrid_key",
     "\\bSG\\.[A-Za-z0-9_-]{16,32}\\.[A-Za-z0-9_-]{16,64}|\\bSG\\.[A-Za-z0-9_-]{3,32}(?:\\.[A-"
     "Za-z0-9_-]*)?\\z",
     0, "sg.", NULL},
    {"webhook_secret", "\\bwhsec_(?:[A-Za-z0-9+/=]{20,}|[A-Za-z0-9+/=]{3,19}\\z)", 0, "whsec_",
     NULL},
    {"jwt",
     "\\bey[A-Za-z0-9_-]{10,}\\.ey[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}={0,2}|\\bey[A-Za-z0-9_-]{"
     "10,}\\.ey[A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_-]*)?\\z",
     0, ".ey", NULL},
    {"auth_header",
     "(?i)\\b(?:authorization|proxy-authorization|x-api-key|api-key|x-auth-token)(?:\\\\?[\"'])?"
     "\\s*[:=]"
     "\\s*(?:\\\\?[\"'])?(?:(?:bearer|basic|token|apikey)\\s+)?(?!<REDACTED)([A-Za-z0-9._~+/"
     "=-]{8,})",
     1, "authorization|api-key|auth-token", not_word},
    {"bearer_token", "(?i)\\bbearer\\s+(?!<REDACTED)([A-Za-z0-9._~+/-]{16,}=*)", 1, "bearer", NULL},
    {"basic_auth", "(?i)\\bbasic\\s+((?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{12,}={0,2})", 1,
     "basic", NULL},
    {"cookie",
     "(?i)\\b(?:set-)?cookie(?:\\\\?[\"'])?\\s*:\\s*(?:\\\\?[\"'])?(?!<REDACTED)([^\\r\\n\"'"
     "\\\\<]{4,})",
     1, "cookie", has_assignment},
    {"docker_auth",
     "(?i)\\\\?\"(?:auth|identitytoken)\\\\?\"\\s*:\\s*\\\\?\"(?-i)([A-Za-z0-9+/]{12,}={0,2})", 1,
     "\"auth|\"identitytoken", NULL},
    /* A password in the userinfo: the user may be empty and the password may
     * hold '@' (the last '@' before the host ends it). A URL cut before its
     * '@' still has a long non-port run after the ':' at the end. */
    {"url_password",
     "\\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\\s:/@<]{0,64}:(?!<REDACTED)(?|([^\\s/<]{3,128})@|(?![0-"
     "9]+\\z)([^\\s/@<]{8,128})\\z)",
     1, "://", not_placeholder},
    /* Passwords on a command line: --password VALUE / --password=VALUE,
     * mysql -pVALUE, sshpass -p VALUE, redis-cli -a VALUE. */
    {"password_flag",
     "(?|(?:^|(?<=[\\s'\"]))--?(?:[\\w]{1,20}-)?(?:password|passwd|pass|client-secret|secret-key|"
     "api-key|token|auth-token|access-token)(?:=|\\s+)(?!-)(?!<REDACTED)([^\\s\"']{3,200})"
     "|\\b(?:mysql|mysqldump|mysqladmin|mariadb)\\b[^\\n|;&]{0,200}?\\s-p(?!<REDACTED)([^\\s\"'-]["
     "^\\s\"']{2,200})"
     "|\\bsshpass\\s+-p\\s*(?!<REDACTED)([^\\s\"']{3,200})"
     "|\\bredis-cli\\b[^\\n|;&]{0,200}?\\s-a\\s+(?!<REDACTED)([^\\s\"']{3,200}))",
     1, "pass|secret|token|api-key|mysql|mariadb|redis-cli", not_placeholder},
    /* key = value where the key ends in a secret word (never a key alone, and
     * not token_endpoint or password_hash_algo), and the value looks like a
     * secret: looks_secret() turns down paths, URLs, numbers, words. */
    {"generic_secret",
     "(?i)(?<![\\w.-])(?:[\\w.-]{0,60}?(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|"
     "access[_-]?key|secret[_-]?key|private[_-]?key|account[_-]?key|credentials?)|(?:[\\w.-]{0,60}["
     "_.-])?pass)(?:"
     "s|_?\\d{1,2})?(?![\\w-])(?:\\\\?[\"'])?\\s*(?:=>|=|:)\\s*(?:\\\\?[\"'])?(?!<REDACTED)([^"
     "\\s\"',;&<>\\\\`]{6,200})",
     1, "pass|pwd|secret|token|key|credential", looks_secret},
};

_Static_assert(sizeof(builtin) / sizeof(builtin[0]) <= 64, "a trigger's rule mask is 64 bits");

/* ---- value checks: exact, cheap, and only on a candidate match ---- */

static bool all_in(const char *v, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(set, v[i]))
            return false;
    return true;
}

static bool is_word(const char *v, size_t n)
{
    static const char *const words[] = {
        "true",    "false",   "yes",       "no",       "on",       "off",      "null",
        "none",    "nil",     "empty",     "required", "optional", "redacted", "hidden",
        "masked",  "unset",   "undefined", "disabled", "enabled",  "default",  "invalid",
        "expired", "missing", "changeme",  "secret",   "password", "example",
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == n && strncasecmp(v, words[i], n) == 0)
            return true;
    return false;
}

/* Placeholders and references rather than values: ${VAR}, <pw>, ****, xxxx. */
static bool not_placeholder(const char *v, size_t n)
{
    if (n < 3 || strchr("$<{*%[(", v[0]))
        return false;
    if (all_in(v, n, "*xX.") || is_word(v, n))
        return false;
    return true;
}

static bool not_word(const char *v, size_t n)
{
    return !is_word(v, n);
}

static bool has_assignment(const char *v, size_t n)
{
    return memchr(v, '=', n) != NULL;
}

static bool looks_secret(const char *v, size_t n)
{
    if (n < 6 || !not_placeholder(v, n) || strchr("/~.", v[0]))
        return false; /* short, a reference, a path */
    for (size_t i = 0; i + 2 < n; i++)
        if (v[i] == ':' && v[i + 1] == '/' && v[i + 2] == '/')
            return false; /* a URL */
    int lower = 0, upper = 0, digit = 0, other = 0, tz = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c >= 'a' && c <= 'z')
            lower++;
        else if (c >= 'A' && c <= 'Z')
            upper++, tz += c == 'T' || c == 'Z';
        else if (c >= '0' && c <= '9')
            digit++;
        else if (!strchr("-_.", c))
            other++;
    }
    if (!lower && upper == tz)
        return false; /* a number, a date, a time */
    if (!digit && !other)
        return false; /* identifier-shaped: bcrypt, tls, my-app-secret, SecretName */
    if ((v[0] == 'v' || v[0] == 'V') && all_in(v + 1, n - 1, "0123456789.-"))
        return false; /* a version */
    if (memchr(v, '/', n) && !upper)
        return false; /* a resource or path: kubernetes.io/tls, ns/name */
    int classes = !!lower + !!upper + !!digit + !!other;
    return classes >= 2;
}

struct rule {
    char name[48];
    int group;
    accept_fn accept;
    pcre2_code *code;
    pcre2_match_data *md;
};

#define MAX_TRIGGERS 64
struct trigger {
    const char *s; /* lower case */
    size_t len;
    uint64_t rules; /* the built-in rules it may start */
};
struct redactor {
    struct rule rules[REDACT_MAX_RULES];
    int n;
    int nbuiltin;
    struct trigger trig[MAX_TRIGGERS];
    int ntrig;
    uint64_t first3[1024]; /* a bit per hash of a fragment's first three bytes */
    bool prefilter;
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

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static unsigned hash3(const unsigned char *p)
{
    return ((unsigned)lower(p[0]) * 961u + (unsigned)lower(p[1]) * 31u + lower(p[2])) & 0xffffu;
}

/* Each distinct fragment once, with the rules that list it. */
static int build_triggers(struct redactor *r)
{
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        for (const char *t = builtin[i].trigger; *t;) {
            size_t n = strcspn(t, "|");
            if (n < 3)
                return -1;
            int k = 0;
            while (k < r->ntrig && !(r->trig[k].len == n && memcmp(r->trig[k].s, t, n) == 0))
                k++;
            if (k == r->ntrig) {
                if (k == MAX_TRIGGERS)
                    return -1;
                r->trig[k] = (struct trigger){.s = t, .len = n};
                unsigned h = hash3((const unsigned char *)t);
                r->first3[h >> 6] |= (uint64_t)1 << (h & 63);
                r->ntrig++;
            }
            r->trig[k].rules |= (uint64_t)1 << i;
            t += n + (t[n] == '|');
        }
    }
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
        r->rules[r->n].accept = builtin[i].accept;
        r->n++;
    }
    r->nbuiltin = r->n;
    if (build_triggers(r) < 0) {
        snprintf(err, errlen, "redaction triggers: at most %d, 3 bytes or more", MAX_TRIGGERS);
        redactor_free(r);
        return NULL;
    }
    r->prefilter = true;
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
/* PCRE2's JIT reads a little past a subject's end (it only knows the
 * allocation is there): give it zeroed bytes, so no read sees memory that
 * was never written (valgrind flags such reads in the soak). The pad is not
 * part of the text: len is put back. */
#define JIT_PAD 64
static void pad_for_jit(struct buf *b)
{
    static const char zeros[JIT_PAD];
    size_t len = b->len;
    buf_append(b, zeros, JIT_PAD);
    b->len = len;
}

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
        if (rc <= rl->group || s == PCRE2_UNSET || e <= s ||
            (rl->accept && !rl->accept(in + s, e - s))) {
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

void redactor_set_prefilter(struct redactor *r, bool on)
{
    r->prefilter = on;
}

static bool fragment_at(const struct trigger *t, const unsigned char *p, size_t left)
{
    if (left < t->len)
        return false;
    for (size_t i = 0; i < t->len; i++)
        if (lower(p[i]) != (unsigned char)t->s[i])
            return false;
    return true;
}

/* The built-in rules that may match in[0..len): those whose fragments occur
 * in it at any offset. */
static uint64_t rules_to_run(struct redactor *r, const char *in, size_t len)
{
    if (!r->prefilter)
        return ~(uint64_t)0;
    const unsigned char *p = (const unsigned char *)in;
    uint64_t run = 0;
    for (size_t i = 0; i + 3 <= len; i++) {
        unsigned h = hash3(p + i);
        if (!(r->first3[h >> 6] >> (h & 63) & 1))
            continue;
        for (int k = 0; k < r->ntrig; k++)
            if (fragment_at(&r->trig[k], p + i, len - i))
                run |= r->trig[k].rules;
    }
    return run;
}

/* True when only the user's rules (if any) are left to run. */
static bool builtins_idle(struct redactor *r, const char *in, size_t len, uint64_t *run)
{
    *run = rules_to_run(r, in, len);
    return *run == 0;
}

int redact_text(struct redactor *r, const char *in, size_t len, struct buf *out,
                struct redact_counts *counts)
{
    uint64_t run;
    if (builtins_idle(r, in, len, &run) && r->n == r->nbuiltin) {
        buf_append(out, in, len);
        return 0;
    }
    struct buf a = {0}, b = {0};
    buf_append(&a, in, len);
    int total = 0;
    for (int i = 0; i < r->n; i++) {
        if (i < r->nbuiltin && !(run & ((uint64_t)1 << i)))
            continue;
        buf_reset(&b);
        pad_for_jit(&a);
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

/* ---- the process-wide redactor and the one entry point for fields ---- */

static struct redactor *g_default;
static bool g_failed;

struct redactor *redact_default(void)
{
    if (!g_default && !g_failed) {
        char err[256];
        g_default = redactor_new(err, sizeof(err));
        if (!g_default) {
            g_failed = true;
            fprintf(stderr, "lookout: %s\n", err);
        }
    }
    return g_default;
}

int redact_default_add(const char *name, const char *pattern, char *err, size_t errlen)
{
    struct redactor *r = redact_default();
    if (!r) {
        snprintf(err, errlen, "the built-in redaction rules failed to compile");
        return -1;
    }
    for (int i = r->nbuiltin; i < r->n; i++)
        if (strcmp(r->rules[i].name, name) == 0)
            return 0; /* the same configuration loaded again */
    return redactor_add(r, name, pattern, err, errlen);
}

void redact_default_free(void)
{
    redactor_free(g_default);
    g_default = NULL;
    g_failed = false;
}

/* Where to cut text[0..len) to fit max bytes: a UTF-8 boundary, and never
 * inside a placeholder (cut before it instead). */
static size_t safe_cut(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    static const char mark[] = "<REDACTED:";
    const char *p = text;
    while ((p = memmem(p, (size_t)(text + len - p), mark, sizeof(mark) - 1)) &&
           (size_t)(p - text) < cut) {
        const char *end = memchr(p, '>', (size_t)(text + len - p));
        if (!end || (size_t)(end - text) >= cut)
            return (size_t)(p - text);
        p = end + 1;
    }
    return cut;
}

size_t redact_field(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    if (!dstlen)
        return 0;
    struct buf b = {0};
    struct redactor *r = redact_default();
    if (!src)
        src = "";
    srclen = strnlen(src, srclen); /* a field stops at its first NUL */
    uint64_t run;
    if (r && r->n == r->nbuiltin && builtins_idle(r, src, srclen, &run)) {
        size_t n = safe_cut(src, srclen, dstlen - 1); /* nothing to redact: no copy */
        memmove(dst, src, n);
        dst[n] = 0;
        return n;
    }
    if (r)
        redact_text(r, src, srclen, &b, NULL);
    else
        buf_puts(&b, "<REDACTED:unavailable>"); /* fail closed */
    size_t n = safe_cut(buf_cstr(&b), b.len, dstlen - 1);
    memcpy(dst, buf_cstr(&b), n);
    dst[n] = 0;
    buf_free(&b);
    return n;
}
