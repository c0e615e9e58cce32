/* An optimized submission: the reference's arithmetic, with the cores split
 * by rows of the batch instead of inside every operation, and less memory
 * traffic.
 *  - Data parallel over the cores: with W = min(threads, B) workers, worker w
 *    runs the whole forward and backward pass on its own contiguous share of
 *    the batch's rows, single-threaded (the engine's OpenMP loops nested in
 *    this region run on the calling thread, and the OpenMP build of OpenBLAS
 *    does the same), into its own gradient buffer. The reference instead
 *    splits each of the step's ~40 operations across the threads: every one
 *    ends on a barrier, and small matrix products scale poorly over threads.
 *    Each share's gradient is scaled by its share of the valid targets, so the
 *    sum of the W buffers is the gradient of the whole batch's mean loss; only
 *    the order of the additions differs from the reference.
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

#include "tplr/tournament.h"

#define MAX_WORKERS 64

typedef struct workers {
    int n;                     /* W */
    int row0[MAX_WORKERS + 1]; /* worker w takes rows [row0[w], row0[w+1]) */
    tplr_model view[MAX_WORKERS];  /* the model with worker w's gradient buffer */
    tplr_acts *acts[MAX_WORKERS];  /* for its rows */
    float *grads[MAX_WORKERS];     /* grads[0] is the model's own */
    int64_t valid[MAX_WORKERS];    /* its valid targets (not the ignore index) this step */
    double loss[MAX_WORKERS];
    int32_t *inputs, *targets;     /* [B][T] */
} workers;

static void release(workers *w)
{
    for (int k = 0; k < w->n; k++) {
        tplr_acts_free(w->acts[k]);
        if (k > 0)
            free(w->grads[k]);
    }
    free(w->inputs);
    free(w->targets);
}

static tplr_err setup(workers *w, tplr_model *model, int B, int T, int threads)
{
    memset(w, 0, sizeof *w);
    w->n = threads < B ? threads : B;
    if (w->n > MAX_WORKERS)
        w->n = MAX_WORKERS;
    if (w->n < 1)
        w->n = 1;
    w->inputs = malloc(sizeof(int32_t) * (size_t)B * T);
    w->targets = malloc(sizeof(int32_t) * (size_t)B * T);
    if (!w->inputs || !w->targets)
        return tplr_fail(TPLR_ENOMEM, "allocating the batch");
    for (int k = 0; k <= w->n; k++)
        w->row0[k] = (int)((int64_t)B * k / w->n);
    for (int k = 0; k < w->n; k++) {
        w->view[k] = *model;
        w->grads[k] = model->grads;
        if (k > 0) {
            w->grads[k] = calloc(model->n_params, sizeof(float));
            if (!w->grads[k])
                return tplr_fail(TPLR_ENOMEM, "allocating worker %d's gradients", k);
            w->view[k].grads = w->grads[k];
        }
        TPLR_TRY(tplr_acts_create(model, w->row0[k + 1] - w->row0[k], T, &w->acts[k]));
    }
    return TPLR_OK;
}

/* inputs = batch[:, :-1], targets = batch[:, 1:]: each a contiguous run of T tokens per row */
static void split_rows(const int32_t *batch, int B, int S, workers *w)
{
    size_t T = (size_t)S - 1;
    for (int r = 0; r < B; r++) {
        memcpy(w->inputs + r * T, batch + (size_t)r * S, T * sizeof(int32_t));
        memcpy(w->targets + r * T, batch + (size_t)r * S + 1, T * sizeof(int32_t));
    }
}

static int64_t count_valid(const int32_t *targets, size_t n)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += targets[i] != -100;
    return c;
}

/* Where worker k's tokens start in the batch, and how many it has. */
static size_t share_offset(const workers *w, int k, int T) { return (size_t)w->row0[k] * (size_t)T; }
static size_t share_tokens(const workers *w, int k, int T) { return (size_t)(w->row0[k + 1] - w->row0[k]) * (size_t)T; }

/* Each worker's valid targets; returns their total. */
static int64_t count_shares(workers *w, int T)
{
    int64_t all = 0;
    for (int k = 0; k < w->n; k++) {
        w->valid[k] = count_valid(w->targets + share_offset(w, k, T), share_tokens(w, k, T));
        all += w->valid[k];
    }
    return all;
}

/* Worker k's forward and backward on its rows (and, on the last step, their
 * logits); its loss weighted by its share of the valid targets. */
static void run_worker(workers *w, int k, int T, int64_t n_valid_all, int last, tplr_inner_steps_result *result)
{
    tplr_model *m = &w->view[k];
    size_t off = share_offset(w, k, T), n_tok = share_tokens(w, k, T);
    int64_t mine = w->valid[k];
    float scale = n_valid_all > 0 ? (float)((double)mine / (double)n_valid_all) : 1.0f;
    float loss = tplr_model_forward_backward(m, w->acts[k], w->inputs + off, w->targets + off, scale, NULL);
    w->loss[k] = n_valid_all > 0 ? (double)loss * (double)mine / (double)n_valid_all : (double)loss / w->n;
    if (last) { /* lnf · lm_headᵀ, weights before the update */
        int C = m->cfg.hidden, V = m->cfg.vocab;
        tplr_k_matmul(0, 1, (int)n_tok, V, C, 1.0f, w->acts[k]->lnf, C, m->params + m->lm_head, C, 0.0f,
                      result->final_logits + off * (size_t)V, V);
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
static void fold_extra_workers(workers *w, size_t i0, size_t i1)
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
static void adamw_step_and_zero(tplr_adamw *o, tplr_model *model, workers *w)
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
    workers *w = malloc(sizeof *w);
    if (!w)
        return tplr_fail(TPLR_ENOMEM, "allocating the workers");
    omp_set_max_active_levels(1); /* the engine's loops inside a worker stay on its thread */
    tplr_err e = setup(w, model, B, T, device->threads);
    result->total_tokens = 0;
    for (int step = 0; !e && step < num_steps; step++) {
        const int32_t *batch = tplr_tour_next_batch(data_iterator);
        if (!batch) {
            e = tplr_fail(TPLR_EIO, "no batch for step %d", step + 1);
            break;
        }
        split_rows(batch, B, S, w);
        int64_t n_valid = count_shares(w, T);
        int last = step == num_steps - 1;
        if (w->n == 1)
            run_worker(w, 0, T, n_valid, last, result);
        else {
#pragma omp parallel num_threads(w->n)
            for (int k = omp_get_thread_num(); k < w->n; k += omp_get_num_threads())
                run_worker(w, k, T, n_valid, last, result);
        }
        double loss = 0;
        for (int k = 0; k < w->n; k++)
            loss += w->loss[k];
        result->final_loss = loss;
        adamw_step_and_zero(optimizer, model, w);
        result->total_tokens += (int64_t)B * S;
    }
    release(w);
    free(w);
    return e;
}
