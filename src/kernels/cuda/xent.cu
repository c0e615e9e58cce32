// Fused softmax cross-entropy: one block per row; the gradient overwrites
// the logits, no probabilities are stored elsewhere.
#include "common.cuh"

#define XENT_THREADS 512

template <typename T>
__global__ void xent_kernel(T *logits, float *row_loss, const int32_t *targets, int V, float grad_scale)
{
    __shared__ float red[32];
    size_t r = blockIdx.x;
    T *x = logits + r * (size_t)V;
    int32_t t = targets[r];
    if (t == TPLR_IGNORE_INDEX) {
        if (threadIdx.x == 0)
            row_loss[r] = 0.0f;
        if (grad_scale != 0.0f)
            for (int j = threadIdx.x; j < V; j += blockDim.x)
                stf(x, j, 0.0f);
        return;
    }
    float mx = -INFINITY;
    for (int j = threadIdx.x; j < V; j += blockDim.x)
        mx = fmaxf(mx, ldf(x, j));
    mx = block_reduce<true>(mx, red);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < V; j += blockDim.x)
        sum += expf(ldf(x, j) - mx);
    sum = block_reduce<false>(sum, red);
    float xt = ldf(x, t); // read before any thread overwrites it
    if (threadIdx.x == 0)
        row_loss[r] = logf(sum) + mx - xt;
    if (grad_scale == 0.0f)
        return;
    __syncthreads();
    float k = grad_scale / sum;
    for (int j = threadIdx.x; j < V; j += blockDim.x) {
        float g = expf(ldf(x, j) - mx) * k;
        stf(x, j, j == t ? g - grad_scale : g);
    }
}

tplr_err tplr_cu_xent(tplr_cu *cu, void *logits, float *row_loss, const int32_t *targets, int rows, int V,
                      float grad_scale, tplr_cu_dtype dt)
{
    if (rows <= 0)
        return TPLR_OK;
    CU_DISPATCH(dt, xent_kernel<T><<<(unsigned)rows, XENT_THREADS, 0, cu->stream>>>((T *)logits, row_loss, targets,
                                                                                     V, grad_scale));
    return tplr_cu_after(cu, "xent");
}
