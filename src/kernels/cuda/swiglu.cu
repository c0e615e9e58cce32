// SwiGLU: act = silu(gate)·up over rows [gate (F) | up (F)].
#include "common.cuh"
#include "swiglu_kernels.cuh"

tplr_err tplr_cu_swiglu_fwd(tplr_cu *cu, void *act, const void *gu, size_t M, int F, tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, TPLR_LAUNCH(elem_grid(M * F), 256, cu->stream, swiglu_fwd_kernel<T>)((T *)act, (const T *)gu, M, F));
    return tplr_cu_after(cu, "swiglu_fwd");
}

tplr_err tplr_cu_swiglu_bwd(tplr_cu *cu, void *dgu, const void *dact, const void *gu, size_t M, int F,
                            tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, TPLR_LAUNCH(elem_grid(M * F), 256, cu->stream, swiglu_bwd_kernel<T>)((T *)dgu, (const T *)dact,
                                                                                     (const T *)gu, M, F));
    return tplr_cu_after(cu, "swiglu_bwd");
}
