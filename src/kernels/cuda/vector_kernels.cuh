// The vector kernels (vector.cu launches them), with no includes of their own:
// tests/cuda/test_kernels_emu.cpp runs them on the CPU.
#pragma once

#define SUM_THREADS 256

// Values per block of a fixed-order sum of n values: at most TPLR_CU_SUM_BLOCKS blocks.
static inline size_t sum_chunk(size_t n)
{
    size_t chunk = 4096;
    while ((n + chunk - 1) / chunk > TPLR_CU_SUM_BLOCKS)
        chunk *= 2;
    return chunk;
}

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

__global__ void scale_kernel(float *x, size_t n, float s)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        x[i] *= s;
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

// The step's scalars exactly as tplr_k_adamw computes them (double, then fp32).
static inline adamw_consts adamw_constants(double lr, double beta1, double beta2, double eps, double wd, int64_t step)
{
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
    return k;
}
