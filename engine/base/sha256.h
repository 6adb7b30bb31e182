/* SHA-256 (FIPS 180-4), for the copilot audit log's prompt digests. */
#ifndef LOOKOUT_SHA256_H
#define LOOKOUT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t block[64];
    size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Lowercase hex digest of data into hex[65]. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
