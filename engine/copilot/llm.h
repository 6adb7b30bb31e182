/* The three LLM wire dialects behind one interface: how to build a streamed
 * request and how to read its stream. The orchestrator (copilot.c) owns the
 * HTTP transfer, retries and state; a backend only knows its protocol. */
#ifndef LOOKOUT_COPILOT_LLM_H
#define LOOKOUT_COPILOT_LLM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/tls.h"
#include "base/ndjson.h"
#include "base/sse.h"

/* Which endpoint, model and limits; api_key is never logged or recorded. */
struct llm_settings {
    char backend[32]; /* openai, openai-compat, azure, anthropic, ollama */
    char base_url[256];
    char model[64];
    char api_key[512];
    char api_version[32];      /* azure only */
    char max_tokens_field[32]; /* max_completion_tokens or max_tokens (OpenAI dialect) */
    int max_tokens;
    double temperature;
    struct tls_opts tls; /* ca_file for a self-hosted or proxied endpoint */
};

/* What the stream said so far. */
struct llm_stream {
    void (*on_text)(const char *s, size_t n, void *ud);
    void *ud;
    bool done;            /* an explicit end ([DONE], message_stop, done:true) */
    char stop_reason[32]; /* finish_reason / stop_reason / done_reason: also means complete */
    int tokens_in;
    int tokens_out;
    bool tool_calls; /* the model asked for tools (we offer none): no text follows */
    bool generate;   /* Ollama /api/generate lines ("response"), not /api/chat */
    bool failed;     /* an error object arrived in the stream */
    char error_type[64];
    char error[256]; /* raw server text: redact before showing */
    struct sse_parser sse;
    struct ndjson_parser nd;
};

#define LLM_MAX_HEADERS 6
#define LLM_HEADER_LEN  640

struct llm_backend {
    const char *name;
    bool cloud;  /* pseudonymise names by default */
    bool ndjson; /* stream framing: NDJSON instead of SSE */
    /* Fills url, headers (NUL-terminated strings) and the JSON body. */
    int (*build)(const struct llm_settings *s, const char *system, const char *user,
                 struct buf *url, char headers[][LLM_HEADER_LEN], int *nheaders, struct buf *body);
    sse_event_fn on_event;  /* SSE dialects, ud = struct llm_stream * */
    ndjson_line_fn on_line; /* NDJSON dialect */
};

/* NULL for an unknown name. */
const struct llm_backend *llm_backend_find(const char *name);
/* Defaults per backend: base URL, model, max tokens field. */
void llm_settings_defaults(struct llm_settings *s);

void llm_stream_init(struct llm_stream *st, const struct llm_backend *b);
void llm_stream_free(struct llm_stream *st);
/* Feeds body bytes; -1 when the stream is malformed beyond use (line cap). */
int llm_stream_feed(struct llm_stream *st, const struct llm_backend *b, const char *buf,
                    size_t len);
void llm_stream_finish(struct llm_stream *st, const struct llm_backend *b);
/* True when the answer arrived whole. */
bool llm_stream_complete(const struct llm_stream *st);

/* Reads an error body in any of the shapes servers use:
 * {"error":{"message","type","code"}}, {"type":"error","error":{...}},
 * {"object":"error","message","type"}, {"error":"text"}. Non-JSON bodies give
 * their first printable bytes. */
void llm_parse_error(const char *body, size_t len, char *type, size_t typelen, char *msg,
                     size_t msglen);

/* What the backends' build functions share. llm_headers starts the header
 * list: Content-Type JSON, and Accept: text/event-stream for an SSE stream;
 * returns how many it wrote. */
int llm_headers(char headers[][LLM_HEADER_LEN], bool sse);
struct cJSON;
/* Adds "messages": a system message (unless system is NULL), then the user's. */
void llm_add_messages(struct cJSON *root, const char *system, const char *user);
/* Appends root, serialised, to body and deletes it; -1 when out of memory. */
int llm_json_body(struct cJSON *root, struct buf *body);

/* Backends (copilot/openai.c, copilot/anthropic.c, copilot/ollama.c). */
extern const struct llm_backend llm_openai, llm_openai_compat, llm_azure, llm_anthropic, llm_ollama;

#endif
