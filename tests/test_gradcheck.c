/* Finite-difference checks of every backward kernel and of the whole model:
 * for a scalar L, the analytic gradient must match (L(x+h) − L(x−h)) / 2h at
 * the probed coordinates (the largest analytic entries plus random ones). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/kernels.h"
#include "tplr/model.h"
#include "tplr/rng.h"

typedef double (*loss_fn)(void *ctx);

static void fill_normal(float *x, size_t n, uint64_t seed, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * (float)tplr_rng_normal(seed, 77, i);
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* Probes n_top largest |analytic| entries and n_rand random ones; each must
 * satisfy |fd − an| ≤ rtol·|an| + atol. */
static void check_grad(const char *what, float *x, size_t n, const float *an, loss_fn f, void *ctx, double h,
                       double rtol, double atol, int n_top, int n_rand)
{
    size_t *probe = malloc(sizeof(size_t) * (size_t)(n_top + n_rand));
    int np = 0;
    for (int k = 0; k < n_top && (size_t)k < n; k++) {
        size_t best = 0;
        double bv = -1;
        for (size_t i = 0; i < n; i++) {
            int used = 0;
            for (int j = 0; j < np; j++)
                used |= probe[j] == i;
            if (!used && fabs(an[i]) > bv) {
                bv = fabs(an[i]);
                best = i;
            }
        }
        probe[np++] = best;
    }
    for (int k = 0; k < n_rand; k++)
        probe[np++] = (size_t)tplr_rng_below(99, 5, (uint64_t)k, n);
    double worst = 0;
    for (int k = 0; k < np; k++) {
        size_t i = probe[k];
        float saved = x[i];
        x[i] = saved + (float)h;
        double lp = f(ctx);
        x[i] = saved - (float)h;
        double lm = f(ctx);
        x[i] = saved;
        double fd = (lp - lm) / (((double)(saved + (float)h)) - ((double)(saved - (float)h)));
        double err = fabs(fd - an[i]), allowed = rtol * fabs(an[i]) + atol;
        if (err / allowed > worst)
            worst = err / allowed;
        if (err > allowed)
            fail_msg("%s: coordinate %zu: analytic %.6e, finite difference %.6e", what, i, an[i], fd);
    }
    printf("%-28s %d probes, worst error %.2f of the tolerance\n", what, np, worst);
    free(probe);
}

/* ---- RMSNorm ---- */
typedef struct norm_ctx {
    float *x, *w, *r, *out, *rstd;
    size_t M;
    int C;
} norm_ctx;

static double norm_loss(void *p)
{
    norm_ctx *c = p;
    tplr_k_rmsnorm_fwd(c->out, c->rstd, c->x, c->w, c->M, c->C, 1e-5f);
    return dot(c->out, c->r, c->M * (size_t)c->C);
}

static void test_rmsnorm(void **state)
{
    (void)state;
    enum { M = 6, C = 16 };
    float x[M * C], w[C], r[M * C], out[M * C], rstd[M], dx[M * C] = {0}, dw[C] = {0};
    fill_normal(x, M * C, 1, 1.0f);
    fill_normal(w, C, 2, 1.0f);
    fill_normal(r, M * C, 3, 1.0f);
    norm_ctx c = {x, w, r, out, rstd, M, C};
    norm_loss(&c);
    tplr_k_rmsnorm_bwd(dx, dw, r, x, w, rstd, M, C);
    check_grad("rmsnorm dx", x, M * C, dx, norm_loss, &c, 1e-2, 2e-3, 2e-4, 8, 8);
    check_grad("rmsnorm dw", w, C, dw, norm_loss, &c, 1e-2, 2e-3, 2e-4, 8, 4);
}

/* ---- RoPE ---- */
typedef struct rope_ctx {
    float *x, *r, *tmp, *cs, *sn;
    size_t M;
    int T, ld, nh, hd;
} rope_ctx;

static double rope_loss(void *p)
{
    rope_ctx *c = p;
    memcpy(c->tmp, c->x, sizeof(float) * c->M * (size_t)c->ld);
    tplr_k_rope(c->tmp, c->ld, 2, c->M, c->T, 3, c->nh, c->hd, c->cs, c->sn, 0);
    return dot(c->tmp, c->r, c->M * (size_t)c->ld);
}

