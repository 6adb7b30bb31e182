/* Pseudonyms for names sent to cloud LLMs: namespaces, pods, nodes, hosts
 * and IPs become <pod-1>, <ns-2> ... consistently within one request, matched
 * literally (never a regex built from data) on name boundaries, and are
 * restored in the answer shown on screen, never inside a link target. */
#ifndef LOOKOUT_COPILOT_PSEUDO_H
#define LOOKOUT_COPILOT_PSEUDO_H

#include <stddef.h>

#include "base/buf.h"

#define PSEUDO_MAX  256
#define PSEUDO_NAME 200

struct pseudo_entry {
    char match[PSEUDO_NAME]; /* the text as it appears in the (redacted) prompt */
    char real[PSEUDO_NAME];  /* what the screen shows back */
    char alias[24];          /* <pod-3> */
};

struct pseudo_map {
    struct pseudo_entry e[PSEUDO_MAX];
    int n;
    int next_id[8];
};

/* kind: ns, pod, node, host, ip. Names shorter than 3 bytes are left alone
 * (too likely to hit ordinary words). Returns the alias or NULL. */
const char *pseudo_add(struct pseudo_map *m, const char *kind, const char *real);
/* Real names -> aliases (the prompt). */
void pseudo_apply(const struct pseudo_map *m, const char *in, size_t len, struct buf *out);
/* Aliases -> real names (the answer), except inside a link target (a word
 * holding "://", "](", "]:", "www." or "//"): a rendered link must never
 * carry the names the aliases hid to the host it names. */
void pseudo_restore(const struct pseudo_map *m, const char *in, size_t len, struct buf *out);

#endif
