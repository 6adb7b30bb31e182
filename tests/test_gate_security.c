/* The security half of GET /v1/gate (slo/gate_security.c) on a bare
 * engine: unknown without a streaming kernel source, allow when it streams
 * and nothing matched, block on a match in the namespace (an agent's event
 * naming its pod only by UID included, resolved through the pods), unknown
 * on a gap row in the window, and the query's combination with an SLO and
 * its 400s. The live runs are in t_gate_http.py and t_observe_agent.py. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "core/schema.h"
#include "core/engine.h"
#include "slo/gate.h"
#include "test.h"

#define T0 1764928800000LL

static struct kevent match(const char *pod, enum severity sev)
{
    struct kevent k = {.kind = KEV_OPEN, .severity = sev, .pid = 7};
    STR_COPY(k.comm, "cat");
    STR_COPY(k.path, "/etc/shadow");
    STR_COPY(k.args, "O_RDONLY");
    STR_COPY(k.rule, "sensitive_file_read");
    STR_COPY(k.pod, pod);
    STR_COPY(k.node, "node-a");
    return k;
}

TEST(live_view_verdicts)
{
    static struct engine e;
    engine_init(&e);
    engine_advance(&e, T0);
    char why[TEXT_LEN];
    CHECK(gate_security(&e, "shop", SEV_WARNING, 0, why, sizeof(why)) == GATE_UNKNOWN);
    CHECK(strstr(why, "no kernel source runs") != NULL);
    engine_source_state(&e, "agent:node-a", "agent", SRC_SYNCED, NULL);
    CHECK(gate_security(&e, "shop", SEV_WARNING, 0, why, sizeof(why)) == GATE_ALLOW);
    CHECK(strstr(why, "since the engine started") != NULL);

    struct k8s_pod p;
    schema_zero(&k8s_pod_schema, &p);
    STR_COPY(p.key, "shop/payments-1");
    p.namespace = intern_str("shop");
    STR_COPY(p.name, "payments-1");
    STR_COPY(p.uid, "5f7c9d8b-6600-4a1b-9c2d-000000000001");
    engine_upsert(&e, T_PODS, &p);
    engine_advance(&e, T0 + 1000);
    struct kevent k = match("uid:5f7c9d8b-6600-4a1b-9c2d-000000000001", SEV_WARNING);
    engine_kevent(&e, &k);
    k = match("web/front-1", SEV_CRITICAL);
    engine_kevent(&e, &k);
    CHECK(gate_security(&e, "shop", SEV_WARNING, 0, why, sizeof(why)) == GATE_BLOCK);
    CHECK(strstr(why, "/etc/shadow read by cat in shop/payments-1") != NULL);
    CHECK(gate_security(&e, "shop", SEV_CRITICAL, 0, why, sizeof(why)) == GATE_ALLOW);
    CHECK(gate_security(&e, "web", SEV_CRITICAL, 0, why, sizeof(why)) == GATE_BLOCK);
    /* since: the window starts after the matches */
    engine_advance(&e, T0 + 60000);
    CHECK(gate_security(&e, "shop", SEV_WARNING, T0 + 30000, why, sizeof(why)) == GATE_ALLOW);
    CHECK(strstr(why, "in the last 30s") != NULL);

    struct kevent gap = {.kind = KEV_GAP, .lost = 4};
    engine_kevent(&e, &gap);
    CHECK(gate_security(&e, "shop", SEV_WARNING, T0 + 30000, why, sizeof(why)) == GATE_UNKNOWN);
    CHECK(strstr(why, "lost") != NULL);
    engine_source_state(&e, "agent:node-a", "agent", SRC_STALE, "agent gone");
    engine_advance(&e, T0 + 120000);
    CHECK(gate_security(&e, "shop", SEV_WARNING, T0 + 90000, why, sizeof(why)) == GATE_UNKNOWN);
    CHECK(strstr(why, "agent:node-a") && strstr(why, "agent gone"));
    engine_free(&e);
}

TEST(query)
{
    static struct engine e;
    engine_init(&e);
    engine_advance(&e, T0);
    engine_source_state(&e, "kernel", "kernel", SRC_SYNCED, NULL);
    char out[4096];
    CHECK(gate_http_answer(&e, "namespace=shop&security=warning", out, sizeof(out)) == 200);
    CHECK(strstr(out, "\"decision\":\"allow\"") && strstr(out, "\"kind\":\"security\""));
    CHECK(gate_http_answer(&e, "namespace=shop&security=critical&since=10m", out, sizeof(out)) ==
          200);
    CHECK(strstr(out, "in the last 600s") != NULL);
    const char *bad[] = {"security=warning",
                         "namespace=shop",
                         "namespace=shop&security=info",
                         "namespace=shop&security=warning&since=0s",
                         "slo=x&since=5m",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(gate_http_answer(&e, bad[i], out, sizeof(out)) == 400);
    CHECK(gate_http_answer(&e, "slo=nope&namespace=shop&security=warning", out, sizeof(out)) ==
          404);
    engine_free(&e);
}

RUN_TESTS()
