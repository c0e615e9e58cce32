// The embedding kernels (embedding.cu launches them), with no includes of their own:
// tests/cuda/test_kernels_emu.cpp runs them on the CPU.
#pragma once

// On the host: positions grouped by token id for the backward pass (see
// tplr_cu_embedding_groups in tplr/kernels_cuda.h).
static inline int embedding_groups(int32_t *groups, int32_t *counts, const int32_t *tok, size_t M, int V)
{
    // counting sort: stable, so positions of one token stay in order
    for (int v = 0; v <= V; v++)
        counts[v] = 0;
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
