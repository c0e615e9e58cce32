// Device helpers of every kernel, with no includes of their own (the
// emulation in tests/cuda/test_kernels_emu.cpp includes them too): fp32
// element access, warp and block reductions in a fixed order.
#pragma once

#define TPLR_CU_SUM_BLOCKS 1024 // most partial sums of one fixed-order reduction

// Element access: every kernel computes in fp32.
__device__ __forceinline__ float ldf(const float *p, size_t i) { return p[i]; }
__device__ __forceinline__ void stf(float *p, size_t i, float v) { p[i] = v; }

__device__ __forceinline__ float warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum (or max) over a block of blockDim.x threads (a multiple of 32, ≤ 1024),
// in a fixed tree order; every thread gets the result. shared: 32 floats.
template <bool MAX>
__device__ float block_reduce(float v, float *shared)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = MAX ? warp_max(v) : warp_sum(v);
    __syncthreads(); // shared may still be read by a previous reduction
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    float r = lane < nw ? shared[lane] : (MAX ? -INFINITY : 0.0f);
    return MAX ? warp_max(r) : warp_sum(r);
}
