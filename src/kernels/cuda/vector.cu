// Whole-buffer ops: fixed-order reductions, scaling, and AdamW.
#include <math.h>

#include "common.cuh"

#define SUM_THREADS 256

// partials[b] = Σ f(x[i]) over block b's contiguous chunk, in a fixed tree order.
template <bool SQUARE>
__global__ void partial_sum_kernel(double *partials, const float *x, size_t n, size_t chunk)
{
    __shared__ double red[SUM_THREADS];
    size_t lo = blockIdx.x * chunk, hi = lo + chunk < n ? lo + chunk : n;
    double s = 0.0;
    for (size_t i = lo + threadIdx.x; i < hi; i += SUM_THREADS) {
        double v = x[i];
        s += SQUARE ? v * v : v;
    }
    red[threadIdx.x] = s;
    __syncthreads();
    for (int o = SUM_THREADS / 2; o > 0; o >>= 1) {
        if ((int)threadIdx.x < o)
            red[threadIdx.x] += red[threadIdx.x + o];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        partials[blockIdx.x] = red[0];
}

__global__ void sum_partials_kernel(double *partials, int nb)
{
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        double s = 0.0;
        for (int b = 0; b < nb; b++)
            s += partials[b];
        partials[TPLR_CU_SUM_BLOCKS] = s;
    }
}

template <bool SQUARE>
static tplr_err fixed_sum(tplr_cu *cu, const float *x, size_t n, double *out, const char *op)
{
    *out = 0.0;
    if (n == 0)
        return TPLR_OK;
    size_t chunk = 4096;
    while ((n + chunk - 1) / chunk > TPLR_CU_SUM_BLOCKS)
        chunk *= 2;
    int nb = (int)((n + chunk - 1) / chunk);
    partial_sum_kernel<SQUARE><<<nb, SUM_THREADS, 0, cu->stream>>>(cu->partials, x, n, chunk);
    sum_partials_kernel<<<1, 32, 0, cu->stream>>>(cu->partials, nb);
    TPLR_TRY(tplr_cu_after(cu, op));
    return tplr_cu_download(cu, out, cu->partials + TPLR_CU_SUM_BLOCKS, sizeof(double));
}

tplr_err tplr_cu_sumsq(tplr_cu *cu, const float *x, size_t n, double *out)
{
    return fixed_sum<true>(cu, x, n, out, "sumsq");
}

tplr_err tplr_cu_sum(tplr_cu *cu, const float *x, size_t n, double *out)
{
    return fixed_sum<false>(cu, x, n, out, "sum");
}

__global__ void scale_kernel(float *x, size_t n, float s)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        x[i] *= s;
}

static unsigned elem_grid(size_t n) { unsigned g = grid_for(n, 256); return g > 65535 ? 65535 : g; }

tplr_err tplr_cu_scale(tplr_cu *cu, float *x, size_t n, float s)
{
    if (n == 0)
        return TPLR_OK;
    scale_kernel<<<elem_grid(n), 256, 0, cu->stream>>>(x, n, s);
    return tplr_cu_after(cu, "scale");
}

struct adamw_consts {
    float neg_step_size, bc2_sqrt, decay, b1, b2, eps, one_minus_b1, one_minus_b2;
};

template <typename L>
__global__ void adamw_kernel(float *p, const float *g, float *m, float *v, size_t n, adamw_consts k, L *low)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        float gi = g[i];
        float mi = m[i] * k.b1 + k.one_minus_b1 * gi;
        float vi = v[i] * k.b2 + k.one_minus_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / k.bc2_sqrt + k.eps;
        float pi = p[i] * k.decay + k.neg_step_size * (mi / denom);
        p[i] = pi;
        if (low)
            stf(low, i, pi);
    }
}

tplr_err tplr_cu_adamw(tplr_cu *cu, float *p, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                       double beta2, double eps, double wd, int64_t step, void *low, tplr_cu_dtype low_dt)
{
    if (n == 0)
        return TPLR_OK;
    // the scalars exactly as tplr_k_adamw computes them
    double bc1 = 1.0 - pow(beta1, (double)step), bc2 = 1.0 - pow(beta2, (double)step);
    adamw_consts k;
    k.neg_step_size = (float)(-lr / bc1);
    k.bc2_sqrt = (float)sqrt(bc2);
    k.decay = (float)(1.0 - lr * wd);
    k.b1 = (float)beta1;
    k.b2 = (float)beta2;
    k.eps = (float)eps;
    k.one_minus_b1 = (float)(1.0 - beta1);
    k.one_minus_b2 = (float)(1.0 - beta2);
    CU_DISPATCH(low_dt, adamw_kernel<T><<<elem_grid(n), 256, 0, cu->stream>>>(p, g, m, v, n, k, (T *)low));
    return tplr_cu_after(cu, "adamw");
}
