#include <math.h>

#include "tplr/kernels.h"

void tplr_k_rope_tables(float *cos_t, float *sin_t, int max_pos, int hd, double theta)
{
    int half = hd / 2;
    for (int i = 0; i < half; i++) {
        /* Hugging Face: inv_freq = 1 / base ** (arange(0, dim, 2).float() / dim),
         * then freqs = t * inv_freq in fp32. */
        float inv_freq = 1.0f / powf((float)theta, (float)(2 * i) / (float)hd);
        for (int p = 0; p < max_pos; p++) {
            float f = (float)p * inv_freq;
            cos_t[(size_t)p * half + i] = cosf(f);
            sin_t[(size_t)p * half + i] = sinf(f);
        }
    }
}

void tplr_k_rope(float *x, int ld, int col0, size_t M, int T, int pos0, int nheads, int hd,
                 const float *cos_t, const float *sin_t, int inverse)
{
    int half = hd / 2;
    float sgn = inverse ? -1.0f : 1.0f;
#pragma omp parallel for schedule(static)
    for (size_t m = 0; m < M; m++) {
        size_t pos = (size_t)pos0 + m % (size_t)T;
        const float *cs = cos_t + pos * half, *sn = sin_t + pos * half;
        float *row = x + m * (size_t)ld + col0;
        for (int h = 0; h < nheads; h++) {
            float *a = row + h * hd, *b = a + half;
            for (int i = 0; i < half; i++) {
                float x1 = a[i], x2 = b[i], s = sgn * sn[i];
                a[i] = x1 * cs[i] - x2 * s;
                b[i] = x2 * cs[i] + x1 * s;
            }
        }
    }
}
