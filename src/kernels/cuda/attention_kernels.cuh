// The attention kernels (attention.cu launches them). Kept apart, with no
// includes of their own, so that tests/cuda/test_attention_emu.cpp can run
// them on the CPU under an emulation of the CUDA primitives they use
// (threadIdx, blockIdx, blockDim, __syncthreads, __shfl_sync, warp_sum,
// warp_max, ldf, stf).
#pragma once

#define WARPS 8 // rows per block
#define TILE 32 // keys (or queries) per shared-memory tile

struct attn_dims {
    int B, T, H, KV, ldqkv, ldo;
    float scale;
};

// Loads rows [r0, r0+32) of one head's hd columns (col) into tile[32][HD+1], zeros past T.
template <typename T, int HD>
__device__ void load_tile(float (*tile)[HD + 1], const T *base, int ld, int col, int r0, int nrows)
{
    for (int idx = threadIdx.x; idx < TILE * HD; idx += blockDim.x) {
        int r = idx / HD, d = idx % HD;
        tile[r][d] = r0 + r < nrows ? ldf(base, (size_t)(r0 + r) * ld + col + d) : 0.0f;
    }
}

// One warp per query row, over tiles of keys up to its diagonal. BWD false:
// the forward pass (online softmax; out and the log-sum-exp). BWD true: dq
// (probabilities recomputed from the saved log-sum-exp), written into dqkv.
template <typename T, int HD, bool BWD>
__global__ void __launch_bounds__(WARPS * 32) attn_rows_kernel(T *dst, float *lse_out, const T *qkv, const T *dout,
                                                               const float *lse, const float *Dsum, attn_dims a)
{
    constexpr int E = (HD + 31) / 32;
    __shared__ float Ks[TILE][HD + 1], Vs[TILE][HD + 1], qs[WARPS][HD], dos[BWD ? WARPS : 1][HD];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    int bh = blockIdx.y, b = bh / a.H, h = bh % a.H, g = h / (a.H / a.KV);
    int i = blockIdx.x * WARPS + w, i_last = min(blockIdx.x * WARPS + WARPS - 1, a.T - 1);
    const T *base = qkv + (size_t)b * a.T * a.ldqkv;
    bool row = i < a.T;
    for (int d = lane; d < HD; d += 32) {
        qs[w][d] = row ? a.scale * ldf(base, (size_t)i * a.ldqkv + h * HD + d) : 0.0f;
        if constexpr (BWD)
            dos[w][d] = row ? ldf(dout, ((size_t)b * a.T + i) * a.ldo + h * HD + d) : 0.0f;
    }
    float m_run = -INFINITY, l_run = 0.0f, acc[E];
    float l = BWD && row ? lse[(size_t)bh * a.T + i] : 0.0f, D = BWD && row ? Dsum[(size_t)bh * a.T + i] : 0.0f;
    for (int e = 0; e < E; e++)
        acc[e] = 0.0f;
    for (int j0 = 0; j0 <= i_last; j0 += TILE) {
        __syncthreads();
        load_tile<T, HD>(Ks, base, a.ldqkv, (a.H + g) * HD, j0, a.T);
        load_tile<T, HD>(Vs, base, a.ldqkv, (a.H + a.KV + g) * HD, j0, a.T);
        __syncthreads();
        if (!row || j0 > i)
            continue; // uniform across the warp
        int j = j0 + lane;
        float s = 0.0f, dp = 0.0f, wt; // wt: this lane's key's weight in the row's sum
        if (j <= i)
            for (int d = 0; d < HD; d++) {
                s += qs[w][d] * Ks[lane][d];
                if constexpr (BWD)
                    dp += dos[w][d] * Vs[lane][d];
            }
        if constexpr (BWD) {
            wt = j <= i ? expf(s - l) * (dp - D) : 0.0f; // dS = P·(dP − D)
        } else {
            s = j <= i ? s : -INFINITY;
            float m_new = fmaxf(m_run, warp_max(s)); // finite: lane 0's key is always ≤ i
            float corr = expf(m_run - m_new);
            wt = j <= i ? expf(s - m_new) : 0.0f;
            l_run = l_run * corr + warp_sum(wt);
            for (int e = 0; e < E; e++)
                acc[e] *= corr;
            m_run = m_new;
        }
        int n = min(TILE, i - j0 + 1);
        for (int jj = 0; jj < n; jj++) {
            float wj = __shfl_sync(0xffffffffu, wt, jj);
            for (int e = 0; e < E; e++) {
                int c = lane + 32 * e;
                if (c < HD)
                    acc[e] += wj * (BWD ? Ks[jj][c] : Vs[jj][c]); // dq = Σ dS·k; out = Σ P·v
            }
        }
    }
    if (!row)
        return;
    size_t at = ((size_t)b * a.T + i) * (BWD ? a.ldqkv : a.ldo) + h * HD;
    for (int e = 0; e < E; e++) {
        int c = lane + 32 * e;
        if (c < HD)
            stf(dst, at + c, BWD ? a.scale * acc[e] : acc[e] / l_run);
    }
    if (!BWD && lane == 0)
        lse_out[(size_t)bh * a.T + i] = m_run + logf(l_run);
}

