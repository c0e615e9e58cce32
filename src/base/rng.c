#include "tplr/rng.h"

#include <math.h>

/* Philox4x32-10 constants (Salmon et al., SC'11). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void tplr_philox4x32(uint64_t key, uint64_t counter_hi, uint64_t counter_lo, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)counter_lo, c1 = (uint32_t)(counter_lo >> 32);
    uint32_t c2 = (uint32_t)counter_hi, c3 = (uint32_t)(counter_hi >> 32);
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

static uint64_t bits64(uint64_t key, uint64_t stream, uint64_t index, int half)
{
    uint32_t w[4];
    tplr_philox4x32(key, stream, index, w);
    return half ? ((uint64_t)w[3] << 32 | w[2]) : ((uint64_t)w[1] << 32 | w[0]);
}

double tplr_rng_uniform(uint64_t key, uint64_t stream, uint64_t index)
{
    return (double)(bits64(key, stream, index, 0) >> 11) * 0x1.0p-53;
}

double tplr_rng_normal(uint64_t key, uint64_t stream, uint64_t index)
{
    uint32_t w[4];
    tplr_philox4x32(key, stream, index, w);
    uint64_t a = ((uint64_t)w[1] << 32 | w[0]) >> 11;
    uint64_t b = ((uint64_t)w[3] << 32 | w[2]) >> 11;
    double u1 = ((double)a + 1.0) * 0x1.0p-53; /* (0, 1]: log is finite */
    double u2 = (double)b * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t tplr_rng_below(uint64_t key, uint64_t stream, uint64_t index, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Rejection on the top of the range; retries use fresh counters in the
     * high half so the draw stays a pure function of (key, stream, index). */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    for (uint64_t attempt = 0;; attempt++) {
        uint64_t r = bits64(key, stream ^ (attempt << 48), index, (int)(attempt & 1));
        if (r < limit)
            return r % n;
    }
}

uint64_t tplr_rng_mix(uint64_t a, uint64_t b)
{
    uint64_t z = a + 0x9E3779B97F4A7C15ull + (b << 6) + (b >> 2);
    z ^= b * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
