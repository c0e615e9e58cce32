/* The orthonormal DCT-II per tile, as Templar's ChunkingTransformer applies
 * it: X = F1ᵀ·x·F2 (encode) and x = F1·X·F2ᵀ (decode), F[i][k] =
 * c_k·cos(π(2i+1)k/2N), c_0 = √(1/N), c_k = √(2/N). Bases and sums are in
 * double, summed in a fixed order, and rounded to float once at the end. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

static tplr_err make_basis(codec_dct *d, int n)
{
    if (d->f[n])
        return TPLR_OK;
    d->f[n] = malloc(sizeof(double) * (size_t)n * (size_t)n);
    d->ft[n] = malloc(sizeof(double) * (size_t)n * (size_t)n);
    if (!d->f[n] || !d->ft[n])
        return tplr_fail(TPLR_ENOMEM, "allocating DCT bases");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double c = k == 0 ? sqrt(1.0 / n) : sqrt(2.0 / n);
            double v = c * cos(M_PI * (2.0 * i + 1.0) * k / (2.0 * n));
            d->f[n][i * n + k] = v;
            d->ft[n][k * n + i] = v;
        }
    return TPLR_OK;
}

tplr_err codec_dct_init(codec_dct *d, const tplr_codec_geom *geoms, int n)
{
    *d = (codec_dct){0};
    for (int t = 0; t < n; t++) {
        tplr_err e = make_basis(d, geoms[t].n1);
        if (!e)
            e = make_basis(d, geoms[t].n2);
        if (e) {
            codec_dct_free(d);
            return e;
        }
    }
    return TPLR_OK;
}

void codec_dct_free(codec_dct *d)
{
    for (int n = 0; n <= TPLR_CODEC_MAX_CHUNK; n++) {
        free(d->f[n]);
        free(d->ft[n]);
    }
    *d = (codec_dct){0};
}

/* out[a][·] = Σ_i m[a][i]·in[i][·] for a < n1, rows of n2; sums over i in order. */
static void left_multiply(const double *m, int n1, int n2, const float *in, double *out)
{
    for (int a = 0; a < n1; a++) {
        double *row = out + (size_t)a * n2;
        for (int j = 0; j < n2; j++)
            row[j] = 0.0;
        for (int i = 0; i < n1; i++) {
            double w = m[a * n1 + i];
            const float *src = in + (size_t)i * n2;
            for (int j = 0; j < n2; j++)
                row[j] += w * (double)src[j];
        }
    }
}

/* out[a][·] = Σ_j y[a][j]·m[j][·] (m is n2 × n2), rounded to float. */
static void right_multiply(const double *y, const double *m, int n1, int n2, double *row, float *out)
{
    for (int a = 0; a < n1; a++) {
        for (int b = 0; b < n2; b++)
            row[b] = 0.0;
        for (int j = 0; j < n2; j++) {
            double w = y[(size_t)a * n2 + j];
            const double *mr = m + (size_t)j * n2;
            for (int b = 0; b < n2; b++)
                row[b] += w * mr[b];
        }
        for (int b = 0; b < n2; b++)
            out[(size_t)a * n2 + b] = (float)row[b];
    }
}

void codec_dct_forward(const codec_dct *d, int n1, int n2, const float *x, float *X, double *tmp)
{
    /* Y = F1ᵀ·x, then X = Y·F2 */
    left_multiply(d->ft[n1], n1, n2, x, tmp);
    right_multiply(tmp, d->f[n2], n1, n2, tmp + (size_t)n1 * n2, X);
}

void codec_dct_inverse(const codec_dct *d, int n1, int n2, const float *X, float *x, double *tmp)
{
    /* Z = F1·X, then x = Z·F2ᵀ */
    left_multiply(d->f[n1], n1, n2, X, tmp);
    right_multiply(tmp, d->ft[n2], n1, n2, tmp + (size_t)n1 * n2, x);
}
