/* Weight gradients that any thread may run: the backward pass of the lowest
 * layers queues its weight-gradient products (G += Aᵀ·B) instead of running
 * them, so that when one data-parallel worker falls behind another (the host
 * slowing one core), the one ahead takes some of them over instead of
 * waiting. Each product writes its own gradient tensor of its own worker's
 * buffer, exactly as it would have run inline, so the result does not depend
 * on which thread runs it: the bits are those of the unqueued pass.
 *
 * One step: tplr_wgrad_queue_reset while no thread uses the queue; the owner
 * pushes during its backward pass and seals at its end; any threads (the
 * owner too) call tplr_wgrad_queue_run, which returns once the queue is
 * sealed and every product is taken, those this thread took done. */
#ifndef TPLR_WGRAD_QUEUE_H
#define TPLR_WGRAD_QUEUE_H

#include <stddef.h>

#include "tplr/model.h"

typedef struct tplr_wgrad {
    int M, N, K;   /* G[M×N] += Aᵀ·B, A [K×M], B [K×N], row-major */
    int lda, ldb, ldg;
    const float *A, *B;
    float *G;
    int phase;     /* tplr_phase, for the profile */
} tplr_wgrad;

typedef struct tplr_wgrad_queue {
    int layers;          /* the layers below this one queue their weight gradients */
    size_t layer_floats; /* one layer's inputs: */
    size_t off[4];       /* ∂residual (MLP), ∂residual (attention), ∂(gate|up), ∂qkv */
    float *inputs;       /* [layers][layer_floats]: the queued products' own inputs */
    tplr_wgrad *item;    /* [cap] */
    int cap;
    int pushed, taken, sealed; /* atomics */
    size_t bytes;
} tplr_wgrad_queue;

/* A queue for the lowest `layers` layers of model m on M rows: per layer,
 * room for the products' inputs that the backward pass overwrites (two
 * copies of ∂loss/∂residual, ∂(gate|up), ∂qkv: 2·M·C + 2·M·F + M·qkv_dim
 * floats). */
tplr_err tplr_wgrad_queue_create(const tplr_model *m, size_t M, int layers, tplr_wgrad_queue **out);
void tplr_wgrad_queue_free(tplr_wgrad_queue *q);
void tplr_wgrad_queue_reset(tplr_wgrad_queue *q);

enum { TPLR_WQ_DRES_MLP, TPLR_WQ_DRES_ATTN, TPLR_WQ_DGU, TPLR_WQ_DQKV };
/* Layer l's input `which` (TPLR_WQ_*): ∂residual at the MLP's output, at the
 * attention's output, ∂(gate|up), ∂qkv. */
float *tplr_wgrad_queue_input(tplr_wgrad_queue *q, int l, int which);

/* Queues w, or runs it at once when the queue is full. Owner only. */
void tplr_wgrad_queue_push(tplr_wgrad_queue *q, const tplr_wgrad *w);
/* No more pushes this step. Owner only. */
void tplr_wgrad_queue_seal(tplr_wgrad_queue *q);
/* Takes and runs products until the queue is sealed and none is left. */
void tplr_wgrad_queue_run(tplr_wgrad_queue *q);
/* Runs w on the calling thread. */
void tplr_wgrad_run(const tplr_wgrad *w);

#endif
