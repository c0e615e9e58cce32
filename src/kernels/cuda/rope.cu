// RoPE, rotate-half convention, with the CPU engine's fp32 tables.
#include "common.cuh"

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

tplr_err tplr_cu_rope(tplr_cu *cu, void *x, int ld, int col0, size_t M, int seq, int pos0, int nheads, int hd,
                      const float *cos_t, const float *sin_t, int inverse, tplr_cu_dtype dt)
{
    size_t n = M * (size_t)nheads * (size_t)(hd / 2);
    if (n == 0)
        return TPLR_OK;
    unsigned g = grid_for(n, 256);
    g = g > 65535 ? 65535 : g;
    CU_DISPATCH(dt, rope_kernel<T><<<g, 256, 0, cu->stream>>>((T *)x, ld, col0, M, seq, pos0, nheads, hd, cos_t, sin_t,
                                                               inverse ? -1.0f : 1.0f));
    return tplr_cu_after(cu, "rope");
}
