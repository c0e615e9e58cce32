// Shared by the CUDA kernels: the context, error checks, element types and
// fixed-order reductions.
#pragma once

#include <stdint.h>
#ifdef TPLR_CUDA_EMU
// The CPU emulation of the CUDA primitives (tests/cuda/emu_cuda.h): the
// launching files compile with g++ for tests/cuda/test_cuda_emu.
#include "emu_cuda.h"
#else
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
// kernel<<<grid, block, 0, stream>>>, written so that the emulation can launch it too
#define TPLR_LAUNCH(grid, block, stream, ...) __VA_ARGS__<<<(grid), (block), 0, (stream)>>>
#endif

extern "C" {
#include "tplr/kernels.h"
#include "tplr/kernels_cuda.h"
}

#include "device.cuh"

#ifndef TPLR_CUDA_EMU
// cuBLASLt's entry points, from dlopen (cublaslt.cu): tplr_lt.Matmul(...).
struct tplr_lt_api {
    int loaded;
    decltype(&cublasLtCreate) Create;
    decltype(&cublasLtDestroy) Destroy;
    decltype(&cublasLtGetStatusString) GetStatusString;
    decltype(&cublasLtMatmul) Matmul;
    decltype(&cublasLtMatmulAlgoGetHeuristic) MatmulAlgoGetHeuristic;
    decltype(&cublasLtMatmulDescCreate) MatmulDescCreate;
    decltype(&cublasLtMatmulDescDestroy) MatmulDescDestroy;
    decltype(&cublasLtMatmulDescSetAttribute) MatmulDescSetAttribute;
    decltype(&cublasLtMatmulPreferenceCreate) MatmulPreferenceCreate;
    decltype(&cublasLtMatmulPreferenceDestroy) MatmulPreferenceDestroy;
    decltype(&cublasLtMatmulPreferenceSetAttribute) MatmulPreferenceSetAttribute;
    decltype(&cublasLtMatrixLayoutCreate) MatrixLayoutCreate;
    decltype(&cublasLtMatrixLayoutDestroy) MatrixLayoutDestroy;
};
extern tplr_lt_api tplr_lt;
// Opens libcublasLt.so.13 once per process; an error says what to install.
tplr_err tplr_lt_load(void);

// A matmul's shape, types and alignments: the key of the algorithm cache.
struct tplr_mm_key {
    int ta, tb, M, N, K, lda, ldb, ldc, ab, c;
    uint32_t al1, al2, alc;
};
#define TPLR_MM_CACHE 96 // a model's step has about a dozen distinct products

struct tplr_cu {
    tplr_mm_key mm_keys[TPLR_MM_CACHE];
    cublasLtMatmulAlgo_t mm_algos[TPLR_MM_CACHE];
    int mm_cached;
    int device;
    cudaStream_t stream;
    cublasLtHandle_t lt;
    void *workspace;
    size_t workspace_bytes;
    double *partials; // [TPLR_CU_SUM_BLOCKS + 1]
    size_t peak_bytes, total_bytes;
    int sync_each_op; // TPLR_CUDA_SYNC=1
};

// Turns a CUDA error into tplr_err with what to do; TPLR_OK for cudaSuccess.
tplr_err tplr_cu_fail(cudaError_t e, const char *op);

#define CU_TRY(call, op)                          \
    do {                                          \
        cudaError_t cu_e_ = (call);               \
        if (cu_e_ != cudaSuccess)                 \
            return tplr_cu_fail(cu_e_, op);       \
    } while (0)
#endif

// After the launches of one op: the launch error, and with TPLR_CUDA_SYNC=1 the kernels' own.
tplr_err tplr_cu_after(tplr_cu *cu, const char *op);

// bf16 element access (fp32 in device.cuh): every kernel computes in fp32.
__device__ __forceinline__ float ldf(const __nv_bfloat16 *p, size_t i) { return __bfloat162float(p[i]); }
__device__ __forceinline__ void stf(__nv_bfloat16 *p, size_t i, float v) { p[i] = __float2bfloat16_rn(v); }

static inline unsigned grid_for(size_t n, unsigned threads)
{
    size_t g = (n + threads - 1) / threads;
    return (unsigned)(g < 1 ? 1 : g);
}

// Grid of 256-thread blocks for a grid-stride loop over n elements.
static inline unsigned elem_grid(size_t n)
{
    unsigned g = grid_for(n, 256);
    return g > 65535 ? 65535 : g;
}

// Calls f with a typed null pointer of dt's element type: dispatch on dtype.
#define CU_DISPATCH(dt, ...)                               \
    do {                                                   \
        if ((dt) == TPLR_CU_BF16) {                        \
            typedef __nv_bfloat16 T;                       \
            __VA_ARGS__;                                   \
        } else {                                           \
            typedef float T;                               \
            __VA_ARGS__;                                   \
        }                                                  \
    } while (0)
