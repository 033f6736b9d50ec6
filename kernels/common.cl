// Helpers prepended to every cltrain program (OpenCL C 1.2, float only, no double).
// Keep it small: every macro here is visible in every kernel file.
#ifndef CT_COMMON_CL
#define CT_COMMON_CL

// (buffer, offset) ABI: kernels take `global float *x, ulong x_off` and index x[x_off + i].
#define CT_AT(p, off) ((p) + (off))

// Counter-based hash RNG (splitmix-style on 32-bit halves): reproducible from (seed, counter).
inline uint ct_hash_u32(uint x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

inline float ct_uniform(uint seed_lo, uint seed_hi, uint counter)
{
    uint h = ct_hash_u32(counter ^ ct_hash_u32(seed_lo ^ ct_hash_u32(seed_hi + 0x9e3779b9U)));
    return (float)(h >> 8) * (1.0f / 16777216.0f); // [0, 1)
}

#endif
