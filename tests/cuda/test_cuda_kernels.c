/* The CUDA backend against the CPU engine: every kernel on random inputs in
 * fp32 (tolerance ~1e-5 relative to the largest reference value) and bf16
 * (inputs rounded to bf16 for both sides; tolerance 2e-2), then the tiny
 * model's loss and every gradient against tplr_model_forward_backward, ten
 * AdamW steps, the same run twice giving identical bits (fewer steps over the
 * CPU emulation: see MT below), and (fp32) the
 * PyTorch golden files of tests/reference/golden (or $TPLR_GOLDEN_DIR, e.g.
 * the same files made by llama_ref.py on the GPU): loss, every gradient and
 * the 10-step AdamW curve.
 * Returns 77 (CTest's skip) when no CUDA device is present. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/kernels.h"
#include "tplr/kernels_cuda.h"
#include "tplr/model_cuda.h"
#include "tplr/optim_cuda.h"
#include "tplr/rng.h"
#include "tplr/safetensors.h"

#define TOL_F32 2e-5
#define TOL_BF16 2e-2

static tplr_cu *cu;

static float bf16_round(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest even */
    u &= 0xffff0000u;
    memcpy(&x, &u, 4);
    return x;
}

static float *host_rand(size_t n, uint64_t seed, float scale, tplr_cu_dtype dt)
{
    float *x = malloc(sizeof(float) * n);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        x[i] = scale * (float)tplr_rng_normal(seed, 11, i);
        if (dt == TPLR_CU_BF16)
            x[i] = bf16_round(x[i]);
    }
    return x;
}

static float *host_copy(const float *x, size_t n)
{
    float *y = malloc(sizeof(float) * n);
    assert_non_null(y);
    memcpy(y, x, sizeof(float) * n);
    return y;
}

/* A device buffer of type dt holding host values x (fp32 when dt is fp32). */
static void *dev_from(const float *x, size_t n, tplr_cu_dtype dt)
{
    float *tmp;
    void *d;
    ASSERT_OK(tplr_cu_alloc((void **)&tmp, sizeof(float) * n, "test"));
    ASSERT_OK(tplr_cu_upload(cu, tmp, x, sizeof(float) * n));
    if (dt == TPLR_CU_F32)
        return tmp;
    ASSERT_OK(tplr_cu_alloc(&d, tplr_cu_dtype_size(dt) * n, "test"));
    ASSERT_OK(tplr_cu_convert(cu, d, dt, tmp, n));
    ASSERT_OK(tplr_cu_sync(cu));
    tplr_cu_release(tmp);
    return d;
}

static void *dev_ints(const int32_t *x, size_t n)
{
    void *d;
    ASSERT_OK(tplr_cu_alloc(&d, sizeof(int32_t) * n, "test"));
    ASSERT_OK(tplr_cu_upload(cu, d, x, sizeof(int32_t) * n));
    return d;
}

/* Host fp32 values of a device buffer of type dt. */
static float *host_from(const void *d, size_t n, tplr_cu_dtype dt)
{
    float *h = malloc(sizeof(float) * n), *tmp;
    assert_non_null(h);
    ASSERT_OK(tplr_cu_alloc((void **)&tmp, sizeof(float) * n, "test"));
    ASSERT_OK(tplr_cu_to_f32(cu, tmp, d, dt, n));
    ASSERT_OK(tplr_cu_download(cu, h, tmp, sizeof(float) * n));
    tplr_cu_release(tmp);
    return h;
}

static void expect_close(const char *what, const void *dev, tplr_cu_dtype dt, const float *ref, size_t n)
{
    float *got = host_from(dev, n, dt);
    double tol = dt == TPLR_CU_F32 ? TOL_F32 : TOL_BF16, err = tu_max_rel_diff(got, ref, n);
    printf("  %-28s %s  max rel diff %.3g (tolerance %.0e)\n", what, tplr_cu_dtype_name(dt), err, tol);
    if (!(err <= tol))
        fail_msg("%s (%s): max relative difference %g over tolerance %g", what, tplr_cu_dtype_name(dt), err, tol);
    free(got);
}

