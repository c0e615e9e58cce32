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
        size_t per = (size_t)1 << lg, i = 0;
        for (; i < n && ((first + i) & (per - 1)); i++)
            codes[i] = (uint8_t)(in[(first + i) >> lg] >> (width * (int)((first + i) & (per - 1))) & mask);
        for (; i + per <= n; i += per) { /* whole bytes */
            unsigned b = in[(first + i) >> lg];
            for (size_t j = 0; j < per; j++)
                codes[i + j] = (uint8_t)(b >> (width * (int)j) & mask);
        }
        for (; i < n; i++)
            codes[i] = (uint8_t)(in[(first + i) >> lg] >> (width * (int)((first + i) & (per - 1))) & mask);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t bit = (first + i) * (size_t)width, byte = bit / 8;
        unsigned v = in[byte] | (byte + 1 < in_bytes ? (unsigned)in[byte + 1] << 8 : 0u);
        codes[i] = (uint8_t)(v >> (bit % 8) & mask);
    }
}

void codec_count_codes2(const unsigned char *in, size_t n, uint64_t counts[4])
{
    const uint64_t lo_bits = 0x5555555555555555ull;
    size_t words = n / 32;
    uint64_t c1 = 0, c2 = 0, c3 = 0;
    for (size_t w = 0; w < words; w++) {
        uint64_t x = codec_get_u64(in + 8 * w), lo = x & lo_bits, hi = x >> 1 & lo_bits;
        c3 += (uint64_t)__builtin_popcountll(lo & hi);
        c2 += (uint64_t)__builtin_popcountll(hi & ~lo);
        c1 += (uint64_t)__builtin_popcountll(lo & ~hi);
    }
    counts[0] += words * 32 - c1 - c2 - c3;
    counts[1] += c1, counts[2] += c2, counts[3] += c3;
    for (size_t i = words * 32; i < n; i++)
        counts[in[i / 4] >> (2 * (i % 4)) & 3]++;
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
    for (int j = 0; j < k; j++) { /* the quotients, in unary */
        unsigned q = (unsigned)(idx[j] - prev - 1) >> r;
        prev = idx[j];
        for (; q > 32; q -= 32)
            bitw_put(w, 0, 32);
        bitw_put(w, 1ull << q, (int)q + 1);
    }
    if (!r)
        return;
    prev = -1;
    for (int j = 0; j < k; j++) { /* then the low bits */
        bitw_put(w, (unsigned)(idx[j] - prev - 1) & ((1u << r) - 1), r);
        prev = idx[j];
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

/* 64 bits from bit position at of a stream of n bytes, zeros past the end. */
static inline uint64_t peek_bits(const unsigned char *p, size_t n, uint64_t at)
{
    size_t byte = (size_t)(at >> 3);
    uint64_t w = 0;
    if (byte + 8 <= n)
        w = codec_get_u64(p + byte);
    else
        for (size_t i = 0; byte + i < n; i++)
            w |= (uint64_t)p[byte + i] << (8 * i);
    return w >> (at & 7);
}

int codec_rice_read_tile(codec_bitr *r, int rp, int k, int totalk, uint16_t *idx)
{
    const unsigned char *p = r->p;
    size_t n = r->nbytes;
    uint64_t nbits = (uint64_t)n * 8, pos = r->pos;
    uint32_t qmax = (uint32_t)(totalk - 1) >> rp, carry = 0;
    /* Quotients: the runs of zeros before each one bit, 56 bits at a time
     * (a 1-cycle chain: clear the lowest set bit); idx holds them until the
     * low bits come. */
    int j = 0;
    while (j < k) {
        if (pos >= nbits)
            return -1;
        uint64_t w = peek_bits(p, n, pos) & ((1ull << 56) - 1);
        int last = -1;
        for (; w && j < k; j++) {
            int b = __builtin_ctzll(w);
            w &= w - 1;
            uint32_t q = carry + (uint32_t)(b - last - 1);
            if (q > qmax)
                return -1;
            idx[j] = (uint16_t)q;
            carry = 0;
            last = b;
        }
        if (j < k) {
            carry += (uint32_t)(55 - last);
            pos += 56;
            if (carry > qmax)
                return -1;
        } else
            pos += (uint64_t)(last + 1);
    }
    /* Low bits: k fields of rp bits, independent of each other. */
    uint64_t end = pos + (uint64_t)k * (uint64_t)rp;
    if (end > nbits)
        return -1;
    uint32_t mask = (1u << rp) - 1;
    int prev = -1, fast = (end >> 3) + 8 <= n;
    for (j = 0; j < k; j++) {
        uint64_t at = pos + (uint64_t)j * (uint64_t)rp;
        uint64_t w = fast ? codec_get_u64(p + (at >> 3)) >> (at & 7) : peek_bits(p, n, at);
        int64_t q = (int64_t)idx[j] << rp | (int64_t)((uint32_t)w & mask);
        int64_t pp = (int64_t)prev + 1 + q;
        if (pp >= totalk)
            return -1;
        idx[j] = (uint16_t)pp;
        prev = (int)pp;
    }
    r->pos = end;
    return 0;
}

int codec_rice_check_end(const codec_bitr *r)
{
    uint64_t nbits = (uint64_t)r->nbytes * 8;
    if (r->pos > nbits || nbits - r->pos >= 8)
        return -1;
    return bitr_peek(r) == 0 ? 0 : -1;
}
