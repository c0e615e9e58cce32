/* Deterministic sample assignment (Templar's scheme, templar.md §5): the
 * pool of samples a miner trains on in a window is
 *     np.random.default_rng(seed).choice(N, pool_size, replace=False)
 * with seed = (uid·1000003 XOR window) & 0xFFFFFFFF, over the N samples of
 * the current shard, and inner step k uses pool[k·B … k·B + B − 1]. A
 * network may add its own 64-bit seed (then the generator's entropy is
 * [seed, low32, high32]); with 0 it is exactly Templar's. The pool does not
 * depend on the machine, the thread count or the process. */
#ifndef TPLR_SAMPLER_H
#define TPLR_SAMPLER_H

#include <stdint.h>

#include "tplr/samples.h"

uint32_t tplr_templar_seed(uint64_t uid, uint64_t window);

typedef struct tplr_pool_spec {
    uint64_t uid, window;
    uint64_t network_seed; /* 0: Templar's exact scheme */
    int64_t pool_size;
} tplr_pool_spec;

/* The pool over n samples into out[pool_size]. */
tplr_err tplr_sample_pool(const tplr_pool_spec *spec, int64_t n, int64_t *out);
/* BLAKE2b-128 (hex) over the pool's sample ids, sorted ascending, as
 * little-endian uint64: what a miner claims and a validator checks. */
tplr_err tplr_sample_digest(tplr_samples *s, const int64_t *pool, int64_t n, char hex[33]);
/* Inner step k's batch of B samples from the pool (wrapping around it). */
void tplr_pool_batch(tplr_samples *s, const int64_t *pool, int64_t pool_n, int64_t step, int B, int32_t *inputs,
                     int32_t *targets);

#endif
