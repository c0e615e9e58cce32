/* The math of the engine, one interface for every backend (CPU now).
 * All matrices are row-major fp32. M is the number of token rows (batch·seq),
 * C the model width, T the sequence length. Functions that accumulate say so
 * ("+="); everything else overwrites its output. None of them allocates. */
#ifndef TPLR_KERNELS_H
#define TPLR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define TPLR_IGNORE_INDEX (-100)

/* Sets the thread count of both OpenMP and the BLAS library. */
void tplr_k_set_threads(int n);
int tplr_k_threads(void);

/* The kernels OpenBLAS runs ("Cooperlake", "Haswell", "Prescott", ...). */
const char *tplr_blas_core(void);
/* The kernels to force with OPENBLAS_CORETYPE when OpenBLAS fell back to its
 * generic ones on a CPU with AVX2 or AVX-512 it does not recognize; NULL when
 * its own choice stands (or OPENBLAS_CORETYPE is already set). */
const char *tplr_blas_forced_core(void);
/* If tplr_blas_forced_core() names kernels: sets OPENBLAS_CORETYPE and
 * starts this program again with argv (the library reads it only as it
 * loads). Returns only when there is nothing to do or the restart failed.
 * Call first thing in main, before any thread exists. */
void tplr_blas_restart_if_generic(char **argv);

/* C[M,N] = alpha·op(A)·op(B) + beta·C, op(X) = X or Xᵀ (trans_* nonzero). */
void tplr_k_matmul(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *Cm, int ldc);

/* out[m,:] = wte[tok[m],:]. Tokens must already be validated. */
void tplr_k_embedding_fwd(float *out, const float *wte, const int32_t *tok, size_t M, int C);
/* dwte[tok[m],:] += dout[m,:]; rows are split by vocabulary id, so the sum is
 * order-stable for any thread count. */
void tplr_k_embedding_bwd(float *dwte, const float *dout, const int32_t *tok, size_t M, int C, int V);

/* out = x·rstd·w with rstd = 1/sqrt(mean(x²)+eps) per row (Llama RMSNorm). */
void tplr_k_rmsnorm_fwd(float *out, float *rstd, const float *x, const float *w, size_t M, int C,
                        float eps);
/* dx (+=) and dw (+=) from dout. dx may not alias dout. */
void tplr_k_rmsnorm_bwd(float *dx, float *dw, const float *dout, const float *x, const float *w,
                        const float *rstd, size_t M, int C);

/* cos/sin tables [max_pos][hd/2] for RoPE with base theta (Hugging Face's
 * inv_freq = 1/theta^(2i/hd), computed in fp32 like it). */
void tplr_k_rope_tables(float *cos_t, float *sin_t, int max_pos, int hd, double theta);
/* Rotates nheads heads of hd values starting at column col0 of each row of x
 * (row stride ld), rotate-half convention; row m is at position pos0 + m % T.
 * inverse = 1 applies the transpose (the backward pass). In place. */
void tplr_k_rope(float *x, int ld, int col0, size_t M, int T, int pos0, int nheads, int hd,
                 const float *cos_t, const float *sin_t, int inverse);

/* Causal self-attention with grouped KV heads. qkv rows hold [q (H·hd) | k (KV·hd) | v (KV·hd)]
 * with stride ldqkv; out rows [H·hd] with stride ldo; lse [B][H][T] keeps the
 * log-sum-exp of each softmax row for the backward pass. scratch holds
 * tplr_k_attention_scratch_floats(T, hd) floats per thread. */
size_t tplr_k_attention_scratch_floats(int T, int hd);
void tplr_k_attention_fwd(float *out, int ldo, float *lse, const float *qkv, int ldqkv, int B, int T,
                          int H, int KV, int hd, float *scratch, int n_threads);
/* dqkv (overwritten, same layout as qkv) from dout (same layout as out). */
void tplr_k_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *out,
                          const float *lse, int ldqkv, int ldo, int B, int T, int H, int KV, int hd,
                          float *scratch, int n_threads);

/* Attention of one new position over a cache of n positions (the new one
 * included): q [H·hd]; kc, vc [n][KV·hd]; out [H·hd]; scores scratch [n]. */
void tplr_k_attention_decode(float *out, const float *q, const float *kc, const float *vc, int n, int H, int KV,
                             int hd, float *scores);

/* gu rows hold [gate (F) | up (F)]; act = silu(gate)·up. */
void tplr_k_swiglu_fwd(float *act, const float *gu, size_t M, int F);
/* dgu (overwritten) from dact. */
void tplr_k_swiglu_bwd(float *dgu, const float *dact, const float *gu, size_t M, int F);

/* Fused softmax cross-entropy over rows of V logits. row_loss[r] gets
 * logsumexp − logit[target] (0 where target is the ignore index). When
 * grad_scale != 0, logits are overwritten in place by
 * grad_scale·(softmax − onehot) (zero rows for ignored targets). */
void tplr_k_xent(float *logits, float *row_loss, const int32_t *targets, int rows, int V,
                 float grad_scale);

/* Sum of squares in double, in fixed blocks: the same bits for any thread count. */
double tplr_k_sumsq(const float *x, size_t n);
/* dst += src[0] + ... + src[n_src−1] (added in that order), every src
 * cleared; returns tplr_k_sumsq of the new dst, in the same pass. */
double tplr_k_fold_sumsq(float *dst, float *const *src, int n_src, size_t n);
/* x *= s */
void tplr_k_scale(float *x, size_t n, float s);

/* One AdamW step over n values, PyTorch's formulation: p ← p·(1 − lr·wd);
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr/bc1)·m / (sqrt(v)/sqrt(bc2) + eps), bc = 1 − β^step. */
void tplr_k_adamw(float *p, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                  double beta2, double eps, double wd, int64_t step);
/* A step's scalars, rounded to fp32 as tplr_k_adamw rounds them. */
typedef struct tplr_adamw_k {
    float neg_step_size, bc2_sqrt, decay, b1, b2, eps, one_minus_b1, one_minus_b2;
} tplr_adamw_k;
tplr_adamw_k tplr_k_adamw_scalars(double lr, double beta1, double beta2, double eps, double wd, int64_t step);
/* tplr_k_adamw's update on the calling thread, from g·g_scale (the same bits
 * as scaling g first), then g cleared: one pass instead of three. */
void tplr_k_adamw_span_clear(float *p, float *g, float *m, float *v, size_t n, const tplr_adamw_k *k,
                             float g_scale);

#endif
