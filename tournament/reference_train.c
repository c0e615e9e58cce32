/* The reference submission: the Templar Tournament's reference inner_steps,
 * step for step, on the engine's public API, written for clarity, not speed.
 * Each step trains on inputs batch[:, :-1] and targets batch[:, 1:]
 * (cross-entropy, ignore index -100) with one forward and backward pass,
 * takes the optimizer step and zeroes the gradients. The seed's
 * `final_logits = logits.detach().float()` copies the logits its training
 * forward already produced; the engine's training pass never materializes
 * [B·T, V] logits, so the last step computes them with one forward pass
 * before its update (same weights, same inputs). The evaluation compares
 * every submission with this one. */
#include <stdlib.h>

#include "tplr/tournament.h"

tplr_err inner_steps(tplr_model *model, tplr_tour_data *data_iterator, tplr_adamw *optimizer, int num_steps,
                     const tplr_tour_device *device, tplr_inner_steps_result *result)
{
    (void)device;
    int B = tplr_tour_batch_rows(data_iterator), S = tplr_tour_batch_len(data_iterator), T = S - 1;
    tplr_acts *acts = NULL;
    TPLR_TRY(tplr_acts_create(model, B, T, &acts));
    int32_t *inputs = malloc(sizeof(int32_t) * (size_t)B * T), *targets = malloc(sizeof(int32_t) * (size_t)B * T);
    tplr_err e = inputs && targets ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "allocating the batch");
    result->total_tokens = 0;
    for (int step = 0; step < num_steps && !e; step++) {
        const int32_t *batch = tplr_tour_next_batch(data_iterator);
        if (!batch) {
            e = tplr_fail(TPLR_EIO, "the harness sent no batch for step %d", step + 1);
            break;
        }
        for (int r = 0; r < B; r++)
            for (int j = 0; j < T; j++) {
                inputs[(size_t)r * T + j] = batch[(size_t)r * S + j];      /* batch[:, :-1] */
                targets[(size_t)r * T + j] = batch[(size_t)r * S + j + 1]; /* batch[:, 1:] */
            }
        if (step == num_steps - 1) /* the last step's logits, before its update */
            tplr_model_forward_logits(model, acts, inputs, result->final_logits);
        float loss = tplr_model_forward_backward(model, acts, inputs, targets, 1.0f, NULL);
        tplr_adamw_step(optimizer, model, optimizer->hp.lr);
        tplr_model_zero_grads(model);
        result->total_tokens += (int64_t)B * S;
        result->final_loss = loss;
    }
    free(inputs);
    free(targets);
    tplr_acts_free(acts);
    return e;
}