static void kernel_matmul(tplr_cu_dtype dt)
{
    /* odd shapes in fp32; bf16 at the multiples of 8 the models have */
    int M = dt == TPLR_CU_F32 ? 37 : 40, N = dt == TPLR_CU_F32 ? 53 : 56, K = dt == TPLR_CU_F32 ? 29 : 32;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            float *A = host_rand((size_t)M * K, 1, 1.0f, dt), *B = host_rand((size_t)K * N, 2, 1.0f, dt);
            float *C = host_rand((size_t)M * N, 3, 1.0f, dt), *ref = host_copy(C, (size_t)M * N);
            int lda = ta ? M : K, ldb = tb ? K : N;
            tplr_k_matmul(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1.0f, ref, N);
            void *dA = dev_from(A, (size_t)M * K, dt), *dB = dev_from(B, (size_t)K * N, dt);
            void *dC = dev_from(C, (size_t)M * N, dt);
            ASSERT_OK(tplr_cu_matmul(cu, ta, tb, M, N, K, 0.5f, dA, lda, dB, ldb, 1.0f, dC, N, dt, dt));
            char what[64];
            snprintf(what, sizeof what, "matmul ta=%d tb=%d", ta, tb);
            expect_close(what, dC, dt, ref, (size_t)M * N);
            /* fp32 output from inputs of type dt (the weight gradients) */
            void *dC32 = dev_from(C, (size_t)M * N, TPLR_CU_F32);
            ASSERT_OK(tplr_cu_matmul(cu, ta, tb, M, N, K, 0.5f, dA, lda, dB, ldb, 1.0f, dC32, N, dt, TPLR_CU_F32));
            float *got = host_from(dC32, (size_t)M * N, TPLR_CU_F32);
            double err = tu_max_rel_diff(got, ref, (size_t)M * N);
            if (!(err <= (dt == TPLR_CU_F32 ? TOL_F32 : 1e-4)))
                fail_msg("%s with fp32 output: max relative difference %g", what, err);
            free(got);
            tplr_cu_release(dA);
            tplr_cu_release(dB);
            tplr_cu_release(dC);
            tplr_cu_release(dC32);
            free(A);
            free(B);
            free(C);
            free(ref);
        }
}

static void kernel_embedding(tplr_cu_dtype dt)
{
    int V = 50, C = 24;
    size_t M = 97;
    int32_t tok[97];
    for (size_t m = 0; m < M; m++)
        tok[m] = (int32_t)tplr_rng_below(5, 1, m, m % 3 ? 10 : (uint64_t)V); /* many repeats */
    float *wte = host_rand((size_t)V * C, 4, 1.0f, dt), *ref = malloc(sizeof(float) * M * C);
    tplr_k_embedding_fwd(ref, wte, tok, M, C);
    void *dwte_in = dev_from(wte, (size_t)V * C, dt), *dout = dev_from(ref, M * C, dt), *dtok = dev_ints(tok, M);
    void *dres;
    ASSERT_OK(tplr_cu_alloc(&dres, tplr_cu_dtype_size(dt) * M * C, "test"));
    ASSERT_OK(tplr_cu_embedding_fwd(cu, dres, dwte_in, dtok, M, C, dt));
    expect_close("embedding_fwd", dres, dt, ref, M * C);
    float *g = host_rand(M * C, 5, 1.0f, dt), *dw = host_rand((size_t)V * C, 6, 1.0f, TPLR_CU_F32);
    float *dw_ref = host_copy(dw, (size_t)V * C);
    tplr_k_embedding_bwd(dw_ref, g, tok, M, C, V);
    int32_t *groups = malloc(sizeof(int32_t) * (2 * M + 1)), *counts = malloc(sizeof(int32_t) * (V + 1));
    int ng = tplr_cu_embedding_groups(groups, counts, tok, M, V);
    void *dgroups = dev_ints(groups, 2 * M + 1), *dg = dev_from(g, M * C, dt), *ddw = dev_from(dw, (size_t)V * C, TPLR_CU_F32);
    ASSERT_OK(tplr_cu_embedding_bwd(cu, ddw, dg, dtok, dgroups, ng, M, C, dt));
    expect_close("embedding_bwd", ddw, TPLR_CU_F32, dw_ref, (size_t)V * C);
    void *bufs[] = {dwte_in, dout, dtok, dres, dgroups, dg, ddw};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tplr_cu_release(bufs[i]);
    free(wte), free(ref), free(g), free(dw), free(dw_ref), free(groups), free(counts);
}

