// RoPE, rotate-half convention, with the CPU engine's fp32 tables.
#include "common.cuh"
#include "rope_kernels.cuh"

tplr_err tplr_cu_rope(tplr_cu *cu, void *x, int ld, int col0, size_t M, int seq, int pos0, int nheads, int hd,
                      const float *cos_t, const float *sin_t, int inverse, tplr_cu_dtype dt)
{
    size_t n = M * (size_t)nheads * (size_t)(hd / 2);
    if (n == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, TPLR_LAUNCH(elem_grid(n), 256, cu->stream, rope_kernel<T>)((T *)x, ld, col0, M, seq, pos0, nheads, hd, cos_t, sin_t,
                                                               inverse ? -1.0f : 1.0f));
    return tplr_cu_after(cu, "rope");
}
