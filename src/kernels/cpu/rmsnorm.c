#include <math.h>
#include <omp.h>

#include "lanes.h"
#include "tplr/kernels.h"

void tplr_k_rmsnorm_fwd(float *out, float *rstd, const float *x, const float *w, size_t M, int C,
                        float eps)
{
#pragma omp parallel for schedule(static)
    for (size_t m = 0; m < M; m++) {
        const float *xr = x + m * (size_t)C;
        float *yr = out + m * (size_t)C;
        float ss = tplr_lanes_dot(xr, xr, NULL, C);
        float r = 1.0f / sqrtf(ss / (float)C + eps);
        rstd[m] = r;
        for (int c = 0; c < C; c++)
            yr[c] = w[c] * (xr[c] * r);
    }
}

void tplr_k_rmsnorm_bwd(float *dx, float *dw, const float *dout, const float *x, const float *w,
                        const float *rstd, size_t M, int C)
{
#pragma omp parallel
    {
        /* dx: rows split across threads. */
#pragma omp for schedule(static)
        for (size_t m = 0; m < M; m++) {
            const float *xr = x + m * (size_t)C, *gr = dout + m * (size_t)C;
            float *dxr = dx + m * (size_t)C;
            float r = rstd[m];
            float dot = tplr_lanes_dot(gr, w, xr, C);
            float k = dot * r * r * r / (float)C;
            for (int c = 0; c < C; c++)
                dxr[c] += gr[c] * w[c] * r - xr[c] * k;
        }
        /* dw: columns split across threads, each summing rows in order, so
         * the result does not depend on the thread count. */
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int c0 = (int)((int64_t)C * t / nt), c1 = (int)((int64_t)C * (t + 1) / nt);
        for (size_t m = 0; m < M; m++) {
            const float *xr = x + m * (size_t)C, *gr = dout + m * (size_t)C;
            float r = rstd[m];
            for (int c = c0; c < c1; c++)
                dw[c] += gr[c] * xr[c] * r;
        }
    }
}
