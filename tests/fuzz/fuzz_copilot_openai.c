/* LLM stream decoder: the openai dialect (see llm_stream.inc). */
#define FUZZ_BACKEND llm_openai
#include "llm_stream.inc"
