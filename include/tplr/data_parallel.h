/* Data parallelism over the cores for one training step on the CPU: with
 * W = min(threads, B) workers, worker k runs the whole forward and backward
 * pass on its own contiguous share of the batch's rows on one thread (the
 * engine's OpenMP loops and OpenBLAS, called inside the region, stay on the
 * calling thread), into its own gradient buffer. Each share's gradient is
 * scaled by its share of the batch's valid targets, so the sum of the W
 * buffers is the gradient of the whole batch's mean loss: the same as one
 * tplr_model_forward_backward on the batch up to the order of the additions.
 * Splitting by rows instead of inside each operation saves the ~40 barriers
 * a step's operations end on, and small matrix products run closer to the
 * core's peak on one thread than split over two.
 * A worker done with its rows takes queued weight gradients of the lowest
 * layers over from the workers still running (tplr/wgrad_queue.h), which
 * changes no bit of the result.
 * With one worker it is tplr_model_forward_backward on all threads, bit for
 * bit. Results depend on the worker count; with two or more, each worker on
 * one thread, not on the thread count. */
#ifndef TPLR_DATA_PARALLEL_H
#define TPLR_DATA_PARALLEL_H

#include <stdint.h>

#include "tplr/model.h"

#define TPLR_DP_MAX_WORKERS 64

typedef struct tplr_dp {
    tplr_model *model;
    int n;                              /* workers W */
    int B, T;
    int row0[TPLR_DP_MAX_WORKERS + 1];  /* worker k takes rows [row0[k], row0[k+1]) */
    tplr_acts *acts[TPLR_DP_MAX_WORKERS];
    struct tplr_wgrad_queue *queue[TPLR_DP_MAX_WORKERS]; /* with two or more workers: each one's queued
                                                          * weight gradients (tplr/wgrad_queue.h) */
    float *grads[TPLR_DP_MAX_WORKERS];  /* grads[0] is model->grads; the others are the workers' own */
    int64_t valid[TPLR_DP_MAX_WORKERS]; /* each worker's valid targets in the last step */
    float loss[TPLR_DP_MAX_WORKERS];    /* each worker's mean loss over its rows in the last step */
    float *logits;                      /* when not NULL, the next tplr_dp_forward_backward also writes
                                         * the batch's [B·T][V] logits here (lnf·lm_headᵀ from the
                                         * training pass, before any update) */
    size_t bytes_acts;                  /* all workers' activations */
    size_t bytes_grads;                 /* the workers' own gradient buffers (model->grads not counted) */
} tplr_dp;

/* The workers a step of B rows gets when `requested` are asked for (≤ 0:
 * the thread count): at most B and TPLR_DP_MAX_WORKERS, at least 1. */
int tplr_dp_count(int requested, int B);
/* With two or more workers, the layers whose weight gradients each worker
 * queues (tplr/wgrad_queue.h) so that a worker that is done takes over from
 * one still running: a quarter of them, rounded up (about a tenth of a
 * step's work, against 1-17 % of imbalance measured between two vCPUs;
 * each queued layer costs 2·M·C + 2·M·F + M·qkv_dim floats a worker). */
int tplr_dp_queued_layers(int layers);
/* Workers for batches of B rows of T tokens (tplr_dp_count of workers). m
 * must outlive the result. */
tplr_err tplr_dp_create(tplr_model *m, int B, int T, int workers, tplr_dp **out);
void tplr_dp_free(tplr_dp *dp);

/* Forward and backward of the batch ([B·T] inputs and targets, valid):
 * adds ∂(mean loss)/∂θ into the workers' gradient buffers (worker 0's is
 * model->grads) and returns the batch's mean loss; *n_valid (may be NULL)
 * gets the count of valid targets. Call tplr_dp_fold before reading
 * model->grads. */
float tplr_dp_forward_backward(tplr_dp *dp, const int32_t *inputs, const int32_t *targets, int64_t *n_valid);

/* Adds the other workers' gradients into model->grads and zeroes theirs. */
void tplr_dp_fold(tplr_dp *dp);
/* The same, and returns Σ g² of the summed gradient (tplr_k_sumsq's bits),
 * taken in the same pass. */
double tplr_dp_fold_sumsq(tplr_dp *dp);

/* One step's gradient into model->grads, which must be zero on entry:
 * forward and backward, then the fold; *norm gets the gradient's global L2
 * norm (tplr_k_sumsq's bits). Returns the mean loss. */
float tplr_dp_grad(tplr_dp *dp, const int32_t *inputs, const int32_t *targets, double *norm);

#endif
