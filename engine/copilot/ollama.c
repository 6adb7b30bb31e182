/* Ollama's native /api/chat: NDJSON, one object per line, a final
 * {"done":true,...} with counts, and {"error":...} lines even after a 200. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "copilot/llm.h"
#include "base/redact.h"

static int build(const struct llm_settings *s, const char *system, const char *user,
                 struct buf *url, char headers[][LLM_HEADER_LEN], int *nheaders, struct buf *body)
{
    buf_printf(url, "%s/api/chat", s->base_url);
    int n = llm_headers(headers, false);
    if (s->api_key[0]) /* a proxy in front of Ollama may want one */
        snprintf(headers[n++], LLM_HEADER_LEN, "Authorization: Bearer %s", s->api_key);
    *nheaders = n;

    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", s->model);
    llm_add_messages(root, system, user);
    cJSON_AddBoolToObject(root, "stream", true);
    cJSON *opt = cJSON_AddObjectToObject(root, "options");
    cJSON_AddNumberToObject(opt, "temperature", s->temperature);
    cJSON_AddNumberToObject(opt, "num_predict", s->max_tokens);
    /* the default context window is small and silently truncates prompts */
    cJSON_AddNumberToObject(opt, "num_ctx", 16384);
    return llm_json_body(root, body);
}

static bool on_line(const char *line, size_t len, void *ud)
{
    struct llm_stream *st = ud;
    cJSON *root = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return true;
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (err && !cJSON_IsNull(err)) {
        st->failed = true;
        if (cJSON_IsString(err))
            REDACT_COPY(st->error, err->valuestring);
        else if (cJSON_IsObject(err)) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
            if (cJSON_IsString(m))
                REDACT_COPY(st->error, m->valuestring);
        }
        cJSON_Delete(root);
        return true;
    }
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content) && content->valuestring[0] && st->on_text)
        st->on_text(content->valuestring, strlen(content->valuestring), st->ud);
    if (cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"))
        st->tool_calls = true;
    /* /api/generate's text field: noted for the error, not taken as an answer
     * (a proxy that rewrites the endpoint is a misconfiguration to show) */
    if (cJSON_GetObjectItemCaseSensitive(root, "response"))
        st->generate = true;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "done"))) {
        st->done = true;
        const cJSON *dr = cJSON_GetObjectItemCaseSensitive(root, "done_reason");
        STR_COPY(st->stop_reason, cJSON_IsString(dr) ? dr->valuestring : "stop");
        const cJSON *pe = cJSON_GetObjectItemCaseSensitive(root, "prompt_eval_count");
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "eval_count");
        if (cJSON_IsNumber(pe))
            st->tokens_in = pe->valueint;
        if (cJSON_IsNumber(ev))
            st->tokens_out = ev->valueint;
    }
    cJSON_Delete(root);
    return true;
}

const struct llm_backend llm_ollama = {
    .name = "ollama", .cloud = false, .ndjson = true, .build = build, .on_line = on_line};
