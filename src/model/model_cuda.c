/* The device model: allocation of every buffer once, uploads and downloads. */
#include <stdlib.h>
#include <string.h>

#include "tplr/model_cuda.h"

/* Rows of logits per classifier chunk: up to 256 Mi elements, all rows when they fit. */
static int chunk_rows(size_t M, int V) { return tplr_classifier_chunk_rows(M, V, (size_t)1 << 28); }

typedef struct dev_plan {
    size_t resid, ln1, qkv, attn, mid, ln2, gu, act, lnf, dact, dres, dln, dbig, logits;
    size_t rstd1, rstd2, rstdf, lse, row_loss, scratch, tok, tgt, groups, total;
} dev_plan;

/* Byte offsets of each region, 256-byte aligned (what cuBLASLt's fastest kernels want). */
static dev_plan plan(const tplr_model *m, int B, int T, size_t es, int rows)
{
    const tplr_model_config *c = &m->cfg;
    size_t M = (size_t)B * T, C = (size_t)c->hidden, L = (size_t)c->layers, F = (size_t)c->ffn;
    size_t Q = (size_t)c->heads * m->head_dim, D = (size_t)m->qkv_dim, V = (size_t)c->vocab;
    size_t dbig = 2 * F > D + Q ? 2 * F : D + Q;
    size_t att = tplr_cu_attention_scratch_bytes(B, T, c->heads), dw = tplr_cu_rmsnorm_scratch_bytes(M, c->hidden);
    dev_plan p;
    size_t cur = 0;
#define REGION(field, bytes) p.field = cur, cur += ((bytes) + 255) / 256 * 256
    REGION(resid, (L + 1) * M * C * es);
    REGION(ln1, L * M * C * es);
    REGION(qkv, L * M * D * es);
    REGION(attn, L * M * Q * es);
    REGION(mid, L * M * C * es);
    REGION(ln2, L * M * C * es);
    REGION(gu, L * M * 2 * F * es);
    REGION(act, L * M * F * es);
    REGION(lnf, M * C * es);
    REGION(dact, M * F * es);
    REGION(dres, M * C * es);
    REGION(dln, M * C * es);
    REGION(dbig, M * dbig * es);
    REGION(logits, (size_t)rows * V * es);
    REGION(rstd1, L * M * 4);
    REGION(rstd2, L * M * 4);
    REGION(rstdf, M * 4);
    REGION(lse, L * M * (size_t)c->heads * 4);
    REGION(row_loss, M * 4);
    REGION(scratch, att > dw ? att : dw);
    REGION(tok, M * 4);
    REGION(tgt, M * 4);
    REGION(groups, (2 * M + 1) * 4);
#undef REGION
    p.total = cur;
    return p;
}

static tplr_err carve(tplr_cuda_model *g)
{
    const tplr_model *m = g->host;
    size_t es = tplr_cu_dtype_size(g->dt);
    g->chunk_rows = chunk_rows(g->M, m->cfg.vocab);
    dev_plan p = plan(m, g->B, g->T, es, g->chunk_rows);
    g->bytes_acts = p.total;
    TPLR_TRY(tplr_cu_alloc(&g->acts, p.total, "activations"));
    char *b = g->acts;
    g->resid = b + p.resid;
    g->ln1 = b + p.ln1;
    g->qkv = b + p.qkv;
    g->attn = b + p.attn;
    g->mid = b + p.mid;
    g->ln2 = b + p.ln2;
    g->gu = b + p.gu;
    g->act = b + p.act;
    g->lnf = b + p.lnf;
    g->dact = b + p.dact;
    g->dres = b + p.dres;
    g->dln = b + p.dln;
    g->dbig = b + p.dbig;
    g->logits = b + p.logits;
    g->rstd1 = (float *)(b + p.rstd1);
    g->rstd2 = (float *)(b + p.rstd2);
    g->rstdf = (float *)(b + p.rstdf);
    g->lse = (float *)(b + p.lse);
    g->row_loss = (float *)(b + p.row_loss);
    g->scratch = b + p.scratch;
    g->tok = (int32_t *)(b + p.tok);
    g->tgt = (int32_t *)(b + p.tgt);
    g->groups = (int32_t *)(b + p.groups);
    return TPLR_OK;
}

