// The rmsnorm kernels (rmsnorm.cu launches them), with no includes of their own:
// tests/cuda/test_kernels_emu.cpp runs them on the CPU.
#pragma once

#define NORM_THREADS 256
#define DW_ROWS 256 // rows per partial sum of dw

template <typename T>
__global__ void rmsnorm_fwd_kernel(T *out, float *rstd, const T *x, const float *w, int C, float eps)
{
    __shared__ float red[32];
    size_t m = blockIdx.x;
    const T *xr = x + m * C;
    float ss = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = ldf(xr, c);
        ss += v * v;
    }
    ss = block_reduce<false>(ss, red);
    float r = 1.0f / sqrtf(ss / (float)C + eps);
    if (threadIdx.x == 0)
        rstd[m] = r;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        stf(out, m * C + c, w[c] * (ldf(xr, c) * r));
}

template <typename T>
__global__ void rmsnorm_dx_kernel(T *dx, const T *dout, const T *x, const float *w, const float *rstd, int C)
{
    __shared__ float red[32];
    size_t m = blockIdx.x;
    const T *xr = x + m * C, *gr = dout + m * C;
    float r = rstd[m], dot = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        dot += ldf(gr, c) * w[c] * ldf(xr, c);
    dot = block_reduce<false>(dot, red);
    float k = dot * r * r * r / (float)C;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        stf(dx, m * C + c, ldf(dx, m * C + c) + (ldf(gr, c) * w[c] * r - ldf(xr, c) * k));
}

// partial[chunk][c] = Σ over the chunk's rows, in row order.
template <typename T>
__global__ void rmsnorm_dw_partial_kernel(float *partial, const T *dout, const T *x, const float *rstd, size_t M,
                                          int C)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C)
        return;
    size_t r0 = (size_t)blockIdx.y * DW_ROWS, r1 = r0 + DW_ROWS < M ? r0 + DW_ROWS : M;
    float s = 0.0f;
    for (size_t m = r0; m < r1; m++)
        s += ldf(dout, m * C + c) * ldf(x, m * C + c) * rstd[m];
    partial[(size_t)blockIdx.y * C + c] = s;
}

__global__ void rmsnorm_dw_sum_kernel(float *dw, const float *partial, int chunks, int C)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C)
        return;
    float s = 0.0f;
    for (int k = 0; k < chunks; k++)
        s += partial[(size_t)k * C + c];
    dw[c] += s;
}
