/* Redaction rules (one sample per type, embedded in realistic text, plus
 * benign lines that must survive) and literal pseudonymisation. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "copilot/pseudo.h"
#include "base/redact.h"
#include "test.h"

struct sample {
    const char *rule;
    const char *text;   /* where it appears */
    const char *secret; /* what must disappear */
};

static const struct sample samples[] = {
    {"aws_access_key", "creds AKIAUJZDEGXDNCF32EPF loaded", "AKIAUJZDEGXDNCF32EPF"},
    {"aws_access_key", "pod worker-ASIA3DHODZDOCIS2JHTL", "ASIA3DHODZDOCIS2JHTL"},
    {"aws_secret_key", "env aws_secret_access_key=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 set",
     "nyVmihA+2O76UMFxFkM+R5Kjp1vRt/1fjORS+6il"},
    {"github_token", "git clone https://ghp_8rESQedUStPKR0CsTy4Qwb8DwkNhFdnXsiVp@github.com/x",
     "ghp_8rESQedUStPKR0CsTy4Qwb8DwkNhFdnXsiVp"},
    {"github_token",
     "GH=github_pat_zz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1LlqsajAIxNKu8iS2G8NPRVdD53X83RZJzzzzgEOz"
     "dmenCk",
     "github_pat_zz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1LlqsajAIxNKu8iS2G8NPRVdD53X83RZJzzzzgEOzdme"
     "nCk"},
    {"gitlab_token", "/var/run/glpat-hvMdgaKjIg8xNbe3nNyj/token", "glpat-hvMdgaKjIg8xNbe3nNyj"},
    {"slack_token", "notify with xoxb-4595711777-7412154728038-xjSI6bWHtP3fS2qHx6kwXoII",
     "xoxb-4595711777-7412154728038-xjSI6bWHtP3fS2qHx6kwXoII"},
    {"slack_webhook",
     "POST https://hooks.slack.com/services/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 failed",
     "T6VOMPZOM/B75WBBR4Q/mSM9wCZ7Uw9xfogoEmvnEN5N"},
    {"jwt",
     "token eyJ1aE6PwZPf1Qh6yYTWmE4.eyJlBYOvfZ8UzDzV8fUkkibjL5DZPjN0M."
     "8Stqcbnr3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJ rejected",
     "8Stqcbnr3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJ"},
    {"openai_key", "OPENAI=sk-proj-cXgGCJbW56eCuNGMGmSrT3BlbkFJCGIZEG8pSH4487q7J58m",
     "cXgGCJbW56eCuNGMGmSrT3BlbkFJCGIZEG8pSH4487q7J58m"},
    {"anthropic_key",
     "key sk-ant-api03-5r1pY4OjE2jBMptUsGr7CmY_uCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt-"
     "PlJhx2jIclHkCiHp6bR1IqfEouHgxzNNAAA end",
     "5r1pY4OjE2jBMptUsGr7CmY_uCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt"},
    {"google_api_key", "maps AIzasCGRlrwZbqcabUGJmGEp7CgQ0PBQFI14zGt",
     "AIzasCGRlrwZbqcabUGJmGEp7CgQ0PBQFI14zGt"},
    {"stripe_key", "charge with sk_live_Snovm14TUOizwd1iaeOV4qBk",
     "sk_live_Snovm14TUOizwd1iaeOV4qBk"},
    {"auth_header", "curl -H 'Authorization: Bearer dfQ1y3GQsMpSscDlkrCaqx9vJupc94tn' x",
     "dfQ1y3GQsMpSscDlkrCaqx9vJupc94tn"},
    {"bearer_token", "sent bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0 upstream",
     "9f8e7d6c5b4a39281706f5e4d3c2b1a0"},
    {"basic_auth", "proxy said Basic dXNlcjpwYXNzd29yZDEyMw== denied", "dXNlcjpwYXNzd29yZDEyMw=="},
    {"url_password", "dial postgres://admin:wlavyfErGPmpGX@db.internal:5432/app: refused",
     "wlavyfErGPmpGX"},
    {"generic_secret", "args --db password=afq0fjzLczbttO --v", "afq0fjzLczbttO"},
    {"generic_secret", "config api_key: ofL9H2WjQ5TY4MyWuUFjsUNP", "ofL9H2WjQ5TY4MyWuUFjsUNP"},
    {"generic_secret", "client_secret=\"jc01T5GOBUSZGi6HWGK1\"", "jc01T5GOBUSZGi6HWGK1"},
    {"private_key",
     "mounted -----BEGIN RSA PRIVATE "
     "KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLez"
     "V6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgiz"
     "\n-----END RSA PRIVATE KEY----- ok",
     "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"},
    {"private_key", "log cut: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",
     "b3BlbnNzaC1rZXktdjEAAAAA"},
};

TEST(every_secret_type_redacted)
{
    char err[200];
    struct redactor *r = redactor_new(err, sizeof(err));
    CHECK(r != NULL);
    if (!r)
        return;
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        struct buf out = {0};
        struct redact_counts c = {0};
        int n = redact_text(r, samples[i].text, strlen(samples[i].text), &out, &c);
        char want[80];
        snprintf(want, sizeof(want), "<REDACTED:%s>", samples[i].rule);
        if (n < 1 || strstr(buf_cstr(&out), samples[i].secret) || !strstr(buf_cstr(&out), want)) {
            fprintf(stderr, "  sample %zu (%s): %s\n", i, samples[i].rule, buf_cstr(&out));
            CHECK(0);
        }
        CHECK(c.total == n);
        buf_free(&out);
    }
    redactor_free(r);
}

