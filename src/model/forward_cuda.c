/* Forward and backward passes on the GPU: src/model/forward.c call for call,
 * on the kernels of tplr/kernels_cuda.h. */
#include <string.h>

#include "tplr/kernels.h"
#include "tplr/model_cuda.h"

#define K(call) TPLR_TRY(call)

/* Element i of an activation buffer of g's type. */
static void *at(const tplr_cuda_model *g, void *base, size_t i)
{
    return (char *)base + i * tplr_cu_dtype_size(g->dt);
}
/* Weights the products read: the bf16 copy, or the fp32 master weights. */
static const void *W(const tplr_cuda_model *g, size_t off)
{
    return g->wlow ? (const void *)at(g, g->wlow, off) : (const void *)(g->params + off);
}
#define WF(g, off) ((g)->params + (off)) /* fp32 master weights (norm gains) */
#define G(g, off) ((g)->grads + (off))

/* C = op(A)·op(B) + beta·C, everything of the activation type. */
static tplr_err mm(tplr_cuda_model *g, int ta, int tb, int M, int N, int Kd, const void *A, int lda, const void *B,
                   int ldb, float beta, void *Cm, int ldc)
{
    return tplr_cu_matmul(g->cu, ta, tb, M, N, Kd, 1.0f, A, lda, B, ldb, beta, Cm, ldc, g->dt, g->dt);
}
/* A weight gradient: fp32 C += op(A)·op(B). */
static tplr_err mm_grad(tplr_cuda_model *g, int ta, int tb, int M, int N, int Kd, const void *A, int lda,
                        const void *B, int ldb, float *Cm, int ldc)
{
    return tplr_cu_matmul(g->cu, ta, tb, M, N, Kd, 1.0f, A, lda, B, ldb, 1.0f, Cm, ldc, g->dt, TPLR_CU_F32);
}

/* Shapes, and layer l's saved activations (its slices of g's buffers). */
typedef struct layer_view {
    int C, F, H, KV, hd, D, Q, T, Mi;
    size_t M, MC;
    const tplr_layer_offsets *L;
    void *x, *ln1, *mid, *ln2, *qkv, *attn, *gu, *act, *next; /* next: the residual entering layer l+1 */
    float *rstd1, *rstd2, *lse;
} layer_view;

static layer_view view(const tplr_cuda_model *g, int l)
{
    const tplr_model *m = g->host;
    const tplr_model_config *c = &m->cfg;
    layer_view v = {.C = c->hidden, .F = c->ffn, .H = c->heads, .KV = c->kv_heads, .hd = m->head_dim,
                    .D = m->qkv_dim, .Q = c->heads * m->head_dim, .T = g->T, .Mi = (int)g->M, .M = g->M};
    size_t M = v.M, MC = v.MC = M * (size_t)v.C, ul = (size_t)l;
    v.L = &m->layer[l];
    v.x = at(g, g->resid, ul * MC);
    v.next = at(g, g->resid, (ul + 1) * MC);
    v.ln1 = at(g, g->ln1, ul * MC);
    v.mid = at(g, g->mid, ul * MC);
    v.ln2 = at(g, g->ln2, ul * MC);
    v.qkv = at(g, g->qkv, ul * M * v.D);
    v.attn = at(g, g->attn, ul * M * v.Q);
    v.gu = at(g, g->gu, ul * M * 2 * v.F);
    v.act = at(g, g->act, ul * M * v.F);
    v.rstd1 = g->rstd1 + ul * M;
    v.rstd2 = g->rstd2 + ul * M;
    v.lse = g->lse + ul * (size_t)g->B * v.H * v.T;
    return v;
}

