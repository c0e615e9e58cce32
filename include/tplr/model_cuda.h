/* The decoder on an NVIDIA GPU: a model's parameters, gradients, AdamW
 * moments, bf16 weight copies and activations in device memory, allocated
 * once at create (nothing is allocated inside a step), and the forward and
 * backward passes of src/model/forward.c call for call on the kernels of
 * tplr/kernels_cuda.h. Built into the CUDA plugin (tplr/cuda_plugin.h).
 *
 * Precision: fp32 runs every op in fp32 (checked against the CPU engine);
 * bf16 keeps activations and a bf16 copy of the weights for the products,
 * with fp32 accumulation, fp32 master weights, gradients and moments. */
#ifndef TPLR_MODEL_CUDA_H
#define TPLR_MODEL_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/kernels_cuda.h"
#include "tplr/model.h"

typedef struct tplr_cuda_model {
    const tplr_model *host; /* layout and config (not owned; must outlive this) */
    tplr_cu *cu;
    tplr_cu_dtype dt;
    char device_name[128];
    int B, T;
    size_t M;
    float *params, *grads;  /* fp32 master weights and gradients, the host layout */
    float *adam_m, *adam_v; /* AdamW moments, same layout */
    void *wlow;             /* bf16 copy of params read by the products (NULL in fp32 mode) */
    float *rope_cos, *rope_sin;
    void *acts;             /* one allocation, carved as below */
    /* activations of type dt, the layouts of tplr_acts */
    void *resid, *ln1, *qkv, *attn, *mid, *ln2, *gu, *act, *lnf;
    void *dact, *dres, *dln, *dbig, *logits;
    /* fp32 */
    float *rstd1, *rstd2, *rstdf, *lse, *row_loss;
    void *scratch;          /* attention backward rowsums, or rmsnorm dw partials */
    int32_t *tok, *tgt, *groups; /* device: inputs, targets, embedding-backward grouping */
    int32_t *h_groups, *h_counts;
    float *h_row_loss;
    int chunk_rows;
    size_t bytes_params, bytes_acts;
} tplr_cuda_model;

/* Puts m (weights included) on CUDA device 0 for batches of B×T tokens. */
tplr_err tplr_cuda_model_create(const tplr_model *m, int B, int T, tplr_cu_dtype dt, tplr_cuda_model **out);
void tplr_cuda_model_free(tplr_cuda_model *g);
/* Host fp32 parameters (the model's layout) to the device (and its bf16 copy), and back. */
tplr_err tplr_cuda_model_upload(tplr_cuda_model *g, const float *params);
tplr_err tplr_cuda_model_download(tplr_cuda_model *g, float *params);
tplr_err tplr_cuda_model_download_grads(tplr_cuda_model *g, float *grads);
/* AdamW moments to and from the host (checkpoints and resume). */
tplr_err tplr_cuda_model_set_moments(tplr_cuda_model *g, const float *m, const float *v);
tplr_err tplr_cuda_model_get_moments(tplr_cuda_model *g, float *m, float *v);
tplr_err tplr_cuda_model_zero_grads(tplr_cuda_model *g);

/* tplr_model_forward_backward on the device: host inputs and targets [B·T]
 * (checked here), the mean loss into *loss, grad_scale·∂loss/∂θ added into
 * g->grads; grad_scale 0 runs the forward pass and the loss only. */
tplr_err tplr_cuda_forward_backward(tplr_cuda_model *g, const int32_t *inputs, const int32_t *targets,
                                    float grad_scale, float *loss, int64_t *n_valid);

#endif
