/* NumPy's default generator, bit for bit: SeedSequence → PCG64 →
 * Generator.integers / Generator.choice(replace=False). Templar draws each
 * miner's sample pool with np.random.default_rng(seed).choice(...); doing the
 * same here lets anyone replay a pool with NumPy, and lets the tests use NumPy
 * itself as the oracle. */
#ifndef TPLR_NUMPY_RNG_H
#define TPLR_NUMPY_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

typedef struct tplr_pcg64 {
    unsigned __int128 state, inc;
    int has_uint32;
    uint32_t uinteger;
} tplr_pcg64;

/* np.random.default_rng(entropy): SeedSequence over the entropy words (an
 * integer seed s < 2^32 is the single word {s}; a list of integers is the
 * concatenation of their 32-bit little-endian words), then PCG64. */
void tplr_pcg64_seed(tplr_pcg64 *g, const uint32_t *entropy, size_t n_words);
uint64_t tplr_pcg64_next64(tplr_pcg64 *g);
uint32_t tplr_pcg64_next32(tplr_pcg64 *g);
/* A uniform integer in [0, max] (inclusive), as NumPy's unmasked Lemire path. */
uint64_t tplr_pcg64_bounded(tplr_pcg64 *g, uint64_t max);

/* Generator.choice(n, size, replace=False, shuffle=True) into out[size]
 * (NumPy's tail-shuffle or Floyd path, as it chooses). */
tplr_err tplr_numpy_choice(tplr_pcg64 *g, int64_t n, int64_t size, int64_t *out);

#endif
