// SwiGLU: act = silu(gate)·up over rows [gate (F) | up (F)].
#include "common.cuh"

template <typename T>
__global__ void swiglu_fwd_kernel(T *act, const T *gu, size_t M, int F)
{
    size_t n = M * (size_t)F;
    for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
        size_t m = idx / F, i = idx % F, g_at = m * 2 * F + i;
        float g = ldf(gu, g_at), u = ldf(gu, g_at + F);
        stf(act, idx, g / (1.0f + expf(-g)) * u);
    }
}

template <typename T>
__global__ void swiglu_bwd_kernel(T *dgu, const T *dact, const T *gu, size_t M, int F)
{
    size_t n = M * (size_t)F;
    for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
        size_t m = idx / F, i = idx % F, g_at = m * 2 * F + i;
        float g = ldf(gu, g_at), u = ldf(gu, g_at + F), da = ldf(dact, idx);
        float sig = 1.0f / (1.0f + expf(-g)), silu = g * sig;
        stf(dgu, g_at + F, da * silu);
        stf(dgu, g_at, da * u * sig * (1.0f + g * (1.0f - sig)));
    }
}

static unsigned elem_grid(size_t n) { unsigned g = grid_for(n, 256); return g > 65535 ? 65535 : g; }

tplr_err tplr_cu_swiglu_fwd(tplr_cu *cu, void *act, const void *gu, size_t M, int F, tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, swiglu_fwd_kernel<T><<<elem_grid(M * F), 256, 0, cu->stream>>>((T *)act, (const T *)gu, M, F));
    return tplr_cu_after(cu, "swiglu_fwd");
}

tplr_err tplr_cu_swiglu_bwd(tplr_cu *cu, void *dgu, const void *dact, const void *gu, size_t M, int F,
                            tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, swiglu_bwd_kernel<T><<<elem_grid(M * F), 256, 0, cu->stream>>>((T *)dgu, (const T *)dact,
                                                                                     (const T *)gu, M, F));
    return tplr_cu_after(cu, "swiglu_bwd");
}
