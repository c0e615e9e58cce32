// The CUDA kernels (src/kernels/cuda/*_kernels.cuh) run on the CPU under the
// emulation of tests/cuda/emu_cuda.h, in fp32, against the CPU engine's
// kernels: indexing, tiling, masking, fixed-order reductions, the online
// softmax and warp-uniform control flow (a lane that skips a shuffle or a
// barrier stops the emulation) are checked wherever the tests run, without a
// GPU or the CUDA toolkit. Not checked here: timing and the GPU's memory
// model; bf16 and the wrappers are in test_cuda_kernels.c (cuda_model_emu).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "emu_cuda.h"
extern "C" {
#include "tplr/kernels.h"
#include "tplr/rng.h"
}
#include "device.cuh"

#include "attention_kernels.cuh"
#include "embedding_kernels.cuh"
#include "rmsnorm_kernels.cuh"
#include "rope_kernels.cuh"
#include "swiglu_kernels.cuh"
#include "vector_kernels.cuh"
#include "xent_kernels.cuh"

// kernel<<<(gx, gy), threads>>> of the body (a lambda calling the kernel).
template <typename F> static void launch(unsigned gx, unsigned gy, unsigned threads, const F &body)
{
    emu_run(dim3(gx, gy), dim3(threads), [](void *c) { (*(const F *)c)(); }, (void *)&body);
}

// ---- the test ----
static int failures;

static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double md = 0, mb = 1e-30;
    for (size_t i = 0; i < n; i++) {
        if (!std::isfinite(a[i]))
            return INFINITY; /* never written (the outputs start as NaN) */
        md = fmax(md, fabs((double)a[i] - b[i]));
        mb = fmax(mb, fabs((double)b[i]));
    }
    return md / mb;
}

static void expect(const char *what, const float *got, const float *ref, size_t n)
{
    double d = max_rel_diff(got, ref, n);
    int ok = d <= 2e-5;
    printf("%-6s %-26s max rel diff %.2e\n", ok ? "ok" : "FAIL", what, d);
    failures += !ok;
}

static std::vector<float> randn(size_t n, uint64_t stream, float scale = 1.0f)
{
    std::vector<float> x(n);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * (float)tplr_rng_normal(43, stream, i);
    return x;
}

template <int HD>
static void run_case(int B, int T, int H, int KV)
{
    int D = (H + 2 * KV) * HD, Q = H * HD, nt = tplr_k_threads();
    size_t M = (size_t)B * T;
    std::vector<float> qkv(M * D), out(M * Q), lse((size_t)B * H * T), g(M * Q), dqkv(M * D);
    std::vector<float> scratch(tplr_k_attention_scratch_floats(T, HD) * nt);
    qkv = randn(qkv.size(), 1);
    g = randn(g.size(), 2);
    char what[64];
    tplr_k_attention_fwd(out.data(), Q, lse.data(), qkv.data(), D, B, T, H, KV, HD, scratch.data(), nt);
    tplr_k_attention_bwd(dqkv.data(), g.data(), qkv.data(), out.data(), lse.data(), D, Q, B, T, H, KV, HD,
                         scratch.data(), nt);

    attn_dims a = {B, T, H, KV, D, Q, 1.0f / sqrtf((float)HD)};
    unsigned tiles = (unsigned)((T + WARPS - 1) / WARPS);
    std::vector<float> e_out(M * Q, NAN), e_lse(lse.size(), NAN), e_dqkv(M * D, NAN), Dsum(lse.size(), NAN);
    launch(tiles, (unsigned)(B * H), WARPS * 32, [&] {
        attn_rows_kernel<float, HD, false>(e_out.data(), e_lse.data(), qkv.data(), nullptr, nullptr, nullptr, a);
    });
    snprintf(what, sizeof what, "attention out hd=%d T=%d", HD, T);
    expect(what, e_out.data(), out.data(), out.size());
    snprintf(what, sizeof what, "attention lse hd=%d", HD);
    expect(what, e_lse.data(), lse.data(), lse.size());
    size_t rows = M * H;
    launch((unsigned)((rows + WARPS - 1) / WARPS), 1, WARPS * 32,
           [&] { attn_rowdot_kernel<float>(Dsum.data(), g.data(), out.data(), a, HD); });
    launch(tiles, (unsigned)(B * H), WARPS * 32, [&] {
        attn_rows_kernel<float, HD, true>(e_dqkv.data(), nullptr, qkv.data(), g.data(), lse.data(), Dsum.data(), a);
    });
    launch(tiles, (unsigned)(B * KV), WARPS * 32, [&] {
        attn_dkv_kernel<float, HD>(e_dqkv.data(), g.data(), qkv.data(), lse.data(), Dsum.data(), a);
    });
    snprintf(what, sizeof what, "attention dqkv hd=%d", HD);
    expect(what, e_dqkv.data(), dqkv.data(), dqkv.size());
}

