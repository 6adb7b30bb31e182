/* LLM stream decoder: the anthropic dialect (see llm_stream.inc). */
#define FUZZ_BACKEND llm_anthropic
#include "llm_stream.inc"
