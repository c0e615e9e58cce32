/* A register-blocked matrix product for the small products inside attention,
 * written with GCC vector extensions as wide as the target's registers (16
 * floats with AVX-512, else 8: AVX2 or SSE): C[M×N] (+)= alpha · Σ_k A(r, k) ·
 * B[k][n], where A(r, k) = A[r·as_r + k·as_k] may be read row-wise or
 * column-wise, and B's rows are contiguous. Private to the CPU kernels. */
#ifndef TPLR_KERNELS_CPU_SMALLGEMM_H
#define TPLR_KERNELS_CPU_SMALLGEMM_H

#include <stddef.h>

#if defined(__AVX512F__)
#define TPLR_MR 8 /* rows of C per micro-kernel: 16 accumulators of the 32 registers */
#define TPLR_VW 16
typedef float tplr_vw __attribute__((vector_size(64)));
typedef float tplr_vwu __attribute__((vector_size(64), aligned(4))); /* unaligned access */
#else
#define TPLR_MR 4 /* 8 accumulators of the 16 registers */
#define TPLR_VW 8
typedef float tplr_vw __attribute__((vector_size(32)));
typedef float tplr_vwu __attribute__((vector_size(32), aligned(4)));
#endif

/* R rows (1..TPLR_MR) × NV vectors (1 or 2) of TPLR_VW floats of C; inlined with
 * constant R and NV so the accumulators stay in registers. */
static inline __attribute__((always_inline)) void tplr_mk(int R, int NV, int K, const float *A, ptrdiff_t as_r,
                                                          ptrdiff_t as_k, const float *B, ptrdiff_t ldb, float *C,
                                                          ptrdiff_t ldc, float alpha, int accumulate)
{
    tplr_vw acc[TPLR_MR][2] = {{{0}}};
    for (int k = 0; k < K; k++) {
        const float *b = B + (ptrdiff_t)k * ldb;
        tplr_vw b0 = *(const tplr_vwu *)b, b1 = {0};
        if (NV > 1)
            b1 = *(const tplr_vwu *)(b + TPLR_VW);
        /* Keep B in registers: otherwise GCC folds the load into every
         * multiply-add, and the loads, not the FMAs, bound the loop. */
#if defined(__x86_64__) && defined(__AVX512F__)
        __asm__("" : "+v"(b0), "+v"(b1));
#elif defined(__x86_64__) && defined(__AVX__)
        __asm__("" : "+x"(b0), "+x"(b1));
#endif
        for (int r = 0; r < R; r++) {
            float a = A[r * as_r + (ptrdiff_t)k * as_k];
            acc[r][0] += a * b0;
            if (NV > 1)
                acc[r][1] += a * b1;
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) {
            tplr_vwu *c = (tplr_vwu *)(C + r * ldc + TPLR_VW * v);
            tplr_vw x = alpha * acc[r][v];
            *c = accumulate ? *c + x : x;
        }
}

#define TPLR_MK_CASE(NR, NV)                                                                                \
    case NR: tplr_mk(NR, NV, K, a, as_r, as_k, B + n0, ldb, c, ldc, alpha, accumulate); break;
#if TPLR_MR == 8
#define TPLR_MK_ROWS(NV)                                                                                    \
    switch (R) {                                                                                            \
    TPLR_MK_CASE(8, NV) TPLR_MK_CASE(7, NV) TPLR_MK_CASE(6, NV) TPLR_MK_CASE(5, NV)                         \
    TPLR_MK_CASE(4, NV) TPLR_MK_CASE(3, NV) TPLR_MK_CASE(2, NV) default: TPLR_MK_CASE(1, NV)               \
    }
#else
#define TPLR_MK_ROWS(NV)                                                                                    \
    switch (R) {                                                                                            \
    TPLR_MK_CASE(4, NV) TPLR_MK_CASE(3, NV) TPLR_MK_CASE(2, NV) default: TPLR_MK_CASE(1, NV)               \
    }
#endif

static inline void tplr_small_gemm(int M, int N, int K, float alpha, const float *A, ptrdiff_t as_r, ptrdiff_t as_k,
                                   const float *B, ptrdiff_t ldb, float *C, ptrdiff_t ldc, int accumulate)
{
    for (int r0 = 0; r0 < M; r0 += TPLR_MR) {
        int R = M - r0 < TPLR_MR ? M - r0 : TPLR_MR;
        const float *a = A + r0 * as_r;
        int n0 = 0;
        for (; n0 + 2 * TPLR_VW <= N; n0 += 2 * TPLR_VW) {
            float *c = C + r0 * ldc + n0;
            TPLR_MK_ROWS(2)
        }
        for (; n0 + TPLR_VW <= N; n0 += TPLR_VW) {
            float *c = C + r0 * ldc + n0;
            TPLR_MK_ROWS(1)
        }
        for (; n0 < N; n0++) /* a width that is not a multiple of TPLR_VW */
            for (int r = 0; r < R; r++) {
                float s = 0;
                for (int k = 0; k < K; k++)
                    s += a[r * as_r + (ptrdiff_t)k * as_k] * B[(ptrdiff_t)k * ldb + n0];
                float *c = C + (r0 + r) * ldc + n0;
                *c = accumulate ? *c + alpha * s : alpha * s;
            }
    }
}

#endif
