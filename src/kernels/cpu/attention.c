/* Causal attention with grouped KV heads, one (batch, head) pair per task.
 * Scores are computed in row blocks of ATT_BLOCK so that the upper triangle
 * beyond each block's diagonal is never computed. The forward pass keeps
 * only the log-sum-exp of each softmax row; the backward pass recomputes the
 * probabilities from it (as flash attention does), so no T×T tensor is kept
 * between the passes. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "fastmath.h"
#include "tplr/kernels.h"

#define ATT_BLOCK 64

size_t tplr_k_attention_scratch_floats(int T) { return 2 * (size_t)T * (size_t)T; }

static int imin(int a, int b) { return a < b ? a : b; }

/* S[i, 0:i1) = scale·q_i·k_j for each row block [i0, i1). */
static void scores(float *S, const float *q, const float *k, int ld, int T, int hd, float scale)
{
    for (int i0 = 0; i0 < T; i0 += ATT_BLOCK) {
        int i1 = imin(i0 + ATT_BLOCK, T);
        tplr_k_matmul(0, 1, i1 - i0, i1, hd, scale, q + (size_t)i0 * ld, ld, k, ld, 0.0f,
                      S + (size_t)i0 * T, T);
    }
}

/* Zeroes row i of a block-lower-triangular matrix between the diagonal and
 * the end of its block. */
static void zero_above_diagonal(float *row, int i, int T)
{
    int i1 = imin((i / ATT_BLOCK + 1) * ATT_BLOCK, T);
    if (i + 1 < i1)
        memset(row + i + 1, 0, sizeof(float) * (size_t)(i1 - i - 1));
}

void tplr_k_attention_fwd(float *out, int ldo, float *lse, const float *qkv, int ldqkv, int B, int T,
                          int H, int KV, int hd, float *scratch, int n_threads)
{
    float scale = 1.0f / sqrtf((float)hd);
    int group = H / KV;
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int item = 0; item < B * H; item++) {
        int b = item / H, h = item % H, g = h / group;
        float *S = scratch + (size_t)omp_get_thread_num() * tplr_k_attention_scratch_floats(T);
        const float *base = qkv + (size_t)b * T * ldqkv;
        const float *q = base + h * hd, *k = base + (H + g) * hd, *v = base + (H + KV + g) * hd;
        float *lse_row = lse + ((size_t)b * H + h) * T;
        scores(S, q, k, ldqkv, T, hd, scale);
        for (int i = 0; i < T; i++) {
            float *s = S + (size_t)i * T;
            float mx = s[0];
            for (int j = 1; j <= i; j++)
                mx = s[j] > mx ? s[j] : mx;
            float sum = 0.0f;
            for (int j = 0; j <= i; j++) {
                s[j] = tplr_expf(s[j] - mx);
                sum += s[j];
            }
            float inv = 1.0f / sum;
            for (int j = 0; j <= i; j++)
                s[j] *= inv;
            zero_above_diagonal(s, i, T);
            lse_row[i] = mx + logf(sum);
        }
        float *o = out + (size_t)b * T * ldo + h * hd;
        for (int i0 = 0; i0 < T; i0 += ATT_BLOCK) {
            int i1 = imin(i0 + ATT_BLOCK, T);
            tplr_k_matmul(0, 0, i1 - i0, hd, i1, 1.0f, S + (size_t)i0 * T, T, v, ldqkv, 0.0f,
                          o + (size_t)i0 * ldo, ldo);
        }
    }
}

void tplr_k_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *out,
                          const float *lse, int ldqkv, int ldo, int B, int T, int H, int KV, int hd,
                          float *scratch, int n_threads)
{
    float scale = 1.0f / sqrtf((float)hd);
    int group = H / KV;
    /* One task per (batch, kv head): the query heads that share a kv head add
     * into the same dk and dv, so they run in order on one thread. */
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (int item = 0; item < B * KV; item++) {
        int b = item / KV, g = item % KV;
        float *P = scratch + (size_t)omp_get_thread_num() * tplr_k_attention_scratch_floats(T);
        float *dS = P + (size_t)T * T;
        const float *base = qkv + (size_t)b * T * ldqkv;
        float *dbase = dqkv + (size_t)b * T * ldqkv;
        const float *k = base + (H + g) * hd, *v = base + (H + KV + g) * hd;
        float *dk = dbase + (H + g) * hd, *dv = dbase + (H + KV + g) * hd;
        for (int i = 0; i < T; i++) {
            memset(dk + (size_t)i * ldqkv, 0, sizeof(float) * (size_t)hd);
            memset(dv + (size_t)i * ldqkv, 0, sizeof(float) * (size_t)hd);
        }
        for (int h = g * group; h < (g + 1) * group; h++) {
            const float *q = base + h * hd;
            const float *dO = dout + (size_t)b * T * ldo + h * hd;
            const float *O = out + (size_t)b * T * ldo + h * hd;
            const float *lse_row = lse + ((size_t)b * H + h) * T;
            float *dq = dbase + h * hd;
            scores(P, q, k, ldqkv, T, hd, scale);
            for (int i0 = 0; i0 < T; i0 += ATT_BLOCK) {
                int i1 = imin(i0 + ATT_BLOCK, T);
                tplr_k_matmul(0, 1, i1 - i0, i1, hd, 1.0f, dO + (size_t)i0 * ldo, ldo, v, ldqkv, 0.0f,
                              dS + (size_t)i0 * T, T);
            }
            for (int i = 0; i < T; i++) {
                float *p = P + (size_t)i * T, *ds = dS + (size_t)i * T;
                const float *o = O + (size_t)i * ldo, *d = dO + (size_t)i * ldo;
                float D = 0.0f;
                for (int c = 0; c < hd; c++)
                    D += d[c] * o[c];
                float l = lse_row[i];
                for (int j = 0; j <= i; j++) {
                    p[j] = tplr_expf(p[j] - l);
                    ds[j] = p[j] * (ds[j] - D);
                }
                zero_above_diagonal(p, i, T);
                zero_above_diagonal(ds, i, T);
            }
            for (int i0 = 0; i0 < T; i0 += ATT_BLOCK) {
                int i1 = imin(i0 + ATT_BLOCK, T), n = i1 - i0;
                /* dq rows [i0, i1) = scale·dS[i0:i1, 0:i1]·k[0:i1] */
                tplr_k_matmul(0, 0, n, hd, i1, scale, dS + (size_t)i0 * T, T, k, ldqkv, 0.0f,
                              dq + (size_t)i0 * ldqkv, ldqkv);
                /* dk, dv rows [i0, i1) gather from query rows [i0, T). */
                tplr_k_matmul(1, 0, n, hd, T - i0, scale, dS + (size_t)i0 * T + i0, T,
                              q + (size_t)i0 * ldqkv, ldqkv, 1.0f, dk + (size_t)i0 * ldqkv, ldqkv);
                tplr_k_matmul(1, 0, n, hd, T - i0, 1.0f, P + (size_t)i0 * T + i0, T,
                              dO + (size_t)i0 * ldo, ldo, 1.0f, dv + (size_t)i0 * ldqkv, ldqkv);
            }
        }
    }
}
