// Whole-buffer ops: fixed-order reductions, scaling, and AdamW.
#include <math.h>
#include "common.cuh"
#include "vector_kernels.cuh"

template <bool SQUARE>
static tplr_err fixed_sum(tplr_cu *cu, const float *x, size_t n, double *out, const char *op)
{
    *out = 0.0;
    if (n == 0)
        return TPLR_OK;
    size_t chunk = sum_chunk(n);
    int nb = (int)((n + chunk - 1) / chunk);
    TPLR_LAUNCH(nb, SUM_THREADS, cu->stream, partial_sum_kernel<SQUARE>)(cu->partials, x, n, chunk);
    TPLR_LAUNCH(1, 32, cu->stream, sum_partials_kernel)(cu->partials, nb);
    TPLR_TRY(tplr_cu_after(cu, op));
    return tplr_cu_download(cu, out, cu->partials + TPLR_CU_SUM_BLOCKS, sizeof(double));
}

tplr_err tplr_cu_sumsq(tplr_cu *cu, const float *x, size_t n, double *out)
{
    return fixed_sum<true>(cu, x, n, out, "sumsq");
}

tplr_err tplr_cu_sum(tplr_cu *cu, const float *x, size_t n, double *out)
{
    return fixed_sum<false>(cu, x, n, out, "sum");
}

tplr_err tplr_cu_scale(tplr_cu *cu, float *x, size_t n, float s)
{
    if (n == 0)
        return TPLR_OK;
    TPLR_LAUNCH(elem_grid(n), 256, cu->stream, scale_kernel)(x, n, s);
    return tplr_cu_after(cu, "scale");
}

tplr_err tplr_cu_adamw(tplr_cu *cu, float *p, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                       double beta2, double eps, double wd, int64_t step, void *low, tplr_cu_dtype low_dt)
{
    if (n == 0)
        return TPLR_OK;
    adamw_consts k = adamw_constants(lr, beta1, beta2, eps, wd, step);
    CU_DISPATCH(low_dt, TPLR_LAUNCH(elem_grid(n), 256, cu->stream, adamw_kernel<T>)(p, g, m, v, n, k, (T *)low));
    return tplr_cu_after(cu, "adamw");
}
