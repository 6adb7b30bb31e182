/* The console's reader of an agent's /events stream: line assembly with its
 * size cap, heartbeats, kstats rows and kernel events through the ingest
 * (rules included). The source's statics are reached by compiling its
 * source into the harness. Input: [chunk seed][stream body]. */
#include "agent/source.c"
#include "fuzz.h"

static struct engine engine;
static struct kevent_ingest *ingest;
static struct source src;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[256];
    engine_init(&engine);
    ingest = kevent_ingest_new(&engine, NULL, err, sizeof(err));
    if (!ingest)
        abort();
    src.ctx.engine = &engine;
    snprintf(src.name, sizeof(src.name), "agent:fuzz");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fz_chunker ch;
    fz_chunker_init(&ch, data[0]);
    struct agent_conn ac = {.src = &src, .ingest = ingest, .status = 200};
    snprintf(ac.node, sizeof(ac.node), "fuzz");
    stream_init(&ac);
    const char *p = (const char *)data + 1;
    size_t left = size - 1;
    while (left) {
        size_t n = fz_chunk_len(&ch, left);
        on_data(p, n, &ac);
        p += n;
        left -= n;
    }
    ndjson_free(&ac.lines);
    return 0;
}
