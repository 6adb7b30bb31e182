/* What the console measures of its agents (issue 19 item 3): the delay
 * histogram's quantiles (exact to the millisecond below 100 ms, never under
 * the true value above), and the silent-stream watchdog that replaced curl's
 * per-second low-speed check: an agent that sends its backlog and then
 * nothing, not even heartbeats, turns the source STALE with a message. */
#include <math.h>

#include "agent/conn.h"
#include "agent/lag.h"
#include "app/app.h"
#include "base/httpd.h"
#include "test.h"

TEST(lag_quantiles)
{
    struct lag_hist h = {0};
    CHECK(isnan(lag_quantile(&h, 0.5)));
    for (int i = 1; i <= 100; i++)
        lag_add(&h, i - 1); /* 0..99 ms, one each */
    CHECK(lag_quantile(&h, 0.5) == 49);
    CHECK(lag_quantile(&h, 0.99) == 98);
    CHECK(lag_quantile(&h, 1.0) == 99);
    lag_add(&h, 137); /* 10 ms buckets: the upper edge */
    CHECK(lag_quantile(&h, 1.0) == 140);
    lag_add(&h, 2345); /* 100 ms buckets */
    CHECK(lag_quantile(&h, 1.0) == 2400);
    lag_add(&h, 86400000); /* past the last edge */
    CHECK(lag_quantile(&h, 1.0) == 10000);
    lag_add(&h, -5); /* clock skew: counts as 0 */
    CHECK(h.count == 104 && h.n[0] == 2);
    lag_reset(&h);
    CHECK(h.count == 0 && isnan(lag_quantile(&h, 0.99)));
    /* one slow event in a hundred fast ones is the p99's business, not the p50's */
    for (int i = 0; i < 99; i++)
        lag_add(&h, 3);
    lag_add(&h, 700);
    CHECK(lag_quantile(&h, 0.5) == 3 && lag_quantile(&h, 0.99) == 3);
    CHECK(lag_quantile(&h, 0.999) == 710); /* its bucket, 700-709 ms, read high */
}

/* GET /events: the end of an empty backlog, then silence. */
static void silent_events(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)r;
    int *streams = ud;
    (*streams)++;
    httpd_stream_begin(c, "application/x-ndjson", NULL, NULL);
    httpd_stream_write(c, "\n", 1, 1 << 20);
}

static enum source_state state_of(struct app *a, const char *name, char *error, size_t len)
{
    const struct source_info *s = engine_get(&a->engine, T_SOURCES, name);
    if (s && error)
        snprintf(error, len, "%s", s->error);
    return s ? s->state : SRC_DISABLED;
}

TEST(silent_stream_goes_stale)
{
    static struct app con;
    struct run_options opt = {.no_kernel = true, .config_path = "/dev/null", .seed = 1};
    char err[256], url[64], why[TEXT_LEN] = "";
    CHECK(app_init(&con, &opt, err, sizeof(err)) == 0);
    int streams = 0;
    struct httpd *h = httpd_new(con.loop, "127.0.0.1:0", err, sizeof(err));
    CHECK(h != NULL);
    if (!h)
        return;
    httpd_route(h, "/events", silent_events, &streams);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", httpd_port(h));
    struct agent_fleet fleet = {.idle_ms = 400};
    struct agent_conn *ac =
        agent_conn_new(&con.ctx, &fleet, "quiet", url, NULL, "", err, sizeof(err));
    CHECK(ac && agent_conn_start(ac, err, sizeof(err)) == 0);
    int64_t start = loop_mono_ms(), synced_ms = 0, stale_ms = 0;
    while (loop_mono_ms() - start < 5000 && !stale_ms) {
        loop_run_once(con.loop, 50);
        enum source_state st = state_of(&con, "agent:quiet", why, sizeof(why));
        if (st == SRC_SYNCED && !synced_ms)
            synced_ms = loop_mono_ms();
        if (st == SRC_STALE)
            stale_ms = loop_mono_ms();
    }
    CHECK(synced_ms > 0 && stale_ms > 0);
    /* not before the silence lasted idle_ms, and not much after */
    CHECK(stale_ms - synced_ms >= 300 && stale_ms - start < 2500);
    CHECK(strstr(why, "no data for 0.4 s") != NULL);
    /* and it dials again (backoff from 1 s) */
    while (loop_mono_ms() - start < 5000 && streams < 2)
        loop_run_once(con.loop, 50);
    CHECK(streams >= 2);
    agent_conn_free(ac, true);
    httpd_free(h);
    app_free(&con);
}

RUN_TESTS()
