// RMSNorm: one block per row forward and for dx; dw in two fixed-order
// passes (per chunk of rows, then the chunks in order).
#include "common.cuh"
#include "rmsnorm_kernels.cuh"

tplr_err tplr_cu_rmsnorm_fwd(tplr_cu *cu, void *out, float *rstd, const void *x, const float *w, size_t M, int C,
                             float eps, tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, rmsnorm_fwd_kernel<T><<<(unsigned)M, NORM_THREADS, 0, cu->stream>>>((T *)out, rstd,
                                                                                         (const T *)x, w, C, eps));
    return tplr_cu_after(cu, "rmsnorm_fwd");
}

size_t tplr_cu_rmsnorm_scratch_bytes(size_t M, int C)
{
    return sizeof(float) * ((M + DW_ROWS - 1) / DW_ROWS) * (size_t)C;
}

tplr_err tplr_cu_rmsnorm_bwd(tplr_cu *cu, void *dx, float *dw, const void *dout, const void *x, const float *w,
                             const float *rstd, size_t M, int C, void *scratch, tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    int chunks = (int)((M + DW_ROWS - 1) / DW_ROWS);
    dim3 grid(grid_for((size_t)C, 128), (unsigned)chunks);
    CU_DISPATCH(dt, {
        rmsnorm_dx_kernel<T><<<(unsigned)M, NORM_THREADS, 0, cu->stream>>>((T *)dx, (const T *)dout, (const T *)x,
                                                                            w, rstd, C);
        rmsnorm_dw_partial_kernel<T><<<grid, 128, 0, cu->stream>>>((float *)scratch, (const T *)dout,
                                                                    (const T *)x, rstd, M, C);
    });
    rmsnorm_dw_sum_kernel<<<grid_for((size_t)C, 128), 128, 0, cu->stream>>>(dw, (const float *)scratch, chunks, C);
    return tplr_cu_after(cu, "rmsnorm_bwd");
}
