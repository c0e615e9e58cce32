/* The engine's math on an NVIDIA GPU: the ops of tplr/kernels.h, op for op,
 * on device pointers. A plain C header (no CUDA types), so the model layer
 * stays C11 built by gcc; the kernels are in src/kernels/cuda/ (one .cu per op family).
 *
 * Activations have one element type per run, tplr_cu_dtype: fp32 (to be
 * checked against the CPU engine) or bf16 (the fast mode). Pointers typed
 * `void *` hold activations of that type; `float *` is always fp32 (master
 * weights, gradients, moments, norm gains, rstd, log-sum-exp, row losses).
 * Every product accumulates in fp32. Nothing here allocates device memory
 * except tplr_cu_create. Every function returns TPLR_OK or an error whose
 * message names the op and the CUDA error; launches are checked at once
 * (cudaGetLastError), and with TPLR_CUDA_SYNC=1 in the environment every op
 * also waits for its kernels, so a fault is reported by the op that made it. */
#ifndef TPLR_KERNELS_CUDA_H
#define TPLR_KERNELS_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

typedef enum tplr_cu_dtype { TPLR_CU_F32 = 0, TPLR_CU_BF16 = 1 } tplr_cu_dtype;

/* Bytes of one element of type dt. */
size_t tplr_cu_dtype_size(tplr_cu_dtype dt);
const char *tplr_cu_dtype_name(tplr_cu_dtype dt);

/* The device context: one cuBLASLt handle, its workspace, the stream every
 * op runs on and the reduction scratch, created once. */
typedef struct tplr_cu tplr_cu;

/* Number of CUDA devices (0 when there is no driver or no device). */
int tplr_cu_device_count(void);
/* Creates a context on device `device`; name (may be NULL) gets the device's name. */
tplr_err tplr_cu_create(int device, tplr_cu **out, char *name, size_t name_len);
void tplr_cu_free(tplr_cu *cu);
/* Waits for every op queued so far; reports an error a kernel raised. */
tplr_err tplr_cu_sync(tplr_cu *cu);
/* Peak device memory in use so far (bytes), as the driver saw it after each
 * tplr_cu_sync (free memory at its lowest). */
size_t tplr_cu_peak_bytes(const tplr_cu *cu);

/* Device memory: allocation (zeroed), release, copies and fill. */
tplr_err tplr_cu_alloc(void **p, size_t bytes, const char *what);
void tplr_cu_release(void *p);
tplr_err tplr_cu_upload(tplr_cu *cu, void *dst, const void *src, size_t bytes);
tplr_err tplr_cu_download(tplr_cu *cu, void *dst, const void *src, size_t bytes);
tplr_err tplr_cu_zero(tplr_cu *cu, void *p, size_t bytes);
tplr_err tplr_cu_copy(tplr_cu *cu, void *dst, const void *src, size_t bytes); /* device to device */
/* dst[i] = src[i] converted from fp32 to dt (a plain copy when dt is fp32). */
tplr_err tplr_cu_convert(tplr_cu *cu, void *dst, tplr_cu_dtype dt, const float *src, size_t n);
/* dst[i] = fp32 value of src[i] of type dt. */
tplr_err tplr_cu_to_f32(tplr_cu *cu, float *dst, const void *src, tplr_cu_dtype dt, size_t n);

/* C[M,N] = alpha·op(A)·op(B) + beta·C, row-major, op(X) = X or Xᵀ, through
 * cuBLASLt: A and B of type ab, C of type c (fp32 or ab), fp32 accumulate
 * (plain fp32, no TF32, when ab is fp32). */
tplr_err tplr_cu_matmul(tplr_cu *cu, int trans_a, int trans_b, int M, int N, int K, float alpha,
                        const void *A, int lda, const void *B, int ldb, float beta, void *Cm, int ldc,
                        tplr_cu_dtype ab, tplr_cu_dtype c);

/* out[m,:] = wte[tok[m],:] (wte and out of type dt; tok on the device, valid). */
tplr_err tplr_cu_embedding_fwd(tplr_cu *cu, void *out, const void *wte, const int32_t *tok, size_t M,
                               int C, tplr_cu_dtype dt);
/* The backward pass groups positions by token id so that each vocabulary
 * row is summed by one thread block in position order, with no atomics (the
 * CPU kernel's order). tplr_cu_embedding_groups builds, on the host, the
 * grouping of M host tokens into groups[] (2·M + 1 int32s): the positions
 * sorted by (token, position), then the start of each group and the end of
 * the last; counts is host scratch of V + 1 int32s. Returns the number of
 * groups (distinct tokens). */