static void embedding(void)
{
    int V = 30, C = 24;
    size_t M = 20;
    std::vector<int32_t> tok(M), groups(2 * M + 1), counts(V + 1);
    for (size_t m = 0; m < M; m++)
        tok[m] = (int32_t)tplr_rng_below(43, 3, m, m % 3 ? 5 : (uint64_t)V); /* repeats */
    std::vector<float> wte = randn((size_t)V * C, 4), ref(M * C), got(M * C, NAN);
    tplr_k_embedding_fwd(ref.data(), wte.data(), tok.data(), M, C);
    launch((unsigned)M, 1, 256, [&] { embedding_fwd_kernel<float>(got.data(), wte.data(), tok.data(), M, C); });
    expect("embedding fwd", got.data(), ref.data(), ref.size());
    std::vector<float> dout = randn(M * C, 5), dw = randn((size_t)V * C, 6), dw_ref = dw;
    tplr_k_embedding_bwd(dw_ref.data(), dout.data(), tok.data(), M, C, V);
    int ng = embedding_groups(groups.data(), counts.data(), tok.data(), M, V);
    launch((unsigned)ng, 1, 256,
           [&] { embedding_bwd_kernel<float>(dw.data(), dout.data(), tok.data(), groups.data(), M, C); });
    expect("embedding bwd", dw.data(), dw_ref.data(), dw.size());
}

static void rmsnorm(void)
{
    int C = 300;
    size_t M = 6;
    std::vector<float> x = randn(M * C, 7, 2.0f), w = randn((size_t)C, 8), out(M * C), rstd(M);
    std::vector<float> e_out(M * C, NAN), e_rstd(M, NAN);
    tplr_k_rmsnorm_fwd(out.data(), rstd.data(), x.data(), w.data(), M, C, 1e-5f);
    launch((unsigned)M, 1, NORM_THREADS,
           [&] { rmsnorm_fwd_kernel<float>(e_out.data(), e_rstd.data(), x.data(), w.data(), C, 1e-5f); });
    expect("rmsnorm fwd", e_out.data(), out.data(), out.size());
    expect("rmsnorm fwd rstd", e_rstd.data(), rstd.data(), rstd.size());
    std::vector<float> g = randn(M * C, 9), dx = randn(M * C, 10), dw(C, 0.0f), dx_ref = dx, dw_ref = dw;
    tplr_k_rmsnorm_bwd(dx_ref.data(), dw_ref.data(), g.data(), x.data(), w.data(), rstd.data(), M, C);
    launch((unsigned)M, 1, NORM_THREADS,
           [&] { rmsnorm_dx_kernel<float>(dx.data(), g.data(), x.data(), w.data(), rstd.data(), C); });
    expect("rmsnorm bwd dx", dx.data(), dx_ref.data(), dx.size());
    /* dw over more rows than one chunk: partial sums, then the chunks in order */
    size_t M2 = DW_ROWS + 37;
    int C2 = 150, chunks = (int)((M2 + DW_ROWS - 1) / DW_ROWS);
    std::vector<float> x2 = randn(M2 * C2, 11), g2 = randn(M2 * C2, 12), w2 = randn(C2, 13), r2 = randn(M2, 14);
    std::vector<float> dx2(M2 * C2, 0.0f), dw2 = randn(C2, 15), dw2_ref = dw2, partial((size_t)chunks * C2, NAN);
    tplr_k_rmsnorm_bwd(dx2.data(), dw2_ref.data(), g2.data(), x2.data(), w2.data(), r2.data(), M2, C2);
    unsigned gx = (unsigned)((C2 + 127) / 128);
    launch(gx, (unsigned)chunks, 128,
           [&] { rmsnorm_dw_partial_kernel<float>(partial.data(), g2.data(), x2.data(), r2.data(), M2, C2); });
    launch(gx, 1, 128, [&] { rmsnorm_dw_sum_kernel(dw2.data(), partial.data(), chunks, C2); });
    expect("rmsnorm bwd dw (2 chunks)", dw2.data(), dw2_ref.data(), dw2.size());
}

static void rope(void)
{
    int T = 19, hd = 16, nheads = 3, ld = 64, col0 = 8, max_pos = 64, B = 2;
    size_t M = (size_t)B * T, half = (size_t)hd / 2;
    std::vector<float> cs(max_pos * half), sn(max_pos * half);
    tplr_k_rope_tables(cs.data(), sn.data(), max_pos, hd, 10000.0);
    for (int inverse = 0; inverse < 2; inverse++) {
        std::vector<float> x = randn(M * ld, 16), ref = x;
        tplr_k_rope(ref.data(), ld, col0, M, T, 5, nheads, hd, cs.data(), sn.data(), inverse);
        /* a grid smaller than the work: the grid-stride loop */
        launch(2, 1, 256, [&] {
            rope_kernel<float>(x.data(), ld, col0, M, T, 5, nheads, hd, cs.data(), sn.data(), inverse ? -1.0f : 1.0f);
        });
        expect(inverse ? "rope inverse" : "rope", x.data(), ref.data(), x.size());
    }
}

