/* Evidence files (kernel/evidence.c): a header written then read back,
 * findings folded per rule and place and ordered by severity, and the
 * verdict's order of precedence (a finding over a failed, partial or
 * lossy observation). The end-to-end runs are in t_evidence.py and
 * t_observe_agent.py. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/sha256.h"
#include "kernel/event_json.h"
#include "kernel/evidence.h"
#include "test.h"

static struct kevent ev(enum kev_kind kind, const char *comm, const char *path, const char *rule,
                        enum severity sev)
{
    struct kevent k = {.kind = kind, .severity = sev, .pid = 7, .time = 1764928800000};
    STR_COPY(k.comm, comm);
    STR_COPY(k.path, path);
    STR_COPY(k.args, "O_RDONLY");
    STR_COPY(k.rule, rule);
    STR_COPY(k.pod, "shop/payments-1");
    return k;
}

/* Writes header + events as observe does; returns the path. */
static const char *write_file(struct evidence_header *h, const struct kevent *k, int n)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/lookout-test-evidence-%d.jsonl", (int)getpid());
    struct buf body = {0}, head = {0};
    for (int i = 0; i < n; i++)
        kevent_json_append(&body, &k[i], "node-a");
    h->events = (uint64_t)n;
    sha256_hex(body.data ? body.data : "", body.len, h->events_sha256);
    evidence_header_json(h, &head);
    FILE *f = fopen(path, "w");
    fwrite(head.data, 1, head.len, f);
    fwrite(body.data ? body.data : "", 1, body.len, f);
    fclose(f);
    buf_free(&body);
    buf_free(&head);
    return path;
}

TEST(header_round_trip)
{
    struct evidence_header h = {.start_ms = 1764928800000,
                                .end_ms = 1764928860000,
                                .rules = 7,
                                .seen = 99,
                                .lost = 2,
                                .fail_on = SEV_WARNING};
    STR_COPY(h.scope_kind, "namespace");
    STR_COPY(h.scope, "shop");
    STR_COPY(h.node, "node-a");
    memset(h.rules_sha256, 'a', 64);
    struct kevent k[2] = {ev(KEV_OPEN, "cat", "/etc/shadow", "sensitive_file_read", SEV_WARNING),
                          ev(KEV_EXEC, "sh", "/bin/sh", "", SEV_INFO)};
    const char *path = write_file(&h, k, 2);
    struct evidence e;
    char err[300];
    CHECK(evidence_read(path, &e, err, sizeof(err)) == 0);
    CHECK_STR(e.h.scope, "shop");
    CHECK(e.h.events == 2 && e.h.lost == 2 && e.h.seen == 99 && e.h.rules == 7);
    CHECK(e.h.fail_on == SEV_WARNING && !e.h.failed);
    CHECK(e.h.end_ms - e.h.start_ms == 60000);
    CHECK(e.n == 2 && strcmp(e.ev[0].path, "/etc/shadow") == 0);
    CHECK_STR(e.ev[0].rule, "sensitive_file_read");
    evidence_free(&e);
    unlink(path);
}

TEST(findings_folded_and_ordered)
{
    struct kevent k[5] = {ev(KEV_OPEN, "cat", "/etc/shadow", "sensitive_file_read", SEV_WARNING),
                          ev(KEV_OPEN, "cat", "/etc/shadow", "sensitive_file_read", SEV_WARNING),
                          ev(KEV_OPEN, "vi", "/etc/hosts", "write_below_etc", SEV_CRITICAL),
                          ev(KEV_OPEN, "cat", "/etc/gshadow", "sensitive_file_read", SEV_WARNING),
                          ev(KEV_EXEC, "ls", "/bin/ls", "", SEV_INFO)};
    struct finding f[4];
    int n = evidence_findings(k, 5, SEV_WARNING, f, 4);
    CHECK(n == 3);
    CHECK_STR(f[0].ev.rule, "write_below_etc"); /* the critical one first */
    CHECK(f[1].count == 2 && strcmp(f[1].ev.path, "/etc/shadow") == 0);
    CHECK(evidence_findings(k, 5, SEV_CRITICAL, f, 4) == 1);
    CHECK(evidence_findings(k, 5, SEV_WARNING, f, 1) == 3); /* counts past max */
    char what[300];
    evidence_what(&k[0], what, sizeof(what));
    CHECK_STR(what, "/etc/shadow read by cat in shop/payments-1");
    evidence_what(&k[2], what, sizeof(what));
    CHECK_STR(what, "/etc/hosts read by vi in shop/payments-1"); /* flags O_RDONLY */
}

