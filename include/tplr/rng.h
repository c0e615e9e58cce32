/* Counter-based random numbers (Philox4x32-10): the value at (key, counter) is
 * a pure function of both, so results are the same on every machine, thread
 * count and order of evaluation. */
#ifndef TPLR_RNG_H
#define TPLR_RNG_H

#include <stdint.h>

/* Four 32-bit words from Philox4x32 with 10 rounds. */
void tplr_philox4x32(uint64_t key, uint64_t counter_hi, uint64_t counter_lo, uint32_t out[4]);

/* A uniform double in [0, 1) at (key, stream, index): 53 random bits. */
double tplr_rng_uniform(uint64_t key, uint64_t stream, uint64_t index);

/* A standard normal at (key, stream, index), by Box-Muller in double precision. */
double tplr_rng_normal(uint64_t key, uint64_t stream, uint64_t index);

/* A uniform integer in [0, n) at (key, stream, index), without modulo bias. */
uint64_t tplr_rng_below(uint64_t key, uint64_t stream, uint64_t index, uint64_t n);

/* Mixes several 64-bit values into one key (SplitMix64 finalizer chain). */
uint64_t tplr_rng_mix(uint64_t a, uint64_t b);

#endif
