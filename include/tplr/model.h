/* The Llama-style decoder: one contiguous buffer of parameters (and one of
 * gradients, same layout), explicit forward and backward passes.
 *
 * Buffer layout (offsets in floats, tensors back to back, in this order):
 *   model.embed_tokens.weight            [V, C]
 *   per layer i:
 *     model.layers.i.input_layernorm.weight          [C]
 *     model.layers.i.self_attn.{q,k,v}_proj.weight   [H·hd, C] [KV·hd, C] [KV·hd, C]
 *     model.layers.i.self_attn.o_proj.weight         [C, H·hd]
 *     model.layers.i.post_attention_layernorm.weight [C]
 *     model.layers.i.mlp.{gate,up}_proj.weight       [F, C] [F, C]
 *     model.layers.i.mlp.down_proj.weight            [C, F]
 *   model.norm.weight                    [C]
 *   lm_head.weight                       [V, C]   (absent with tied embeddings)
 * q, k and v are adjacent, so they form one [(H+2KV)·hd, C] matrix and one
 * matrix product; gate and up likewise form one [2F, C] matrix. */
#ifndef TPLR_MODEL_H
#define TPLR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/config.h"
#include "tplr/err.h"

#define TPLR_TENSOR_NAME_MAX 96

struct tplr_wgrad_queue;

typedef struct tplr_tensor_info {
    char name[TPLR_TENSOR_NAME_MAX];
    int ndim;          /* 1 or 2 */
    int64_t shape[2];
    size_t offset;     /* in floats, into the parameter buffer */
    size_t numel;
} tplr_tensor_info;

typedef struct tplr_layer_offsets {
    size_t norm1, wqkv, wo, norm2, wgu, wdown;
} tplr_layer_offsets;

typedef struct tplr_model {
    tplr_model_config cfg;
    int head_dim, qkv_dim; /* qkv_dim = (H + 2·KV)·head_dim */
    size_t n_params;
    size_t n_matmul_params; /* parameters that take part in matrix products (FLOP count) */
    int n_tensors;
    tplr_tensor_info *tensors;
    size_t wte, normf, lm_head; /* lm_head == wte when tied */
    tplr_layer_offsets *layer;  /* [layers] */
    float *params;              /* [n_params] */
    float *grads;               /* [n_params] */
    float *rope_cos, *rope_sin; /* [max_seq][head_dim/2] */
} tplr_model;

/* Activations of one batch shape, allocated once and reused every step. */
typedef struct tplr_acts {
    int B, T, n_threads;
    size_t M, bytes;
    float *buf;
    /* kept for the backward pass */
    float *resid;       /* [L+1][M][C] residual stream entering each layer; [L] enters the final norm */
    float *ln1, *rstd1; /* [L][M][C], [L][M] */
    float *qkv;         /* [L][M][qkv_dim], q and k already rotated */
    float *lse;         /* [L][B][H][T] softmax log-sum-exp */
    float *attn;        /* [L][M][H·hd] attention output before o_proj */
    float *mid;         /* [L][M][C] residual after attention */
    float *ln2, *rstd2; /* [L][M][C], [L][M] */
    float *gu;          /* [L][M][2F] gate|up pre-activations */
    float *act;         /* [L][M][F] silu(gate)·up */
    float *lnf, *rstdf; /* [M][C], [M] */
    /* scratch shared by all layers */
    float *dact;        /* [M][F] */
    float *dres, *dln;  /* [M][C] */
    /* dgu shares memory with dqkv+dattn: they are never live at once */
    float *dqkv;        /* [M][qkv_dim] */
    float *dattn;       /* [M][H·hd] */
    float *dgu;         /* [M][2F] */
    float *logits;      /* [chunk_rows][V] classifier chunk */
    float *att_scratch; /* [n_threads][attention scratch] */
    float *row_loss;    /* [M] */
    int chunk_rows;
    /* when not NULL (a data-parallel worker's, tplr/wgrad_queue.h): the
     * backward pass queues the weight gradients of the layers below
     * wq->layers there, and runs what is left of them at its end */
    struct tplr_wgrad_queue *wq;
} tplr_acts;

/* Allocates a model (parameters and gradients zeroed) for a valid config. */
tplr_err tplr_model_create(const tplr_model_config *cfg, tplr_model **out);
/* The tensor table only (names, shapes, offsets, n_params): params, grads and
 * the RoPE tables stay NULL. For tools that need a model's layout, not its
 * weights; free with tplr_model_free. */
tplr_err tplr_model_create_shapes(const tplr_model_config *cfg, tplr_model **out);
void tplr_model_free(tplr_model *m);
/* Hugging Face's initialization: normal(0, 0.02) for matrices and embeddings,
 * ones for norms, drawn from a counter-based generator: the same seed gives
 * the same bytes everywhere. */
void tplr_model_init_weights(tplr_model *m, uint64_t seed);
const tplr_tensor_info *tplr_model_find_tensor(const tplr_model *m, const char *name);
void tplr_model_zero_grads(tplr_model *m);

/* Activations for batches of B sequences of T tokens (T ≤ max_seq), for the
 * current thread count. */
tplr_err tplr_acts_create(const tplr_model *m, int B, int T, tplr_acts **out);
void tplr_acts_free(tplr_acts *a);
/* Rows of logits the fused classifier computes at once: at most max_elems
 * logits, at least 64 rows (so its matrix products stay efficient), all M
 * rows when they fit. */
int tplr_classifier_chunk_rows(size_t M, int V, size_t max_elems);
/* Bytes tplr_acts_create would allocate. */
size_t tplr_acts_bytes(const tplr_model *m, int B, int T, int n_threads);

/* Checks that every token is in [0, V) (or, if allow_ignore, the ignore index). */
tplr_err tplr_model_check_tokens(const tplr_model *m, const int32_t *tok, size_t n, int allow_ignore);

/* Targets that are not the ignore index among n. */
int64_t tplr_model_count_valid(const int32_t *targets, size_t n);
/* Mean cross-entropy over targets that are not the ignore index; *n_valid
 * (may be NULL) gets their count. Loss 0 when there are none. Inputs and
 * targets are [B·T] and must be valid. */
float tplr_model_forward_loss(tplr_model *m, tplr_acts *a, const int32_t *inputs,
                              const int32_t *targets, int64_t *n_valid);
/* Forward and backward: returns the mean loss and adds grad_scale·∂loss/∂θ
 * into m->grads (zero them first for a fresh step). */
float tplr_model_forward_backward(tplr_model *m, tplr_acts *a, const int32_t *inputs,
                                  const int32_t *targets, float grad_scale, int64_t *n_valid);
/* Full logits [B·T][V] into out (caller's buffer). */
void tplr_model_forward_logits(tplr_model *m, tplr_acts *a, const int32_t *inputs, float *out);

/* FLOPs of one training token: 6·n_matmul_params + 12·L·C·T. */
double tplr_model_train_flops_per_token(const tplr_model *m, int T);

#endif