static void kernel_rmsnorm(tplr_cu_dtype dt)
{
    size_t M = 45;
    int C = 300;
    float *x = host_rand(M * C, 7, 2.0f, dt), *w = host_rand((size_t)C, 8, 1.0f, TPLR_CU_F32);
    float *out = malloc(sizeof(float) * M * C), *rstd = malloc(sizeof(float) * M);
    tplr_k_rmsnorm_fwd(out, rstd, x, w, M, C, 1e-5f);
    void *dx = dev_from(x, M * C, dt), *dw = dev_from(w, (size_t)C, TPLR_CU_F32), *dout, *drstd;
    ASSERT_OK(tplr_cu_alloc(&dout, tplr_cu_dtype_size(dt) * M * C, "test"));
    ASSERT_OK(tplr_cu_alloc(&drstd, sizeof(float) * M, "test"));
    ASSERT_OK(tplr_cu_rmsnorm_fwd(cu, dout, drstd, dx, dw, M, C, 1e-5f, dt));
    expect_close("rmsnorm_fwd", dout, dt, out, M * C);
    expect_close("rmsnorm_fwd rstd", drstd, TPLR_CU_F32, rstd, M);
    float *g = host_rand(M * C, 9, 1.0f, dt), *gx = host_rand(M * C, 10, 1.0f, dt);
    float *gw = host_rand((size_t)C, 12, 1.0f, TPLR_CU_F32);
    float *gx_ref = host_copy(gx, M * C), *gw_ref = host_copy(gw, (size_t)C);
    /* both sides read the rstd the CPU computed */
    tplr_k_rmsnorm_bwd(gx_ref, gw_ref, g, x, w, rstd, M, C);
    void *dg = dev_from(g, M * C, dt), *dgx = dev_from(gx, M * C, dt), *dgw = dev_from(gw, (size_t)C, TPLR_CU_F32);
    void *drstd_cpu = dev_from(rstd, M, TPLR_CU_F32), *scratch;
    ASSERT_OK(tplr_cu_alloc(&scratch, tplr_cu_rmsnorm_scratch_bytes(M, C), "test"));
    ASSERT_OK(tplr_cu_rmsnorm_bwd(cu, dgx, dgw, dg, dx, dw, drstd_cpu, M, C, scratch, dt));
    expect_close("rmsnorm_bwd dx", dgx, dt, gx_ref, M * C);
    expect_close("rmsnorm_bwd dw", dgw, TPLR_CU_F32, gw_ref, (size_t)C);
    void *bufs[] = {dx, dw, dout, drstd, dg, dgx, dgw, drstd_cpu, scratch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tplr_cu_release(bufs[i]);
    free(x), free(w), free(out), free(rstd), free(g), free(gx), free(gw), free(gx_ref), free(gw_ref);
}

static void kernel_rope(tplr_cu_dtype dt)
{
    int T = 19, hd = 16, nheads = 3, ld = 64, col0 = 8, max_pos = 64, B = 2;
    size_t M = (size_t)B * T, half = (size_t)hd / 2;
    float *cs = malloc(sizeof(float) * max_pos * half), *sn = malloc(sizeof(float) * max_pos * half);
    tplr_k_rope_tables(cs, sn, max_pos, hd, 10000.0);
    void *dcs = dev_from(cs, max_pos * half, TPLR_CU_F32), *dsn = dev_from(sn, max_pos * half, TPLR_CU_F32);
    for (int inverse = 0; inverse < 2; inverse++) {
        float *x = host_rand(M * ld, 13, 1.0f, dt), *ref = host_copy(x, M * ld);
        tplr_k_rope(ref, ld, col0, M, T, 5, nheads, hd, cs, sn, inverse);
        void *dx = dev_from(x, M * ld, dt);
        ASSERT_OK(tplr_cu_rope(cu, dx, ld, col0, M, T, 5, nheads, hd, dcs, dsn, inverse, dt));
        expect_close(inverse ? "rope inverse" : "rope", dx, dt, ref, M * ld);
        tplr_cu_release(dx);
        free(x), free(ref);
    }
    tplr_cu_release(dcs), tplr_cu_release(dsn);
    free(cs), free(sn);
}

static void attention_case(tplr_cu_dtype dt, int B, int T, int H, int KV, int hd)
{
    int D = (H + 2 * KV) * hd, Q = H * hd;
    size_t M = (size_t)B * T;
    float *qkv = host_rand(M * D, 14, 1.0f, dt), *out = calloc(M * Q, sizeof(float));
    float *lse = malloc(sizeof(float) * B * H * T);
    int nt = tplr_k_threads();
    float *scratch = malloc(sizeof(float) * tplr_k_attention_scratch_floats(T, hd) * nt);
    tplr_k_attention_fwd(out, Q, lse, qkv, D, B, T, H, KV, hd, scratch, nt);
    void *dqkv_in = dev_from(qkv, M * D, dt), *dout, *dlse;
    ASSERT_OK(tplr_cu_alloc(&dout, tplr_cu_dtype_size(dt) * M * Q, "test"));
    ASSERT_OK(tplr_cu_alloc(&dlse, sizeof(float) * B * H * T, "test"));
    ASSERT_OK(tplr_cu_attention_fwd(cu, dout, Q, dlse, dqkv_in, D, B, T, H, KV, hd, dt));
    char what[64];
    snprintf(what, sizeof what, "attention_fwd hd=%d T=%d", hd, T);
    expect_close(what, dout, dt, out, M * Q);
    snprintf(what, sizeof what, "attention_fwd lse hd=%d", hd);
    expect_close(what, dlse, TPLR_CU_F32, lse, (size_t)B * H * T);
    /* backward from the CPU's output and lse on both sides */
    float *g = host_rand(M * Q, 15, 1.0f, dt), *dqkv_ref = malloc(sizeof(float) * M * D);
    if (dt == TPLR_CU_BF16)
        for (size_t i = 0; i < M * Q; i++)
            out[i] = bf16_round(out[i]);
    tplr_k_attention_bwd(dqkv_ref, g, qkv, out, lse, D, Q, B, T, H, KV, hd, scratch, nt);
    void *dg = dev_from(g, M * Q, dt), *dout_cpu = dev_from(out, M * Q, dt), *dlse_cpu = dev_from(lse, (size_t)B * H * T, TPLR_CU_F32);
    void *ddqkv, *dscratch;
    ASSERT_OK(tplr_cu_alloc(&ddqkv, tplr_cu_dtype_size(dt) * M * D, "test"));
    ASSERT_OK(tplr_cu_alloc(&dscratch, tplr_cu_attention_scratch_bytes(B, T, H), "test"));
    ASSERT_OK(tplr_cu_attention_bwd(cu, ddqkv, dg, dqkv_in, dout_cpu, dlse_cpu, D, Q, B, T, H, KV, hd, dscratch, dt));
    snprintf(what, sizeof what, "attention_bwd hd=%d T=%d", hd, T);
    expect_close(what, ddqkv, dt, dqkv_ref, M * D);
    void *bufs[] = {dqkv_in, dout, dlse, dg, dout_cpu, dlse_cpu, ddqkv, dscratch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tplr_cu_release(bufs[i]);
    free(qkv), free(out), free(lse), free(scratch), free(g), free(dqkv_ref);
}

static void kernel_attention(tplr_cu_dtype dt)
{
    attention_case(dt, 2, 70, 4, 2, 16);
    attention_case(dt, 2, 70, 4, 2, 32);
    attention_case(dt, 1, 100, 4, 1, 64);
    attention_case(dt, 2, 33, 2, 2, 128);
}

static void kernel_swiglu(tplr_cu_dtype dt)
{
    size_t M = 31;
    int F = 70;
    float *gu = host_rand(M * 2 * F, 16, 2.0f, dt), *act = malloc(sizeof(float) * M * F);
    tplr_k_swiglu_fwd(act, gu, M, F);
    void *dgu_in = dev_from(gu, M * 2 * F, dt), *dact;
    ASSERT_OK(tplr_cu_alloc(&dact, tplr_cu_dtype_size(dt) * M * F, "test"));
    ASSERT_OK(tplr_cu_swiglu_fwd(cu, dact, dgu_in, M, F, dt));
    expect_close("swiglu_fwd", dact, dt, act, M * F);
    float *da = host_rand(M * F, 17, 1.0f, dt), *dgu_ref = malloc(sizeof(float) * M * 2 * F);
    tplr_k_swiglu_bwd(dgu_ref, da, gu, M, F);
    void *dda = dev_from(da, M * F, dt), *ddgu;
    ASSERT_OK(tplr_cu_alloc(&ddgu, tplr_cu_dtype_size(dt) * M * 2 * F, "test"));
    ASSERT_OK(tplr_cu_swiglu_bwd(cu, ddgu, dda, dgu_in, M, F, dt));
    expect_close("swiglu_bwd", ddgu, dt, dgu_ref, M * 2 * F);
    tplr_cu_release(dgu_in), tplr_cu_release(dact), tplr_cu_release(dda), tplr_cu_release(ddgu);
    free(gu), free(act), free(da), free(dgu_ref);
}

static void kernel_xent(tplr_cu_dtype dt)
{
    int rows = 9, V = 1000;
    int32_t tgt[9];
    for (int r = 0; r < rows; r++)
        tgt[r] = r == 4 ? TPLR_IGNORE_INDEX : (int32_t)tplr_rng_below(6, 2, (uint64_t)r, (uint64_t)V);
    for (int with_grad = 0; with_grad < 2; with_grad++) {
        float scale = with_grad ? 0.125f : 0.0f;
        float *x = host_rand((size_t)rows * V, 18, 3.0f, dt), *ref = host_copy(x, (size_t)rows * V);
        float *loss = malloc(sizeof(float) * rows);
        tplr_k_xent(ref, loss, tgt, rows, V, scale);
        void *dx = dev_from(x, (size_t)rows * V, dt), *dtgt = dev_ints(tgt, (size_t)rows), *dloss;
        ASSERT_OK(tplr_cu_alloc(&dloss, sizeof(float) * rows, "test"));
        ASSERT_OK(tplr_cu_xent(cu, dx, dloss, dtgt, rows, V, scale, dt));
        expect_close("xent row_loss", dloss, TPLR_CU_F32, loss, (size_t)rows);
        if (with_grad)
            expect_close("xent gradient", dx, dt, ref, (size_t)rows * V);
        tplr_cu_release(dx), tplr_cu_release(dtgt), tplr_cu_release(dloss);
        free(x), free(ref), free(loss);
    }
}

static void kernel_vector(void)
{
    size_t n = 300001;
    float *x = host_rand(n, 19, 1.0f, TPLR_CU_F32);
    void *dx = dev_from(x, n, TPLR_CU_F32);
    double got, ref = tplr_k_sumsq(x, n);
    ASSERT_OK(tplr_cu_sumsq(cu, dx, n, &got));
    printf("  sumsq: %.17g vs CPU %.17g\n", got, ref);
    assert_true(fabs(got - ref) <= 1e-12 * ref);
    tplr_k_scale(x, n, 0.37f);
    ASSERT_OK(tplr_cu_scale(cu, dx, n, 0.37f));
    expect_close("scale", dx, TPLR_CU_F32, x, n);
    /* AdamW, with the bf16 copy */
    float *g = host_rand(n, 20, 1.0f, TPLR_CU_F32), *m = host_rand(n, 21, 0.1f, TPLR_CU_F32);
    float *v = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        v[i] = m[i] * m[i];
    void *dg = dev_from(g, n, TPLR_CU_F32), *dm = dev_from(m, n, TPLR_CU_F32), *dv = dev_from(v, n, TPLR_CU_F32), *dlow;
    ASSERT_OK(tplr_cu_alloc(&dlow, 2 * n, "test"));
    for (int64_t step = 1; step <= 3; step++) {
        tplr_k_adamw(x, g, m, v, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, step);
        ASSERT_OK(tplr_cu_adamw(cu, dx, dg, dm, dv, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, step, dlow, TPLR_CU_BF16));
    }
    expect_close("adamw params", dx, TPLR_CU_F32, x, n);
    expect_close("adamw m", dm, TPLR_CU_F32, m, n);
    expect_close("adamw v", dv, TPLR_CU_F32, v, n);
    expect_close("adamw bf16 copy", dlow, TPLR_CU_BF16, x, n);
    tplr_cu_release(dx), tplr_cu_release(dg), tplr_cu_release(dm), tplr_cu_release(dv), tplr_cu_release(dlow);
    free(x), free(g), free(m), free(v);
}

#define KERNEL_TESTS(fn)                                                       \
    static void test_##fn##_f32(void **state) { (void)state; fn(TPLR_CU_F32); } \
    static void test_##fn##_bf16(void **state) { (void)state; fn(TPLR_CU_BF16); }
KERNEL_TESTS(kernel_matmul)
KERNEL_TESTS(kernel_embedding)
KERNEL_TESTS(kernel_rmsnorm)
KERNEL_TESTS(kernel_rope)
KERNEL_TESTS(kernel_attention)
KERNEL_TESTS(kernel_swiglu)
KERNEL_TESTS(kernel_xent)
static void test_kernel_vector(void **state) { (void)state; kernel_vector(); }

/* ---- the whole tiny model ---- */

/* Over the CPU emulation (cuda_model_emu, TPLR_CUDA_EMU) the same checks at a
 * scale that keeps CI fast (each emulated step takes seconds): a 2-layer tiny
 * model on rows of 32, 3 AdamW steps against the CPU engine, 2 steps per
 * determinism run, the first 2 steps of each PyTorch golden curve. A GPU runs
 * the full scale. */
#ifdef TPLR_CUDA_EMU
#define MT 32
#define MODEL_LAYERS "layers=2"
#define ADAMW_STEPS 3
#define DET_STEPS 2
#define GOLDEN_STEPS 2
#else
#define MT 48
#define MODEL_LAYERS "layers=4"
#define ADAMW_STEPS 10
#define DET_STEPS 3
#define GOLDEN_STEPS 1000
#endif
#define MB 2

static tplr_model *tiny_model(void)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    ASSERT_OK(tplr_config_set(&cfg, MODEL_LAYERS));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, 7);
    return m;
}