TEST(benign_lines_untouched)
{
    static const char *const benign[] = {
        "GET /api/v1/orders?id=12345 200 3.2ms",
        "Back-off restarting failed container checkout in pod checkout-7d9f8b6c5-x2x9z",
        "MountVolume.SetUp failed for volume \"creds\" : secret \"db-creds\" not found",
        "tokens: 812 prompt, 300 completion",
        "deployment.apps/checkout image updated to registry.local/checkout:v2.3.1",
        "readiness probe failed: HTTP probe failed with statuscode: 503",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "the password field is empty",
        "open(\"/etc/passwd\", O_RDONLY) by sh pid 4242",
        "Basic authentication is disabled",
    };
    char err[200];
    struct redactor *r = redactor_new(err, sizeof(err));
    for (size_t i = 0; r && i < sizeof(benign) / sizeof(benign[0]); i++) {
        struct buf out = {0};
        int n = redact_text(r, benign[i], strlen(benign[i]), &out, NULL);
        if (n != 0 || strcmp(buf_cstr(&out), benign[i]) != 0) {
            fprintf(stderr, "  false hit: %s -> %s\n", benign[i], buf_cstr(&out));
            CHECK(0);
        }
        buf_free(&out);
    }
    redactor_free(r);
}

TEST(counts_json_and_user_pattern)
{
    char err[200];
    struct redactor *r = redactor_new(err, sizeof(err));
    CHECK(redactor_add(r, "employee_id", "EMP-(\\d{6})", err, sizeof(err)) == 0);
    CHECK(redactor_add(r, "bad", "(unclosed", err, sizeof(err)) < 0);
    CHECK(strstr(err, "bad") != NULL);
    const char *t = "user EMP-123456 with AKIAUJZDEGXDNCF32EPF and AKIAUJZDEGXDNCF32EPQ";
    struct buf out = {0}, js = {0};
    struct redact_counts c = {0};
    CHECK(redact_text(r, t, strlen(t), &out, &c) == 3);
    CHECK_STR(buf_cstr(&out), "user EMP-<REDACTED:employee_id> with <REDACTED:aws_access_key> and "
                              "<REDACTED:aws_access_key>");
    redact_counts_json(r, &c, &js);
    CHECK_STR(buf_cstr(&js), "{\"aws_access_key\":2,\"employee_id\":1}");
    buf_free(&out);
    buf_free(&js);
    redactor_free(r);
}

TEST(redaction_survives_hostile_input)
{
    char err[200];
    struct redactor *r = redactor_new(err, sizeof(err));
    /* invalid UTF-8, NULs, a huge run: byte mode must neither crash nor hang */
    char big[200000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i % 7 == 0 ? 0xff : i % 11 == 0 ? 0 : 'a' + (int)(i % 26));
    struct buf out = {0};
    redact_text(r, big, sizeof(big), &out, NULL);
    CHECK(out.len == sizeof(big));
    buf_free(&out);
    redactor_free(r);
}

TEST(pseudonyms_literal_on_boundaries_and_restored)
{
    struct pseudo_map *m = calloc(1, sizeof(*m));
    CHECK_STR(pseudo_add(m, "ns", "shop"), "<ns-1>");
    CHECK_STR(pseudo_add(m, "pod", "checkout-7d9f8b6c5-x2x9z"), "<pod-1>");
    CHECK_STR(pseudo_add(m, "pod", "checkout-7d9f8b6c5-abcde"), "<pod-2>");
    CHECK_STR(pseudo_add(m, "node", "node-a.example.com"), "<node-1>");
    CHECK_STR(pseudo_add(m, "ip", "10.0.0.1"), "<ip-1>");
    CHECK_STR(pseudo_add(m, "pod", "checkout-7d9f8b6c5-x2x9z"), "<pod-1>"); /* stable */
    CHECK(pseudo_add(m, "ns", "a") == NULL);                                /* too short */
    CHECK(pseudo_add(m, "ns", "a.*b") != NULL); /* regex characters are literal */
    const char *in = "pod shop/checkout-7d9f8b6c5-x2x9z on node-a.example.com (10.0.0.1, "
                     "10.0.0.12) shopping a.*b axb";
    struct buf out = {0}, back = {0};
    pseudo_apply(m, in, strlen(in), &out);
    CHECK_STR(buf_cstr(&out),
              "pod <ns-1>/<pod-1> on <node-1> (<ip-1>, 10.0.0.12) shopping <ns-2> axb");
    const char *answer = "Restart <pod-1> in <ns-1>; <pod-9> is unknown";
    pseudo_restore(m, answer, strlen(answer), &back);
    CHECK_STR(buf_cstr(&back), "Restart checkout-7d9f8b6c5-x2x9z in shop; <pod-9> is unknown");
    buf_free(&out);
    buf_free(&back);
    free(m);
}

RUN_TESTS()
