// A CPU emulation of the CUDA primitives the kernels of src/kernels/cuda use,
// so that their source compiles with g++ and runs without a GPU (tests only):
// a launch runs the blocks one after another; a block's threads are fibers
// on one OS thread, switched at __syncthreads and at warp shuffles (a
// generation barrier per block and per warp); __shared__ arrays are statics.
// A lane that skips a shuffle or a barrier its warp or block takes hangs the
// block: the emulation stops with a message instead (it would be undefined
// behaviour on a GPU). bf16 is a 16-bit struct rounded to nearest even.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
extern dim3 threadIdx, blockIdx, blockDim, gridDim;

void __syncthreads();
float __shfl_sync(unsigned mask, float v, int src);
static inline float __shfl_xor_sync(unsigned mask, float v, int o)
{
    return __shfl_sync(mask, v, (int)(threadIdx.x & 31) ^ o);
}
static inline int min(int a, int b) { return a < b ? a : b; }

struct __nv_bfloat16 {
    uint16_t bits;
};
static inline float __bfloat162float(__nv_bfloat16 h)
{
    uint32_t u = (uint32_t)h.bits << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline __nv_bfloat16 __float2bfloat16_rn(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    __nv_bfloat16 h;
    if (std::isnan(f))
        h.bits = 0x7fc0;
    else
        h.bits = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    return h;
}

// The host side: what the launching files read of the context.
typedef void *cudaStream_t;
struct tplr_cu {
    cudaStream_t stream;
    double *partials; // [TPLR_CU_SUM_BLOCKS + 1]
};

// Runs body as every thread of every block of a grid.
typedef void (*emu_body_fn)(void *ctx);
void emu_run(dim3 grid, dim3 block, emu_body_fn fn, void *ctx);

// TPLR_LAUNCH(grid, block, stream, kernel)(args...): the kernel with these
// arguments, as every thread of the grid.
template <typename... P> struct emu_launch {
    dim3 grid, block;
    void (*kernel)(P...);
    template <typename... A> void operator()(A... args)
    {
        auto tuple_args = [&](void) { kernel((P)args...); };
        auto trampoline = [](void *c) { (*(decltype(tuple_args) *)c)(); };
        emu_run(grid, block, trampoline, &tuple_args);
    }
};
template <typename... P> static emu_launch<P...> emu_launcher(dim3 grid, dim3 block, void (*k)(P...))
{
    return emu_launch<P...>{grid, block, k};
}
#define TPLR_LAUNCH(grid, block, stream, ...) ((void)(stream), emu_launcher(dim3(grid), dim3(block), __VA_ARGS__))