static void batch(const tplr_model *m, int32_t *in, int32_t *tgt, int step)
{
    for (int i = 0; i < MB * MT; i++) {
        in[i] = (int32_t)tplr_rng_below(31, (uint64_t)step, (uint64_t)i, (uint64_t)m->cfg.vocab);
        tgt[i] = i % 17 == 5 ? TPLR_IGNORE_INDEX : (int32_t)tplr_rng_below(32, (uint64_t)step, (uint64_t)i,
                                                                            (uint64_t)m->cfg.vocab);
    }
}

/* Loss and gradients of one step on both engines, then ADAMW_STEPS AdamW steps. */
static void model_vs_cpu(tplr_cu_dtype dt)
{
    tplr_model *m = tiny_model();
    tplr_acts *a;
    ASSERT_OK(tplr_acts_create(m, MB, MT, &a));
    tplr_cuda_model *g;
    ASSERT_OK(tplr_cuda_model_create(m, MB, MT, dt, &g));
    int32_t in[MB * MT], tgt[MB * MT];
    batch(m, in, tgt, 0);
    tplr_model_zero_grads(m);
    float loss_cpu = tplr_model_forward_backward(m, a, in, tgt, 1.0f, NULL), loss_gpu;
    ASSERT_OK(tplr_cuda_model_zero_grads(g));
    ASSERT_OK(tplr_cuda_forward_backward(g, in, tgt, 1.0f, &loss_gpu, NULL));
    printf("  model %s: loss %.7f vs CPU %.7f\n", tplr_cu_dtype_name(dt), loss_gpu, loss_cpu);
    assert_true(fabsf(loss_gpu - loss_cpu) <= (dt == TPLR_CU_F32 ? 1e-5f : 2e-2f) * fabsf(loss_cpu));
    float *grads = malloc(sizeof(float) * m->n_params);
    ASSERT_OK(tplr_cuda_model_download_grads(g, grads));
    double tol = dt == TPLR_CU_F32 ? 1e-4 : 1e-1, worst = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        const tplr_tensor_info *ti = &m->tensors[t];
        double err = tu_rel_l2(grads + ti->offset, m->grads + ti->offset, ti->numel);
        worst = err > worst ? err : worst;
        if (!(err <= tol))
            fail_msg("gradient of %s (%s): relative L2 difference %g over %g", ti->name, tplr_cu_dtype_name(dt),
                     err, tol);
    }
    printf("  model %s: every gradient within relative L2 %.3g (tolerance %.0e)\n", tplr_cu_dtype_name(dt), worst,
           tol);
    /* AdamW steps on both engines, lr high enough to move the loss */
    tplr_adamw_hparams hp = tplr_adamw_defaults();
    hp.lr = 3e-3;
    hp.warmup_steps = 0;
    hp.t_max = ADAMW_STEPS;
    tplr_adamw *oc, *og;
    ASSERT_OK(tplr_adamw_create(m, &hp, &oc));
    ASSERT_OK(tplr_adamw_create(m, &hp, &og));
    for (int step = 0; step < ADAMW_STEPS; step++) {
        batch(m, in, tgt, step + 1);
        double lr = tplr_lr_at(&hp, step), norm_c, norm_g;
        tplr_model_zero_grads(m);
        float lc = tplr_model_forward_backward(m, a, in, tgt, 1.0f, NULL), lg;
        norm_c = tplr_clip_grad_norm(m, hp.clip);
        tplr_adamw_step(oc, m, lr);
        ASSERT_OK(tplr_cuda_model_zero_grads(g));
        ASSERT_OK(tplr_cuda_forward_backward(g, in, tgt, 1.0f, &lg, NULL));
        ASSERT_OK(tplr_cuda_clip_grad_norm(g, hp.clip, &norm_g));
        ASSERT_OK(tplr_cuda_adamw_step(og, g, lr));
        printf("  step %2d: loss %.6f vs CPU %.6f, norm %.6f vs %.6f\n", step + 1, lg, lc, norm_g, norm_c);
        assert_true(fabsf(lg - lc) <= (dt == TPLR_CU_F32 ? 1e-4f : 5e-2f) * fabsf(lc));
    }
    float *p = malloc(sizeof(float) * m->n_params);
    ASSERT_OK(tplr_cuda_model_download(g, p));
    double perr = tu_rel_l2(p, m->params, m->n_params);
    printf("  after %d steps: parameters within relative L2 %.3g\n", ADAMW_STEPS, perr);
    /* AdamW normalizes each update, so gradients that differ in their last
     * bits (fp32) or percents (bf16) move parameters by up to lr per step */
    assert_true(perr <= (dt == TPLR_CU_F32 ? 1e-4 : 5e-2));
    free(p);
    free(grads);
    tplr_adamw_free(oc);
    tplr_adamw_free(og);
    tplr_cuda_model_free(g);
    tplr_acts_free(a);
    tplr_model_free(m);
}

