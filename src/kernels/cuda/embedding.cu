// Token embedding: a row gather forward; backward grouped by token id, one
// block per distinct token summing its positions in order (no atomics).
#include <string.h>
#include "common.cuh"
#include "embedding_kernels.cuh"

tplr_err tplr_cu_embedding_fwd(tplr_cu *cu, void *out, const void *wte, const int32_t *tok, size_t M, int C,
                               tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, TPLR_LAUNCH((unsigned)M, 256, cu->stream, embedding_fwd_kernel<T>)((T *)out, (const T *)wte, tok, M, C));
    return tplr_cu_after(cu, "embedding_fwd");
}

int tplr_cu_embedding_groups(int32_t *groups, int32_t *counts, const int32_t *tok, size_t M, int V)
{
    return embedding_groups(groups, counts, tok, M, V);
}

tplr_err tplr_cu_embedding_bwd(tplr_cu *cu, float *dwte, const void *dout, const int32_t *tok,
                               const int32_t *groups, int n_groups, size_t M, int C, tplr_cu_dtype dt)
{
    if (n_groups == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, TPLR_LAUNCH((unsigned)n_groups, 256, cu->stream, embedding_bwd_kernel<T>)(dwte, (const T *)dout, tok,
                                                                                          groups, M, C));
    return tplr_cu_after(cu, "embedding_bwd");
}
