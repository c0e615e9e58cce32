// The CUDA backend's launching files compiled by g++ against the emulation
// (emu_cuda.h, TPLR_CUDA_EMU): every wrapper of tplr/kernels_cuda.h but the
// context's and cuBLASLt's (emu_cuda.cpp), on host memory. Tests only.
#include "../../src/kernels/cuda/attention.cu"
#include "../../src/kernels/cuda/embedding.cu"
#include "../../src/kernels/cuda/rmsnorm.cu"
#include "../../src/kernels/cuda/rope.cu"
#include "../../src/kernels/cuda/swiglu.cu"
#include "../../src/kernels/cuda/vector.cu"
#include "../../src/kernels/cuda/xent.cu"