static void test_model_f32(void **state) { (void)state; model_vs_cpu(TPLR_CU_F32); }
static void test_model_bf16(void **state) { (void)state; model_vs_cpu(TPLR_CU_BF16); }

/* DET_STEPS steps from the same start, twice: the same bits. */
static void run_steps(tplr_model *m, float *losses, float *params)
{
    tplr_cuda_model *g;
    ASSERT_OK(tplr_cuda_model_create(m, MB, MT, TPLR_CU_BF16, &g));
    tplr_adamw_hparams hp = tplr_adamw_defaults();
    hp.warmup_steps = 0;
    tplr_adamw *o;
    ASSERT_OK(tplr_adamw_create(m, &hp, &o));
    int32_t in[MB * MT], tgt[MB * MT];
    for (int step = 0; step < DET_STEPS; step++) {
        double norm;
        batch(m, in, tgt, step);
        ASSERT_OK(tplr_cuda_model_zero_grads(g));
        ASSERT_OK(tplr_cuda_forward_backward(g, in, tgt, 1.0f, &losses[step], NULL));
        ASSERT_OK(tplr_cuda_clip_grad_norm(g, hp.clip, &norm));
        ASSERT_OK(tplr_cuda_adamw_step(o, g, 1e-3));
    }
    ASSERT_OK(tplr_cuda_model_download(g, params));
    tplr_adamw_free(o);
    tplr_cuda_model_free(g);
}

