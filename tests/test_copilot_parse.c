/* Stream parsers and wire dialects of the copilot, on the recorded fixtures
 * split at every byte, CRLF framing, keep-alives, mid-UTF-8 splits, error
 * shapes; plus SHA-256 vectors and the destructive-command check. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "copilot/copilot.h"
#include "copilot/llm.h"
#include "base/sha256.h"
#include "test.h"

static char *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "tests/fixtures/llm/%s", name);
    char *s = read_file(path, 1 << 20, len);
    if (!s)
        fprintf(stderr, "  cannot read %s\n", path);
    return s;
}

struct got {
    struct buf text;
};

static void collect(const char *s, size_t n, void *ud)
{
    buf_append(&((struct got *)ud)->text, s, n);
}

/* Feeds data in pieces of `step` bytes (0: all at once). */
static void run(const struct llm_backend *b, const char *data, size_t len, size_t step,
                struct llm_stream *st, struct got *g)
{
    memset(st, 0, sizeof(*st));
    st->on_text = collect;
    st->ud = g;
    llm_stream_init(st, b);
    if (!step)
        step = len;
    for (size_t i = 0; i < len; i += step)
        CHECK(llm_stream_feed(st, b, data + i, len - i < step ? len - i : step) == 0);
    llm_stream_finish(st, b);
}

static const char *openai_text =
    "I'm unable to provide real-time weather updates. To get the current weather in San "
    "Francisco, I recommend checking a reliable weather website or a weather app.";

TEST(openai_fixture_every_split)
{
    size_t len;
    char *data = fixture("openai-chat-stream-text.sse", &len);
    CHECK(data != NULL);
    if (!data)
        return;
    for (size_t step = 1; step <= 97; step += (step < 16 ? 1 : 9)) {
        struct llm_stream st;
        struct got g = {0};
        run(&llm_openai, data, len, step, &st, &g);
        CHECK_STR(buf_cstr(&g.text), openai_text);
        CHECK_STR(st.stop_reason, "stop");
        CHECK(st.done);
        CHECK(st.tokens_in == 14 && st.tokens_out == 30);
        CHECK(llm_stream_complete(&st));
        llm_stream_free(&st);
        buf_free(&g.text);
    }
    free(data);
}

TEST(openai_fixture_crlf_and_keepalive)
{
    size_t len;
    char *data = fixture("openai-chat-stream-text.sse", &len);
    if (!data)
        return;
    struct buf crlf = {0};
    buf_puts(&crlf, ": keep-alive\r\n\r\n");
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n')
            buf_puts(&crlf, "\r\n");
        else
            buf_append(&crlf, &data[i], 1);
        if (i > 0 && data[i] == '\n' && data[i - 1] == '\n' && i % 3 == 0)
            buf_puts(&crlf, ":ping\r\n\r\n");
    }
    for (size_t step = 1; step < 40; step += 3) {
        struct llm_stream st;
        struct got g = {0};
        run(&llm_openai, buf_cstr(&crlf), crlf.len, step, &st, &g);
        CHECK_STR(buf_cstr(&g.text), openai_text);
        CHECK(llm_stream_complete(&st));
        llm_stream_free(&st);
        buf_free(&g.text);
    }
    buf_free(&crlf);
    free(data);
}

TEST(anthropic_fixture_no_trailing_blank_line)
{
    size_t len;
    char *data = fixture("anthropic-messages-stream-text.sse", &len);
    if (!data)
        return;
    for (size_t step = 1; step < 60; step++) {
        struct llm_stream st;
        struct got g = {0};
        run(&llm_anthropic, data, len, step, &st, &g);
        CHECK_STR(buf_cstr(&g.text), "Hello there!");
        CHECK_STR(st.stop_reason, "end_turn");
        CHECK(st.tokens_in == 11 && st.tokens_out == 6);
        CHECK(!st.done);                 /* message_stop is not dispatched (SSE EOF rule) */
        CHECK(llm_stream_complete(&st)); /* the stop reason already means complete */
        llm_stream_free(&st);
        buf_free(&g.text);
    }
    free(data);
}

TEST(ollama_fixture_and_final_line_without_newline)
{
    size_t len;
    char *data = fixture("ollama-chat-stream.ndjson", &len);
    if (!data)
        return;
    for (size_t step = 1; step < 50; step += 2) {
        struct llm_stream st;
        struct got g = {0};
        run(&llm_ollama, data, len - 1, step, &st, &g); /* drop the final \n */
        CHECK_STR(buf_cstr(&g.text), "The");
        CHECK(st.done);
        CHECK(st.tokens_in == 26 && st.tokens_out == 282);
        llm_stream_free(&st);
        buf_free(&g.text);
    }
    free(data);
}

