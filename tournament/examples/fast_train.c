/* An optimized submission: the reference's arithmetic, with the cores split
 * by rows of the batch instead of inside every operation, and less memory
 * traffic.
 *  - Data parallel over the cores with the engine's tplr_dp
 *    (tplr/data_parallel.h): W = min(threads, B) workers, each runs the
 *    whole forward and backward pass on its own contiguous share of the
 *    batch's rows on one thread, into its own gradient buffer, scaled by its
 *    share of the valid targets. The reference instead splits each of the
 *    step's ~40 operations across the threads: every one ends on a barrier,
 *    and small matrix products scale poorly over threads.
 *  - AdamW, the sum of the W gradient buffers and zeroing them in one pass:
 *    the reference runs tplr_adamw_step (one parallel loop per tensor) and then
 *    tplr_model_zero_grads (a single-threaded memset, a second trip through
 *    memory). Here one parallel loop over the whole parameter buffer reads
 *    the W gradients, updates p, m, v and clears the gradients while their
 *    cache lines are loaded; the per-tensor scalars are computed once a step.
 *  - The final logits from the last training pass: tplr_model_forward_backward
 *    leaves the final norm's output in acts->lnf (the backward pass only reads
 *    it), so each worker's logits are one lm_head product on it, before the
 *    update, instead of the reference's whole extra forward pass.
 * The update is tplr_k_adamw's expression, element by element, so weights,
 * loss and logits match the reference's up to float rounding. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/data_parallel.h"
#include "tplr/tournament.h"

/* inputs = batch[:, :-1], targets = batch[:, 1:]: each a contiguous run of T tokens per row */
static void split_rows(const int32_t *batch, int B, int S, int32_t *inputs, int32_t *targets)
{
    size_t T = (size_t)S - 1;
    for (int r = 0; r < B; r++) {
        memcpy(inputs + r * T, batch + (size_t)r * S, T * sizeof(int32_t));
        memcpy(targets + r * T, batch + (size_t)r * S + 1, T * sizeof(int32_t));
    }
}

/* Each worker's rows of logits, lnf · lm_headᵀ, with the weights before the update. */
static void final_logits(const tplr_dp *dp, float *out)
{
    const tplr_model *m = dp->model;
    int C = m->cfg.hidden, V = m->cfg.vocab;
    for (int k = 0; k < dp->n; k++) {
        size_t off = (size_t)dp->row0[k] * (size_t)dp->T;
        int rows = (dp->row0[k + 1] - dp->row0[k]) * dp->T;
        tplr_k_matmul(0, 1, rows, V, C, 1.0f, dp->acts[k]->lnf, C, m->params + m->lm_head, C, 0.0f,
                      out + off * (size_t)V, V);
    }
}

/* One AdamW step over [i0, i1) with a tensor's decay on g = ga + gb (gb may be
 * NULL), both then cleared: tplr_k_adamw's arithmetic (PyTorch's formulation).
 * restrict and the two fixed operands let the compiler vectorize the loop. */
static void adamw_sum_zero_range(float *restrict p, float *restrict ga, float *restrict gb, float *restrict m,
                                 float *restrict v, size_t i0, size_t i1, float decay, float neg_step_size,
                                 float bc2_sqrt, const tplr_adamw_hparams *h)
{
    float b1 = (float)h->beta1, b2 = (float)h->beta2, epsf = (float)h->eps;
    float omb1 = (float)(1.0 - h->beta1), omb2 = (float)(1.0 - h->beta2);
    for (size_t i = i0; i < i1; i++) { /* -O3 unswitches the loop on gb */
        float gi = ga[i];
        ga[i] = 0.0f;
        if (gb) {
            gi += gb[i];
            gb[i] = 0.0f;
        }
        float mi = m[i] * b1 + omb1 * gi;
        float vi = v[i] * b2 + omb2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2_sqrt + epsf;
        p[i] = p[i] * decay + neg_step_size * (mi / denom);
    }
}

/* Adds workers 2.. into worker 1's gradients over [i0, i1), clearing them. */
static void fold_extra_workers(const tplr_dp *w, size_t i0, size_t i1)
{
    for (int k = 2; k < w->n; k++) {
        float *restrict dst = w->grads[1], *restrict src = w->grads[k];
        for (size_t i = i0; i < i1; i++) {
            dst[i] += src[i];
            src[i] = 0.0f;
        }
    }
}

/* tplr_adamw_step on the summed gradients, then every gradient buffer zeroed:
 * each thread takes one contiguous share of the parameter buffer and walks
 * the tensors in it. */
static void adamw_step_and_zero(tplr_adamw *o, tplr_model *model, const tplr_dp *w)
{
    const tplr_adamw_hparams *h = &o->hp;
    o->step++;
    double lr = h->lr, bc1 = 1.0 - pow(h->beta1, (double)o->step), bc2 = 1.0 - pow(h->beta2, (double)o->step);
    float neg_step_size = (float)(-lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    float decay_matrix = (float)(1.0 - lr * h->weight_decay);
    size_t n = model->n_params;
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        size_t lo = n * (size_t)t / (size_t)nt, hi = n * (size_t)(t + 1) / (size_t)nt;
        for (int k = 0; k < model->n_tensors; k++) {
            const tplr_tensor_info *ti = &model->tensors[k];
            size_t a = ti->offset > lo ? ti->offset : lo, z = ti->offset + ti->numel < hi ? ti->offset + ti->numel : hi;
            if (a < z) {
                fold_extra_workers(w, a, z);
                adamw_sum_zero_range(model->params, w->grads[0], w->n > 1 ? w->grads[1] : NULL, o->m, o->v, a,
                                     z, ti->ndim >= 2 ? decay_matrix : 1.0f, neg_step_size, bc2_sqrt, h);
            }
        }
    }
}

tplr_err inner_steps(tplr_model *model, tplr_tour_data *data_iterator, tplr_adamw *optimizer, int num_steps,
                     const tplr_tour_device *device, tplr_inner_steps_result *result)
{
    int B = tplr_tour_batch_rows(data_iterator), S = tplr_tour_batch_len(data_iterator), T = S - 1;
    tplr_dp *dp = NULL;
    TPLR_TRY(tplr_dp_create(model, B, T, device->threads, &dp));
    int32_t *inputs = malloc(sizeof(int32_t) * (size_t)B * T), *targets = malloc(sizeof(int32_t) * (size_t)B * T);
    tplr_err e = inputs && targets ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "allocating the batch");
    result->total_tokens = 0;
    for (int step = 0; !e && step < num_steps; step++) {
        const int32_t *batch = tplr_tour_next_batch(data_iterator);
        if (!batch) {
            e = tplr_fail(TPLR_EIO, "no batch for step %d", step + 1);
            break;
        }
        split_rows(batch, B, S, inputs, targets);
        result->final_loss = tplr_dp_forward_backward(dp, inputs, targets, NULL);
        if (step == num_steps - 1)
            final_logits(dp, result->final_logits);
        adamw_step_and_zero(optimizer, model, dp);
        result->total_tokens += (int64_t)B * S;
    }
    free(inputs);
    free(targets);
    tplr_dp_free(dp);
    return e;
}