static tplr_err forward_layer(tplr_cuda_model *g, int l)
{
    layer_view v = view(g, l);
    const tplr_layer_offsets *L = v.L;
    tplr_cu *cu = g->cu;
    tplr_cu_dtype dt = g->dt;
    size_t M = v.M, bytes = v.MC * tplr_cu_dtype_size(dt);
    float eps = (float)g->host->cfg.norm_eps;
    K(tplr_cu_rmsnorm_fwd(cu, v.ln1, v.rstd1, v.x, WF(g, L->norm1), M, v.C, eps, dt));
    K(mm(g, 0, 1, v.Mi, v.D, v.C, v.ln1, v.C, W(g, L->wqkv), v.C, 0.0f, v.qkv, v.D));
    K(tplr_cu_rope(cu, v.qkv, v.D, 0, M, v.T, 0, v.H + v.KV, v.hd, g->rope_cos, g->rope_sin, 0, dt));
    K(tplr_cu_attention_fwd(cu, v.attn, v.Q, v.lse, v.qkv, v.D, g->B, v.T, v.H, v.KV, v.hd, dt));
    K(tplr_cu_copy(cu, v.mid, v.x, bytes));
    K(mm(g, 0, 1, v.Mi, v.C, v.Q, v.attn, v.Q, W(g, L->wo), v.Q, 1.0f, v.mid, v.C));
    K(tplr_cu_rmsnorm_fwd(cu, v.ln2, v.rstd2, v.mid, WF(g, L->norm2), M, v.C, eps, dt));
    K(mm(g, 0, 1, v.Mi, 2 * v.F, v.C, v.ln2, v.C, W(g, L->wgu), v.C, 0.0f, v.gu, 2 * v.F));
    K(tplr_cu_swiglu_fwd(cu, v.act, v.gu, M, v.F, dt));
    K(tplr_cu_copy(cu, v.next, v.mid, bytes));
    return mm(g, 0, 1, v.Mi, v.C, v.F, v.act, v.F, W(g, L->wdown), v.F, 1.0f, v.next, v.C);
}

/* The decoder up to the final norm: g->lnf holds its output. */
static tplr_err forward_body(tplr_cuda_model *g)
{
    const tplr_model *m = g->host;
    int C = m->cfg.hidden, layers = m->cfg.layers;
    K(tplr_cu_embedding_fwd(g->cu, g->resid, W(g, m->wte), g->tok, g->M, C, g->dt));
    for (int l = 0; l < layers; l++)
        K(forward_layer(g, l));
    return tplr_cu_rmsnorm_fwd(g->cu, g->lnf, g->rstdf, at(g, g->resid, (size_t)layers * g->M * C), WF(g, m->normf),
                               g->M, C, (float)m->cfg.norm_eps, g->dt);
}

/* Logits, loss and (grad_scale != 0) their gradient in place, in row chunks,
 * then the products into dln and the lm_head gradient. */
static tplr_err classifier(tplr_cuda_model *g, float scale)
{
    const tplr_model *m = g->host;
    int C = m->cfg.hidden, V = m->cfg.vocab;
    for (size_t r0 = 0; r0 < g->M; r0 += (size_t)g->chunk_rows) {
        int rows = (int)(g->M - r0 < (size_t)g->chunk_rows ? g->M - r0 : (size_t)g->chunk_rows);
        const void *x = at(g, g->lnf, r0 * C);
        K(mm(g, 0, 1, rows, V, C, x, C, W(g, m->lm_head), C, 0.0f, g->logits, V));
        K(tplr_cu_xent(g->cu, g->logits, g->row_loss + r0, g->tgt + r0, rows, V, scale, g->dt));
        if (scale != 0.0f) {
            K(mm(g, 0, 0, rows, C, V, g->logits, V, W(g, m->lm_head), C, 0.0f, at(g, g->dln, r0 * C), C));
            K(mm_grad(g, 1, 0, V, C, rows, g->logits, V, x, C, G(g, m->lm_head), C));
        }
    }
    return TPLR_OK;
}

