/* Redaction at the door, swept: every secret type at every cut position of
 * every fixed field (event message 255, timeline text 159, evidence 255,
 * kernel args 127, path 255, labels 255) through redact_field, and through
 * the LLM error-body path (llm_parse_error, JSON and plain bodies, the
 * secret at every offset around the 200 and 255 cuts). Nothing of a secret
 * longer than 6 characters may survive, a cut never lands inside a
 * placeholder, and a fixed-length token cut by its producer (it ends at the
 * end of the field) still matches its rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/redact.h"
#include "copilot/llm.h"
#include "test.h"

struct secret {
    const char *type;
    const char *before; /* the context that names it */
    const char *value;  /* the secret itself */
    size_t prefix;      /* leading bytes of value that are a public prefix (ghp_, AKIA) */
};

/* Synthetic values, generated for this test; they belong to nobody. */
static const struct secret secrets[] = {
    {"aws_access_key", "key ", "AKIAQ7RZ2XKDWJ3MF5TB", 4},
    {"aws_secret_key", "aws_secret_access_key=", "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", 0},
    {"github_token", "token ", "ghp_R8fK2mQ9xWv3LzT7nB4cY6hJ1dS5gA0eP2uV", 4},
    {"github_pat", "GH=",
     "github_pat_11ABCDEFG0aB1cD2eF3gH4_"
     "iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX5",
     11},
    {"gitlab_token", "PRIVATE-TOKEN: ", "glpat-Xk3vQ9rT2mW8zL5nB7cY", 6},
    {"slack_token", "slack ", "xoxb-40417738211-4930215674120-Qm3kR8vT2xW9zL5nB7cYpD4f", 5},
    {"slack_app", "app ", "xapp-1-A06QK7TB3MZ-6811904326117-9f3a7c2e1b4d8f6a0c5e9b2d7f1a3c8e", 5},
    {"openai_key", "OPENAI_API_KEY=", "sk-proj-Zx8Qm2Kv7Rt3Wn9LpT3BlbkFJ4Hc6Ys1Ud5Gf8Jb2Nq0Ve", 8},
    {"openai_legacy", "key ", "sk-Qw3Er5Ty7Ui9Op1As2DfT3BlbkFJGh4Jk6Lz8Xc0Vb2Nm4Qw6", 3},
    {"anthropic_key", "x-api-key: ",
     "sk-ant-api03-"
     "Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud5Gf0Jb2Nq7Ve4Ba9Cd3Ef6Gh1Ij8Kl5Mn2Op7Qr4St0Uv9Wx3Yz6Ab1Cd5"
     "Ef8Gh2Ij-AA",
     13},
    {"google_api_key", "maps ", "AIzaSyB7xQm2Kv9Rt4Wn8Lp3Hc6Ys1Ud5Gf0J-b", 4},
    {"stripe_key", "stripe ", "sk_live_51Hq7Xm2Kv9Rt4Wn8Lp3Hc6Ys", 8},
    {"npm_token", "//registry.npmjs.org/:_authToken=", "npm_Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud5Gf0Jb2NxY",
     4},
    {"vault_token", "VAULT_TOKEN=", "hvs.CAESIJq7Xm2Kv9Rt4Wn8Lp3Hc6Ys1Ud5Gf0Jb2Nq7Ve4Ba9", 4},
    {"sendgrid_key", "mailer ",
     "SG.Tq7Xm2Kv9Rz4Wn8Lp3Hc6.Ys1Ud5Gf0Jb2Nq7Ve4Ba9Cd3Ef6Gh1Ij8Kl5Mn2Op7Qr", 3},
    {"webhook_secret", "signing ", "whsec_Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud5Gf0J", 6},
    {"jwt", "session ",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJUcTdYbTJLdjlSejQifQ."
     "Wn8Lp3Hc6Ys1Ud5Gf0Jb2Nq7Ve4Ba9Cd3Ef6Gh1Ij",
     0},
    {"bearer_token", "Authorization: Bearer ", "Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud5Gf0Jb", 0},
    {"basic_auth", "Basic ", "c3ZjOlRxN1htMkt2OVJ6NFduOEw=", 0},
    {"cookie", "Cookie: ", "session=Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud", 0},
    {"docker_auth", "{\"auth\":\"", "c3ZjOlRxN1htMkt2OVJ6NFduOExwM0hj", 0},
    {"url_password", "postgres://app:", "Tq7Xm2@Kv9Rz4Wn", 0},
    {"url_empty_user", "redis://:", "Tq7Xm2Kv9Rz4Wn8L", 0},
    {"password_flag", "mysql -u root -p", "Tq7Xm2Kv9Rz!4Wn", 0},
    {"password_long", "docker login --password ", "Tq7Xm2Kv9Rz4Wn8Lp", 0},
    {"generic_secret", "DB_PASSWORD=", "Tq7Xm2Kv9Rz4Wn8L", 0},
    {"azure_key", "AccountName=x;AccountKey=", "Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud5Gf0Jb2Nq7Ve4Ba9==", 0},
    {"private_key_b64", "client-key-data: ",
     "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcFFJQkFBS0NBUUVBdGVzdA==", 14},
};
enum { NSECRETS = sizeof(secrets) / sizeof(secrets[0]) };

