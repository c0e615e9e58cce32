/* Model creation: parameter layout, allocation, initialization. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/model.h"
#include "tplr/rng.h"

static size_t add_tensor(tplr_model *m, size_t *cursor, const char *name, int64_t d0, int64_t d1)
{
    tplr_tensor_info *t = &m->tensors[m->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = d1 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->numel = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    t->offset = *cursor;
    *cursor += t->numel;
    return t->offset;
}

static size_t add_layer_tensor(tplr_model *m, size_t *cursor, int layer, const char *suffix,
                               int64_t d0, int64_t d1)
{
    char name[TPLR_TENSOR_NAME_MAX];
    snprintf(name, sizeof name, "model.layers.%d.%s", layer, suffix);
    return add_tensor(m, cursor, name, d0, d1);
}

static void build_layout(tplr_model *m)
{
    const tplr_model_config *c = &m->cfg;
    int64_t C = c->hidden, V = c->vocab, F = c->ffn, hd = m->head_dim;
    int64_t Q = (int64_t)c->heads * hd, KVd = (int64_t)c->kv_heads * hd;
    size_t cur = 0;
    m->wte = add_tensor(m, &cur, "model.embed_tokens.weight", V, C);
    for (int i = 0; i < c->layers; i++) {
        tplr_layer_offsets *L = &m->layer[i];
        L->norm1 = add_layer_tensor(m, &cur, i, "input_layernorm.weight", C, 0);
        L->wqkv = add_layer_tensor(m, &cur, i, "self_attn.q_proj.weight", Q, C);
        add_layer_tensor(m, &cur, i, "self_attn.k_proj.weight", KVd, C);
        add_layer_tensor(m, &cur, i, "self_attn.v_proj.weight", KVd, C);
        L->wo = add_layer_tensor(m, &cur, i, "self_attn.o_proj.weight", C, Q);
        L->norm2 = add_layer_tensor(m, &cur, i, "post_attention_layernorm.weight", C, 0);
        L->wgu = add_layer_tensor(m, &cur, i, "mlp.gate_proj.weight", F, C);
        add_layer_tensor(m, &cur, i, "mlp.up_proj.weight", F, C);
        L->wdown = add_layer_tensor(m, &cur, i, "mlp.down_proj.weight", C, F);
    }
    m->normf = add_tensor(m, &cur, "model.norm.weight", C, 0);
    m->lm_head = c->tie_embeddings ? m->wte : add_tensor(m, &cur, "lm_head.weight", V, C);
    m->n_params = cur;
    /* Every parameter but the input embedding and the norms multiplies in a
     * matrix product; a tied embedding counts once, as the lm_head. */
    size_t per_layer = (size_t)(Q * C + 2 * KVd * C + C * Q + 3 * F * C);
    m->n_matmul_params = per_layer * (size_t)c->layers + (size_t)(V * C);
}

/* The tensor table alone: names, shapes and offsets, no buffers. */
static tplr_err create_layout(const tplr_model_config *cfg, tplr_model **out)
{
    *out = NULL;
    TPLR_TRY(tplr_config_validate(cfg));
    tplr_model *m = calloc(1, sizeof *m);
    if (!m)
        return tplr_fail(TPLR_ENOMEM, "allocating the model");
    m->cfg = *cfg;
    m->head_dim = tplr_config_head_dim(cfg);
    m->qkv_dim = (cfg->heads + 2 * cfg->kv_heads) * m->head_dim;
    int max_tensors = 3 + 9 * cfg->layers;
    m->tensors = calloc((size_t)max_tensors, sizeof *m->tensors);
    m->layer = calloc((size_t)cfg->layers, sizeof *m->layer);
    if (!m->tensors || !m->layer) {
        tplr_model_free(m);
        return tplr_fail(TPLR_ENOMEM, "allocating the model's tensor table");
    }
    build_layout(m);
    *out = m;
    return TPLR_OK;
}

tplr_err tplr_model_create_shapes(const tplr_model_config *cfg, tplr_model **out)
{
    return create_layout(cfg, out);
}

tplr_err tplr_model_create(const tplr_model_config *cfg, tplr_model **out)
{
    tplr_model *m;
    TPLR_TRY(create_layout(cfg, &m));
    size_t half = (size_t)m->head_dim / 2, bytes = sizeof(float) * m->n_params;
    tplr_err e = tplr_alloc((void **)&m->params, bytes, "parameters");
    if (!e) e = tplr_alloc((void **)&m->grads, bytes, "gradients");
    if (!e) e = tplr_alloc((void **)&m->rope_cos, sizeof(float) * half * (size_t)cfg->max_seq, "RoPE tables");
    if (!e) e = tplr_alloc((void **)&m->rope_sin, sizeof(float) * half * (size_t)cfg->max_seq, "RoPE tables");
    if (e) {
        tplr_model_free(m);
        return e;
    }
    tplr_k_rope_tables(m->rope_cos, m->rope_sin, cfg->max_seq, m->head_dim, cfg->rope_theta);
    *out = m;
    return TPLR_OK;
}

void tplr_model_free(tplr_model *m)
{
    if (!m)
        return;
    tplr_free(m->params);
    tplr_free(m->grads);
    tplr_free(m->rope_cos);
    tplr_free(m->rope_sin);
    free(m->tensors);
    free(m->layer);
    free(m);
}

void tplr_model_init_weights(tplr_model *m, uint64_t seed)
{
    for (int t = 0; t < m->n_tensors; t++) {
        const tplr_tensor_info *ti = &m->tensors[t];
        float *p = m->params + ti->offset;
        if (ti->ndim == 1) {
            for (size_t i = 0; i < ti->numel; i++)
                p[i] = 1.0f;
            continue;
        }
        /* stream = tensor index: each tensor's values do not depend on the others */
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < ti->numel; i++)
            p[i] = (float)(0.02 * tplr_rng_normal(seed, (uint64_t)t, i));
    }
}

const tplr_tensor_info *tplr_model_find_tensor(const tplr_model *m, const char *name)
{
    for (int t = 0; t < m->n_tensors; t++)
        if (!strcmp(m->tensors[t].name, name))
            return &m->tensors[t];
    return NULL;
}

void tplr_model_zero_grads(tplr_model *m) { memset(m->grads, 0, sizeof(float) * m->n_params); }

tplr_err tplr_model_check_tokens(const tplr_model *m, const int32_t *tok, size_t n, int allow_ignore)
{
    int32_t V = m->cfg.vocab;
    for (size_t i = 0; i < n; i++) {
        int32_t t = tok[i];
        if ((t < 0 || t >= V) && !(allow_ignore && t == TPLR_IGNORE_INDEX))
            return tplr_fail(TPLR_EINVAL, "token %d at position %zu is outside the vocabulary [0, %d)",
                             (int)t, i, (int)V);
    }
    return TPLR_OK;
}

double tplr_model_train_flops_per_token(const tplr_model *m, int T)
{
    return 6.0 * (double)m->n_matmul_params +
           12.0 * m->cfg.layers * (double)m->cfg.hidden * (double)T;
}
