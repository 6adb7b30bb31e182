/* Anthropic Messages with stream:true: SSE named events message_start,
 * content_block_delta, message_delta, message_stop, ping and error. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "copilot/llm.h"
#include "base/redact.h"

static int build(const struct llm_settings *s, const char *system, const char *user,
                 struct buf *url, char headers[][LLM_HEADER_LEN], int *nheaders, struct buf *body)
{
    buf_printf(url, "%s/v1/messages", s->base_url);
    int n = llm_headers(headers, true);
    snprintf(headers[n++], LLM_HEADER_LEN, "anthropic-version: 2023-06-01");
    if (s->api_key[0])
        snprintf(headers[n++], LLM_HEADER_LEN, "x-api-key: %s", s->api_key);
    *nheaders = n;

    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", s->model);
    cJSON_AddNumberToObject(root, "max_tokens", s->max_tokens);
    cJSON_AddStringToObject(root, "system", system);
    llm_add_messages(root, NULL, user); /* the system prompt is a top-level field here */
    cJSON_AddBoolToObject(root, "stream", true);
    cJSON_AddNumberToObject(root, "temperature", s->temperature);
    return llm_json_body(root, body);
}

static int num(const cJSON *obj, const char *name, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valueint : dflt;
}

static bool on_event(const char *event, const char *data, size_t len, void *ud)
{
    struct llm_stream *st = ud;
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return true;
    }
    /* Each data JSON repeats its type; prefer it over the event: line. */
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    const char *type = cJSON_IsString(t) ? t->valuestring : event;
    if (strcmp(type, "message_start") == 0) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(msg, "usage");
        st->tokens_in = num(usage, "input_tokens", st->tokens_in);
        st->tokens_out = num(usage, "output_tokens", st->tokens_out);
    } else if (strcmp(type, "content_block_start") == 0) {
        const cJSON *cb = cJSON_GetObjectItemCaseSensitive(root, "content_block");
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(cb, "type");
        if (cJSON_IsString(ct) && strcmp(ct->valuestring, "tool_use") == 0)
            st->tool_calls = true;
    } else if (strcmp(type, "content_block_delta") == 0) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(root, "delta");
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(delta, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(delta, "text");
        /* thinking, signature and tool-input deltas are not shown */
        if (cJSON_IsString(dt) && strcmp(dt->valuestring, "text_delta") == 0 &&
            cJSON_IsString(text) && st->on_text)
            st->on_text(text->valuestring, strlen(text->valuestring), st->ud);
    } else if (strcmp(type, "message_delta") == 0) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(root, "delta");
        const cJSON *sr = cJSON_GetObjectItemCaseSensitive(delta, "stop_reason");
        if (cJSON_IsString(sr))
            STR_COPY(st->stop_reason, sr->valuestring);
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
        st->tokens_out = num(usage, "output_tokens", st->tokens_out);
        st->tokens_in = num(usage, "input_tokens", st->tokens_in);
    } else if (strcmp(type, "message_stop") == 0) {
        st->done = true;
    } else if (strcmp(type, "error") == 0) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(err, "type");
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(err, "message");
        st->failed = true;
        if (cJSON_IsString(et))
            STR_COPY(st->error_type, et->valuestring);
        if (cJSON_IsString(em))
            REDACT_COPY(st->error, em->valuestring);
    }
    /* ping, content_block_stop and unknown events: nothing to do */
    cJSON_Delete(root);
    return true;
}

const struct llm_backend llm_anthropic = {
    .name = "anthropic", .cloud = true, .build = build, .on_event = on_event};
