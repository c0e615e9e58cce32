/* Whole-buffer operations: reductions with a fixed summation order, scaling,
 * and the AdamW update. */
#include <math.h>

#include "tplr/kernels.h"

#define SUMSQ_BLOCK 65536
#define SUMSQ_LANES 32 /* four 8-double vectors: independent chains of adds (8 lanes ran 3x slower) */

double tplr_k_sumsq(const float *x, size_t n)
{
    size_t nb = (n + SUMSQ_BLOCK - 1) / SUMSQ_BLOCK;
    double total = 0.0;
    /* Blocks are summed in parallel, each in a fixed order; the block sums
     * are then added in block order: the same result for any thread count.
     * The threads take the blocks in turn, so an ordered section waits only
     * for the block before it (with contiguous shares, the second thread
     * waited for the first one's whole share). */
#pragma omp parallel for ordered schedule(static, 1)
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * SUMSQ_BLOCK, hi = lo + SUMSQ_BLOCK < n ? lo + SUMSQ_BLOCK : n;
        double lanes[SUMSQ_LANES] = {0};
        size_t i = lo;
        for (; i + SUMSQ_LANES <= hi; i += SUMSQ_LANES)
            for (int l = 0; l < SUMSQ_LANES; l++)
                lanes[l] += (double)x[i + l] * x[i + l];
        double s = 0.0;
        for (int l = 0; l < SUMSQ_LANES; l++)
            s += lanes[l];
        for (; i < hi; i++)
            s += (double)x[i] * x[i];
#pragma omp ordered
        total += s;
    }
    return total;
}

void tplr_k_scale(float *x, size_t n, float s)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] *= s;
}

void tplr_k_adamw(float *p, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                  double beta2, double eps, double wd, int64_t step)
{
    /* Scalars in double, as PyTorch computes them in Python floats, then
     * rounded to fp32 where they meet the tensors. */
    double bc1 = 1.0 - pow(beta1, (double)step);
    double bc2 = 1.0 - pow(beta2, (double)step);
    float neg_step_size = (float)(-lr / bc1);
    float bc2_sqrt = (float)sqrt(bc2);
    float decay = (float)(1.0 - lr * wd);
    float b1 = (float)beta1, b2 = (float)beta2, epsf = (float)eps;
    float one_minus_b1 = (float)(1.0 - beta1), one_minus_b2 = (float)(1.0 - beta2);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] * b1 + one_minus_b1 * gi;
        float vi = v[i] * b2 + one_minus_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2_sqrt + epsf;
        p[i] = p[i] * decay + neg_step_size * (mi / denom);
    }
}
