/* What the runner and the verifier must do identically: initial weights,
 * the evaluation's batches, the optimizer settings. */
#include "tplr/hash.h"
#include "tplr/rng.h"
#include "tplr/tour_proto.h"

#define BASE_SEED 0x7470756e7431ull /* the fixed initialization every seed perturbs */
#define STREAM_PERTURB 1
#define STREAM_OFFSET 2
#define PERTURB 1e-3

uint64_t tplr_tour_weight_seed(uint64_t eval_seed)
{
    uint8_t in[24] = "tplr-tour-weights";
    for (int i = 0; i < 8; i++)
        in[16 + i] = (uint8_t)(eval_seed >> (8 * i));
    unsigned char d[32];
    tplr_sha256(d, in, sizeof in);
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s |= (uint64_t)d[i] << (8 * i);
    return s;
}

void tplr_tour_init_weights(tplr_model *m, uint64_t weight_seed)
{
    tplr_model_init_weights(m, BASE_SEED);
    uint64_t key = tplr_rng_mix(weight_seed, STREAM_PERTURB);
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] += (float)(PERTURB * (2.0 * tplr_rng_uniform(key, 0, i) - 1.0));
}

void tplr_tour_batch_tokens(uint64_t seed, int64_t index, int B, int S, int V, int32_t *out)
{
    /* a random offset into an endless stream of rows */
    uint64_t key = tplr_rng_mix(seed, STREAM_OFFSET);
    uint64_t offset = tplr_rng_below(key, 0, 0, (uint64_t)1 << 40);
    for (int r = 0; r < B; r++) {
        uint64_t row = offset + (uint64_t)index * (uint64_t)B + (uint64_t)r;
        /* rows repeat a short random motif, so there is something to learn */
        int period = 2 + (int)tplr_rng_below(key, row, 0, 14);
        for (int j = 0; j < S; j++)
            out[(size_t)r * S + j] = (int32_t)tplr_rng_below(key, row, 1 + (uint64_t)(j % period), (uint64_t)V);
    }
}

tplr_adamw_hparams tplr_tour_hparams(void)
{
    tplr_adamw_hparams h = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1,
                            .clip = 0, .warmup_steps = 0, .t_max = 0, .eta_min_factor = 1.0};
    return h;
}