/* The url forms need the rest of the URL to be a URL. */
static const char *after(const struct secret *s)
{
    return strncmp(s->type, "url_", 4) == 0 ? "@db.internal:5432/app failed" : " next words";
}

/* A 7-byte run of the secret's private part in text: a leak. */
static bool leaks(const char *text, const struct secret *s)
{
    const char *v = s->value + s->prefix;
    size_t n = strlen(v);
    for (size_t i = 0; i + 7 <= n; i++) {
        char frag[8];
        memcpy(frag, v + i, 7);
        frag[7] = 0;
        if (strstr(text, frag))
            return true;
    }
    return false;
}

static bool placeholder_whole(const char *t)
{
    for (const char *p = strstr(t, "<REDACTED"); p; p = strstr(p + 1, "<REDACTED"))
        if (!strchr(p, '>'))
            return false;
    return true;
}

static const struct {
    const char *name;
    size_t size;
} fields[] = {
    {"event message", 256}, {"timeline text", 160}, {"evidence", 256},
    {"kernel args", 128},   {"path", 256},          {"labels", 256},
};

TEST(every_type_every_cut_every_field)
{
    int cases = 0, bad = 0, control = 0;
    char dst_late[256];
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        for (int k = 0; k < NSECRETS; k++) {
            const struct secret *s = &secrets[k];
            size_t before = strlen(s->before), vlen = strlen(s->value);
            size_t room = fields[f].size - 1;
            /* the cut falls after c bytes of the value, c = 1 .. vlen */
            for (size_t c = 1; c <= vlen && before + c <= room; c++) {
                size_t pad = room - before - c;
                struct buf in = {0};
                for (size_t i = 0; i < pad; i++)
                    buf_append(&in, i % 8 == 7 || i + 1 == pad ? " " : "w", 1);
                buf_printf(&in, "%s%s%s", s->before, s->value, after(s));
                char dst[256];
                redact_field(dst, fields[f].size, buf_cstr(&in), in.len);
                cases++;
                /* the control: the old order, cut then redact */
                struct buf late = {0};
                str_copy(dst_late, fields[f].size, buf_cstr(&in));
                redact_text(redact_default(), dst_late, strlen(dst_late), &late, NULL);
                control += leaks(buf_cstr(&late), s);
                buf_free(&late);
                if (leaks(dst, s) || !placeholder_whole(dst) || strlen(dst) >= fields[f].size) {
                    if (bad++ < 5)
                        fprintf(stderr, "  %s, %s, cut %zu: %s\n", fields[f].name, s->type, c,
                                dst + (pad > 40 ? pad - 40 : 0));
                }
                buf_free(&in);
            }
        }
    }
    printf("  %d cases (types x fields x cut positions); cut-then-redact leaks in %d\n", cases,
           control);
    CHECK(cases > 3000);
    CHECK(control > 100); /* the sweep can see a leak */
    CHECK(bad == 0);
}