static void test_rope(void **state)
{
    (void)state;
    enum { T = 5, M = 10, hd = 8, nh = 3, ld = nh * hd + 4, P = 16 };
    float x[M * ld], r[M * ld], tmp[M * ld], g[M * ld], cs[P * hd / 2], sn[P * hd / 2];
    tplr_k_rope_tables(cs, sn, P, hd, 10000.0);
    fill_normal(x, M * ld, 4, 1.0f);
    fill_normal(r, M * ld, 5, 1.0f);
    memcpy(g, r, sizeof g);
    tplr_k_rope(g, ld, 2, M, T, 3, nh, hd, cs, sn, 1); /* the transpose maps dout to dx */
    /* columns outside the rotated heads pass through */
    rope_ctx c = {x, r, tmp, cs, sn, M, T, ld, nh, hd};
    check_grad("rope dx", x, M * ld, g, rope_loss, &c, 1e-2, 1e-3, 1e-4, 8, 16);
}

/* ---- attention ---- */
typedef struct att_ctx {
    float *qkv, *r, *out, *lse, *scratch;
    int B, T, H, KV, hd;
} att_ctx;

static double att_loss(void *p)
{
    att_ctx *c = p;
    int Q = c->H * c->hd, D = (c->H + 2 * c->KV) * c->hd;
    tplr_k_attention_fwd(c->out, Q, c->lse, c->qkv, D, c->B, c->T, c->H, c->KV, c->hd, c->scratch, 2);
    return dot(c->out, c->r, (size_t)c->B * c->T * Q);
}

static void attention_case(const char *what, int B, int T, int H, int KV, int hd)
{
    int Q = H * hd, D = (H + 2 * KV) * hd;
    size_t M = (size_t)B * T;
    float *qkv = malloc(sizeof(float) * M * D), *dqkv = malloc(sizeof(float) * M * D);
    float *r = malloc(sizeof(float) * M * Q), *out = malloc(sizeof(float) * M * Q);
    float *lse = malloc(sizeof(float) * (size_t)B * H * T);
    float *scratch = malloc(sizeof(float) * 2 * tplr_k_attention_scratch_floats(T, hd));
    fill_normal(qkv, M * D, 6, 1.0f);
    fill_normal(r, M * Q, 7, 1.0f);
    att_ctx c = {qkv, r, out, lse, scratch, B, T, H, KV, hd};
    att_loss(&c);
    tplr_k_attention_bwd(dqkv, r, qkv, out, lse, D, Q, B, T, H, KV, hd, scratch, 2);
    check_grad(what, qkv, M * D, dqkv, att_loss, &c, 1e-2, 5e-3, 5e-4, 12, 24);
    free(qkv), free(dqkv), free(r), free(out), free(lse), free(scratch);
}

static void test_attention(void **state)
{
    (void)state;
    attention_case("attention (MHA) dqkv", 2, 7, 2, 2, 4);
    attention_case("attention (GQA 4:2) dqkv", 2, 9, 4, 2, 4);
    attention_case("attention (T=70, hd=16)", 1, 70, 2, 1, 16);
    attention_case("attention (hd=24, odd T)", 2, 13, 2, 1, 24);
}

/* ---- SwiGLU ---- */
typedef struct swiglu_ctx {
    float *gu, *r, *act;
    size_t M;
    int F;
} swiglu_ctx;

static double swiglu_loss(void *p)
{
    swiglu_ctx *c = p;
    tplr_k_swiglu_fwd(c->act, c->gu, c->M, c->F);
    return dot(c->act, c->r, c->M * (size_t)c->F);
}

static void test_swiglu(void **state)
{
    (void)state;
    enum { M = 4, F = 12 };
    float gu[M * 2 * F], r[M * F], act[M * F], dgu[M * 2 * F];
    fill_normal(gu, M * 2 * F, 8, 2.0f);
    fill_normal(r, M * F, 9, 1.0f);
    swiglu_ctx c = {gu, r, act, M, F};
    tplr_k_swiglu_bwd(dgu, r, gu, M, F);
    check_grad("swiglu dgu", gu, M * 2 * F, dgu, swiglu_loss, &c, 1e-2, 2e-3, 2e-4, 8, 8);
}

/* ---- softmax cross-entropy ---- */
typedef struct xent_ctx {
    float *logits, *tmp, *row_loss;
    int32_t *targets;
    int rows, V, n_valid;
} xent_ctx;

