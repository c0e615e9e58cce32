// Token embedding: a row gather forward; backward grouped by token id, one
// block per distinct token summing its positions in order (no atomics).
#include <string.h>

#include "common.cuh"

template <typename T>
__global__ void embedding_fwd_kernel(T *out, const T *wte, const int32_t *tok, size_t M, int C)
{
    size_t m = blockIdx.x;
    if (m >= M)
        return;
    const T *src = wte + (size_t)tok[m] * C;
    T *dst = out + m * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        dst[c] = src[c];
}

tplr_err tplr_cu_embedding_fwd(tplr_cu *cu, void *out, const void *wte, const int32_t *tok, size_t M, int C,
                               tplr_cu_dtype dt)
{
    if (M == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, embedding_fwd_kernel<T><<<(unsigned)M, 256, 0, cu->stream>>>((T *)out, (const T *)wte, tok, M, C));
    return tplr_cu_after(cu, "embedding_fwd");
}

int tplr_cu_embedding_groups(int32_t *groups, int32_t *counts, const int32_t *tok, size_t M, int V)
{
    // counting sort: stable, so positions of one token stay in order
    memset(counts, 0, sizeof(int32_t) * ((size_t)V + 1));
    for (size_t m = 0; m < M; m++)
        counts[tok[m] + 1]++;
    int n_groups = 0;
    int32_t *starts = groups + M;
    for (int v = 0; v < V; v++) {
        if (counts[v + 1])
            starts[n_groups++] = counts[v];
        counts[v + 1] += counts[v];
    }
    starts[n_groups] = (int32_t)M;
    for (size_t m = 0; m < M; m++)
        groups[counts[tok[m]]++] = (int32_t)m;
    return n_groups;
}

template <typename T>
__global__ void embedding_bwd_kernel(float *dwte, const T *dout, const int32_t *tok, const int32_t *groups,
                                     size_t M, int C)
{
    const int32_t *starts = groups + M;
    int g = blockIdx.x, lo = starts[g], hi = starts[g + 1];
    float *dst = dwte + (size_t)tok[groups[lo]] * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float s = dst[c];
        for (int i = lo; i < hi; i++)
            s += ldf(dout, (size_t)groups[i] * C + c);
        dst[c] = s;
    }
}

tplr_err tplr_cu_embedding_bwd(tplr_cu *cu, float *dwte, const void *dout, const int32_t *tok,
                               const int32_t *groups, int n_groups, size_t M, int C, tplr_cu_dtype dt)
{
    if (n_groups == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, embedding_bwd_kernel<T><<<(unsigned)n_groups, 256, 0, cu->stream>>>(dwte, (const T *)dout, tok,
                                                                                          groups, M, C));
    return tplr_cu_after(cu, "embedding_bwd");
}