static void swiglu(void)
{
    size_t M = 7;
    int F = 90;
    std::vector<float> gu = randn(M * 2 * F, 17, 2.0f), act(M * F), e_act(M * F, NAN);
    tplr_k_swiglu_fwd(act.data(), gu.data(), M, F);
    launch(2, 1, 256, [&] { swiglu_fwd_kernel<float>(e_act.data(), gu.data(), M, F); });
    expect("swiglu fwd", e_act.data(), act.data(), act.size());
    std::vector<float> da = randn(M * F, 18), dgu(M * 2 * F), e_dgu(M * 2 * F, NAN);
    tplr_k_swiglu_bwd(dgu.data(), da.data(), gu.data(), M, F);
    launch(2, 1, 256, [&] { swiglu_bwd_kernel<float>(e_dgu.data(), da.data(), gu.data(), M, F); });
    expect("swiglu bwd", e_dgu.data(), dgu.data(), dgu.size());
}

static void xent(void)
{
    int rows = 5, V = 700;
    std::vector<int32_t> tgt(rows);
    for (int r = 0; r < rows; r++)
        tgt[r] = r == 2 ? TPLR_IGNORE_INDEX : (int32_t)tplr_rng_below(43, 19, (uint64_t)r, (uint64_t)V);
    for (int with_grad = 0; with_grad < 2; with_grad++) {
        float scale = with_grad ? 0.25f : 0.0f;
        std::vector<float> x = randn((size_t)rows * V, 20, 3.0f), ref = x, loss(rows), e_loss(rows, NAN);
        tplr_k_xent(ref.data(), loss.data(), tgt.data(), rows, V, scale);
        launch((unsigned)rows, 1, XENT_THREADS,
               [&] { xent_kernel<float>(x.data(), e_loss.data(), tgt.data(), V, scale); });
        expect(with_grad ? "xent row_loss (with grad)" : "xent row_loss", e_loss.data(), loss.data(), loss.size());
        if (with_grad)
            expect("xent gradient", x.data(), ref.data(), x.size());
    }
}

static void vector_ops(void)
{
    size_t n = 10001, chunk = sum_chunk(n);
    int nb = (int)((n + chunk - 1) / chunk);
    std::vector<float> x = randn(n, 21);
    std::vector<double> partials(TPLR_CU_SUM_BLOCKS + 1, NAN);
    launch((unsigned)nb, 1, SUM_THREADS, [&] { partial_sum_kernel<true>(partials.data(), x.data(), n, chunk); });
    launch(1, 1, 32, [&] { sum_partials_kernel(partials.data(), nb); });
    double got = partials[TPLR_CU_SUM_BLOCKS], ref = tplr_k_sumsq(x.data(), n);
    int ok = fabs(got - ref) <= 1e-12 * ref;
    printf("%-6s %-26s %.17g vs %.17g\n", ok ? "ok" : "FAIL", "sumsq", got, ref);
    failures += !ok;
    std::vector<float> ref_x = x;
    tplr_k_scale(ref_x.data(), n, 0.37f);
    launch(2, 1, 256, [&] { scale_kernel(x.data(), n, 0.37f); });
    expect("scale", x.data(), ref_x.data(), n);
    std::vector<float> g = randn(n, 22), m = randn(n, 23, 0.1f), v(n), low(n, NAN);
    for (size_t i = 0; i < n; i++)
        v[i] = m[i] * m[i];
    std::vector<float> pr = x, mr = m, vr = v;
    for (int64_t step = 1; step <= 3; step++) {
        tplr_k_adamw(pr.data(), g.data(), mr.data(), vr.data(), n, 1e-3, 0.9, 0.95, 1e-8, 0.1, step);
        adamw_consts k = adamw_constants(1e-3, 0.9, 0.95, 1e-8, 0.1, step);
        launch(3, 1, 256, [&] { adamw_kernel<float>(x.data(), g.data(), m.data(), v.data(), n, k, low.data()); });
    }
    expect("adamw params", x.data(), pr.data(), n);
    expect("adamw m", m.data(), mr.data(), n);
    expect("adamw v", v.data(), vr.data(), n);
    expect("adamw low copy", low.data(), pr.data(), n);
}

int main()
{
    tplr_k_set_threads(1);
    embedding();
    rmsnorm();
    rope();
    swiglu();
    xent();
    vector_ops();
    /* small shapes (each block is 256 threads here): T over two key tiles and
     * not a multiple of 32, grouped KV heads, B > 1 once */
    run_case<16>(2, 70, 2, 1); // the tiny preset's head size
    run_case<32>(1, 33, 2, 1);
    run_case<64>(1, 36, 2, 2);
    run_case<128>(1, 33, 2, 1);
    if (failures)
        printf("%d checks failed\n", failures);
    return failures ? 1 : 0;
}
