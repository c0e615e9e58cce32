/* Forward and backward passes of the decoder, written out op by op. */
#include <string.h>

#include "tplr/kernels.h"
#include "tplr/model.h"
#include "tplr/profile.h"
#include "tplr/wgrad_queue.h"

#define W(m, off) ((m)->params + (off))
#define G(m, off) ((m)->grads + (off))

/* Runs the decoder up to the final norm: a->lnf holds its output. */
static void forward_body(tplr_model *m, tplr_acts *a, const int32_t *inputs)
{
    const tplr_model_config *c = &m->cfg;
    int C = c->hidden, F = c->ffn, H = c->heads, KV = c->kv_heads, hd = m->head_dim;
    int D = m->qkv_dim, Q = H * hd, T = a->T;
    size_t M = a->M, MC = M * (size_t)C;
    float eps = (float)c->norm_eps;

    TPLR_PROF(TPLR_PH_EMBED, tplr_k_embedding_fwd(a->resid, W(m, m->wte), inputs, M, C));
    for (int l = 0; l < c->layers; l++) {
        const tplr_layer_offsets *L = &m->layer[l];
        float *x = a->resid + l * MC, *ln1 = a->ln1 + l * MC, *mid = a->mid + l * MC;
        float *ln2 = a->ln2 + l * MC, *qkv = a->qkv + l * M * D, *attn = a->attn + l * M * Q;
        float *gu = a->gu + l * M * 2 * F, *act = a->act + l * M * F;
        TPLR_PROF(TPLR_PH_NORM, tplr_k_rmsnorm_fwd(ln1, a->rstd1 + l * M, x, W(m, L->norm1), M, C, eps));
        TPLR_PROF(TPLR_PH_QKV_MM, tplr_k_matmul(0, 1, (int)M, D, C, 1.0f, ln1, C, W(m, L->wqkv), C, 0.0f, qkv, D));
        TPLR_PROF(TPLR_PH_ROPE, tplr_k_rope(qkv, D, 0, M, T, 0, H + KV, hd, m->rope_cos, m->rope_sin, 0));
        TPLR_PROF(TPLR_PH_ATTN, tplr_k_attention_fwd(attn, Q, a->lse + (size_t)l * a->B * H * T, qkv, D, a->B, T,
                                                     H, KV, hd, a->att_scratch, a->n_threads));
        TPLR_PROF(TPLR_PH_COPY, memcpy(mid, x, sizeof(float) * MC));
        TPLR_PROF(TPLR_PH_OUT_MM, tplr_k_matmul(0, 1, (int)M, C, Q, 1.0f, attn, Q, W(m, L->wo), Q, 1.0f, mid, C));
        TPLR_PROF(TPLR_PH_NORM, tplr_k_rmsnorm_fwd(ln2, a->rstd2 + l * M, mid, W(m, L->norm2), M, C, eps));
        TPLR_PROF(TPLR_PH_UP_MM, tplr_k_matmul(0, 1, (int)M, 2 * F, C, 1.0f, ln2, C, W(m, L->wgu), C, 0.0f, gu, 2 * F));
        TPLR_PROF(TPLR_PH_SWIGLU, tplr_k_swiglu_fwd(act, gu, M, F));
        float *next = a->resid + (l + 1) * MC;
        TPLR_PROF(TPLR_PH_COPY, memcpy(next, mid, sizeof(float) * MC));
        TPLR_PROF(TPLR_PH_DOWN_MM, tplr_k_matmul(0, 1, (int)M, C, F, 1.0f, act, F, W(m, L->wdown), F, 1.0f, next, C));
    }
    TPLR_PROF(TPLR_PH_NORM, tplr_k_rmsnorm_fwd(a->lnf, a->rstdf, a->resid + c->layers * MC, W(m, m->normf), M, C, eps));
}

int64_t tplr_model_count_valid(const int32_t *targets, size_t n)
{
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += targets[i] != TPLR_IGNORE_INDEX;
    return k;
}

/* The classifier in row chunks: logits, loss and (when grad_scale != 0) the
 * logits' gradient in place, then its products into dln and the lm_head
 * gradient, so no [M, V] tensor ever exists. Returns the mean loss. */
