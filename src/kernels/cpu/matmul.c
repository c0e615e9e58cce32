/* Matrix products through OpenBLAS (its OpenMP build, so that a call made
 * inside an OpenMP region runs on the calling thread), and thread control. */
#include <cblas.h>
#include <omp.h>

#include "tplr/kernels.h"

void tplr_k_set_threads(int n)
{
    if (n < 1)
        n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int tplr_k_threads(void) { return omp_get_max_threads(); }

void tplr_k_matmul(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *Cm, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, Cm, ldc);
}
