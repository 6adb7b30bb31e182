/* Evidence files: what `lookout observe` saw of a workload, for
 * `lookout check` and `lookout gate --evidence` to judge later, maybe on
 * another machine (docs/devsecops.md).
 *
 * The file is JSON lines: one header object ({"lookout_evidence": 1, scope,
 * window, nodes, agents, rule set, counters, status}) and then one kernel event per
 * line in the schema of docs/events.md. The header carries the number of
 * event lines and the SHA-256 of their bytes, so a file cut short or edited
 * is refused (exit 2 with file:line) instead of judged. The verdict comes
 * from the rule matches only: a finding at or above the policy blocks; an
 * observation that failed, missed a node (status "partial") or lost events
 * is "unknown". */
#ifndef LOOKOUT_EVIDENCE_H
#define LOOKOUT_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/model.h"

#define EVIDENCE_FORMAT 1

/* One node agent an observation streamed from, for the header: how much of
 * the window it covered and what it lost. */
struct evidence_agent {
    char name[NAME_LEN]; /* the node */
    char url[256];
    char state[16];      /* observed, partial (joined late or lost), down */
    uint64_t events;     /* in scope */
    uint64_t lost;       /* gap rows' counts: its ring drops and stream drops */
    uint64_t ring_drops; /* its kernel ring drops between heartbeats in the window */
    char error[200];     /* why it was not observed throughout, "" when it was */
};

struct evidence_header {
    char scope_kind[16]; /* all, namespace, cgroup, pods */
    char scope[256];     /* the namespace, cgroup path or selector, "" for all */
    int64_t start_ms, end_ms;
    char node[NAME_LEN];
    int rules;              /* rules in the set */
    char rules_sha256[65];  /* over every rule's name, severity, title, tags */
    uint64_t seen;          /* events that reached user space, any scope */
    uint64_t events;        /* event lines that follow the header */
    uint64_t lost;          /* ring drops plus events reported lost (gap rows) */
    uint64_t omitted;       /* in scope but not written: the size cap */
    char events_sha256[65]; /* of the bytes after the header line */
    enum severity fail_on;  /* the policy the observer ran with */
    bool failed;            /* nothing could be observed */
    bool partial;           /* part of the scope was not observed (a node down) */
    char error[256];
    /* the node agents streamed from (none: the local kernel); written,
     * not read back: the verdict needs only status and error */
    const struct evidence_agent *agents;
    int nagents;
};

struct evidence {
    struct evidence_header h;
    struct kevent *ev;
    size_t n, cap;
};

/* One header line, "\n" included. */
void evidence_header_json(const struct evidence_header *h, struct buf *out);

/* Reads and verifies a file: the header, every event line, their count
 * and digest. -1 with "path:line: message" in err. */
int evidence_read(const char *path, struct evidence *out, char *err, size_t errlen);
void evidence_free(struct evidence *ev);

/* "warning" or "critical" (info is not a policy); -1 otherwise. */
int evidence_severity_parse(const char *s, enum severity *out);

/* Rule matches at or above min, folded by rule, place, process and path. */
struct finding {
    struct kevent ev; /* the first one */
    int count;
};
/* Fills up to max findings, most severe first; returns how many distinct
 * ones there are (may exceed max). */
int evidence_findings(const struct kevent *ev, size_t n, enum severity min, struct finding *out,
                      int max);

/* What happened, in words: "/etc/shadow read by cat in shop/payments-1". */
void evidence_what(const struct kevent *ev, char *out, size_t outlen);
/* Where: "shop/payments-1", "container 3f2a..", "cgroup 1234" or "host". */
void evidence_where(const struct kevent *ev, char *out, size_t outlen);

enum evidence_verdict { EVIDENCE_ALLOW, EVIDENCE_BLOCK, EVIDENCE_UNKNOWN };
/* The verdict of one file and a one-line reason naming its top finding or
 * why it cannot tell. */
enum evidence_verdict evidence_judge(const struct evidence *ev, enum severity min, char *reason,
                                     size_t reasonlen);

/* A rule's standard remediation, for the offline analysis; a general one
 * for rules it does not know. */
const char *evidence_remediation(const char *rule);

#endif
