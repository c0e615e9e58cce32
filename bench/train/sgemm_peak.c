/* The machine's fp32 matrix-product peak through the same OpenBLAS the
 * engine uses: best of several 1024x1024x1024 sgemm calls, one JSON line. */
#include <stdio.h>
#include <stdlib.h>

#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/timeutil.h"

int main(int argc, char **argv)
{
    tplr_blas_restart_if_generic(argv);
    int threads = argc > 1 ? atoi(argv[1]) : 1, n = argc > 2 ? atoi(argv[2]) : 1024;
    int reps = argc > 3 ? atoi(argv[3]) : 20;
    if (threads < 1 || n < 16 || reps < 1) {
        fprintf(stderr, "usage: sgemm_peak [THREADS [N [REPS]]]\n");
        return 2;
    }
    tplr_k_set_threads(threads);
    float *a, *b, *c;
    size_t bytes = sizeof(float) * (size_t)n * (size_t)n;
    if (tplr_alloc((void **)&a, bytes, "A") || tplr_alloc((void **)&b, bytes, "B") ||
        tplr_alloc((void **)&c, bytes, "C")) {
        fprintf(stderr, "%s\n", tplr_errmsg());
        return 1;
    }
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = (float)(i % 13) * 0.1f;
        b[i] = (float)(i % 7) * 0.1f;
    }
    double best = 1e30;
    for (int r = 0; r < reps + 2; r++) {
        double t = tplr_now();
        tplr_k_matmul(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        t = tplr_now() - t;
        if (r >= 2 && t < best)
            best = t;
    }
    printf("{\"bench\":\"sgemm_peak\",\"n\":%d,\"threads\":%d,\"gflops\":%.1f}\n", n, threads,
           2.0 * n * (double)n * n / best / 1e9);
    tplr_free(a);
    tplr_free(b);
    tplr_free(c);
    return 0;
}
