#include "tplr/numpy_rng.h"

#include <stdlib.h>
#include <string.h>

/* SeedSequence constants (NumPy's bit_generator.pyx, after O'Neill's seed_seq_fe). */
#define POOL 4
#define INIT_A 0x43b0d7e5u
#define MULT_A 0x931e8875u
#define INIT_B 0x8b51f9ddu
#define MULT_B 0x58f38dedu
#define MIX_MULT_L 0xca01f9ddu
#define MIX_MULT_R 0x4973f715u
#define XSHIFT 16

static uint32_t hashmix(uint32_t value, uint32_t *hash_const)
{
    value ^= *hash_const;
    *hash_const *= MULT_A;
    value *= *hash_const;
    value ^= value >> XSHIFT;
    return value;
}

static uint32_t mix(uint32_t x, uint32_t y)
{
    uint32_t r = MIX_MULT_L * x - MIX_MULT_R * y;
    return r ^ (r >> XSHIFT);
}

/* SeedSequence(entropy).generate_state(4, uint64) as 8 words. */
static void seed_sequence_state(const uint32_t *entropy, size_t n, uint32_t out[8])
{
    static const uint32_t zero = 0;
    if (n == 0) {
        entropy = &zero;
        n = 1;
    }
    uint32_t pool[POOL], hc = INIT_A;
    for (size_t i = 0; i < POOL; i++)
        pool[i] = hashmix(i < n ? entropy[i] : 0, &hc);
    for (size_t src = 0; src < POOL; src++)
        for (size_t dst = 0; dst < POOL; dst++)
            if (src != dst)
                pool[dst] = mix(pool[dst], hashmix(pool[src], &hc));
    for (size_t src = POOL; src < n; src++)
        for (size_t dst = 0; dst < POOL; dst++)
            pool[dst] = mix(pool[dst], hashmix(entropy[src], &hc));
    uint32_t hb = INIT_B;
    for (size_t i = 0; i < 8; i++) {
        uint32_t v = pool[i % POOL];
        v ^= hb;
        hb *= MULT_B;
        v *= hb;
        v ^= v >> XSHIFT;
        out[i] = v;
    }
}

#define PCG_MULT (((unsigned __int128)0x2360ED051FC65DA4ull << 64) | 0x4385DF649FCCF645ull)

static void pcg_step(tplr_pcg64 *g) { g->state = g->state * PCG_MULT + g->inc; }

void tplr_pcg64_seed(tplr_pcg64 *g, const uint32_t *entropy, size_t n_words)
{
    uint32_t w[8];
    seed_sequence_state(entropy, n_words, w);
    uint64_t v[4]; /* generate_state(4, uint64): little-endian pairs */
    for (int i = 0; i < 4; i++)
        v[i] = (uint64_t)w[2 * i] | (uint64_t)w[2 * i + 1] << 32;
    unsigned __int128 initstate = (unsigned __int128)v[0] << 64 | v[1];
    unsigned __int128 initseq = (unsigned __int128)v[2] << 64 | v[3];
    g->state = 0;
    g->inc = initseq << 1 | 1;
    pcg_step(g);
    g->state += initstate;
    pcg_step(g);
    g->has_uint32 = 0;
    g->uinteger = 0;
}

uint64_t tplr_pcg64_next64(tplr_pcg64 *g)
{
    pcg_step(g);
    uint64_t hi = (uint64_t)(g->state >> 64), lo = (uint64_t)g->state;
    unsigned rot = (unsigned)(hi >> 58);
    uint64_t x = hi ^ lo;
    return (x >> rot) | (x << ((64 - rot) & 63));
}

uint32_t tplr_pcg64_next32(tplr_pcg64 *g)
{
    if (g->has_uint32) {
        g->has_uint32 = 0;
        return g->uinteger;
    }
    uint64_t next = tplr_pcg64_next64(g);
    g->has_uint32 = 1;
    g->uinteger = (uint32_t)(next >> 32);
    return (uint32_t)next;
}

