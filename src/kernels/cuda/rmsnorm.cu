// RMSNorm: one block per row forward and for dx; dw in two fixed-order
// passes (per chunk of rows, then the chunks in order).
#include "common.cuh"
#include "rmsnorm_kernels.cuh"

tplr_err tplr_cu_rmsnorm_fwd(tplr_cu *cu, void *out, float *rstd, const void *x, const float *w, size_t M, int C,
                             float eps, tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, TPLR_LAUNCH((unsigned)M, NORM_THREADS, cu->stream, rmsnorm_fwd_kernel<T>)((T *)out, rstd,
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
        TPLR_LAUNCH((unsigned)M, NORM_THREADS, cu->stream, rmsnorm_dx_kernel<T>)((T *)dx, (const T *)dout, (const T *)x,
                                                                            w, rstd, C);
        TPLR_LAUNCH(grid, 128, cu->stream, rmsnorm_dw_partial_kernel<T>)((float *)scratch, (const T *)dout,
                                                                    (const T *)x, rstd, M, C);
    });
    TPLR_LAUNCH(grid_for((size_t)C, 128), 128, cu->stream, rmsnorm_dw_sum_kernel)(dw, (const float *)scratch, chunks, C);
    return tplr_cu_after(cu, "rmsnorm_bwd");
}
