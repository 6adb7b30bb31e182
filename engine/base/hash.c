/* FNV-1a, 64-bit (see hash.h). */
#include "base/hash.h"

#define FNV_PRIME 1099511628211ULL

uint64_t hash_fnv1a(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

uint64_t hash_str(const char *s)
{
    uint64_t h = HASH_FNV_OFFSET;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * FNV_PRIME;
    return h;
}