TEST(utf8_split_inside_characters)
{
    const char *sse = "data: {\"choices\":[{\"delta\":{\"content\":\"caf\xc3\xa9 \xe2\x86\x92 "
                      "\xf0\x9f\x9a\x80\"},\"finish_reason\":null}],\"usage\":null}\n\n"
                      "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n";
    for (size_t step = 1; step < 9; step++) {
        struct llm_stream st;
        struct got g = {0};
        run(&llm_openai, sse, strlen(sse), step, &st, &g);
        CHECK_STR(buf_cstr(&g.text), "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80");
        CHECK_STR(st.stop_reason, "length");
        CHECK(llm_stream_complete(&st)); /* no [DONE], but finished */
        llm_stream_free(&st);
        buf_free(&g.text);
    }
}

TEST(sse_multiline_data_comments_unknown_fields)
{
    struct llm_stream st;
    struct got g = {0};
    const char *sse = ":hello\nid: 7\nretry: 1000\nfoo: bar\nevent: message_start\n"
                      "data: {\"type\":\"message_start\",\n"
                      "data: \"message\":{\"usage\":{\"input_tokens\":5}}}\n\n"
                      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                      "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
                      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                      "\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n"
                      "data: ...\n\n";
    run(&llm_anthropic, sse, strlen(sse), 0, &st, &g);
    CHECK(st.tokens_in == 5);
    CHECK_STR(buf_cstr(&g.text), "ok");
    CHECK(!llm_stream_complete(&st)); /* no stop reason: truncated */
    llm_stream_free(&st);
    buf_free(&g.text);
}

TEST(in_stream_errors)
{
    struct llm_stream st;
    struct got g = {0};
    const char *oa = "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"
                     "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
    run(&llm_openai, oa, strlen(oa), 0, &st, &g);
    CHECK(st.failed);
    CHECK_STR(st.error, "boom");
    CHECK_STR(st.error_type, "server_error");
    CHECK(!llm_stream_complete(&st));
    llm_stream_free(&st);
    buf_free(&g.text);

    const char *vllm = "data: {\"object\":\"error\",\"message\":\"context too long\","
                       "\"type\":\"BadRequestError\",\"code\":400}\n\n";
    run(&llm_openai, vllm, strlen(vllm), 0, &st, &g);
    CHECK(st.failed);
    CHECK_STR(st.error, "context too long");
    llm_stream_free(&st);
    buf_free(&g.text);

    const char *an = "event: ping\ndata: {\"type\": \"ping\"}\n\nevent: error\ndata: "
                     "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                     "\"message\":\"Overloaded\"}}\n\n";
    run(&llm_anthropic, an, strlen(an), 1, &st, &g);
    CHECK(st.failed);
    CHECK_STR(st.error_type, "overloaded_error");
    llm_stream_free(&st);
    buf_free(&g.text);

    const char *ol = "{\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
                     "{\"error\":\"unexpected EOF\"}\n";
    run(&llm_ollama, ol, strlen(ol), 3, &st, &g);
    CHECK(st.failed);
    CHECK_STR(st.error, "unexpected EOF");
    CHECK_STR(buf_cstr(&g.text), "a");
    llm_stream_free(&st);
    buf_free(&g.text);
}

TEST(line_cap_stops_garbage)
{
    struct llm_stream st;
    struct got g = {0};
    memset(&st, 0, sizeof(st));
    st.on_text = collect;
    st.ud = &g;
    llm_stream_init(&st, &llm_openai);
    char block[65536];
    memset(block, 'G', sizeof(block));
    int rc = 0;
    for (int i = 0; i < 40 && rc == 0; i++)
        rc = llm_stream_feed(&st, &llm_openai, block, sizeof(block));
    CHECK(rc < 0);
    CHECK(st.sse.split.line.len <= (1u << 20));
    llm_stream_free(&st);
    buf_free(&g.text);
}

