#include "tplr/sampler.h"

#include <stdlib.h>

#include "tplr/hash.h"
#include "tplr/numpy_rng.h"

uint32_t tplr_templar_seed(uint64_t uid, uint64_t window) { return (uint32_t)((uid * 1000003u) ^ window); }

tplr_err tplr_sample_pool(const tplr_pool_spec *spec, int64_t n, int64_t *out)
{
    if (spec->pool_size > n)
        return tplr_fail(TPLR_EINVAL, "a pool of %lld samples needs at least as many samples, the shard has %lld",
                         (long long)spec->pool_size, (long long)n);
    uint32_t entropy[3] = {tplr_templar_seed(spec->uid, spec->window), (uint32_t)spec->network_seed,
                           (uint32_t)(spec->network_seed >> 32)};
    tplr_pcg64 g;
    tplr_pcg64_seed(&g, entropy, spec->network_seed ? 3 : 1);
    return tplr_numpy_choice(&g, n, spec->pool_size, out);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

tplr_err tplr_sample_digest(tplr_samples *s, const int64_t *pool, int64_t n, char hex[33])
{
    uint64_t *ids = malloc(sizeof *ids * (size_t)(n ? n : 1));
    if (!ids)
        return tplr_fail(TPLR_ENOMEM, "sample digest: out of memory");
    for (int64_t i = 0; i < n; i++) {
        if (pool[i] < 0 || pool[i] >= s->n) {
            free(ids);
            return tplr_fail(TPLR_EINVAL, "sample %lld is outside the %lld samples", (long long)pool[i],
                             (long long)s->n);
        }
        ids[i] = tplr_samples_id(s, pool[i]);
    }
    qsort(ids, (size_t)n, sizeof *ids, cmp_u64);
    tplr_blake2b_state h;
    tplr_blake2b_init(&h, 16);
    for (int64_t i = 0; i < n; i++) {
        unsigned char le[8];
        for (int b = 0; b < 8; b++)
            le[b] = (unsigned char)(ids[i] >> (8 * b));
        tplr_blake2b_update(&h, le, 8);
    }
    unsigned char d[16];
    tplr_blake2b_final(&h, d);
    tplr_hex(hex, d, 16);
    free(ids);
    return TPLR_OK;
}

void tplr_pool_batch(tplr_samples *s, const int64_t *pool, int64_t pool_n, int64_t step, int B, int32_t *inputs,
                     int32_t *targets)
{
    for (int b = 0; b < B; b++)
        tplr_samples_get(s, pool[(step * B + b) % pool_n], inputs + (size_t)b * s->T, targets + (size_t)b * s->T);
}
