// Matrix products through cuBLASLt, the algorithm of each distinct shape
// chosen once by its heuristic and cached in the context. Row-major C = op(A)·op(B) is computed as
// the column-major product Cᵀ = op(B)ᵀ·op(A)ᵀ, which reads the same memory.
#include <string.h>

#include "common.cuh"

static cudaDataType_t cuda_type(tplr_cu_dtype dt) { return dt == TPLR_CU_BF16 ? CUDA_R_16BF : CUDA_R_32F; }

// The largest power of two (≤ 256) dividing a pointer: the heuristic then
// picks only kernels that accept it.
static uint32_t alignment(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    uint32_t r = 256;
    while (r > 1 && a % r)
        r >>= 1;
    return r;
}

static tplr_err lt_fail(cublasStatus_t s, const char *what)
{
    return tplr_fail(TPLR_EIO, "cuBLASLt: %s failed (status %d: %s)", what, (int)s, tplr_lt.GetStatusString(s));
}

#define LT_TRY(call, what)                          \
    do {                                            \
        cublasStatus_t lt_s_ = (call);              \
        if (lt_s_ != CUBLAS_STATUS_SUCCESS) {       \
            e = lt_fail(lt_s_, what);               \
            goto done;                              \
        }                                           \
    } while (0)

tplr_err tplr_cu_matmul(tplr_cu *cu, int trans_a, int trans_b, int M, int N, int K, float alpha, const void *A,
                        int lda, const void *B, int ldb, float beta, void *Cm, int ldc, tplr_cu_dtype ab,
                        tplr_cu_dtype c)
{
    if (M <= 0 || N <= 0)
        return TPLR_OK;
    if (K <= 0 || (c != ab && c != TPLR_CU_F32))
        return tplr_fail(TPLR_EINVAL, "matmul: K = %d must be positive and C fp32 or A's type", K);
    tplr_err e = TPLR_OK;
    cublasLtMatmulDesc_t desc = NULL;
    cublasLtMatrixLayout_t la = NULL, lb = NULL, lc = NULL;
    cublasLtMatmulPreference_t pref = NULL;
    cublasLtMatmulHeuristicResult_t heur;
    int found = 0;
    // column-major operands: first = B's memory (op = trans_b), second = A's (op = trans_a)
    cublasOperation_t op1 = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op2 = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    uint64_t r1 = trans_b ? (uint64_t)K : (uint64_t)N, c1 = trans_b ? (uint64_t)N : (uint64_t)K;
    uint64_t r2 = trans_a ? (uint64_t)M : (uint64_t)K, c2 = trans_a ? (uint64_t)K : (uint64_t)M;
    uint32_t al1 = alignment(B), al2 = alignment(A), alc = alignment(Cm);
    // fp32 inputs: plain fp32 compute (no TF32), to match the CPU engine
    LT_TRY(tplr_lt.MatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "creating a matmul descriptor");
    LT_TRY(tplr_lt.MatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op1, sizeof op1), "setting op(A)");
    LT_TRY(tplr_lt.MatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op2, sizeof op2), "setting op(B)");
    LT_TRY(tplr_lt.MatrixLayoutCreate(&la, cuda_type(ab), r1, c1, ldb), "creating A's layout");
    LT_TRY(tplr_lt.MatrixLayoutCreate(&lb, cuda_type(ab), r2, c2, lda), "creating B's layout");
    LT_TRY(tplr_lt.MatrixLayoutCreate(&lc, cuda_type(c), (uint64_t)N, (uint64_t)M, ldc), "creating C's layout");
    tplr_mm_key key;
    memset(&key, 0, sizeof key); // no padding bytes left undefined for memcmp
    key.ta = trans_a, key.tb = trans_b, key.M = M, key.N = N, key.K = K, key.lda = lda, key.ldb = ldb;
    key.ldc = ldc, key.ab = (int)ab, key.c = (int)c, key.al1 = al1, key.al2 = al2, key.alc = alc;
    for (int i = 0; i < cu->mm_cached; i++)
        if (!memcmp(&cu->mm_keys[i], &key, sizeof key)) {
            heur.algo = cu->mm_algos[i];
            goto run;
        }
    LT_TRY(tplr_lt.MatmulPreferenceCreate(&pref), "creating a preference");
    LT_TRY(tplr_lt.MatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &cu->workspace_bytes,
                                                sizeof cu->workspace_bytes), "setting the workspace size");
    LT_TRY(tplr_lt.MatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al1, sizeof al1),
           "setting A's alignment");
    LT_TRY(tplr_lt.MatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al2, sizeof al2),
           "setting B's alignment");
    LT_TRY(tplr_lt.MatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alc, sizeof alc),
           "setting C's alignment");
    LT_TRY(tplr_lt.MatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alc, sizeof alc),
           "setting D's alignment");
    LT_TRY(tplr_lt.MatmulAlgoGetHeuristic(cu->lt, desc, la, lb, lc, lc, pref, 1, &heur, &found),
           "choosing a matmul algorithm");
    if (found < 1) {
        e = tplr_fail(TPLR_EINVAL, "cuBLASLt has no algorithm for a %s matmul M=%d N=%d K=%d (lda %d ldb %d ldc %d)",
                      tplr_cu_dtype_name(ab), M, N, K, lda, ldb, ldc);
        goto done;
    }
    if (cu->mm_cached < TPLR_MM_CACHE) { // the heuristic's answer is the same for the same key
        cu->mm_keys[cu->mm_cached] = key;
        cu->mm_algos[cu->mm_cached++] = heur.algo;
    }
run:
    LT_TRY(tplr_lt.Matmul(cu->lt, desc, &alpha, B, la, A, lb, &beta, Cm, lc, Cm, lc, &heur.algo, cu->workspace,
                          cu->workspace_bytes, cu->stream), "matmul");
    e = tplr_cu_after(cu, "matmul");
done:
    if (pref) tplr_lt.MatmulPreferenceDestroy(pref);
    if (lc) tplr_lt.MatrixLayoutDestroy(lc);
    if (lb) tplr_lt.MatrixLayoutDestroy(lb);
    if (la) tplr_lt.MatrixLayoutDestroy(la);
    if (desc) tplr_lt.MatmulDescDestroy(desc);
    return e;
}
