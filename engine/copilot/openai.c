/* OpenAI Chat Completions with stream:true, for OpenAI, Azure OpenAI and the
 * OpenAI-compatible servers (vLLM, llama.cpp, LocalAI, LiteLLM, Ollama /v1).
 * The stream is SSE "data:" chunks ending with "data: [DONE]". */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "copilot/llm.h"
#include "base/redact.h"

static int build_common(const struct llm_settings *s, const char *system, const char *user,
                        struct buf *body)
{
    cJSON *root = cJSON_CreateObject();
    if (s->model[0])
        cJSON_AddStringToObject(root, "model", s->model);
    llm_add_messages(root, system, user);
    cJSON_AddBoolToObject(root, "stream", true);
    cJSON *so = cJSON_AddObjectToObject(root, "stream_options");
    cJSON_AddBoolToObject(so, "include_usage", true);
    cJSON_AddNumberToObject(root, s->max_tokens_field, s->max_tokens);
    cJSON_AddNumberToObject(root, "temperature", s->temperature);
    return llm_json_body(root, body);
}

static int build_openai(const struct llm_settings *s, const char *system, const char *user,
                        struct buf *url, char headers[][LLM_HEADER_LEN], int *nheaders,
                        struct buf *body)
{
    buf_printf(url, "%s/chat/completions", s->base_url);
    int n = llm_headers(headers, true);
    if (s->api_key[0])
        snprintf(headers[n++], LLM_HEADER_LEN, "Authorization: Bearer %s", s->api_key);
    *nheaders = n;
    return build_common(s, system, user, body);
}

/* {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=V,
 * the deployment being the configured model name. */
static int build_azure(const struct llm_settings *s, const char *system, const char *user,
                       struct buf *url, char headers[][LLM_HEADER_LEN], int *nheaders,
                       struct buf *body)
{
    buf_printf(url, "%s/openai/deployments/%s/chat/completions?api-version=%s", s->base_url,
               s->model, s->api_version);
    int n = llm_headers(headers, true);
    if (s->api_key[0])
        snprintf(headers[n++], LLM_HEADER_LEN, "api-key: %s", s->api_key);
    *nheaders = n;
    return build_common(s, system, user, body);
}

static void take_error(struct llm_stream *st, const cJSON *src)
{
    st->failed = true;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(src, "message");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(src, "code");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(src, "type");
    if (cJSON_IsString(msg))
        REDACT_COPY(st->error, msg->valuestring);
    else if (cJSON_IsString(src))
        REDACT_COPY(st->error, src->valuestring);
    if (cJSON_IsString(code))
        STR_COPY(st->error_type, code->valuestring);
    else if (cJSON_IsString(type))
        STR_COPY(st->error_type, type->valuestring);
}

static void take_usage(struct llm_stream *st, const cJSON *usage)
{
    if (!cJSON_IsObject(usage))
        return; /* "usage": null on every chunk but the last */
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
    if (cJSON_IsNumber(p))
        st->tokens_in = p->valueint;
    if (cJSON_IsNumber(c))
        st->tokens_out = c->valueint;
}

static bool on_event(const char *event, const char *data, size_t len, void *ud)
{
    (void)event;
    struct llm_stream *st = ud;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        st->done = true;
        return true;
    }
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return true; /* not JSON (a doc elision, garbage): skip the event */
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *object = cJSON_GetObjectItemCaseSensitive(root, "object");
    if (err && !cJSON_IsNull(err)) {
        take_error(st, err);
    } else if (cJSON_IsString(object) && strcmp(object->valuestring, "error") == 0) {
        take_error(st, root); /* vLLM's top-level error shape */
    } else {
        const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
        const cJSON *c0 = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
        if (c0) {
            const cJSON *delta = cJSON_GetObjectItemCaseSensitive(c0, "delta");
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(delta, "content");
            if (cJSON_IsString(content) && content->valuestring[0] && st->on_text)
                st->on_text(content->valuestring, strlen(content->valuestring), st->ud);
            if (cJSON_GetObjectItemCaseSensitive(delta, "tool_calls"))
                st->tool_calls = true;
            const cJSON *fr = cJSON_GetObjectItemCaseSensitive(c0, "finish_reason");
            if (cJSON_IsString(fr))
                STR_COPY(st->stop_reason, fr->valuestring);
        }
        take_usage(st, cJSON_GetObjectItemCaseSensitive(root, "usage"));
    }
    cJSON_Delete(root);
    return true;
}

const struct llm_backend llm_openai = {
    .name = "openai", .cloud = true, .build = build_openai, .on_event = on_event};
const struct llm_backend llm_openai_compat = {
    .name = "openai-compat", .cloud = false, .build = build_openai, .on_event = on_event};
const struct llm_backend llm_azure = {
    .name = "azure", .cloud = true, .build = build_azure, .on_event = on_event};