static void test_determinism(void **state)
{
    (void)state;
    tplr_model *m = tiny_model();
    float l1[DET_STEPS], l2[DET_STEPS];
    float *p1 = malloc(sizeof(float) * m->n_params), *p2 = malloc(sizeof(float) * m->n_params);
    run_steps(m, l1, p1);
    run_steps(m, l2, p2);
    assert_memory_equal(l1, l2, sizeof l1);
    assert_memory_equal(p1, p2, sizeof(float) * m->n_params);
    printf("  two bf16 runs of %d steps: identical losses (last %.6f) and parameters\n", DET_STEPS,
           l1[DET_STEPS - 1]);
    free(p1);
    free(p2);
    tplr_model_free(m);
}

/* ---- against PyTorch: the golden files of tests/reference/make_golden.sh ---- */

#define TOL_GOLDEN 1e-4 /* fp32 on the GPU against fp32 PyTorch, other summation orders */

static void golden_case(const char *name, const char *const *sets, uint64_t seed)
{
    const char *dir = getenv("TPLR_GOLDEN_DIR");
    char path[4096];
    if (dir)
        snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    else
        snprintf(path, sizeof path, "%s/reference/golden/%s.safetensors", tu_src_dir(), name);
    tplr_safetensors st;
    ASSERT_OK(tplr_st_open(path, &st));
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    for (int i = 0; sets[i]; i++)
        ASSERT_OK(tplr_config_set(&cfg, sets[i]));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, seed);
    const tplr_st_tensor *in = tplr_st_find(&st, "inputs"), *tg = tplr_st_find(&st, "targets");
    assert_non_null(in);
    assert_non_null(tg);
    int B = (int)in->shape[0], T = (int)in->shape[1];
    const int32_t *inputs = (const int32_t *)in->data, *targets = (const int32_t *)tg->data;
    tplr_cuda_model *g;
    ASSERT_OK(tplr_cuda_model_create(m, B, T, TPLR_CU_F32, &g));
    float loss, ref_loss, *grads = malloc(sizeof(float) * m->n_params);
    ASSERT_OK(tplr_st_read_f32(&st, tplr_st_find(&st, "loss"), &ref_loss, 1));
    ASSERT_OK(tplr_cuda_model_zero_grads(g));
    ASSERT_OK(tplr_cuda_forward_backward(g, inputs, targets, 1.0f, &loss, NULL));
    printf("  [%s] loss %.7f vs torch %.7f\n", name, loss, ref_loss);
    assert_true(fabsf(loss - ref_loss) <= TOL_GOLDEN * fabsf(ref_loss));
    ASSERT_OK(tplr_cuda_model_download_grads(g, grads));
    double worst = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        const tplr_tensor_info *ti = &m->tensors[t];
        char gname[160];
        snprintf(gname, sizeof gname, "grad.%s", ti->name);
        const tplr_st_tensor *gt = tplr_st_find(&st, gname);
        if (!gt)
            fail_msg("golden lacks %s", gname);
        float *gref = malloc(sizeof(float) * ti->numel);
        ASSERT_OK(tplr_st_read_f32(&st, gt, gref, ti->numel));
        double e = tu_rel_l2(grads + ti->offset, gref, ti->numel);
        worst = e > worst ? e : worst;
        if (!(e <= TOL_GOLDEN))
            fail_msg("[%s] gradient of %s: relative L2 error %.2e against torch", name, ti->name, e);
        free(gref);
    }
    printf("  [%s] gradients: worst relative L2 error %.2e against torch\n", name, worst);
    tplr_adamw_hparams hp = tplr_adamw_defaults();
    const char *keys[] = {"lr", "beta1", "beta2", "eps", "weight_decay", "clip", "steps"};
    double vals[7];
    for (int k = 0; k < 7; k++) {
        const char *v = tplr_st_meta_get(&st, keys[k]);
        if (!v)
            fail_msg("golden lacks metadata %s", keys[k]);
        vals[k] = atof(v);
    }
    hp.lr = vals[0], hp.beta1 = vals[1], hp.beta2 = vals[2], hp.eps = vals[3], hp.weight_decay = vals[4];
    hp.clip = vals[5];
    int saved = (int)vals[6], steps = saved < GOLDEN_STEPS ? saved : GOLDEN_STEPS;
    float *curve = malloc(sizeof(float) * (size_t)saved);
    ASSERT_OK(tplr_st_read_f32(&st, tplr_st_find(&st, "curve.loss"), curve, (size_t)saved));
    tplr_adamw *opt;
    ASSERT_OK(tplr_adamw_create(m, &hp, &opt));
    for (int s = 0; s < steps; s++) {
        double norm;
        ASSERT_OK(tplr_cuda_model_zero_grads(g));
        ASSERT_OK(tplr_cuda_forward_backward(g, inputs, targets, 1.0f, &loss, NULL));
        ASSERT_OK(tplr_cuda_clip_grad_norm(g, hp.clip, &norm));
        ASSERT_OK(tplr_cuda_adamw_step(opt, g, hp.lr));
        if (!(fabsf(loss - curve[s]) <= TOL_GOLDEN * fabsf(curve[s])))
            fail_msg("[%s] step %d: loss %.7f vs torch %.7f", name, s + 1, loss, curve[s]);
    }
    printf("  [%s] %d AdamW steps: last loss %.6f vs torch %.6f\n", name, steps, loss, curve[steps - 1]);
    tplr_adamw_free(opt);
    free(curve);
    free(grads);
    tplr_cuda_model_free(g);
    tplr_model_free(m);
    tplr_st_close(&st);
}