TEST(error_bodies_redacted_before_the_cut)
{
    int cases = 0, bad = 0;
    for (int k = 0; k < NSECRETS; k++) {
        const struct secret *s = &secrets[k];
        for (size_t off = 150; off < 260; off++) {
            for (int json = 0; json < 2; json++) {
                struct buf body = {0};
                if (json)
                    buf_puts(&body, "{\"error\":{\"message\":\"");
                for (size_t i = 0; i < off; i++)
                    buf_append(&body, i % 8 == 7 || i + 1 == off ? " " : "e", 1);
                /* a proxy's 401 echoing the credential it refused */
                buf_printf(&body, "%s%s%s", s->before, s->value, after(s));
                if (json)
                    buf_puts(&body, "\",\"type\":\"invalid_request_error\"}}");
                char type[64], msg[256];
                llm_parse_error(buf_cstr(&body), body.len, type, sizeof(type), msg, sizeof(msg));
                cases++;
                if (leaks(msg, s) || !placeholder_whole(msg)) {
                    if (bad++ < 5)
                        fprintf(stderr, "  %s at %zu (%s): %s\n", s->type, off,
                                json ? "json" : "plain", msg);
                }
                buf_free(&body);
            }
        }
    }
    printf("  %d error bodies\n", cases);
    CHECK(bad == 0);
}

/* A fixed-length token whose producer cut it (the kernel's argv buffer)
 * ends at the end of the field: its rule still takes the rest. */
TEST(fixed_length_tokens_cut_by_the_producer)
{
    static const char *const fixed[] = {"aws_access_key", "github_token", "github_pat",
                                        "google_api_key", "npm_token",    "openai_legacy",
                                        "aws_secret_key", "stripe_key",   "gitlab_token",
                                        "vault_token",    "sendgrid_key", "slack_token"};
    struct redactor *r = redact_default();
    CHECK(r != NULL);
    int bad = 0;
    for (size_t j = 0; r && j < sizeof(fixed) / sizeof(fixed[0]); j++) {
        const struct secret *s = NULL;
        for (int k = 0; k < NSECRETS; k++)
            if (strcmp(secrets[k].type, fixed[j]) == 0)
                s = &secrets[k];
        CHECK(s != NULL);
        size_t vlen = s ? strlen(s->value) : 0;
        for (size_t keep = s ? s->prefix + 7 : 0; s && keep < vlen; keep++) {
            struct buf in = {0}, out = {0};
            buf_printf(&in, "exec %s%.*s", s->before, (int)keep, s->value);
            redact_text(r, buf_cstr(&in), in.len, &out, NULL);
            if (leaks(buf_cstr(&out), s) && bad++ < 5)
                fprintf(stderr, "  %s cut at %zu: %s\n", s->type, keep, buf_cstr(&out));
            buf_free(&in);
            buf_free(&out);
        }
    }
    CHECK(bad == 0);
}

TEST(cut_never_inside_a_placeholder_nor_a_character)
{
    char dst[40];
    const char *t = "id AKIAQ7RZ2XKDWJ3MF5TB and more";
    /* "id <REDACTED:aws_access_key> and more": 39 bytes before " and" */
    for (size_t n = 1; n <= 40; n++) {
        size_t got = redact_field(dst, n, t, strlen(t));
        CHECK(got < n);
        CHECK(placeholder_whole(dst));
        CHECK(strstr(dst, "AKIA") == NULL);
        if (n > 3 && n <= 28)
            CHECK_STR(dst, "id "); /* the placeholder does not fit: cut before it */
    }
    const char *u = "caf\xc3\xa9 ok"; /* é is two bytes */
    CHECK(redact_field(dst, 5, u, strlen(u)) == 3);
    CHECK_STR(dst, "caf");
    CHECK(redact_field(dst, 6, u, strlen(u)) == 5);
    /* a NUL ends a field; NULL and empty are "" */
    CHECK(redact_field(dst, sizeof(dst), "ab\0cd", 5) == 2);
    CHECK(redact_field(dst, sizeof(dst), NULL, 0) == 0 && dst[0] == 0);
}

TEST(user_patterns_reach_the_door)
{
    char err[200], dst[64];
    CHECK(redact_default_add("employee_id", "EMP-(\\d{6})", err, sizeof(err)) == 0);
    CHECK(redact_default_add("employee_id", "EMP-(\\d{6})", err, sizeof(err)) == 0); /* reload */
    redact_field(dst, sizeof(dst), "badge EMP-123456 seen", 21);
    CHECK_STR(dst, "badge EMP-<REDACTED:employee_id> seen");
    redact_default_free(); /* back to the built-ins for the other tests */
    redact_field(dst, sizeof(dst), "badge EMP-123456 seen", 21);
    CHECK_STR(dst, "badge EMP-123456 seen");
}

RUN_TESTS()
