#include "fastmath.h"
#include "tplr/kernels.h"

void tplr_k_swiglu_fwd(float *act, const float *gu, size_t M, int F)
{
#pragma omp parallel for schedule(static)
    for (size_t m = 0; m < M; m++) {
        const float *restrict g = gu + m * 2 * (size_t)F, *restrict u = g + F;
        float *restrict a = act + m * (size_t)F;
        for (int i = 0; i < F; i++)
            a[i] = g[i] / (1.0f + tplr_expf(-g[i])) * u[i];
    }
}

void tplr_k_swiglu_bwd(float *dgu, const float *dact, const float *gu, size_t M, int F)
{
#pragma omp parallel for schedule(static)
    for (size_t m = 0; m < M; m++) {
        const float *restrict g = gu + m * 2 * (size_t)F, *restrict u = g + F;
        const float *restrict da = dact + m * (size_t)F;
        float *restrict dg = dgu + m * 2 * (size_t)F, *restrict du = dg + F;
        for (int i = 0; i < F; i++) {
            float sig = 1.0f / (1.0f + tplr_expf(-g[i]));
            float silu = g[i] * sig;
            du[i] = da[i] * silu;
            dg[i] = da[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
        }
    }
}