uint64_t tplr_pcg64_bounded(tplr_pcg64 *g, uint64_t max)
{
    if (max == 0)
        return 0;
    if (max <= 0xFFFFFFFFull) {
        if (max == 0xFFFFFFFFull)
            return tplr_pcg64_next32(g);
        uint32_t excl = (uint32_t)max + 1;
        uint64_t m = (uint64_t)tplr_pcg64_next32(g) * excl;
        uint32_t left = (uint32_t)m;
        if (left < excl) {
            uint32_t threshold = (uint32_t)(UINT32_MAX - (uint32_t)max) % excl;
            while (left < threshold) {
                m = (uint64_t)tplr_pcg64_next32(g) * excl;
                left = (uint32_t)m;
            }
        }
        return m >> 32;
    }
    if (max == UINT64_MAX)
        return tplr_pcg64_next64(g);
    uint64_t excl = max + 1;
    unsigned __int128 m = (unsigned __int128)tplr_pcg64_next64(g) * excl;
    uint64_t left = (uint64_t)m;
    if (left < excl) {
        uint64_t threshold = (UINT64_MAX - max) % excl;
        while (left < threshold) {
            m = (unsigned __int128)tplr_pcg64_next64(g) * excl;
            left = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Fisher-Yates over data[first..n) from the top, as NumPy's _shuffle_int. */
static void shuffle_tail(tplr_pcg64 *g, int64_t n, int64_t first, int64_t *data)
{
    for (int64_t i = n - 1; i >= first; i--) {
        int64_t j = (int64_t)tplr_pcg64_bounded(g, (uint64_t)i);
        int64_t t = data[j];
        data[j] = data[i];
        data[i] = t;
    }
}

static uint64_t mask_for(uint64_t max)
{
    uint64_t m = max;
    for (int s = 1; s < 64; s <<= 1)
        m |= m >> s;
    return m;
}

tplr_err tplr_numpy_choice(tplr_pcg64 *g, int64_t n, int64_t size, int64_t *out)
{
    if (n < 1 || size < 0 || size > n)
        return tplr_fail(TPLR_EINVAL, "cannot choose %lld of %lld without replacement", (long long)size,
                         (long long)n);
    if (n > 10000 && size > n / 50) { /* shuffle the last `size` positions of arange(n) */
        int64_t *all = malloc(sizeof *all * (size_t)n);
        if (!all)
            return tplr_fail(TPLR_ENOMEM, "sampling: out of memory");
        for (int64_t i = 0; i < n; i++)
            all[i] = i;
        shuffle_tail(g, n, n - size > 1 ? n - size : 1, all);
        memcpy(out, all + (n - size), sizeof *out * (size_t)size);
        free(all);
        return TPLR_OK;
    }
    /* Floyd's algorithm with an open-addressing set, then a shuffle. */
    uint64_t mask = mask_for((uint64_t)(1.2 * (double)size));
    uint64_t *set = malloc(sizeof *set * (size_t)(mask + 1));
    if (!set)
        return tplr_fail(TPLR_ENOMEM, "sampling: out of memory");
    memset(set, 0xff, sizeof *set * (size_t)(mask + 1));
    for (int64_t j = n - size; j < n; j++) {
        uint64_t val = tplr_pcg64_bounded(g, (uint64_t)j), loc = val & mask;
        while (set[loc] != UINT64_MAX && set[loc] != val)
            loc = (loc + 1) & mask;
        if (set[loc] == UINT64_MAX) {
            set[loc] = val;
            out[j - n + size] = (int64_t)val;
        } else {
            loc = (uint64_t)j & mask;
            while (set[loc] != UINT64_MAX)
                loc = (loc + 1) & mask;
            set[loc] = (uint64_t)j;
            out[j - n + size] = j;
        }
    }
    free(set);
    shuffle_tail(g, size, 1, out);
    return TPLR_OK;
}
