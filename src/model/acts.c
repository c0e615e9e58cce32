/* The activation buffer: one allocation, carved into the tensors the
 * forward pass keeps for the backward pass, plus shared scratch. */
#include <stdlib.h>

#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/model.h"

int tplr_classifier_chunk_rows(size_t M, int V, size_t max_elems)
{
    size_t r = max_elems / (size_t)V;
    if (r < 64)
        r = 64;
    return (int)(r < M ? r : M);
}

/* The CPU classifier's chunk: about 16 MiB of logits. */
static int classifier_chunk_rows(size_t M, int V) { return tplr_classifier_chunk_rows(M, V, (size_t)1 << 22); }

typedef struct acts_plan {
    size_t resid, ln1, rstd1, qkv, lse, attn, mid, ln2, rstd2, gu, act, lnf, rstdf;
    size_t dact, dres, dln, dbig, logits, att_scratch, row_loss, total;
} acts_plan;

/* Offsets (in floats) of each region; regions start on 16-float boundaries. */
static acts_plan plan(const tplr_model *m, int B, int T, int n_threads, int chunk_rows)
{
    const tplr_model_config *c = &m->cfg;
    size_t M = (size_t)B * T, C = (size_t)c->hidden, L = (size_t)c->layers, F = (size_t)c->ffn;
    size_t Q = (size_t)c->heads * m->head_dim, D = (size_t)m->qkv_dim, V = (size_t)c->vocab;
    size_t dbig = 2 * F > D + Q ? 2 * F : D + Q; /* dgu, or dqkv and dattn: never live together */
    acts_plan p;
    size_t cur = 0;
#define REGION(field, n) p.field = cur, cur += ((n) + 15) / 16 * 16
    REGION(resid, (L + 1) * M * C);
    REGION(ln1, L * M * C);
    REGION(rstd1, L * M);
    REGION(qkv, L * M * D);
    REGION(lse, L * (size_t)B * (size_t)c->heads * (size_t)T);
    REGION(attn, L * M * Q);
    REGION(mid, L * M * C);
    REGION(ln2, L * M * C);
    REGION(rstd2, L * M);
    REGION(gu, L * M * 2 * F);
    REGION(act, L * M * F);
    REGION(lnf, M * C);
    REGION(rstdf, M);
    REGION(dact, M * F);
    REGION(dres, M * C);
    REGION(dln, M * C);
    REGION(dbig, M * dbig);
    REGION(logits, (size_t)chunk_rows * V);
    REGION(att_scratch, (size_t)n_threads * tplr_k_attention_scratch_floats(T, m->head_dim));
    REGION(row_loss, M);
#undef REGION
    p.total = cur;
    return p;
}

size_t tplr_acts_bytes(const tplr_model *m, int B, int T, int n_threads)
{
    size_t M = (size_t)B * T;
    return sizeof(float) * plan(m, B, T, n_threads, classifier_chunk_rows(M, m->cfg.vocab)).total;
}

tplr_err tplr_acts_create(const tplr_model *m, int B, int T, tplr_acts **out)
{
    *out = NULL;
    if (B < 1 || T < 1)
        return tplr_fail(TPLR_EINVAL, "batch (%d) and sequence length (%d) must be positive", B, T);
    if (T > m->cfg.max_seq)
        return tplr_fail(TPLR_EINVAL, "sequence length %d exceeds the model's max_seq %d", T,
                         m->cfg.max_seq);
    tplr_acts *a = calloc(1, sizeof *a);
    if (!a)
        return tplr_fail(TPLR_ENOMEM, "allocating activations");
    a->B = B;
    a->T = T;
    a->M = (size_t)B * T;
    a->n_threads = tplr_k_threads();
    a->chunk_rows = classifier_chunk_rows(a->M, m->cfg.vocab);
    acts_plan p = plan(m, B, T, a->n_threads, a->chunk_rows);
    a->bytes = sizeof(float) * p.total;
    tplr_err e = tplr_alloc((void **)&a->buf, a->bytes, "activations");
    if (e) {
        free(a);
        return e;
    }
    float *b = a->buf;
    a->resid = b + p.resid;
    a->ln1 = b + p.ln1;
    a->rstd1 = b + p.rstd1;
    a->qkv = b + p.qkv;
    a->lse = b + p.lse;
    a->attn = b + p.attn;
    a->mid = b + p.mid;
    a->ln2 = b + p.ln2;
    a->rstd2 = b + p.rstd2;
    a->gu = b + p.gu;
    a->lnf = b + p.lnf;
    a->rstdf = b + p.rstdf;
    a->act = b + p.act;
    a->dact = b + p.dact;
    a->dres = b + p.dres;
    a->dln = b + p.dln;
    a->dgu = b + p.dbig;
    a->dqkv = b + p.dbig;
    a->dattn = b + p.dbig + a->M * (size_t)m->qkv_dim;
    a->logits = b + p.logits;
    a->att_scratch = b + p.att_scratch;
    a->row_loss = b + p.row_loss;
    *out = a;
    return TPLR_OK;
}

void tplr_acts_free(tplr_acts *a)
{
    if (!a)
        return;
    tplr_free(a->buf);
    free(a);
}
