/* The intern pool (base/intern.h) and the F_SREF schema fields built on it:
 * one copy per distinct string, the byte cap and its counter, the cut a
 * char[N] field would make, and a pod row's JSON unchanged by interning. */
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "core/model.h"
#include "test.h"

TEST(same_string_same_pointer)
{
    struct intern in;
    intern_init(&in, 1 << 20);
    char a[] = "kube-system", b[] = "kube-system";
    const char *x = intern_get(&in, a, strlen(a));
    const char *y = intern_get(&in, b, strlen(b));
    CHECK(x == y);
    CHECK(x != a && x != b); /* a copy: the caller's buffer may go */
    CHECK_STR(x, "kube-system");
    CHECK(intern_count(&in) == 1);
    CHECK(in.bytes == strlen("kube-system") + 1);
    const char *z = intern_get(&in, "kube-public", 11);
    CHECK(z != x);
    CHECK(intern_count(&in) == 2);
    intern_free(&in);
}

TEST(length_not_nul_ends_the_string)
{
    struct intern in;
    intern_init(&in, 1 << 20);
    const char *prefix = intern_get(&in, "checkout-7d9f8b6c4", 8);
    CHECK_STR(prefix, "checkout");
    CHECK(intern_get(&in, "checkout", 8) == prefix);
    /* a prefix of a pooled string is its own entry, not a match */
    CHECK(intern_get(&in, "check", 5) != prefix);
    CHECK(intern_get(&in, "", 0)[0] == 0);
    intern_free(&in);
}

TEST(cap_refuses_and_counts)
{
    struct intern in;
    intern_init(&in, 16);
    const char *a = intern_get(&in, "0123456789", 10); /* 11 bytes */
    CHECK_STR(a, "0123456789");
    const char *b = intern_get(&in, "abcdefgh", 8); /* 9 more: over 16 */
    CHECK_STR(b, INTERN_REFUSED);
    CHECK(in.refused == 1);
    CHECK(intern_count(&in) == 1);
    CHECK(intern_get(&in, "0123456789", 10) == a); /* known strings still resolve */
    CHECK(in.refused == 1);
    CHECK(intern_get(&in, "abc", 3)[0] == 'a'); /* 4 bytes still fit */
    CHECK(in.bytes == 15);
    intern_free(&in);
}

TEST(many_strings_across_blocks)
{
    struct intern in;
    intern_init(&in, 64u << 20);
    static const char *first[5000];
    static char s[20000];
    for (int i = 0; i < 5000; i++) {
        /* every 100th is longer than a quarter block's share: its own block */
        int len = snprintf(s, sizeof(s), "%0*d", i % 100 ? 40 : 17000, i);
        first[i] = intern_get(&in, s, (size_t)len);
    }
    CHECK(intern_count(&in) == 5000);
    int same = 0;
    for (int i = 0; i < 5000; i++) {
        int len = snprintf(s, sizeof(s), "%0*d", i % 100 ? 40 : 17000, i);
        same += intern_get(&in, s, (size_t)len) == first[i] && strcmp(first[i], s) == 0;
    }
    CHECK(same == 5000);
    intern_free(&in);
}

TEST(cut_like_a_char_array)
{
    char longname[200];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    const char *r = intern_cut(longname, OBJ_LEN);
    CHECK(strlen(r) == OBJ_LEN - 1);
    CHECK(intern_cut(NULL, NAME_LEN) == intern_str(""));
    CHECK(intern_str("Running") == intern_cut("Running", POD_PHASE_LEN));
}

TEST(schema_zero_and_json_round_trip)
{
    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    CHECK(p.namespace && !p.namespace[0]);
    CHECK(p.containers[POD_CONTAINERS - 1].image && !p.containers[POD_CONTAINERS - 1].image[0]);
    STR_COPY(p.key, "shop/checkout-1");
    STR_COPY(p.name, "checkout-1");
    p.namespace = intern_str("shop");
    p.labels = intern_str("app=checkout");
    p.ncontainers = 1;
    p.containers[0].image = intern_str("registry.example/shop/checkout:2.4.1");
    cJSON *j = schema_to_json(&k8s_pod_schema, &p);
    char *text = cJSON_PrintUnformatted(j);
    CHECK(strstr(text, "\"namespace\":\"shop\",\"name\":\"checkout-1\",\"node\":\"\"") != NULL);
    struct k8s_pod q;
    char err[128];
    CHECK(schema_from_json(&k8s_pod_schema, j, &q, err, sizeof(err)) == 0);
    /* decoded strings land on the same pooled copies: rows compare equal */
    CHECK(q.namespace == p.namespace && q.labels == p.labels);
    CHECK(q.containers[0].image == p.containers[0].image);
    CHECK(memcmp(&p, &q, sizeof(p)) == 0);
    cJSON_free(text);
    cJSON_Delete(j);
}

TEST(decode_cuts_a_record_field)
{
    /* a record from elsewhere may hold a longer phase than the field's cap */
    cJSON *j = cJSON_Parse("{\"key\":\"a/b\",\"phase\":\"Running-and-a-great-deal-more\"}");
    struct k8s_pod p;
    char err[128];
    CHECK(schema_from_json(&k8s_pod_schema, j, &p, err, sizeof(err)) == 0);
    CHECK(strlen(p.phase) == POD_PHASE_LEN - 1);
    CHECK(p.node == intern_str(""));
    cJSON *wrong = cJSON_Parse("{\"key\":\"a/b\",\"node\":7}");
    CHECK(schema_from_json(&k8s_pod_schema, wrong, &p, err, sizeof(err)) < 0);
    CHECK(strstr(err, "node") != NULL);
    cJSON_Delete(wrong);
    cJSON_Delete(j);
}

RUN_TESTS()