static tplr_err create(tplr_cuda_model *g, const tplr_model *m)
{
    size_t n = m->n_params, half = (size_t)m->head_dim / 2, rope = sizeof(float) * half * (size_t)m->cfg.max_seq;
    if (!tplr_cu_attention_supports(m->head_dim))
        return tplr_fail(TPLR_EINVAL, "the CUDA backend's attention supports head sizes 16, 32, 64 and 128, not %d "
                         "(hidden/heads); train this model with --device cpu", m->head_dim);
    TPLR_TRY(tplr_cu_create(0, &g->cu, g->device_name, sizeof g->device_name));
    g->bytes_params = sizeof(float) * n;
    TPLR_TRY(tplr_cu_alloc((void **)&g->params, sizeof(float) * n, "parameters"));
    TPLR_TRY(tplr_cu_alloc((void **)&g->grads, sizeof(float) * n, "gradients"));
    TPLR_TRY(tplr_cu_alloc((void **)&g->adam_m, sizeof(float) * n, "AdamW first moments"));
    TPLR_TRY(tplr_cu_alloc((void **)&g->adam_v, sizeof(float) * n, "AdamW second moments"));
    if (g->dt != TPLR_CU_F32)
        TPLR_TRY(tplr_cu_alloc(&g->wlow, tplr_cu_dtype_size(g->dt) * n, "the bf16 weight copy"));
    TPLR_TRY(tplr_cu_alloc((void **)&g->rope_cos, rope, "RoPE tables"));
    TPLR_TRY(tplr_cu_alloc((void **)&g->rope_sin, rope, "RoPE tables"));
    TPLR_TRY(tplr_cu_upload(g->cu, g->rope_cos, m->rope_cos, rope));
    TPLR_TRY(tplr_cu_upload(g->cu, g->rope_sin, m->rope_sin, rope));
    TPLR_TRY(carve(g));
    g->h_groups = malloc(sizeof(int32_t) * (2 * g->M + 1));
    g->h_counts = malloc(sizeof(int32_t) * ((size_t)m->cfg.vocab + 1));
    g->h_row_loss = malloc(sizeof(float) * g->M);
    if (!g->h_groups || !g->h_counts || !g->h_row_loss)
        return tplr_fail(TPLR_ENOMEM, "allocating the device model's host buffers");
    return tplr_cuda_model_upload(g, m->params);
}

tplr_err tplr_cuda_model_create(const tplr_model *m, int B, int T, tplr_cu_dtype dt, tplr_cuda_model **out)
{
    *out = NULL;
    if (B < 1 || T < 1 || T > m->cfg.max_seq)
        return tplr_fail(TPLR_EINVAL, "batch %d and sequence length %d must be positive (sequence ≤ max_seq %d)", B,
                         T, m->cfg.max_seq);
    tplr_cuda_model *g = calloc(1, sizeof *g);
    if (!g)
        return tplr_fail(TPLR_ENOMEM, "allocating the device model");
    g->host = m;
    g->dt = dt;
    g->B = B;
    g->T = T;
    g->M = (size_t)B * T;
    tplr_err e = create(g, m);
    if (e) {
        tplr_cuda_model_free(g);
        return e;
    }
    *out = g;
    return TPLR_OK;
}

void tplr_cuda_model_free(tplr_cuda_model *g)
{
    if (!g)
        return;
    if (g->cu)
        tplr_cu_sync(g->cu);
    tplr_cu_release(g->params);
    tplr_cu_release(g->grads);
    tplr_cu_release(g->adam_m);
    tplr_cu_release(g->adam_v);
    tplr_cu_release(g->wlow);
    tplr_cu_release(g->rope_cos);
    tplr_cu_release(g->rope_sin);
    tplr_cu_release(g->acts);
    free(g->h_groups);
    free(g->h_counts);
    free(g->h_row_loss);
    tplr_cu_free(g->cu);
    free(g);
}

tplr_err tplr_cuda_model_upload(tplr_cuda_model *g, const float *params)
{
    size_t n = g->host->n_params;
    TPLR_TRY(tplr_cu_upload(g->cu, g->params, params, sizeof(float) * n));
    if (g->wlow)
        TPLR_TRY(tplr_cu_convert(g->cu, g->wlow, g->dt, g->params, n));
    return tplr_cu_sync(g->cu);
}

tplr_err tplr_cuda_model_download(tplr_cuda_model *g, float *params)
{
    return tplr_cu_download(g->cu, params, g->params, sizeof(float) * g->host->n_params);
}

tplr_err tplr_cuda_model_download_grads(tplr_cuda_model *g, float *grads)
{
    return tplr_cu_download(g->cu, grads, g->grads, sizeof(float) * g->host->n_params);
}

tplr_err tplr_cuda_model_set_moments(tplr_cuda_model *g, const float *m, const float *v)
{
    size_t bytes = sizeof(float) * g->host->n_params;
    TPLR_TRY(tplr_cu_upload(g->cu, g->adam_m, m, bytes));
    return tplr_cu_upload(g->cu, g->adam_v, v, bytes);
}

tplr_err tplr_cuda_model_get_moments(tplr_cuda_model *g, float *m, float *v)
{
    size_t bytes = sizeof(float) * g->host->n_params;
    TPLR_TRY(tplr_cu_download(g->cu, m, g->adam_m, bytes));
    return tplr_cu_download(g->cu, v, g->adam_v, bytes);
}

tplr_err tplr_cuda_model_zero_grads(tplr_cuda_model *g)
{
    return tplr_cu_zero(g->cu, g->grads, sizeof(float) * g->host->n_params);
}