int tplr_cu_embedding_groups(int32_t *groups, int32_t *counts, const int32_t *tok, size_t M, int V);
/* dwte[tok,:] += dout rows, from a grouping uploaded to the device. */
tplr_err tplr_cu_embedding_bwd(tplr_cu *cu, float *dwte, const void *dout, const int32_t *tok,
                               const int32_t *groups, int n_groups, size_t M, int C, tplr_cu_dtype dt);

/* out = x·rstd·w, rstd = 1/sqrt(mean(x²)+eps) per row; w fp32. */
tplr_err tplr_cu_rmsnorm_fwd(tplr_cu *cu, void *out, float *rstd, const void *x, const float *w, size_t M,
                             int C, float eps, tplr_cu_dtype dt);
/* dx += and dw += (dw summed over chunks of rows, then the chunks in order);
 * dx may not alias dout; scratch holds tplr_cu_rmsnorm_scratch_bytes(M, C). */
size_t tplr_cu_rmsnorm_scratch_bytes(size_t M, int C);
tplr_err tplr_cu_rmsnorm_bwd(tplr_cu *cu, void *dx, float *dw, const void *dout, const void *x, const float *w,
                             const float *rstd, size_t M, int C, void *scratch, tplr_cu_dtype dt);

/* RoPE in place, same arguments and tables (fp32, on the device) as tplr_k_rope. */
tplr_err tplr_cu_rope(tplr_cu *cu, void *x, int ld, int col0, size_t M, int T, int pos0, int nheads, int hd,
                      const float *cos_t, const float *sin_t, int inverse, tplr_cu_dtype dt);

/* Causal attention with grouped KV heads, the layouts of tplr_k_attention_fwd.
 * Head sizes 16, 32, 64 and 128. lse fp32 [B][H][T]. */
int tplr_cu_attention_supports(int hd);
tplr_err tplr_cu_attention_fwd(tplr_cu *cu, void *out, int ldo, float *lse, const void *qkv, int ldqkv, int B,
                               int T, int H, int KV, int hd, tplr_cu_dtype dt);
/* Scratch (bytes) the backward pass needs: rowsum(dO·O) per (b, h, t). */
size_t tplr_cu_attention_scratch_bytes(int B, int T, int H);
/* dqkv overwritten; deterministic: each query row's dq and each key row's
 * dk, dv are summed by one warp in a fixed order. */
tplr_err tplr_cu_attention_bwd(tplr_cu *cu, void *dqkv, const void *dout, const void *qkv, const void *out,
                               const float *lse, int ldqkv, int ldo, int B, int T, int H, int KV, int hd,
                               void *scratch, tplr_cu_dtype dt);

/* gu rows [gate (F) | up (F)]; act = silu(gate)·up; dgu overwritten. */
tplr_err tplr_cu_swiglu_fwd(tplr_cu *cu, void *act, const void *gu, size_t M, int F, tplr_cu_dtype dt);
tplr_err tplr_cu_swiglu_bwd(tplr_cu *cu, void *dgu, const void *dact, const void *gu, size_t M, int F,
                            tplr_cu_dtype dt);

/* Fused softmax cross-entropy, tplr_k_xent's semantics: row_loss fp32; with
 * grad_scale != 0 the logits become grad_scale·(softmax − onehot) in place. */
tplr_err tplr_cu_xent(tplr_cu *cu, void *logits, float *row_loss, const int32_t *targets, int rows, int V,
                      float grad_scale, tplr_cu_dtype dt);

/* Sum of squares of n fp32 values in double: fixed blocks, then the block
 * sums in block order (the same bits every run). Waits for the result. */
tplr_err tplr_cu_sumsq(tplr_cu *cu, const float *x, size_t n, double *out);
/* x *= s (fp32). */
tplr_err tplr_cu_scale(tplr_cu *cu, float *x, size_t n, float s);
/* Sum of n fp32 values in a fixed order (row losses); waits for the result. */
tplr_err tplr_cu_sum(tplr_cu *cu, const float *x, size_t n, double *out);

/* One AdamW step, tplr_k_adamw's formulation; when low is not NULL it also
 * gets the new p converted to low_dt (the bf16 copy the products read). */
tplr_err tplr_cu_adamw(tplr_cu *cu, float *p, const float *g, float *m, float *v, size_t n, double lr,
                       double beta1, double beta2, double eps, double wd, int64_t step, void *low,
                       tplr_cu_dtype low_dt);

#endif