static double xent_loss(void *p)
{
    xent_ctx *c = p;
    memcpy(c->tmp, c->logits, sizeof(float) * (size_t)c->rows * c->V);
    tplr_k_xent(c->tmp, c->row_loss, c->targets, c->rows, c->V, 0.0f);
    double s = 0;
    for (int i = 0; i < c->rows; i++)
        s += c->row_loss[i];
    return s / c->n_valid;
}

static void test_xent(void **state)
{
    (void)state;
    enum { R = 5, V = 11 };
    float logits[R * V], tmp[R * V], g[R * V], row_loss[R];
    int32_t targets[R] = {3, TPLR_IGNORE_INDEX, 0, 10, 7};
    fill_normal(logits, R * V, 10, 3.0f);
    xent_ctx c = {logits, tmp, row_loss, targets, R, V, 4};
    memcpy(g, logits, sizeof g);
    tplr_k_xent(g, row_loss, targets, R, V, 1.0f / 4);
    for (int j = 0; j < V; j++)
        assert_true(g[1 * V + j] == 0.0f); /* ignored row has no gradient */
    check_grad("cross-entropy dlogits", logits, R * V, g, xent_loss, &c, 1e-2, 2e-3, 2e-4, 8, 16);
}

/* ---- embedding (linear: compare with a direct sum) ---- */
static void test_embedding(void **state)
{
    (void)state;
    enum { M = 9, C = 5, V = 7 };
    int32_t tok[M] = {3, 1, 3, 6, 0, 3, 1, 5, 6};
    float dout[M * C], dw[V * C] = {0}, ref[V * C] = {0};
    fill_normal(dout, M * C, 11, 1.0f);
    tplr_k_embedding_bwd(dw, dout, tok, M, C, V);
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            ref[tok[m] * C + c] += dout[m * C + c];
    assert_true(tu_max_rel_diff(dw, ref, V * C) < 1e-6);
}

/* ---- whole model ---- */
typedef struct model_ctx {
    tplr_model *m;
    tplr_acts *a;
    int32_t *in, *tg;
} model_ctx;

static double model_loss(void *p)
{
    model_ctx *c = p;
    return tplr_model_forward_loss(c->m, c->a, c->in, c->tg, NULL);
}

static void whole_model(const char *tie)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    ASSERT_OK(tplr_config_set(&cfg, "layers=2"));
    ASSERT_OK(tplr_config_set(&cfg, "vocab=64"));
    ASSERT_OK(tplr_config_set(&cfg, tie));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, 3);
    /* larger weights than the default init make gradients well above fp32 noise */
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] *= 5.0f;
    enum { B = 2, T = 6 };
    int32_t in[B * T], tg[B * T];
    for (int i = 0; i < B * T; i++) {
        in[i] = (int32_t)tplr_rng_below(4, 0, (uint64_t)i, 64);
        tg[i] = i == 4 ? TPLR_IGNORE_INDEX : (int32_t)tplr_rng_below(4, 1, (uint64_t)i, 64);
    }
    tplr_acts *a;
    ASSERT_OK(tplr_acts_create(m, B, T, &a));
    tplr_model_zero_grads(m);
    tplr_model_forward_backward(m, a, in, tg, 1.0f, NULL);
    float *g = malloc(sizeof(float) * m->n_params);
    memcpy(g, m->grads, sizeof(float) * m->n_params);
    model_ctx c = {m, a, in, tg};
    for (int t = 0; t < m->n_tensors; t++) {
        const tplr_tensor_info *ti = &m->tensors[t];
        char what[160];
        snprintf(what, sizeof what, "model %s", ti->name);
        check_grad(what, m->params + ti->offset, ti->numel, g + ti->offset, model_loss, &c, 2e-3, 3e-2, 2e-3,
                   3, 2);
    }
    free(g);
    tplr_acts_free(a);
    tplr_model_free(m);
}

static void test_model_untied(void **state)
{
    (void)state;
    whole_model("tie_embeddings=false");
}

static void test_model_tied(void **state)
{
    (void)state;
    whole_model("tie_embeddings=true");
}

int main(void)
{
    tplr_k_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmsnorm),   cmocka_unit_test(test_rope),      cmocka_unit_test(test_attention),
        cmocka_unit_test(test_swiglu),    cmocka_unit_test(test_xent),      cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_model_untied), cmocka_unit_test(test_model_tied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
