/* Bit-level layouts: Templar's 12-bit position pairs, packed quantizer
 * codes, and Rice-coded position gaps. */
#include "internal.h"

void codec_pack12_write(const uint16_t *idx, size_t n, unsigned char *out)
{
    for (size_t i = 0; i + 1 < n; i += 2, out += 3) {
        unsigned a = idx[i], b = idx[i + 1];
        out[0] = (unsigned char)(a & 0xFF);
        out[1] = (unsigned char)((a >> 8 & 0x0F) | (b & 0x0F) << 4);
        out[2] = (unsigned char)(b >> 4 & 0xFF);
    }
}

void codec_pack12_read(const unsigned char *in, size_t n, uint16_t *idx)
{
    for (size_t i = 0; i + 1 < n; i += 2, in += 3) {
        idx[i] = (uint16_t)(in[0] | (in[1] & 0x0F) << 8);
        idx[i + 1] = (uint16_t)(in[1] >> 4 | in[2] << 4);
    }
}

int codec_code_width(int bins)
{
    int w = 1;
    while ((1 << w) < bins)
        w++;
    return w;
}

void codec_codes_write(const uint8_t *codes, size_t n, int width, unsigned char *out)
{
    if (width == 8) {
        memcpy(out, codes, n);
        return;
    }
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (uint32_t)codes[i] << bits;
        bits += width;
        if (bits >= 8) {
            *out++ = (unsigned char)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    if (bits > 0)
        *out = (unsigned char)acc;
}

void codec_codes_read(const unsigned char *in, size_t in_bytes, size_t first, size_t n, int width, uint8_t *codes)
{
    if (width == 8) {
        memcpy(codes, in + first, n);
        return;
    }
    unsigned mask = (1u << width) - 1;
    if (width == 1 || width == 2 || width == 4) { /* codes never straddle bytes */
        int lg = width == 1 ? 3 : width == 2 ? 2 : 1; /* log2(codes per byte) */
        size_t per_mask = ((size_t)1 << lg) - 1;
        for (size_t i = 0; i < n; i++) {
            size_t c = first + i;
            codes[i] = (uint8_t)(in[c >> lg] >> (width * (int)(c & per_mask)) & mask);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t bit = (first + i) * (size_t)width, byte = bit / 8;
        unsigned v = in[byte] | (byte + 1 < in_bytes ? (unsigned)in[byte + 1] << 8 : 0u);
        codes[i] = (uint8_t)(v >> (bit % 8) & mask);
    }
}

/* ---- Rice ---- */

void codec_rice_count(const uint16_t *idx, int k, uint32_t *hist)
{
    int prev = -1;
    for (int j = 0; j < k; j++) {
        hist[idx[j] - prev - 1]++;
        prev = idx[j];
    }
}

int codec_rice_choose(const uint32_t *hist, int totalk, uint64_t *bits)
{
    int best = 0;
    uint64_t best_bits = UINT64_MAX;
    for (int r = 0; r <= CODEC_MAX_RICE; r++) {
        uint64_t b = 0;
        for (int v = 0; v < totalk; v++)
            b += (uint64_t)hist[v] * (uint64_t)((v >> r) + 1 + r);
        if (b < best_bits) {
            best_bits = b;
            best = r;
        }
    }
    *bits = best_bits;
    return best;
}

static inline void bitw_put(codec_bitw *w, uint64_t v, int n) /* n ≤ 56 */
{
    w->acc |= v << w->n;
    w->n += n;
    while (w->n >= 8) {
        w->out[w->pos++] = (unsigned char)w->acc;
        w->acc >>= 8;
        w->n -= 8;
    }
}

void codec_rice_write_tile(codec_bitw *w, const uint16_t *idx, int k, int r)
{
    int prev = -1;
    for (int j = 0; j < k; j++) {
        unsigned v = (unsigned)(idx[j] - prev - 1), q = v >> r;
        prev = idx[j];
        for (; q > 32; q -= 32)
            bitw_put(w, 0, 32);
        bitw_put(w, 0, (int)q);
        bitw_put(w, 1u | (v & ((1u << r) - 1)) << 1, 1 + r);
    }
}

size_t codec_bitw_finish(codec_bitw *w)
{
    if (w->n > 0)
        w->out[w->pos++] = (unsigned char)w->acc;
    w->acc = 0;
    w->n = 0;
    return w->pos;
}

/* 64 bits from bit position pos, zeros past the end; at least 57 of them are
 * stream bits (or padding zeros). */
static inline uint64_t bitr_peek(const codec_bitr *r)
{
    size_t byte = (size_t)(r->pos >> 3);
    uint64_t w = 0;
    if (byte + 8 <= r->nbytes)
        w = codec_get_u64(r->p + byte);
    else
        for (size_t i = 0; byte + i < r->nbytes; i++)
            w |= (uint64_t)r->p[byte + i] << (8 * i);
    return w >> (r->pos & 7);
}

/* Slow path of one value: a unary run longer than a peek window. */
static int rice_get_long(codec_bitr *r, int rp, uint32_t qmax, uint32_t *v)
{
    uint64_t nbits = (uint64_t)r->nbytes * 8;
    uint32_t q = 0;
    for (;;) {
        uint64_t w = bitr_peek(r);
        if (w) {
            int t = __builtin_ctzll(w);
            q += (uint32_t)t;
            r->pos += (uint64_t)t + 1;
            break;
        }
        q += 56;
        r->pos += 56;
        if (q > qmax || r->pos >= nbits)
            return -1;
    }
    if (q > qmax || r->pos + (uint64_t)rp > nbits)
        return -1;
    uint32_t low = rp ? (uint32_t)(bitr_peek(r) & ((1u << rp) - 1)) : 0;
    r->pos += (uint64_t)rp;
    *v = q << rp | low;
    return 0;
}

int codec_rice_read_tile(codec_bitr *r, int rp, int k, int totalk, uint16_t *idx)
{
    uint64_t nbits = (uint64_t)r->nbytes * 8;
    uint32_t qmax = (uint32_t)(totalk - 1) >> rp, mask = (1u << rp) - 1, v;
    int prev = -1, j = 0;
    while (j < k) {
        /* Decode every value that lies wholly within the next 57 bits. */
        uint64_t w = bitr_peek(r);
        int used = 0;
        for (; j < k; j++) {
            uint64_t rest = w >> used;
            int t = rest ? __builtin_ctzll(rest) : 64;
            if (used + t + 1 + rp > 57)
                break;
            if ((uint32_t)t > qmax)
                return -1;
            v = (uint32_t)t << rp | ((uint32_t)(rest >> (t + 1)) & mask);
            used += t + 1 + rp;
            int64_t p = (int64_t)prev + 1 + v;
            if (p >= totalk)
                return -1;
            idx[j] = (uint16_t)p;
            prev = (int)p;
        }
        r->pos += (uint64_t)used;
        if (r->pos > nbits)
            return -1;
        if (used == 0) { /* one value longer than the window */
            if (rice_get_long(r, rp, qmax, &v))
                return -1;
            int64_t p = (int64_t)prev + 1 + v;
            if (p >= totalk)
                return -1;
            idx[j++] = (uint16_t)p;
            prev = (int)p;
        }
    }
    return 0;
}

int codec_rice_check_end(const codec_bitr *r)
{
    uint64_t nbits = (uint64_t)r->nbytes * 8;
    if (r->pos > nbits || nbits - r->pos >= 8)
        return -1;
    return bitr_peek(r) == 0 ? 0 : -1;
}
