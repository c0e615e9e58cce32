// The rope kernels (rope.cu launches them), with no includes of their own:
// tests/cuda/test_kernels_emu.cpp runs them on the CPU.
#pragma once

template <typename T>
__global__ void rope_kernel(T *x, int ld, int col0, size_t M, int T_, int pos0, int nheads, int hd,
                            const float *cos_t, const float *sin_t, float sgn)
{
    int half = hd / 2;
    size_t n = M * (size_t)nheads * half;
    for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
        int i = (int)(idx % half);
        size_t mh = idx / half;
        int h = (int)(mh % nheads);
        size_t m = mh / nheads, pos = (size_t)pos0 + m % (size_t)T_;
        float cs = cos_t[pos * half + i], s = sgn * sin_t[pos * half + i];
        size_t a = m * (size_t)ld + col0 + (size_t)h * hd + i, b = a + half;
        float x1 = ldf(x, a), x2 = ldf(x, b);
        stf(x, a, x1 * cs - x2 * s);
        stf(x, b, x2 * cs + x1 * s);
    }
}