/* Layer l's backward pass: g->dres carries ∂loss/∂(residual) down. */
static tplr_err backward_layer(tplr_cuda_model *g, int l)
{
    layer_view v = view(g, l);
    const tplr_layer_offsets *L = v.L;
    tplr_cu *cu = g->cu;
    tplr_cu_dtype dt = g->dt;
    int C = v.C, F = v.F, D = v.D, Q = v.Q, Mi = v.Mi;
    size_t M = v.M;
    /* dgu shares memory with dqkv and dattn: they are never live at once */
    void *dres = g->dres, *dgu = g->dbig, *dqkv = g->dbig, *dattn = at(g, g->dbig, M * (size_t)D);
    K(mm_grad(g, 1, 0, C, F, Mi, dres, C, v.act, F, G(g, L->wdown), F));
    K(mm(g, 0, 0, Mi, F, C, dres, C, W(g, L->wdown), F, 0.0f, g->dact, F));
    K(tplr_cu_swiglu_bwd(cu, dgu, g->dact, v.gu, M, F, dt));
    K(mm_grad(g, 1, 0, 2 * F, C, Mi, dgu, 2 * F, v.ln2, C, G(g, L->wgu), C));
    K(mm(g, 0, 0, Mi, C, 2 * F, dgu, 2 * F, W(g, L->wgu), C, 0.0f, g->dln, C));
    K(tplr_cu_rmsnorm_bwd(cu, dres, G(g, L->norm2), g->dln, v.mid, WF(g, L->norm2), v.rstd2, M, C, g->scratch, dt));
    K(mm_grad(g, 1, 0, C, Q, Mi, dres, C, v.attn, Q, G(g, L->wo), Q));
    K(mm(g, 0, 0, Mi, Q, C, dres, C, W(g, L->wo), Q, 0.0f, dattn, Q));
    K(tplr_cu_attention_bwd(cu, dqkv, dattn, v.qkv, v.attn, v.lse, D, Q, g->B, v.T, v.H, v.KV, v.hd, g->scratch,
                            dt));
    K(tplr_cu_rope(cu, dqkv, D, 0, M, v.T, 0, v.H + v.KV, v.hd, g->rope_cos, g->rope_sin, 1, dt));
    K(mm_grad(g, 1, 0, D, C, Mi, dqkv, D, v.ln1, C, G(g, L->wqkv), C));
    K(mm(g, 0, 0, Mi, C, D, dqkv, D, W(g, L->wqkv), C, 0.0f, g->dln, C));
    return tplr_cu_rmsnorm_bwd(cu, dres, G(g, L->norm1), g->dln, v.x, WF(g, L->norm1), v.rstd1, M, C, g->scratch,
                               dt);
}

static int64_t count_valid(const int32_t *targets, size_t n)
{
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += targets[i] != TPLR_IGNORE_INDEX;
    return k;
}

/* Tokens, targets and the embedding-backward grouping to the device. */
static tplr_err upload_batch(tplr_cuda_model *g, const int32_t *inputs, const int32_t *targets, int *n_groups)
{
    const tplr_model *m = g->host;
    TPLR_TRY(tplr_model_check_tokens(m, inputs, g->M, 0));
    TPLR_TRY(tplr_model_check_tokens(m, targets, g->M, 1));
    *n_groups = tplr_cu_embedding_groups(g->h_groups, g->h_counts, inputs, g->M, m->cfg.vocab);
    TPLR_TRY(tplr_cu_upload(g->cu, g->tok, inputs, sizeof(int32_t) * g->M));
    TPLR_TRY(tplr_cu_upload(g->cu, g->tgt, targets, sizeof(int32_t) * g->M));
    return tplr_cu_upload(g->cu, g->groups, g->h_groups, sizeof(int32_t) * (2 * g->M + 1));
}

/* The mean of the row losses, summed on the host in row order like the CPU engine. */
static tplr_err mean_loss(tplr_cuda_model *g, int64_t n_valid, float *loss)
{
    TPLR_TRY(tplr_cu_download(g->cu, g->h_row_loss, g->row_loss, sizeof(float) * g->M));
    double sum = 0.0;
    for (size_t i = 0; i < g->M; i++)
        sum += g->h_row_loss[i];
    *loss = n_valid ? (float)(sum / (double)n_valid) : 0.0f;
    return TPLR_OK;
}

tplr_err tplr_cuda_forward_backward(tplr_cuda_model *g, const int32_t *inputs, const int32_t *targets,
                                    float grad_scale, float *loss, int64_t *n_valid)
{
    const tplr_model *m = g->host;
    int64_t nv = count_valid(targets, g->M);
    if (n_valid)
        *n_valid = nv;
    int n_groups;
    TPLR_TRY(upload_batch(g, inputs, targets, &n_groups));
    float scale = nv ? grad_scale / (float)nv : 0.0f;
    K(forward_body(g));
    K(classifier(g, scale));
    if (scale != 0.0f) {
        int C = m->cfg.hidden;
        size_t MC = g->M * (size_t)C;
        K(tplr_cu_zero(g->cu, g->dres, MC * tplr_cu_dtype_size(g->dt)));
        K(tplr_cu_rmsnorm_bwd(g->cu, g->dres, G(g, m->normf), g->dln, at(g, g->resid, m->cfg.layers * MC),
                              WF(g, m->normf), g->rstdf, g->M, C, g->scratch, g->dt));
        for (int l = m->cfg.layers - 1; l >= 0; l--)
            K(backward_layer(g, l));
        K(tplr_cu_embedding_bwd(g->cu, G(g, m->wte), g->dres, g->tok, g->groups, n_groups, g->M, C, g->dt));
    }
    return mean_loss(g, nv, loss);
}
