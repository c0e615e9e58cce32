#include "tplr/generate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/rng.h"

#define W(m, off) ((m)->params + (off))

tplr_err tplr_generator_create(const tplr_model *m, int max_len, tplr_generator **out)
{
    *out = NULL;
    const tplr_model_config *c = &m->cfg;
    if (max_len < 1 || max_len > c->max_seq)
        return tplr_fail(TPLR_EINVAL, "generation length %d must be in [1, max_seq = %d]", max_len, c->max_seq);
    size_t C = (size_t)c->hidden, L = (size_t)c->layers, F = (size_t)c->ffn, V = (size_t)c->vocab;
    size_t kvd = (size_t)c->kv_heads * (size_t)m->head_dim, Q = (size_t)c->heads * (size_t)m->head_dim;
    size_t cache = L * (size_t)max_len * kvd;
    size_t total = 2 * cache + 2 * C + (size_t)m->qkv_dim + Q + 2 * F + F + (size_t)max_len + V;
    tplr_generator *g = calloc(1, sizeof *g);
    if (!g)
        return tplr_fail(TPLR_ENOMEM, "allocating the generator");
    tplr_err e = tplr_alloc(&g->buf, sizeof(float) * total, "the KV cache");
    if (!e && !(g->order = malloc(sizeof(int) * V)))
        e = tplr_fail(TPLR_ENOMEM, "allocating the generator");
    if (e) {
        tplr_generator_free(g);
        return e;
    }
    float *p = g->buf;
    g->k = p, p += cache;
    g->v = p, p += cache;
    g->x = p, p += C;
    g->ln = p, p += C;
    g->qkv = p, p += m->qkv_dim;
    g->att = p, p += Q;
    g->gu = p, p += 2 * F;
    g->act = p, p += F;
    g->scores = p, p += max_len;
    g->logits = p;
    g->m = m;
    g->max_len = max_len;
    *out = g;
    return TPLR_OK;
}

void tplr_generator_free(tplr_generator *g)
{
    if (!g)
        return;
    tplr_free(g->buf);
    free(g->order);
    free(g);
}

void tplr_generator_reset(tplr_generator *g) { g->len = 0; }

/* One position through every layer: same operations as the training
 * forward pass, with matrix-vector products and the cached keys/values. */
static void step(tplr_generator *g, int32_t token)
{
    const tplr_model *m = g->m;
    const tplr_model_config *c = &m->cfg;
    int C = c->hidden, F = c->ffn, H = c->heads, KV = c->kv_heads, hd = m->head_dim, D = m->qkv_dim, Q = H * hd;
    int kvd = KV * hd, pos = g->len;
    float eps = (float)c->norm_eps, rstd;
    memcpy(g->x, W(m, m->wte) + (size_t)token * C, sizeof(float) * (size_t)C);
    for (int l = 0; l < c->layers; l++) {
        const tplr_layer_offsets *L = &m->layer[l];
        float *kc = g->k + (size_t)l * g->max_len * kvd, *vc = g->v + (size_t)l * g->max_len * kvd;
        tplr_k_rmsnorm_fwd(g->ln, &rstd, g->x, W(m, L->norm1), 1, C, eps);
        tplr_k_matmul(0, 1, 1, D, C, 1.0f, g->ln, C, W(m, L->wqkv), C, 0.0f, g->qkv, D);
        tplr_k_rope(g->qkv, D, 0, 1, 1, pos, H + KV, hd, m->rope_cos, m->rope_sin, 0);
        memcpy(kc + (size_t)pos * kvd, g->qkv + Q, sizeof(float) * (size_t)kvd);
        memcpy(vc + (size_t)pos * kvd, g->qkv + Q + kvd, sizeof(float) * (size_t)kvd);
        tplr_k_attention_decode(g->att, g->qkv, kc, vc, pos + 1, H, KV, hd, g->scores);
        tplr_k_matmul(0, 1, 1, C, Q, 1.0f, g->att, Q, W(m, L->wo), Q, 1.0f, g->x, C);
        tplr_k_rmsnorm_fwd(g->ln, &rstd, g->x, W(m, L->norm2), 1, C, eps);
        tplr_k_matmul(0, 1, 1, 2 * F, C, 1.0f, g->ln, C, W(m, L->wgu), C, 0.0f, g->gu, 2 * F);
        tplr_k_swiglu_fwd(g->act, g->gu, 1, F);
        tplr_k_matmul(0, 1, 1, C, F, 1.0f, g->act, F, W(m, L->wdown), F, 1.0f, g->x, C);
    }
    tplr_k_rmsnorm_fwd(g->ln, &rstd, g->x, W(m, m->normf), 1, C, eps);
    tplr_k_matmul(0, 1, 1, c->vocab, C, 1.0f, g->ln, C, W(m, m->lm_head), C, 0.0f, g->logits, c->vocab);
    g->len++;
}

tplr_err tplr_generator_feed(tplr_generator *g, const int32_t *tokens, int n)
{
    if (n > g->max_len - g->len)
        return tplr_fail(TPLR_EINVAL, "the sequence would exceed its maximum length of %d tokens", g->max_len);
    TPLR_TRY(tplr_model_check_tokens(g->m, tokens, (size_t)n, 0));
    for (int i = 0; i < n; i++)
        step(g, tokens[i]);
    return TPLR_OK;
}

/* a ranks below b: smaller logit, or the same logit and a larger id. */
static int worse(const float *logits, int a, int b) { return logits[a] < logits[b] || (logits[a] == logits[b] && a > b); }

static void sift_down(const float *logits, int *heap, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && worse(logits, heap[l], heap[w]))
            w = l;
        if (r < n && worse(logits, heap[r], heap[w]))
            w = r;
        if (w == i)
            return;
        int t = heap[i];
        heap[i] = heap[w];
        heap[w] = t;
        i = w;
    }
}

/* The k best ids into order[0..k), best first, with a min-heap of size k. */
static void top_k_ids(const float *logits, int V, int k, int *order)
{
    for (int i = 0; i < k; i++)
        order[i] = i;
    for (int i = k / 2 - 1; i >= 0; i--)
        sift_down(logits, order, k, i);
    for (int i = k; i < V; i++)
        if (worse(logits, order[0], i)) {
            order[0] = i;
            sift_down(logits, order, k, 0);
        }
    for (int n = k - 1; n > 0; n--) { /* heap sort: the worst goes to the end */
        int t = order[0];
        order[0] = order[n];
        order[n] = t;
        sift_down(logits, order, n, 0);
    }
}

int32_t tplr_sample_logits(const float *logits, int V, double temperature, int top_k, uint64_t seed, uint64_t step,
                           int *order)
{
    if (!(temperature > 0)) {
        int best = 0;
        for (int i = 1; i < V; i++)
            if (logits[i] > logits[best])
                best = i;
        return best;
    }
    int k = top_k > 0 && top_k < V ? top_k : V;
    if (k < V)
        top_k_ids(logits, V, k, order);
    else
        for (int i = 0; i < V; i++)
            order[i] = i;
    double mx = logits[order[0]], sum = 0;
    for (int i = 1; i < k; i++)
        mx = logits[order[i]] > mx ? logits[order[i]] : mx;
    for (int i = 0; i < k; i++)
        sum += exp(((double)logits[order[i]] - mx) / temperature);
    double u = tplr_rng_uniform(seed, 0x67656e /* "gen" */, step) * sum, acc = 0;
    for (int i = 0; i < k; i++) {
        acc += exp(((double)logits[order[i]] - mx) / temperature);
        if (u < acc)
            return order[i];
    }
    return order[k - 1];
}
