/* Top-k by magnitude within one tile. For finite floats |x| orders like its
 * bit pattern with the sign cleared (the key), so selection works on
 * integers. The result is a pure function of the tile: the k largest keys,
 * ties at the threshold going to the lower positions, written in ascending
 * position order.
 *
 * 1. Keys and the maximum of each block of 16 positions.
 * 2. L = the k-th largest block maximum: at least k keys are ≥ L, so every
 *    key of the top k (ties included) is ≥ L.
 * 3. Candidates: the keys ≥ L, from the blocks whose maximum reaches L only
 *    (about 2 % of a 64 × 64 tile at k = 64), in position order.
 * 4. The exact threshold T among the candidates by radix selection, then the
 *    candidates above T and the first ones equal to T. */
#include "internal.h"

#define BLOCK 16

/* Radix selection of the k-th largest of keys[0..m) (31-bit keys), 8 bits at
 * a time from the top. Returns it; *take = how many keys equal to it belong to
 * the k largest. cand (m) and hist (256) are scratch. */
static uint32_t kth_largest(const uint32_t *keys, int m, int k, int *take, uint32_t *cand, uint32_t *hist)
{
    static const int shift[4] = {24, 16, 8, 0};
    const uint32_t *src = keys;
    uint32_t prefix = 0;
    int need = k;
    for (int level = 0; level < 4; level++) {
        memset(hist, 0, 256 * sizeof *hist);
        for (int i = 0; i < m; i++)
            hist[src[i] >> shift[level] & 255]++;
        uint32_t d = 255;
        int above = 0;
        for (; d > 0 && above + (int)hist[d] < need; d--)
            above += (int)hist[d];
        need -= above;
        prefix |= d << shift[level];
        if (level == 3)
            break;
        uint32_t high = ~((1u << shift[level]) - 1);
        int c = 0;
        for (int i = 0; i < m; i++)
            if ((src[i] & high) == prefix)
                cand[c++] = src[i];
        src = cand;
        m = c;
    }
    *take = need;
    return prefix;
}

void codec_topk(const float *x, int n, int k, uint16_t *idx, codec_topk_scratch *s)
{
    if (k >= n) {
        for (int i = 0; i < n; i++)
            idx[i] = (uint16_t)i;
        return;
    }
    /* 1 */
    int nb = (n + BLOCK - 1) / BLOCK;
    for (int b = 0; b < nb; b++) {
        int lo = b * BLOCK, hi = lo + BLOCK < n ? lo + BLOCK : n;
        uint32_t mx = 0;
        for (int i = lo; i < hi; i++) {
            uint32_t bits;
            memcpy(&bits, &x[i], 4);
            s->key[i] = bits & 0x7fffffffu;
            mx = s->key[i] > mx ? s->key[i] : mx;
        }
        s->bmax[b] = mx;
    }
    /* 2 */
    int take;
    uint32_t L = nb > k ? kth_largest(s->bmax, nb, k, &take, s->tmp, s->hist) : 0;
    /* 3 */
    int m = 0;
    for (int b = 0; b < nb; b++) {
        if (s->bmax[b] < L)
            continue;
        int lo = b * BLOCK, hi = lo + BLOCK < n ? lo + BLOCK : n;
        for (int i = lo; i < hi; i++)
            if (s->key[i] >= L) {
                s->cpos[m] = (uint16_t)i;
                s->ckey[m++] = s->key[i];
            }
    }
    /* 4 */
    uint32_t T = kth_largest(s->ckey, m, k, &take, s->tmp, s->hist);
    int out = 0;
    for (int j = 0; j < m; j++) {
        uint32_t kk = s->ckey[j];
        if (kk > T || (kk == T && take > 0)) {
            take -= kk == T;
            idx[out++] = s->cpos[j];
        }
    }
}
