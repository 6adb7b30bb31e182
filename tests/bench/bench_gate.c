/* The security half of GET /v1/gate at cluster size: 50,000 pods, the hot
 * ring full of rule matches from node agents that name their pods only by
 * UID ("uid:..."), none in the namespace asked about (so every event is
 * looked at and none ends the search). Time per gate_security() call: it
 * runs on the one event loop, so it holds up everything else while it
 * runs. No peer to compare with; the figure before the change (a walk of
 * the pods table per event) is in docs/devsecops.md. Exits 1 only when a
 * verdict is wrong. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "base/intern.h"
#include "core/engine.h"
#include "core/schema.h"
#include "slo/gate.h"

#define T0 1764928800000LL

static void add_pods(struct engine *e, int n)
{
    struct k8s_pod p;
    for (int i = 0; i < n; i++) {
        schema_zero(&k8s_pod_schema, &p);
        snprintf(p.name, sizeof p.name, "app-%05d", i);
        snprintf(p.key, sizeof p.key, "ns-%02d/%s", i % 50, p.name);
        p.namespace = intern_str(i % 50 ? "web" : "shop");
        snprintf(p.uid, sizeof p.uid, "5f7c9d8b-6600-4a1b-9c2d-%012d", i);
        engine_upsert(e, T_PODS, &p);
    }
}

/* KEVENT_HOT_CAP warnings from pods of "web" spread over the table. */
static void add_matches(struct engine *e, int pods)
{
    for (int i = 0; i < KEVENT_HOT_CAP; i++) {
        struct kevent k = {.kind = KEV_OPEN, .severity = SEV_WARNING, .pid = 7, .time = T0};
        int pod = 1 + (int)((long)i * 97 % (pods - 1));
        if (pod % 50 == 0)
            pod++;
        snprintf(k.pod, sizeof k.pod, "uid:5f7c9d8b-6600-4a1b-9c2d-%012d", pod);
        snprintf(k.rule, sizeof k.rule, "sensitive_file_read");
        snprintf(k.comm, sizeof k.comm, "cat");
        engine_kevent(e, &k);
    }
}

int main(int argc, char **argv)
{
    int pods = argc > 1 ? atoi(argv[1]) : 50000, calls = argc > 2 ? atoi(argv[2]) : 20;
    static struct engine e;
    engine_init(&e);
    engine_advance(&e, T0);
    engine_source_state(&e, "agent:node-a", "agent", SRC_SYNCED, NULL);
    add_pods(&e, pods);
    add_matches(&e, pods);
    char why[TEXT_LEN];
    double t0 = now_s();
    int allow = 0;
    for (int i = 0; i < calls; i++)
        allow += gate_security(&e, "shop", SEV_WARNING, 0, why, sizeof why) == GATE_ALLOW;
    double per = (now_s() - t0) / calls;
    printf("   | %d pods, %d uid-named matches in the hot ring | %.2f ms per /v1/gate security "
           "check | verdicts %s |\n",
           pods, KEVENT_HOT_CAP, per * 1000, allow == calls ? "right" : "WRONG");
    engine_free(&e);
    return allow == calls ? 0 : 1;
}