static float classifier(tplr_model *m, tplr_acts *a, const int32_t *targets, float grad_scale,
                        int64_t n_valid)
{
    int C = m->cfg.hidden, V = m->cfg.vocab;
    const float *wlm = W(m, m->lm_head);
    float scale = n_valid ? grad_scale / (float)n_valid : 0.0f;
    for (size_t r0 = 0; r0 < a->M; r0 += (size_t)a->chunk_rows) {
        int rows = (int)(a->M - r0 < (size_t)a->chunk_rows ? a->M - r0 : (size_t)a->chunk_rows);
        const float *x = a->lnf + r0 * C;
        TPLR_PROF(TPLR_PH_HEAD_MM, tplr_k_matmul(0, 1, rows, V, C, 1.0f, x, C, wlm, C, 0.0f, a->logits, V));
        TPLR_PROF(TPLR_PH_XENT, tplr_k_xent(a->logits, a->row_loss + r0, targets + r0, rows, V, scale));
        if (scale != 0.0f) {
            TPLR_PROF(TPLR_PH_HEAD_MM_B, {
                tplr_k_matmul(0, 0, rows, C, V, 1.0f, a->logits, V, wlm, C, 0.0f, a->dln + r0 * C, C);
                tplr_k_matmul(1, 0, V, C, rows, 1.0f, a->logits, V, x, C, 1.0f, G(m, m->lm_head), C);
            });
        }
    }
    double sum = 0.0;
    for (size_t i = 0; i < a->M; i++)
        sum += a->row_loss[i];
    return n_valid ? (float)(sum / (double)n_valid) : 0.0f;
}

float tplr_model_forward_loss(tplr_model *m, tplr_acts *a, const int32_t *inputs,
                              const int32_t *targets, int64_t *n_valid)
{
    int64_t nv = tplr_model_count_valid(targets, a->M);
    if (n_valid)
        *n_valid = nv;
    forward_body(m, a, inputs);
    return classifier(m, a, targets, 0.0f, nv);
}

void tplr_model_forward_logits(tplr_model *m, tplr_acts *a, const int32_t *inputs, float *out)
{
    forward_body(m, a, inputs);
    int C = m->cfg.hidden, V = m->cfg.vocab;
    tplr_k_matmul(0, 1, (int)a->M, V, C, 1.0f, a->lnf, C, W(m, m->lm_head), C, 0.0f, out, V);
}

/* A weight gradient G[Mo×No] += Aᵀ·B: queued when q is not NULL, else run. */
static void weight_grad(tplr_wgrad_queue *q, tplr_phase ph, int Mo, int No, int Ko, const float *A, int lda,
                        const float *B, int ldb, float *G, int ldg)
{
    tplr_wgrad w = {Mo, No, Ko, lda, ldb, ldg, A, B, G, (int)ph};
    if (q)
        tplr_wgrad_queue_push(q, &w);
    else
        tplr_wgrad_run(&w);
}

/* An input of a queued weight gradient that the pass will overwrite: its
 * own copy in the queue. */
static const float *keep(tplr_wgrad_queue *q, int l, int which, const float *x, size_t n)
{
    if (!q)
        return x;
    float *copy = tplr_wgrad_queue_input(q, l, which);
    TPLR_PROF(TPLR_PH_COPY, memcpy(copy, x, sizeof(float) * n));
    return copy;
}