static void test_golden_torch(void **state)
{
    (void)state;
    const char *none[] = {NULL}, *tied[] = {"layers=2", "tie_embeddings=true", "vocab=512", NULL};
    golden_case("tiny", none, 1);
    golden_case("tied", tied, 2);
}

int main(void)
{
    if (tplr_cu_device_count() == 0) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    char name[128];
    if (tplr_cu_create(0, &cu, name, sizeof name)) {
        fprintf(stderr, "%s\n", tplr_errmsg());
        return 1;
    }
    printf("device: %s\n", name);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_matmul_f32),    cmocka_unit_test(test_kernel_matmul_bf16),
        cmocka_unit_test(test_kernel_embedding_f32), cmocka_unit_test(test_kernel_embedding_bf16),
        cmocka_unit_test(test_kernel_rmsnorm_f32),   cmocka_unit_test(test_kernel_rmsnorm_bf16),
        cmocka_unit_test(test_kernel_rope_f32),      cmocka_unit_test(test_kernel_rope_bf16),
        cmocka_unit_test(test_kernel_attention_f32), cmocka_unit_test(test_kernel_attention_bf16),
        cmocka_unit_test(test_kernel_swiglu_f32),    cmocka_unit_test(test_kernel_swiglu_bf16),
        cmocka_unit_test(test_kernel_xent_f32),      cmocka_unit_test(test_kernel_xent_bf16),
        cmocka_unit_test(test_kernel_vector),        cmocka_unit_test(test_model_f32),
        cmocka_unit_test(test_model_bf16),           cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_golden_torch),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    tplr_cu_free(cu);
    return r;
}