// Dsum[b][h][i] = dO_i · O_i, one warp per row.
template <typename T>
__global__ void attn_rowdot_kernel(float *Dsum, const T *dout, const T *out, attn_dims a, int hd)
{
    int lane = threadIdx.x & 31;
    size_t r = (size_t)blockIdx.x * WARPS + (threadIdx.x >> 5); // over B·T·H rows, h fastest
    if (r >= (size_t)a.B * a.T * a.H)
        return;
    int h = (int)(r % a.H);
    size_t bt = r / a.H, b = bt / a.T, i = bt % a.T;
    const T *o = out + bt * a.ldo + h * hd, *d = dout + bt * a.ldo + h * hd;
    float s = 0.0f;
    for (int c = lane; c < hd; c += 32)
        s += ldf(d, c) * ldf(o, c);
    s = warp_sum(s);
    if (lane == 0)
        Dsum[(b * a.H + h) * a.T + i] = s;
}

// dk, dv for one key row per warp, over every query head of its group.
template <typename T, int HD>
__global__ void __launch_bounds__(WARPS * 32)
    attn_dkv_kernel(T *dqkv, const T *dout, const T *qkv, const float *lse, const float *Dsum, attn_dims a)
{
    constexpr int E = (HD + 31) / 32;
    __shared__ float Qs[TILE][HD + 1], dOs[TILE][HD + 1], ks[WARPS][HD], vs[WARPS][HD], ls[TILE], Ds[TILE];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    int bg = blockIdx.y, b = bg / a.KV, g = bg % a.KV, group = a.H / a.KV;
    int j = blockIdx.x * WARPS + w, j_first = blockIdx.x * WARPS;
    const T *base = qkv + (size_t)b * a.T * a.ldqkv, *dO = dout + (size_t)b * a.T * a.ldo;
    bool row = j < a.T;
    for (int d = lane; d < HD; d += 32) {
        ks[w][d] = row ? a.scale * ldf(base, (size_t)j * a.ldqkv + (a.H + g) * HD + d) : 0.0f;
        vs[w][d] = row ? ldf(base, (size_t)j * a.ldqkv + (a.H + a.KV + g) * HD + d) : 0.0f;
    }
    float dk[E], dv[E];
    for (int e = 0; e < E; e++)
        dk[e] = dv[e] = 0.0f;
    for (int h = g * group; h < (g + 1) * group; h++) {
        const float *lse_h = lse + ((size_t)b * a.H + h) * a.T, *D_h = Dsum + ((size_t)b * a.H + h) * a.T;
        for (int i0 = j_first / TILE * TILE; i0 < a.T; i0 += TILE) {
            __syncthreads();
            load_tile<T, HD>(Qs, base, a.ldqkv, h * HD, i0, a.T);
            load_tile<T, HD>(dOs, dO, a.ldo, h * HD, i0, a.T);
            if (threadIdx.x < TILE) {
                int i = i0 + threadIdx.x;
                ls[threadIdx.x] = i < a.T ? lse_h[i] : 0.0f;
                Ds[threadIdx.x] = i < a.T ? D_h[i] : 0.0f;
            }
            __syncthreads();
            if (!row || i0 + TILE - 1 < j)
                continue; // uniform across the warp
            int i = i0 + lane;
            float p = 0.0f, ds = 0.0f;
            if (i >= j && i < a.T) {
                float s = 0.0f, dp = 0.0f;
                for (int d = 0; d < HD; d++) {
                    s += Qs[lane][d] * ks[w][d];
                    dp += dOs[lane][d] * vs[w][d];
                }
                p = expf(s - ls[lane]);
                ds = p * (dp - Ds[lane]);
            }
            for (int ii = 0; ii < TILE; ii++) {
                float pi = __shfl_sync(0xffffffffu, p, ii), dsi = __shfl_sync(0xffffffffu, ds, ii);
                for (int e = 0; e < E; e++) {
                    int c = lane + 32 * e;
                    if (c < HD) {
                        dv[e] += pi * dOs[ii][c];
                        dk[e] += dsi * Qs[ii][c];
                    }
                }
            }
        }
    }
    if (!row)
        return;
    T *drow = dqkv + ((size_t)b * a.T + j) * a.ldqkv;
    for (int e = 0; e < E; e++) {
        int c = lane + 32 * e;
        if (c < HD) {
            stf(drow, (size_t)(a.H + g) * HD + c, a.scale * dk[e]);
            stf(drow, (size_t)(a.H + a.KV + g) * HD + c, dv[e]);
        }
    }
}
