/* A register-blocked matrix product for the small products inside attention,
 * written with GCC vector extensions (8 floats; AVX2/AVX-512 or SSE, as the
 * compiler targets): C[M×N] (+)= alpha · Σ_k A(r, k) · B[k][n], where
 * A(r, k) = A[r·as_r + k·as_k] may be read row-wise or column-wise, and B's
 * rows are contiguous. Private to the CPU kernels. */
#ifndef TPLR_KERNELS_CPU_SMALLGEMM_H
#define TPLR_KERNELS_CPU_SMALLGEMM_H

#include <stddef.h>

typedef float tplr_v8 __attribute__((vector_size(32)));
typedef float tplr_v8u __attribute__((vector_size(32), aligned(4))); /* unaligned access */

/* R rows (1..4) × NV vectors (1 or 2) of C; inlined with constant R and NV so
 * the accumulators stay in registers. */
static inline __attribute__((always_inline)) void tplr_mk(int R, int NV, int K, const float *A, ptrdiff_t as_r,
                                                          ptrdiff_t as_k, const float *B, ptrdiff_t ldb, float *C,
                                                          ptrdiff_t ldc, float alpha, int accumulate)
{
    tplr_v8 acc[4][2] = {{{0}}};
    for (int k = 0; k < K; k++) {
        const float *b = B + (ptrdiff_t)k * ldb;
        tplr_v8 b0 = *(const tplr_v8u *)b, b1 = {0};
        if (NV > 1)
            b1 = *(const tplr_v8u *)(b + 8);
#if defined(__x86_64__) && defined(__AVX__)
        /* Keep B in registers: otherwise GCC folds the load into every
         * multiply-add, and the loads, not the FMAs, bound the loop. */
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
            tplr_v8u *c = (tplr_v8u *)(C + r * ldc + 8 * v);
            tplr_v8 x = alpha * acc[r][v];
            *c = accumulate ? *c + x : x;
        }
}

#define TPLR_MK_ROWS(NV)                                                                                    \
    switch (R) {                                                                                            \
    case 4: tplr_mk(4, NV, K, a, as_r, as_k, B + n0, ldb, c, ldc, alpha, accumulate); break;                \
    case 3: tplr_mk(3, NV, K, a, as_r, as_k, B + n0, ldb, c, ldc, alpha, accumulate); break;                \
    case 2: tplr_mk(2, NV, K, a, as_r, as_k, B + n0, ldb, c, ldc, alpha, accumulate); break;                \
    default: tplr_mk(1, NV, K, a, as_r, as_k, B + n0, ldb, c, ldc, alpha, accumulate); break;               \
    }

static inline void tplr_small_gemm(int M, int N, int K, float alpha, const float *A, ptrdiff_t as_r, ptrdiff_t as_k,
                                   const float *B, ptrdiff_t ldb, float *C, ptrdiff_t ldc, int accumulate)
{
    for (int r0 = 0; r0 < M; r0 += 4) {
        int R = M - r0 < 4 ? M - r0 : 4;
        const float *a = A + r0 * as_r;
        int n0 = 0;
        for (; n0 + 16 <= N; n0 += 16) {
            float *c = C + r0 * ldc + n0;
            TPLR_MK_ROWS(2)
        }
        for (; n0 + 8 <= N; n0 += 8) {
            float *c = C + r0 * ldc + n0;
            TPLR_MK_ROWS(1)
        }
        for (; n0 < N; n0++) /* a width that is not a multiple of 8 */
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