static void backward_layers(tplr_model *m, tplr_acts *a, const int32_t *inputs)
{
    const tplr_model_config *c = &m->cfg;
    int C = c->hidden, F = c->ffn, H = c->heads, KV = c->kv_heads, hd = m->head_dim;
    int D = m->qkv_dim, Q = H * hd, T = a->T;
    size_t M = a->M, MC = M * (size_t)C;
    float *dres = a->dres; /* ∂loss/∂(residual stream), carried down the layers */

    for (int l = c->layers - 1; l >= 0; l--) {
        const tplr_layer_offsets *L = &m->layer[l];
        float *x = a->resid + l * MC, *ln1 = a->ln1 + l * MC, *mid = a->mid + l * MC;
        float *ln2 = a->ln2 + l * MC, *qkv = a->qkv + l * M * D, *attn = a->attn + l * M * Q;
        float *gu = a->gu + l * M * 2 * F, *act = a->act + l * M * F;
        /* this layer's weight gradients queued (their inputs in the queue), or run in place */
        tplr_wgrad_queue *q = a->wq && l < a->wq->layers ? a->wq : NULL;
        float *dgu = q ? tplr_wgrad_queue_input(q, l, TPLR_WQ_DGU) : a->dgu;
        float *dqkv = q ? tplr_wgrad_queue_input(q, l, TPLR_WQ_DQKV) : a->dqkv;
        /* MLP: next = mid + down(silu(gate)·up) */
        weight_grad(q, TPLR_PH_DOWN_MM_B, C, F, (int)M, keep(q, l, TPLR_WQ_DRES_MLP, dres, MC), C, act, F,
                    G(m, L->wdown), F);
        TPLR_PROF(TPLR_PH_DOWN_MM_B,
                  tplr_k_matmul(0, 0, (int)M, F, C, 1.0f, dres, C, W(m, L->wdown), F, 0.0f, a->dact, F));
        TPLR_PROF(TPLR_PH_SWIGLU_B, tplr_k_swiglu_bwd(dgu, a->dact, gu, M, F));
        weight_grad(q, TPLR_PH_UP_MM_B, 2 * F, C, (int)M, dgu, 2 * F, ln2, C, G(m, L->wgu), C);
        TPLR_PROF(TPLR_PH_UP_MM_B,
                  tplr_k_matmul(0, 0, (int)M, C, 2 * F, 1.0f, dgu, 2 * F, W(m, L->wgu), C, 0.0f, a->dln, C));
        TPLR_PROF(TPLR_PH_NORM_B,
                  tplr_k_rmsnorm_bwd(dres, G(m, L->norm2), a->dln, mid, W(m, L->norm2), a->rstd2 + l * M, M, C));
        /* attention: mid = x + o_proj(attn(rope(qkv(norm1(x))))) */
        weight_grad(q, TPLR_PH_OUT_MM_B, C, Q, (int)M, keep(q, l, TPLR_WQ_DRES_ATTN, dres, MC), C, attn, Q,
                    G(m, L->wo), Q);
        TPLR_PROF(TPLR_PH_OUT_MM_B,
                  tplr_k_matmul(0, 0, (int)M, Q, C, 1.0f, dres, C, W(m, L->wo), Q, 0.0f, a->dattn, Q));
        TPLR_PROF(TPLR_PH_ATTN_B,
                  tplr_k_attention_bwd(dqkv, a->dattn, qkv, attn, a->lse + (size_t)l * a->B * H * T, D, Q,
                                       a->B, T, H, KV, hd, a->att_scratch, a->n_threads));
        TPLR_PROF(TPLR_PH_ROPE_B, tplr_k_rope(dqkv, D, 0, M, T, 0, H + KV, hd, m->rope_cos, m->rope_sin, 1));
        weight_grad(q, TPLR_PH_QKV_MM_B, D, C, (int)M, dqkv, D, ln1, C, G(m, L->wqkv), C);
        TPLR_PROF(TPLR_PH_QKV_MM_B,
                  tplr_k_matmul(0, 0, (int)M, C, D, 1.0f, dqkv, D, W(m, L->wqkv), C, 0.0f, a->dln, C));
        TPLR_PROF(TPLR_PH_NORM_B,
                  tplr_k_rmsnorm_bwd(dres, G(m, L->norm1), a->dln, x, W(m, L->norm1), a->rstd1 + l * M, M, C));
    }
    TPLR_PROF(TPLR_PH_EMBED_B, tplr_k_embedding_bwd(G(m, m->wte), dres, inputs, M, C, c->vocab));
}

float tplr_model_forward_backward(tplr_model *m, tplr_acts *a, const int32_t *inputs,
                                  const int32_t *targets, float grad_scale, int64_t *n_valid)
{
    int64_t nv = tplr_model_count_valid(targets, a->M);
    if (n_valid)
        *n_valid = nv;
    forward_body(m, a, inputs);
    float loss = classifier(m, a, targets, grad_scale, nv);
    if (nv != 0 && grad_scale != 0.0f) {
        int C = m->cfg.hidden;
        TPLR_PROF(TPLR_PH_NORM_B, {
            memset(a->dres, 0, sizeof(float) * a->M * (size_t)C);
            tplr_k_rmsnorm_bwd(a->dres, G(m, m->normf), a->dln, a->resid + (size_t)m->cfg.layers * a->M * C,
                               W(m, m->normf), a->rstdf, a->M, C);
        });
        backward_layers(m, a, inputs);
    }
    if (a->wq) { /* whatever no other thread has taken yet */
        tplr_wgrad_queue_seal(a->wq);
        tplr_wgrad_queue_run(a->wq);
    }
    return loss;
}