TEST(error_bodies_all_shapes)
{
    char type[64], msg[256];
    size_t len;
    char *data = fixture("openai-error-429-rate-limit.json", &len);
    if (data) {
        llm_parse_error(data, len, type, sizeof(type), msg, sizeof(msg));
        CHECK_STR(type, "rate_limit_exceeded");
        CHECK(strncmp(msg, "Rate limit reached", 18) == 0);
        free(data);
    }
    data = fixture("anthropic-error-529-overloaded.json", &len);
    if (data) {
        llm_parse_error(data, len, type, sizeof(type), msg, sizeof(msg));
        CHECK_STR(type, "overloaded_error");
        CHECK_STR(msg, "Overloaded");
        free(data);
    }
    const char *v = "{\"object\":\"error\",\"message\":\"too long\",\"type\":\"BadRequestError\","
                    "\"param\":null,\"code\":400}";
    llm_parse_error(v, strlen(v), type, sizeof(type), msg, sizeof(msg));
    CHECK_STR(msg, "too long");
    CHECK_STR(type, "BadRequestError");
    const char *o = "{\"error\":\"model 'x' not found\"}";
    llm_parse_error(o, strlen(o), type, sizeof(type), msg, sizeof(msg));
    CHECK_STR(msg, "model 'x' not found");
    const char *l = "{\"error\":{\"code\":503,\"message\":\"Loading model\","
                    "\"type\":\"unavailable_error\"}}";
    llm_parse_error(l, strlen(l), type, sizeof(type), msg, sizeof(msg));
    CHECK_STR(msg, "Loading model");
    const char *g = "<html>\x1b[31mbad gateway</html>";
    llm_parse_error(g, strlen(g), type, sizeof(type), msg, sizeof(msg));
    CHECK(strchr(msg, 0x1b) == NULL);
}

TEST(request_bodies_per_backend)
{
    struct llm_settings s = {0};
    char hdr[LLM_MAX_HEADERS][LLM_HEADER_LEN];
    int n;
    const char *names[] = {"openai", "openai-compat", "anthropic", "ollama", "azure"};
    for (int i = 0; i < 5; i++) {
        memset(&s, 0, sizeof(s));
        STR_COPY(s.backend, names[i]);
        STR_COPY(s.api_key, "k-123");
        if (i == 4) {
            STR_COPY(s.base_url, "https://x.openai.azure.com/");
            STR_COPY(s.model, "dep1");
        }
        llm_settings_defaults(&s);
        const struct llm_backend *b = llm_backend_find(names[i]);
        struct buf url = {0}, body = {0};
        CHECK(b->build(&s, "SYS", "USER \"quoted\"\n", &url, hdr, &n, &body) == 0);
        cJSON *j = cJSON_Parse(buf_cstr(&body));
        CHECK(j != NULL);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "stream")));
        if (i == 0)
            CHECK(cJSON_GetObjectItem(j, "max_completion_tokens") != NULL);
        if (i == 1)
            CHECK(cJSON_GetObjectItem(j, "max_tokens") != NULL);
        if (i == 2) {
            CHECK_STR(buf_cstr(&url), "https://api.anthropic.com/v1/messages");
            CHECK_STR(cJSON_GetObjectItem(j, "system")->valuestring, "SYS");
            bool key = false;
            for (int k = 0; k < n; k++)
                key |= strcmp(hdr[k], "x-api-key: k-123") == 0;
            CHECK(key);
        }
        if (i == 3)
            CHECK_STR(buf_cstr(&url), "http://localhost:11434/api/chat");
        if (i == 4) {
            CHECK_STR(buf_cstr(&url), "https://x.openai.azure.com/openai/deployments/dep1/chat/"
                                      "completions?api-version=2024-10-21");
            bool key = false;
            for (int k = 0; k < n; k++)
                key |= strcmp(hdr[k], "api-key: k-123") == 0;
            CHECK(key);
        }
        cJSON_Delete(j);
        buf_free(&url);
        buf_free(&body);
    }
}

TEST(sha256_vectors)
{
    char hex[65];
    sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m, strlen(m), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    sha256_hex(a, 1000000, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

TEST(destructive_commands_flagged)
{
    CHECK(copilot_line_is_destructive("2. `kubectl delete pod x`"));
    CHECK(copilot_line_is_destructive("`kubectl drain node-a --ignore-daemonsets`"));
    CHECK(copilot_line_is_destructive("`kubectl scale deploy/x --replicas=0`"));
    CHECK(copilot_line_is_destructive("run rm -rf /var/lib/x"));
    CHECK(copilot_line_is_destructive("`psql -c 'DROP TABLE orders'`"));
    CHECK(!copilot_line_is_destructive("1. Check memory: `kubectl top pod x`"));
    CHECK(!copilot_line_is_destructive("the error rate should drop after `kubectl get pods`"));
    CHECK(!copilot_line_is_destructive("`kubectl rollout undo deployment/checkout`"));
    /* Rule and object names are not commands. */
    CHECK(!copilot_line_is_destructive("5. Kernel rule oom_kill (critical): process checkout"));
    CHECK(!copilot_line_is_destructive("`kubectl logs deploy/pod-deleter`"));
    CHECK(copilot_line_is_destructive("`kill -9 48213`"));
}

RUN_TESTS()
