/* Causal attention with grouped KV heads, one (batch, head) pair per task,
 * in blocks of 4 query rows with register-blocked products (smallgemm.h).
 * Keys and values are first transposed (and the keys pre-scaled by
 * 1/sqrt(hd)) into a zero-padded [hd][Tp] panel, Tp = T rounded up to 16, so
 * that each block's scores are one product over contiguous memory; columns
 * past a block's diagonal are never computed. The forward pass keeps only the
 * log-sum-exp of each softmax row; the backward pass recomputes the
 * probabilities from it (as flash attention does), so no T×T tensor is kept
 * between the passes. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "fastmath.h"
#include "lanes.h"
#include "smallgemm.h"
#include "tplr/kernels.h"

#define ROWS TPLR_MR /* query rows per forward block: one micro-kernel's */
#define BWD_ROWS 16

static int padded(int T) { return (T + 15) / 16 * 16; }

size_t tplr_k_attention_scratch_floats(int T, int hd)
{
    size_t Tp = (size_t)padded(T);
    return 2 * (size_t)hd * Tp + 2 * (size_t)BWD_ROWS * Tp + Tp; /* two panels, a block of P and dS, rowdot */
}

/* dst[d][j] = scale·src[j][d] for j < T, zero for T ≤ j < Tp. */
static void transpose_panel(float *dst, const float *src, int ld, int T, int hd, float scale)
{
    int Tp = padded(T);
    /* In tiles of 16 × 16 through a local block: 16 contiguous reads of
     * source rows, then 16 contiguous writes of panel rows (reading the
     * columns directly missed L1 on every value; writing them directly
     * thrashed the few cache sets a power-of-two panel stride maps to). */
    float tile[16][16];
    for (int j0 = 0; j0 < Tp; j0 += 16)
        for (int d0 = 0; d0 < hd; d0 += 16) {
            int nd = hd - d0 < 16 ? hd - d0 : 16, nj = T - j0 < 16 ? T - j0 : 16;
            for (int jj = 0; jj < nj; jj++) {
                const float *s = src + (size_t)(j0 + jj) * ld + d0;
                for (int dd = 0; dd < nd; dd++)
                    tile[dd][jj] = scale * s[dd];
            }
            for (int dd = 0; dd < nd; dd++)
                for (int jj = nj; jj < 16; jj++)
                    tile[dd][jj] = 0.0f;
            for (int dd = 0; dd < nd; dd++)
                memcpy(dst + (size_t)(d0 + dd) * Tp + j0, tile[dd], sizeof tile[dd]);
        }
}

/* Columns a block of rows [i0, i0+R) needs: up to its last row's diagonal,
 * rounded up to the panel's vector width. */
static int block_cols(int i0, int R) { return (i0 + R + 15) / 16 * 16; }

/* Row i of probabilities from scores s: softmax over j ≤ i, zero for
 * i < j < ncols. Returns the log-sum-exp. */
static float softmax_row(float *s, int i, int ncols)
{
    float mx = tplr_lanes_max(s, i + 1), sum = tplr_lanes_exp_sum(s, i + 1, mx, 1);
    float inv = 1.0f / sum;
    for (int j = 0; j <= i; j++)
        s[j] *= inv;
    for (int j = i + 1; j < ncols; j++)
        s[j] = 0.0f;
    return mx + logf(sum);
}

void tplr_k_attention_fwd(float *out, int ldo, float *lse, const float *qkv, int ldqkv, int B, int T, int H, int KV,
                          int hd, float *scratch, int n_threads)
{
    float scale = 1.0f / sqrtf((float)hd);
    int group = H / KV, Tp = padded(T);
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int item = 0; item < B * H; item++) {
        int b = item / H, h = item % H, g = h / group;
        float *kt = scratch + (size_t)omp_get_thread_num() * tplr_k_attention_scratch_floats(T, hd);
        float *S = kt + (size_t)hd * Tp; /* [ROWS][Tp] */
        const float *base = qkv + (size_t)b * T * ldqkv;
        const float *q = base + h * hd, *v = base + (H + KV + g) * hd;
        float *o = out + (size_t)b * T * ldo + h * hd;
        float *lse_row = lse + ((size_t)b * H + h) * T;
        transpose_panel(kt, base + (H + g) * hd, ldqkv, T, hd, scale);
        for (int i0 = 0; i0 < T; i0 += ROWS) {
            int R = T - i0 < ROWS ? T - i0 : ROWS, ncols = block_cols(i0, R);
            tplr_small_gemm(R, ncols, hd, 1.0f, q + (size_t)i0 * ldqkv, ldqkv, 1, kt, Tp, S, Tp, 0);
            for (int r = 0; r < R; r++)
                lse_row[i0 + r] = softmax_row(S + (size_t)r * Tp, i0 + r, ncols);
            tplr_small_gemm(R, hd, i0 + R, 1.0f, S, Tp, 1, v, ldqkv, o + (size_t)i0 * ldo, ldo, 0);
        }
    }
}

