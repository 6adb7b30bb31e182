/* FNV-1a, 64-bit: the one string hash of the engine. Every keyed map (the
 * dict, the correlator's entity states) hashes through here, so two modules
 * can never disagree on what a key hashes to. FNV-1a is short, has no
 * tables and spreads the short ASCII keys we have ("namespace/pod",
 * series names, pod UIDs) well enough for open addressing; nothing hashed
 * here comes from an adversary who could aim collisions at us. */
#ifndef LOOKOUT_HASH_H
#define LOOKOUT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The published 64-bit offset basis (earlier private copies had lost its last
 * digit, which still hashed, just not as FNV). */
#define HASH_FNV_OFFSET 14695981039346656037ULL

/* Continues a hash over more bytes: hash_fnv1a(p, n, HASH_FNV_OFFSET) starts one. */
uint64_t hash_fnv1a(const void *data, size_t len, uint64_t h);
/* FNV-1a of a NUL-terminated string (the NUL not included). */
uint64_t hash_str(const char *s);

#endif
