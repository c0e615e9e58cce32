/* Whole-buffer operations: reductions with a fixed summation order, scaling,
 * and the AdamW update. */
#include <math.h>

#include "tplr/kernels.h"

#define SUMSQ_BLOCK 65536
#define SUMSQ_LANES 32 /* four 8-double vectors: independent chains of adds (8 lanes ran 3x slower) */

/* Σ x² over [lo, hi) in a fixed order. */
static double block_sumsq(const float *x, size_t lo, size_t hi)
{
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
    return s;
}

/* dst += src over [lo, hi), src cleared. */
static void add_clear(float *restrict dst, float *restrict src, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        dst[i] += src[i];
        src[i] = 0.0f;
    }
}

double tplr_k_fold_sumsq(float *dst, float *const *src, int n_src, size_t n)
{
    size_t nb = (n + SUMSQ_BLOCK - 1) / SUMSQ_BLOCK;
    double total = 0.0;
    /* Blocks are summed in parallel, each in a fixed order; the block sums
     * are then added in block order: the same result for any thread count.
     * The threads take the blocks in turn, so an ordered section waits only
     * for the block before it (with contiguous shares, the second thread
     * waited for the first one's whole share). A block's sums are taken while
     * it is still in cache from the additions. */
#pragma omp parallel for ordered schedule(static, 1)
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * SUMSQ_BLOCK, hi = lo + SUMSQ_BLOCK < n ? lo + SUMSQ_BLOCK : n;
        for (int k = 0; k < n_src; k++)
            add_clear(dst, src[k], lo, hi);
        double s = block_sumsq(dst, lo, hi);
#pragma omp ordered
        total += s;
    }
    return total;
}

double tplr_k_sumsq(const float *x, size_t n) { return tplr_k_fold_sumsq((float *)x, NULL, 0, n); }

void tplr_k_scale(float *x, size_t n, float s)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] *= s;
}

tplr_adamw_k tplr_k_adamw_scalars(double lr, double beta1, double beta2, double eps, double wd, int64_t step)
{
    /* Scalars in double, as PyTorch computes them in Python floats, then
     * rounded to fp32 where they meet the tensors. */
    double bc1 = 1.0 - pow(beta1, (double)step), bc2 = 1.0 - pow(beta2, (double)step);
    tplr_adamw_k k = {
        .neg_step_size = (float)(-lr / bc1), .bc2_sqrt = (float)sqrt(bc2), .decay = (float)(1.0 - lr * wd),
        .b1 = (float)beta1, .b2 = (float)beta2, .eps = (float)eps,
        .one_minus_b1 = (float)(1.0 - beta1), .one_minus_b2 = (float)(1.0 - beta2),
    };
    return k;
}

/* One element's update from its gradient gi. */
static inline void adamw_elem(float *p, float gi, float *m, float *v, const tplr_adamw_k *k)
{
    float mi = *m * k->b1 + k->one_minus_b1 * gi;
    float vi = *v * k->b2 + k->one_minus_b2 * gi * gi;
    *m = mi;
    *v = vi;
    float denom = sqrtf(vi) / k->bc2_sqrt + k->eps;
    *p = *p * k->decay + k->neg_step_size * (mi / denom);
}

void tplr_k_adamw(float *p, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                  double beta2, double eps, double wd, int64_t step)
{
    tplr_adamw_k k = tplr_k_adamw_scalars(lr, beta1, beta2, eps, wd, step);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        adamw_elem(p + i, g[i], m + i, v + i, &k);
}

void tplr_k_adamw_span_clear(float *restrict p, float *restrict g, float *restrict m, float *restrict v, size_t n,
                             const tplr_adamw_k *k, float g_scale)
{
    tplr_adamw_k kk = *k; /* a local copy: the loop must not reload it through a pointer that might alias */
    for (size_t i = 0; i < n; i++) {
        adamw_elem(p + i, g[i] * g_scale, m + i, v + i, &kk);
        g[i] = 0.0f;
    }
}
