// The swiglu kernels (swiglu.cu launches them), with no includes of their own:
// tests/cuda/test_kernels_emu.cpp runs them on the CPU.
#pragma once

template <typename T>
__global__ void swiglu_fwd_kernel(T *act, const T *gu, size_t M, int F)
{
    size_t n = M * (size_t)F;
    for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
        size_t m = idx / F, i = idx % F, g_at = m * 2 * F + i;
        float g = ldf(gu, g_at), u = ldf(gu, g_at + F);
        stf(act, idx, g / (1.0f + expf(-g)) * u);
    }
}

template <typename T>
__global__ void swiglu_bwd_kernel(T *dgu, const T *dact, const T *gu, size_t M, int F)
{
    size_t n = M * (size_t)F;
    for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
        size_t m = idx / F, i = idx % F, g_at = m * 2 * F + i;
        float g = ldf(gu, g_at), u = ldf(gu, g_at + F), da = ldf(dact, idx);
        float sig = 1.0f / (1.0f + expf(-g)), silu = g * sig;
        stf(dgu, g_at + F, da * silu);
        stf(dgu, g_at, da * u * sig * (1.0f + g * (1.0f - sig)));
    }
}
