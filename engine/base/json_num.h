/* Numbers from JSON are doubles; converting one that is out of range (or
 * NaN) to an integer type is undefined behaviour in C, and untrusted input
 * can send 1e300. These clamp first, so every integer read from the wire
 * goes through one place. */
#ifndef LOOKOUT_JSON_NUM_H
#define LOOKOUT_JSON_NUM_H

#include <stdint.h>

/* d clamped to [lo, hi]; NaN becomes lo. */
static inline double num_clamp(double d, double lo, double hi)
{
    return d >= lo && d <= hi ? d : d > hi ? hi : lo;
}

static inline int num_to_int(double d)
{
    return (int)num_clamp(d, -2147483648.0, 2147483647.0);
}

/* The bounds are the largest doubles that fit: 2^63 and 2^64 do not. */
static inline int64_t num_to_i64(double d)
{
    return (int64_t)num_clamp(d, -9223372036854775808.0, 9223372036854774784.0);
}

static inline uint64_t num_to_u64(double d)
{
    return (uint64_t)num_clamp(d, 0, 18446744073709549568.0);
}

static inline uint32_t num_to_u32(double d)
{
    return (uint32_t)num_clamp(d, 0, 4294967295.0);
}

#endif
