/* Pieces shared by the codec's modules (not part of the public API). */
#ifndef TPLR_CODEC_INTERNAL_H
#define TPLR_CODEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tplr/codec.h"

/* OpenMP where the build has it (the library); one thread otherwise (the
 * fuzzers, built without it). */
#ifdef _OPENMP
#include <omp.h>
static inline int codec_max_threads(void) { return omp_get_max_threads(); }
static inline int codec_thread_id(void) { return omp_get_thread_num(); }
#else
static inline int codec_max_threads(void) { return 1; }
static inline int codec_thread_id(void) { return 0; }
#endif

#define CODEC_MAX_TOTALK (TPLR_CODEC_MAX_CHUNK * TPLR_CODEC_MAX_CHUNK)
#define CODEC_MAX_RICE 12

/* ---- container layout (docs/formats.md) ---- */
#define CODEC_MAGIC "TPLRGRAD"
#define CODEC_HEADER_BYTES 68
#define CODEC_DIGEST_BYTES 32
#define CODEC_SIG_BYTES 64
#define CODEC_TAIL_BYTES (CODEC_DIGEST_BYTES + CODEC_SIG_BYTES)
#define CODEC_SIG_CONTEXT "tplr-gradient-v1" /* 16 bytes signed before the digest */
#define CODEC_FLAG_DCT 1u
#define CODEC_MAX_TENSORS 65535
#define CODEC_MAX_NUMEL ((size_t)1 << 40)

