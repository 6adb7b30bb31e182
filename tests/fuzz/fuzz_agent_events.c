/* The console's reader of an agent's /events stream: line assembly with its
 * size cap, heartbeats, counters lines (kstats rows, per-kind counts) and
 * kernel events through the ingest (rules included). The connection's
 * statics are reached by compiling its source into the harness. Input:
 * [chunk seed][stream body]. */
#include "agent/conn.c"
#include "fuzz.h"

static struct engine engine;
static struct kevent_ingest *ingest;
static struct source_ctx ctx;
static struct agent_fleet fleet;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[256];
    engine_init(&engine);
    ingest = kevent_ingest_new(&engine, NULL, err, sizeof(err));
    if (!ingest)
        abort();
    ctx.engine = &engine;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fz_chunker ch;
    fz_chunker_init(&ch, data[0]);
    char err[256];
    struct agent_conn *ac =
        agent_conn_new(&ctx, &fleet, "fuzz", "http://x", NULL, "", err, sizeof(err));
    if (!ac)
        abort();
    ac->ingest = ingest;
    ac->status = 200;
    const char *p = (const char *)data + 1;
    size_t left = size - 1;
    while (left) {
        size_t n = fz_chunk_len(&ch, left);
        on_data(p, n, ac);
        p += n;
        left -= n;
    }
    ac->ingest = NULL; /* shared by every input */
    agent_conn_free(ac, false);
    return 0;
}