void tplr_k_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *out, const float *lse,
                          int ldqkv, int ldo, int B, int T, int H, int KV, int hd, float *scratch, int n_threads)
{
    float scale = 1.0f / sqrtf((float)hd);
    int group = H / KV, Tp = padded(T);
    /* One task per (batch, kv head): the query heads that share a kv head add
     * into the same dk and dv, so they run in order on one thread. */
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int item = 0; item < B * KV; item++) {
        int b = item / KV, g = item % KV;
        float *kt = scratch + (size_t)omp_get_thread_num() * tplr_k_attention_scratch_floats(T, hd);
        float *vt = kt + (size_t)hd * Tp, *P = vt + (size_t)hd * Tp, *dS = P + (size_t)BWD_ROWS * Tp;
        float *rowdot = dS + (size_t)BWD_ROWS * Tp; /* [T] dO_i · O_i of the head at hand */
        const float *base = qkv + (size_t)b * T * ldqkv;
        float *dbase = dqkv + (size_t)b * T * ldqkv;
        const float *k = base + (H + g) * hd, *v = base + (H + KV + g) * hd;
        float *dk = dbase + (H + g) * hd, *dv = dbase + (H + KV + g) * hd;
        transpose_panel(kt, k, ldqkv, T, hd, scale);
        transpose_panel(vt, v, ldqkv, T, hd, 1.0f);
        for (int h = g * group; h < (g + 1) * group; h++) {
            int first = h == g * group; /* dk, dv rows a block reaches first are written, not added to */
            const float *q = base + h * hd;
            const float *dO = dout + (size_t)b * T * ldo + h * hd, *O = out + (size_t)b * T * ldo + h * hd;
            const float *lse_row = lse + ((size_t)b * H + h) * T;
            float *dq = dbase + h * hd;
            for (int i = 0; i < T; i++) /* in one pass: the rows stream in order */
                rowdot[i] = tplr_lanes_dot(dO + (size_t)i * ldo, O + (size_t)i * ldo, NULL, hd);
            /* Blocks of BWD_ROWS query rows: their P and dS rows stay in L1
             * while they update dq, and every dk and dv row up to the block's
             * diagonal. */
            for (int i0 = 0; i0 < T; i0 += BWD_ROWS) {
                int R = T - i0 < BWD_ROWS ? T - i0 : BWD_ROWS, ncols = block_cols(i0, R), kmax = i0 + R;
                const float *qb = q + (size_t)i0 * ldqkv, *dOb = dO + (size_t)i0 * ldo;
                tplr_small_gemm(R, ncols, hd, 1.0f, qb, ldqkv, 1, kt, Tp, P, Tp, 0);
                tplr_small_gemm(R, ncols, hd, 1.0f, dOb, ldo, 1, vt, Tp, dS, Tp, 0);
                for (int r = 0; r < R; r++) {
                    int i = i0 + r;
                    float *pr = P + (size_t)r * Tp, *dsr = dS + (size_t)r * Tp;
                    float D = rowdot[i], l = lse_row[i];
                    for (int j = 0; j <= i; j++) {
                        pr[j] = tplr_expf(pr[j] - l);
                        dsr[j] = pr[j] * (dsr[j] - D);
                    }
                    for (int j = i + 1; j < ncols; j++)
                        pr[j] = dsr[j] = 0.0f;
                }
                /* dq[i0:i0+R] = scale·dS·k;  dk[0:kmax] += scale·dSᵀ·q;  dv[0:kmax] += Pᵀ·dO,
                 * where rows i0..kmax-1 start here for the group's first head */
                tplr_small_gemm(R, hd, kmax, scale, dS, Tp, 1, k, ldqkv, dq + (size_t)i0 * ldqkv, ldqkv, 0);
                tplr_small_gemm(i0, hd, R, scale, dS, 1, Tp, qb, ldqkv, dk, ldqkv, 1);
                tplr_small_gemm(i0, hd, R, 1.0f, P, 1, Tp, dOb, ldo, dv, ldqkv, 1);
                size_t at = (size_t)i0 * ldqkv;
                tplr_small_gemm(R, hd, R, scale, dS + i0, 1, Tp, qb, ldqkv, dk + at, ldqkv, !first);
                tplr_small_gemm(R, hd, R, 1.0f, P + i0, 1, Tp, dOb, ldo, dv + at, ldqkv, !first);
            }
        }
    }
}

void tplr_k_attention_decode(float *out, const float *q, const float *kc, const float *vc, int n, int H, int KV,
                             int hd, float *scores)
{
    float scale = 1.0f / sqrtf((float)hd);
    int group = H / KV, ld = KV * hd;
    for (int h = 0; h < H; h++) {
        const float *qh = q + h * hd, *k = kc + (h / group) * hd, *v = vc + (h / group) * hd;
        float mx = -INFINITY;
        for (int j = 0; j < n; j++) {
            float s = 0.0f;
            for (int c = 0; c < hd; c++)
                s += qh[c] * k[(size_t)j * ld + c];
            scores[j] = s * scale;
            mx = scores[j] > mx ? scores[j] : mx;
        }
        float sum = 0.0f;
        for (int j = 0; j < n; j++) {
            scores[j] = tplr_expf(scores[j] - mx);
            sum += scores[j];
        }
        float *o = out + h * hd;
        for (int c = 0; c < hd; c++)
            o[c] = 0.0f;
        for (int j = 0; j < n; j++) {
            float p = scores[j] / sum;
            for (int c = 0; c < hd; c++)
                o[c] += p * v[(size_t)j * ld + c];
        }
    }
}