TEST(verdict_precedence)
{
    struct kevent k[1] = {ev(KEV_OPEN, "cat", "/etc/shadow", "sensitive_file_read", SEV_WARNING)};
    struct evidence e = {.ev = k, .n = 1};
    char why[TEXT_LEN];
    e.h.lost = 5;
    CHECK(evidence_judge(&e, SEV_WARNING, why, sizeof(why)) == EVIDENCE_BLOCK);
    CHECK(strstr(why, "/etc/shadow") != NULL);
    CHECK(evidence_judge(&e, SEV_CRITICAL, why, sizeof(why)) == EVIDENCE_UNKNOWN);
    CHECK(strstr(why, "5 events lost") != NULL);
    e.h.lost = 0;
    e.h.omitted = 9; /* rule matches are never omitted: no doubt */
    CHECK(evidence_judge(&e, SEV_CRITICAL, why, sizeof(why)) == EVIDENCE_ALLOW);
    e.h.failed = true;
    CHECK(evidence_judge(&e, SEV_CRITICAL, why, sizeof(why)) == EVIDENCE_UNKNOWN);
    CHECK(strcmp(evidence_remediation("no_such_rule"), evidence_remediation("oom_kill")) != 0);
}

/* Through agents: the header lists the nodes and their counters, and a
 * node not observed throughout reads back as "partial": unknown unless a
 * finding blocks. */
TEST(partial_through_agents)
{
    struct evidence_agent ag[2] = {{.events = 12, .lost = 1, .ring_drops = 3}, {.events = 0}};
    STR_COPY(ag[0].name, "node-a");
    STR_COPY(ag[0].state, "observed");
    STR_COPY(ag[1].name, "node-b");
    STR_COPY(ag[1].state, "down");
    STR_COPY(ag[1].error, "connection refused");
    struct evidence_header h = {.start_ms = 1764928800000,
                                .end_ms = 1764928810000,
                                .partial = true,
                                .agents = ag,
                                .nagents = 2,
                                .fail_on = SEV_WARNING};
    STR_COPY(h.scope_kind, "pods");
    STR_COPY(h.scope, "app=payments");
    STR_COPY(h.error, "node-b down: connection refused");
    memset(h.rules_sha256, 'a', 64);
    struct buf head = {0};
    evidence_header_json(&h, &head);
    CHECK(strstr(head.data, "\"nodes\":[\"node-a\",\"node-b\"]") != NULL);
    CHECK(strstr(head.data, "\"state\":\"down\"") && strstr(head.data, "\"ring_drops\":3"));
    CHECK(strstr(head.data, "\"status\":\"partial\"") != NULL);
    buf_free(&head);
    struct kevent k[1] = {ev(KEV_EXEC, "sh", "/bin/sh", "", SEV_INFO)};
    const char *path = write_file(&h, k, 1);
    struct evidence e;
    char err[300], why[TEXT_LEN];
    CHECK(evidence_read(path, &e, err, sizeof(err)) == 0);
    CHECK(e.h.partial && !e.h.failed);
    CHECK(evidence_judge(&e, SEV_WARNING, why, sizeof(why)) == EVIDENCE_UNKNOWN);
    CHECK(strstr(why, "not every node was observed: node-b down") != NULL);
    evidence_free(&e);
    unlink(path);
    struct kevent bad[1] = {ev(KEV_OPEN, "cat", "/etc/shadow", "sensitive_file_read", SEV_WARNING)};
    struct evidence b = {.h = h, .ev = bad, .n = 1};
    CHECK(evidence_judge(&b, SEV_WARNING, why, sizeof(why)) == EVIDENCE_BLOCK);
}

RUN_TESTS()
