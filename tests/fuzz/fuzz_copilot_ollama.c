/* LLM stream decoder: the ollama dialect (see llm_stream.inc). */
#define FUZZ_BACKEND llm_ollama
#include "llm_stream.inc"
