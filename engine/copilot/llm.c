/* Shared parts of the LLM dialects: lookup, defaults, stream plumbing and
 * the error body reader. */
#include "copilot/llm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/redact.h"

static const struct llm_backend *const backends[] = {&llm_openai, &llm_openai_compat, &llm_azure,
                                                     &llm_anthropic, &llm_ollama};

const struct llm_backend *llm_backend_find(const char *name)
{
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

void llm_settings_defaults(struct llm_settings *s)
{
    const char *b = s->backend;
    const char *url = "", *model = "", *field = "max_tokens";
    if (strcmp(b, "openai") == 0) {
        url = "https://api.openai.com/v1";
        model = "gpt-4o-mini";
        field = "max_completion_tokens";
    } else if (strcmp(b, "openai-compat") == 0) {
        url = "http://localhost:8000/v1";
        model = "default";
    } else if (strcmp(b, "azure") == 0) {
        field = "max_completion_tokens";
        if (!s->api_version[0])
            STR_COPY(s->api_version, "2024-10-21");
    } else if (strcmp(b, "anthropic") == 0) {
        url = "https://api.anthropic.com";
        model = "claude-3-5-sonnet-latest";
    } else if (strcmp(b, "ollama") == 0) {
        url = "http://localhost:11434";
        model = "llama3.2";
    }
    if (!s->base_url[0])
        STR_COPY(s->base_url, url);
    if (!s->model[0])
        STR_COPY(s->model, model);
    if (!s->max_tokens_field[0])
        STR_COPY(s->max_tokens_field, field);
    if (s->max_tokens <= 0)
        s->max_tokens = 1024;
    /* a trailing slash would double in "{base}/chat/completions" */
    size_t n = strlen(s->base_url);
    while (n && s->base_url[n - 1] == '/')
        s->base_url[--n] = 0;
}

int llm_headers(char headers[][LLM_HEADER_LEN], bool sse)
{
    int n = 0;
    snprintf(headers[n++], LLM_HEADER_LEN, "Content-Type: application/json");
    if (sse)
        snprintf(headers[n++], LLM_HEADER_LEN, "Accept: text/event-stream");
    return n;
}

static void add_message(cJSON *msgs, const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(msgs, m);
}

void llm_add_messages(cJSON *root, const char *system, const char *user)
{
    cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
    if (system)
        add_message(msgs, "system", system);
    add_message(msgs, "user", user);
}

int llm_json_body(cJSON *root, struct buf *body)
{
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!txt)
        return -1;
    buf_puts(body, txt);
    cJSON_free(txt);
    return 0;
}

void llm_stream_init(struct llm_stream *st, const struct llm_backend *b)
{
    void (*fn)(const char *, size_t, void *) = st->on_text;
    void *ud = st->ud;
    memset(st, 0, sizeof(*st));
    st->on_text = fn;
    st->ud = ud;
    if (b->ndjson)
        ndjson_init(&st->nd, b->on_line, st);
    else
        sse_init(&st->sse, b->on_event, st);
}

void llm_stream_free(struct llm_stream *st)
{
    sse_free(&st->sse);
    ndjson_free(&st->nd);
}

int llm_stream_feed(struct llm_stream *st, const struct llm_backend *b, const char *buf, size_t len)
{
    return b->ndjson ? ndjson_feed(&st->nd, buf, len) : sse_feed(&st->sse, buf, len);
}

void llm_stream_finish(struct llm_stream *st, const struct llm_backend *b)
{
    if (b->ndjson)
        ndjson_finish(&st->nd);
    /* SSE: an unterminated last event is dropped (the SSE rule) */
}

bool llm_stream_complete(const struct llm_stream *st)
{
    return !st->failed && (st->done || st->stop_reason[0]);
}

static void copy_printable(char *dst, size_t dstlen, const char *src, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < dstlen; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[j++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    dst[j] = 0;
}

static void str_or_num(const cJSON *v, char *out, size_t outlen)
{
    if (cJSON_IsString(v))
        redact_field(out, outlen, v->valuestring, strlen(v->valuestring));
    else if (cJSON_IsNumber(v))
        snprintf(out, outlen, "%d", v->valueint);
}

void llm_parse_error(const char *body, size_t len, char *type, size_t typelen, char *msg,
                     size_t msglen)
{
    if (typelen)
        type[0] = 0;
    if (msglen)
        msg[0] = 0;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        /* redacted whole first: a key echoed near the cut must not leave */
        char red[201];
        redact_field(red, sizeof(red), body, len);
        copy_printable(msg, msglen, red, strlen(red));
        return;
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *src = cJSON_IsObject(err) ? err : root;
    if (cJSON_IsString(err)) {
        redact_field(msg, msglen, err->valuestring, strlen(err->valuestring));
    } else {
        str_or_num(cJSON_GetObjectItemCaseSensitive(src, "message"), msg, msglen);
        /* code (insufficient_quota) is more specific than type when present */
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(src, "code");
        if (cJSON_IsString(code))
            snprintf(type, typelen, "%s", code->valuestring);
        else
            str_or_num(cJSON_GetObjectItemCaseSensitive(src, "type"), type, typelen);
    }
    cJSON_Delete(root);
}
