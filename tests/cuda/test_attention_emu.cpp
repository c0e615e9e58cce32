// The CUDA attention kernels (src/kernels/cuda/attention_kernels.cuh) run on
// the CPU, against the CPU engine's attention in fp32: each thread block's
// threads are POSIX threads, __syncthreads a block barrier, warp shuffles an
// exchange through memory between two warp barriers, __shared__ arrays
// statics (blocks run one at a time). This needs neither a GPU nor the CUDA
// toolkit, so the kernels' indexing, tiling, causal masking, online softmax
// and warp-uniform control flow (a lane that skips a shuffle hangs here, as
// it would be undefined on a GPU) are checked wherever the tests run.
// What it cannot check: bf16, timing, memory ordering the GPU may add.
#include <pthread.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

extern "C" {
#include "tplr/kernels.h"
#include "tplr/rng.h"
}

// ---- the CUDA primitives the kernels use ----
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static

struct emu_dim {
    unsigned x, y, z;
};
static thread_local emu_dim threadIdx, blockIdx;
static emu_dim blockDim;

static pthread_barrier_t block_barrier;
static pthread_barrier_t warp_barrier[32];
static float exchange[32][32];

static void __syncthreads() { pthread_barrier_wait(&block_barrier); }

static float __shfl_sync(unsigned, float v, int src)
{
    unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    exchange[w][lane] = v;
    pthread_barrier_wait(&warp_barrier[w]);
    float r = exchange[w][src & 31];
    pthread_barrier_wait(&warp_barrier[w]);
    return r;
}
static float __shfl_xor_sync(unsigned mask, float v, int o) { return __shfl_sync(mask, v, (int)(threadIdx.x & 31) ^ o); }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline float ldf(const float *p, size_t i) { return p[i]; }
static inline void stf(float *p, size_t i, float v) { p[i] = v; }
static float warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
static float warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

#include "attention_kernels.cuh"

struct launch_arg {
    const std::function<void()> *body;
    emu_dim thread, block;
};

static void *run_thread(void *p)
{
    launch_arg *a = (launch_arg *)p;
    threadIdx = a->thread;
    blockIdx = a->block;
    (*a->body)();
    return nullptr;
}

// kernel<<<grid, threads>>>: the blocks one after another, each block's threads at once.
static void launch(unsigned gx, unsigned gy, unsigned threads, const std::function<void()> &body)
{
    blockDim = {threads, 1, 1};
    pthread_barrier_init(&block_barrier, nullptr, threads);
    for (unsigned w = 0; w < threads / 32; w++)
        pthread_barrier_init(&warp_barrier[w], nullptr, 32);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    std::vector<pthread_t> tid(threads);
    std::vector<launch_arg> args(threads);
    for (unsigned by = 0; by < gy; by++)
        for (unsigned bx = 0; bx < gx; bx++) {
            for (unsigned t = 0; t < threads; t++) {
                args[t] = {&body, {t, 0, 0}, {bx, by, 0}};
                if (pthread_create(&tid[t], &attr, run_thread, &args[t])) {
                    perror("pthread_create");
                    exit(1);
                }
            }
            for (unsigned t = 0; t < threads; t++)
                pthread_join(tid[t], nullptr);
        }
    pthread_attr_destroy(&attr);
    pthread_barrier_destroy(&block_barrier);
    for (unsigned w = 0; w < threads / 32; w++)
        pthread_barrier_destroy(&warp_barrier[w]);
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

static void expect(const char *what, const float *got, const float *ref, size_t n, int hd, int T)
{
    double d = max_rel_diff(got, ref, n);
    int ok = d <= 2e-5;
    printf("%-6s %-14s hd=%-3d T=%-3d max rel diff %.2e\n", ok ? "ok" : "FAIL", what, hd, T, d);
    failures += !ok;
}

template <int HD>
static void run_case(int B, int T, int H, int KV)
{
    int D = (H + 2 * KV) * HD, Q = H * HD, nt = tplr_k_threads();
    size_t M = (size_t)B * T;
    std::vector<float> qkv(M * D), out(M * Q), lse((size_t)B * H * T), g(M * Q), dqkv(M * D);
    std::vector<float> scratch(tplr_k_attention_scratch_floats(T, HD) * nt);
    for (size_t i = 0; i < qkv.size(); i++)
        qkv[i] = (float)tplr_rng_normal(41, 1, i);
    for (size_t i = 0; i < g.size(); i++)
        g[i] = (float)tplr_rng_normal(41, 2, i);
    tplr_k_attention_fwd(out.data(), Q, lse.data(), qkv.data(), D, B, T, H, KV, HD, scratch.data(), nt);
    tplr_k_attention_bwd(dqkv.data(), g.data(), qkv.data(), out.data(), lse.data(), D, Q, B, T, H, KV, HD,
                         scratch.data(), nt);

    attn_dims a = {B, T, H, KV, D, Q, 1.0f / sqrtf((float)HD)};
    unsigned tiles = (unsigned)((T + WARPS - 1) / WARPS);
    std::vector<float> e_out(M * Q, NAN), e_lse(lse.size(), NAN), e_dqkv(M * D, NAN), Dsum(lse.size(), NAN);
    launch(tiles, (unsigned)(B * H), WARPS * 32, [&] {
        attn_rows_kernel<float, HD, false>(e_out.data(), e_lse.data(), qkv.data(), nullptr, nullptr, nullptr, a);
    });
    expect("forward out", e_out.data(), out.data(), out.size(), HD, T);
    expect("forward lse", e_lse.data(), lse.data(), lse.size(), HD, T);
    size_t rows = M * H;
    launch((unsigned)((rows + WARPS - 1) / WARPS), 1, WARPS * 32,
           [&] { attn_rowdot_kernel<float>(Dsum.data(), g.data(), out.data(), a, HD); });
    launch(tiles, (unsigned)(B * H), WARPS * 32, [&] {
        attn_rows_kernel<float, HD, true>(e_dqkv.data(), nullptr, qkv.data(), g.data(), lse.data(), Dsum.data(), a);
    });
    launch(tiles, (unsigned)(B * KV), WARPS * 32, [&] {
        attn_dkv_kernel<float, HD>(e_dqkv.data(), g.data(), qkv.data(), lse.data(), Dsum.data(), a);
    });
    expect("backward dqkv", e_dqkv.data(), dqkv.data(), dqkv.size(), HD, T);
}

int main()
{
    tplr_k_set_threads(1);
    /* small shapes (each block is 256 threads here): T over two key tiles and
     * not a multiple of 32, grouped KV heads, B > 1 once */
    run_case<16>(2, 70, 2, 1); // the tiny preset's head size
    run_case<32>(1, 45, 4, 1);
    run_case<64>(1, 36, 2, 2);
    run_case<128>(1, 33, 2, 1);
    if (failures)
        printf("%d checks failed\n", failures);
    return failures ? 1 : 0;
}
