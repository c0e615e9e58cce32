#include <omp.h>
#include <string.h>

#include "tplr/kernels.h"

void tplr_k_embedding_fwd(float *out, const float *wte, const int32_t *tok, size_t M, int C)
{
#pragma omp parallel for schedule(static)
    for (size_t m = 0; m < M; m++)
        memcpy(out + m * (size_t)C, wte + (size_t)tok[m] * (size_t)C, sizeof(float) * (size_t)C);
}

void tplr_k_embedding_bwd(float *dwte, const float *dout, const int32_t *tok, size_t M, int C, int V)
{
    /* Each thread owns a contiguous range of vocabulary rows and scans all
     * tokens in order: no races, and the summation order never changes. */
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int32_t lo = (int32_t)((int64_t)V * t / nt), hi = (int32_t)((int64_t)V * (t + 1) / nt);
        for (size_t m = 0; m < M; m++) {
            int32_t id = tok[m];
            if (id < lo || id >= hi)
                continue;
            float *dst = dwte + (size_t)id * (size_t)C;
            const float *src = dout + m * (size_t)C;
            for (int c = 0; c < C; c++)
                dst[c] += src[c];
        }
    }
}
