// Causal attention with grouped KV heads, flash-style: keys and values pass
// through shared memory in tiles of 32; one warp owns one query row (its
// scores one key per lane, its output one head dimension per lane) with an
// online softmax, so no T×T tensor exists. The backward pass recomputes the
// probabilities from the saved log-sum-exp; dq is summed by the warp that
// owns the query row and dk, dv by the warp that owns the key row, both in a
// fixed order: no atomics, the same bits every run. Plain fp32 arithmetic on
// CUDA cores (no tensor cores yet).
#include "common.cuh"
#include "attention_kernels.cuh"

int tplr_cu_attention_supports(int hd) { return hd == 16 || hd == 32 || hd == 64 || hd == 128; }

static tplr_err check_shape(int B, int T, int H, int KV, int hd)
{
    if (!tplr_cu_attention_supports(hd))
        return tplr_fail(TPLR_EINVAL, "CUDA attention: head size %d is not supported (16, 32, 64 or 128); "
                         "train this model with --device cpu", hd);
    if (B < 1 || T < 1 || H < 1 || KV < 1 || H % KV)
        return tplr_fail(TPLR_EINVAL, "CUDA attention: bad shape B=%d T=%d H=%d KV=%d", B, T, H, KV);
    if ((T + WARPS - 1) / WARPS > 65535 * 32 || (size_t)B * H > 65535)
        return tplr_fail(TPLR_EINVAL, "CUDA attention: batch·heads %d is over the grid's limit", B * H);
    return TPLR_OK;
}

#define HD_DISPATCH(hd, ...)                                                  \
    switch (hd) {                                                             \
    case 16: { constexpr int HD = 16; __VA_ARGS__; break; }                   \
    case 32: { constexpr int HD = 32; __VA_ARGS__; break; }                   \
    case 64: { constexpr int HD = 64; __VA_ARGS__; break; }                   \
    default: { constexpr int HD = 128; __VA_ARGS__; break; }                  \
    }

tplr_err tplr_cu_attention_fwd(tplr_cu *cu, void *out, int ldo, float *lse, const void *qkv, int ldqkv, int B,
                               int T, int H, int KV, int hd, tplr_cu_dtype dt)
{
    TPLR_TRY(check_shape(B, T, H, KV, hd));
    attn_dims a = {B, T, H, KV, ldqkv, ldo, 1.0f / sqrtf((float)hd)};
    dim3 grid((unsigned)((T + WARPS - 1) / WARPS), (unsigned)(B * H));
    CU_DISPATCH(dt, HD_DISPATCH(hd, TPLR_LAUNCH(grid, WARPS * 32, cu->stream, attn_rows_kernel<T, HD, false>)(
                                    (T *)out, lse, (const T *)qkv, NULL, NULL, NULL, a)));
    return tplr_cu_after(cu, "attention_fwd");
}

size_t tplr_cu_attention_scratch_bytes(int B, int T, int H) { return sizeof(float) * (size_t)B * T * H; }

tplr_err tplr_cu_attention_bwd(tplr_cu *cu, void *dqkv, const void *dout, const void *qkv, const void *out,
                               const float *lse, int ldqkv, int ldo, int B, int T, int H, int KV, int hd,
                               void *scratch, tplr_cu_dtype dt)
{
    TPLR_TRY(check_shape(B, T, H, KV, hd));
    attn_dims a = {B, T, H, KV, ldqkv, ldo, 1.0f / sqrtf((float)hd)};
    float *Dsum = (float *)scratch;
    size_t rows = (size_t)B * T * H;
    unsigned tiles = (unsigned)((T + WARPS - 1) / WARPS);
    CU_DISPATCH(dt, {
        TPLR_LAUNCH(grid_for(rows, WARPS), WARPS * 32, cu->stream, attn_rowdot_kernel<T>)(Dsum, (const T *)dout,
                                                                                     (const T *)out, a, hd);
        HD_DISPATCH(hd, {
            TPLR_LAUNCH(dim3(tiles, (unsigned)(B * H)), WARPS * 32, cu->stream, attn_rows_kernel<T, HD, true>)(
                (T *)dqkv, NULL, (const T *)qkv, (const T *)dout, lse, Dsum, a);
            TPLR_LAUNCH(dim3(tiles, (unsigned)(B * KV)), WARPS * 32, cu->stream, attn_dkv_kernel<T, HD>)(
                (T *)dqkv, (const T *)dout, (const T *)qkv, lse, Dsum, a);
        });
    });
    return tplr_cu_after(cu, "attention_bwd");
}
