// The xent kernels (xent.cu launches them), with no includes of their own:
// tests/cuda/test_kernels_emu.cpp runs them on the CPU.
#pragma once

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