/* Little-endian stores and loads (unaligned). */
static inline void codec_put_u16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }
static inline void codec_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline void codec_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline void codec_put_f32(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    codec_put_u32(p, v);
}
static inline uint32_t codec_get_u16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t codec_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t codec_get_u64(const unsigned char *p)
{
    return (uint64_t)codec_get_u32(p) | (uint64_t)codec_get_u32(p + 4) << 32;
}
static inline float codec_get_f32(const unsigned char *p)
{
    uint32_t v = codec_get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* Writes the 68-byte header. */
void codec_write_header(unsigned char *out, const tplr_codec_params *p, int n_tensors, uint64_t window, uint32_t uid,
                        const unsigned char hotkey[32]);
/* Bytes of a record's fields before its index stream. */
size_t codec_record_head_bytes(const tplr_tensor_info *t, int bins);
/* The largest record a tensor can have (12-bit positions, byte codes). */
size_t codec_record_max_bytes(const tplr_tensor_info *t, const tplr_codec_geom *g, int bins);
/* The largest container a table allows under p. */
size_t codec_container_max_bytes(const tplr_codec_table *table, const tplr_codec_params *p);

/* ---- bit streams ---- */

/* Templar's 12-bit pairs: (a, b) → a&0xFF, (a>>8 & 0xF) | (b&0xF)<<4, b>>4. n even. */
static inline size_t codec_pack12_bytes(size_t n) { return n / 2 * 3; }
void codec_pack12_write(const uint16_t *idx, size_t n, unsigned char *out);
void codec_pack12_read(const unsigned char *in, size_t n, uint16_t *idx);

/* Codes of `width` bits each, least significant bit first, zero padding. */
int codec_code_width(int bins);
static inline size_t codec_codes_bytes(size_t n, int width) { return (n * (size_t)width + 7) / 8; }
void codec_codes_write(const uint8_t *codes, size_t n, int width, unsigned char *out);
/* Codes first..first+n-1 of a stream of in_bytes bytes (which must hold them). */
void codec_codes_read(const unsigned char *in, size_t in_bytes, size_t first, size_t n, int width, uint8_t *codes);
/* Adds the histogram of the first n 2-bit codes of a stream to counts. */
void codec_count_codes2(const unsigned char *in, size_t n, uint64_t counts[4]);

/* Rice-coded positions: per tile the ascending positions p_0 < p_1 < ...
 * become gaps v_0 = p_0, v_j = p_j − p_{j−1} − 1; a tile writes the k
 * quotients v >> r in unary (that many zero bits, then a one bit), then the
 * k remainders in r bits each; least significant bit first throughout. */
typedef struct codec_bitw {
    unsigned char *out;
    size_t pos; /* bytes written */
    uint64_t acc;
    int n; /* bits in acc */
} codec_bitw;

typedef struct codec_bitr {
    const unsigned char *p;
    size_t nbytes;
    uint64_t pos; /* bits consumed */
} codec_bitr;

/* Gap histogram of one tile's ascending positions (hist has CODEC_MAX_TOTALK entries). */
void codec_rice_count(const uint16_t *idx, int k, uint32_t *hist);
/* The parameter r (0..12) that codes the histogram in the fewest bits, and that count. */
int codec_rice_choose(const uint32_t *hist, int totalk, uint64_t *bits);
void codec_rice_write_tile(codec_bitw *w, const uint16_t *idx, int k, int r);
/* Flushes the last partial byte; returns the bytes written. */
size_t codec_bitw_finish(codec_bitw *w);
/* Reads one tile; returns 0, or −1 when the stream is malformed or a
 * position would reach totalk. */
int codec_rice_read_tile(codec_bitr *r, int rp, int k, int totalk, uint16_t *idx);
/* 0 when what is left of the stream is under a byte of zero bits. */
int codec_rice_check_end(const codec_bitr *r);

/* ---- tiles ---- */

/* Offset (in floats) of tile c's first element within its tensor. */
static inline size_t codec_tile_origin(const tplr_codec_geom *g, size_t c)
{
    size_t ty = c / (size_t)g->tiles_x, tx = c % (size_t)g->tiles_x;
    return ty * (size_t)g->n1 * (size_t)g->cols + tx * (size_t)g->n2;
}
/* e ← β·e + Δ over tile c (delta NULL: e unchanged), copied into buf
 * (n1·n2, row-major); returns nonzero when a value is not finite. */
int codec_tile_ef(const tplr_codec_geom *g, float *e, const float *delta, float beta, size_t c, float *buf);
/* Writes buf into tile c of x; returns nonzero when a value is not finite. */
int codec_tile_store(const tplr_codec_geom *g, float *x, size_t c, const float *buf);
/* x −= buf over tile c. */
void codec_tile_sub(const tplr_codec_geom *g, float *x, size_t c, const float *buf);

/* ---- DCT ---- */

/* Orthonormal DCT-II bases F[i][k] = c_k·cos(π(2i+1)k/2N) (double), and their
 * transposes, for every tile side a table uses. */
typedef struct codec_dct {
    double *f[TPLR_CODEC_MAX_CHUNK + 1], *ft[TPLR_CODEC_MAX_CHUNK + 1];
} codec_dct;

tplr_err codec_dct_init(codec_dct *d, const tplr_codec_geom *geoms, int n);
void codec_dct_free(codec_dct *d);
/* X = F1ᵀ·x·F2 and x = F1·X·F2ᵀ on an n1 × n2 tile, in double (tmp: n1·n2 +
 * n2 doubles), rounded to float at the end. */
void codec_dct_forward(const codec_dct *d, int n1, int n2, const float *x, float *X, double *tmp);
void codec_dct_inverse(const codec_dct *d, int n1, int n2, const float *X, float *x, double *tmp);

/* ---- top-k ---- */

typedef struct codec_topk_scratch {
    uint32_t key[CODEC_MAX_TOTALK], ckey[CODEC_MAX_TOTALK], tmp[CODEC_MAX_TOTALK];
    uint16_t cpos[CODEC_MAX_TOTALK];
    uint32_t hist[256], bmax[CODEC_MAX_TOTALK / 16];
} codec_topk_scratch;

/* Positions of the k largest |x[i]| of x[0..n) (ties: lower position first),
 * ascending, into idx (k entries); n ≤ CODEC_MAX_TOTALK. */
void codec_topk(const float *x, int n, int k, uint16_t *idx, codec_topk_scratch *s);

/* ---- quantizer ---- */

typedef struct codec_quant {
    float shift, scale;
    float lookup[TPLR_CODEC_MAX_BINS];
} codec_quant;

/* The code of centered value c: clamp(round-half-even(c/scale + bins/2), 0, bins−1). */
static inline uint8_t codec_quant_code(float c, float scale, float offset, float top)
{
    float t = __builtin_rintf(c / scale + offset);
    t = t < 0.0f ? 0.0f : t;
    t = t > top ? top : t;
    return (uint8_t)t;
}
void codec_quantize(const float *v, size_t n, int bins, int range, uint8_t *codes, codec_quant *q);
/* deq[b] = lookup[b] + shift, in float. */
void codec_dequant_table(const float *lookup, float shift, int bins, float *deq);

/* ---- reading a record's streams tile by tile (validation) ---- */

typedef struct codec_cursor {
    const tplr_codec_record *rec;
    codec_bitr bits; /* Rice stream */
    size_t next;     /* index of the next tile's first value */
} codec_cursor;

void codec_cursor_init(codec_cursor *c, const tplr_codec_record *r);
/* The next tile's k positions (each < totalk) and codes (codes may be NULL);
 * returns 0, or −1 on a malformed index stream. */
int codec_cursor_next(codec_cursor *c, uint16_t *idx, uint8_t *codes);

/* Hands out 64-byte aligned pieces of one block: bytes are rounded up. */
static inline void *codec_carve(unsigned char **cursor, size_t bytes)
{
    void *p = *cursor;
    *cursor += (bytes + 63) & ~(size_t)63;
    return p;
}

/* The tensors of a table, largest first (for balanced parallel loops). */
tplr_err codec_order_by_size(const tplr_codec_table *t, int **order);

/* Sorts n values ascending (insertion sort: n is a peer count). */
void codec_sort_doubles(double *v, int n);

#endif
