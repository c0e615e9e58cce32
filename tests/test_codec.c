/* The codec's pieces against hand-computed cases and straightforward
 * reference implementations: geometry, bit layouts, DCT, quantizer, top-k,
 * the error-feedback invariant, aggregation, overlap, outer optimizers. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/codec/internal.h"
#include "codec_util.h"
#include "tplr/outer.h"
#include "tplr/rng.h"

static void test_split_and_geometry(void **state)
{
    (void)state;
    int64_t n[] = {64, 100, 70, 37, 67, 2688, 32000, 130, 1, 4096, 176};
    int want[] = {64, 50, 35, 37, 1, 64, 64, 26, 1, 64, 44};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        assert_int_equal(tplr_codec_split(n[i], 64), want[i]);
    tplr_codec_params p = tplr_codec_defaults();
    tplr_tensor_info t = {.name = "x", .ndim = 2, .shape = {100, 70}};
    tplr_codec_geom g;
    ASSERT_OK(tplr_codec_geom_of(&t, &p, &g));
    assert_int_equal(g.n1, 50);
    assert_int_equal(g.n2, 35);
    assert_int_equal(g.n_chunks, 4);
    assert_int_equal(g.k, 64);
    t = (tplr_tensor_info){.name = "v", .ndim = 1, .shape = {37}};
    ASSERT_OK(tplr_codec_geom_of(&t, &p, &g));
    assert_int_equal(g.totalk, 37);
    assert_int_equal(g.k, 36); /* min(64, 37) made even */
    p.topk = 1;
    ASSERT_OK(tplr_codec_geom_of(&t, &p, &g));
    assert_int_equal(g.k, 2); /* at least 2 */
    t = (tplr_tensor_info){.name = "prime", .ndim = 2, .shape = {67, 67}};
    assert_int_equal(tplr_codec_geom_of(&t, &p, &g), TPLR_EINVAL); /* tiles of 1 value */
}

static void test_pack12(void **state)
{
    (void)state;
    /* Templar's layout by hand: (0xABC, 0x123) → BC, 3A, 12 */
    uint16_t pair[2] = {0xABC, 0x123}, back[4096];
    unsigned char b[6144];
    codec_pack12_write(pair, 2, b);
    assert_int_equal(b[0], 0xBC);
    assert_int_equal(b[1], 0x3A);
    assert_int_equal(b[2], 0x12);
    uint16_t idx[4096];
    for (int k = 2; k <= 4096; k += 2) {
        for (int i = 0; i < k; i++)
            idx[i] = (uint16_t)tplr_rng_below(5, (uint64_t)k, (uint64_t)i, 4096);
        idx[0] = 4095;
        idx[k - 1] = 0;
        codec_pack12_write(idx, (size_t)k, b);
        codec_pack12_read(b, (size_t)k, back);
        assert_memory_equal(idx, back, sizeof(uint16_t) * (size_t)k);
    }
}

static void test_code_packing(void **state)
{
    (void)state;
    uint8_t codes[300], back[300];
    unsigned char b[300];
    for (int bins = 2; bins <= 256; bins++) {
        int w = codec_code_width(bins);
        assert_true((1 << w) >= bins && (w == 1 || (1 << (w - 1)) < bins));
        for (size_t n = 1; n <= 300; n += n < 70 ? 11 : 77) {
            for (size_t i = 0; i < n; i++)
                codes[i] = (uint8_t)tplr_rng_below(6, (uint64_t)bins, i, (uint64_t)bins);
            memset(b, 0xff, sizeof b);
            codec_codes_write(codes, n, w, b);
            if ((n * (size_t)w) % 8) /* zero padding after the last code */
                assert_int_equal(b[codec_codes_bytes(n, w) - 1] >> ((n * (size_t)w) % 8), 0);
            for (size_t first = 0; first < n; first += 3) {
                codec_codes_read(b, codec_codes_bytes(n, w), first, n - first, w, back);
                assert_memory_equal(codes + first, back, n - first);
            }
            if (w == 2) { /* the popcount histogram of 2-bit codes */
                uint64_t fast[4] = {0}, slow[4] = {0};
                codec_count_codes2(b, n, fast);
                for (size_t i = 0; i < n; i++)
                    slow[codes[i]]++;
                assert_memory_equal(fast, slow, sizeof fast);
            }
        }
    }
}

/* Writes tiles of sorted random positions, reads them back. */
static void rice_case(int totalk, int k, int n_tiles, int r, uint64_t seed)
{
    uint16_t *idx = malloc(sizeof(uint16_t) * (size_t)k * n_tiles), back[4096];
    unsigned char *buf = calloc((size_t)n_tiles * (size_t)k * (size_t)(totalk + 13) / 8 + 64, 1); /* worst case */
    unsigned char used[4096];
    uint64_t draw = 0;
    for (int t = 0; t < n_tiles; t++) { /* k distinct positions, sorted by marking */
        memset(used, 0, sizeof used);
        for (int c = 0; c < k;) {
            int p = t % 3 == 0 ? c : (int)tplr_rng_below(seed, (uint64_t)t, draw++, (uint64_t)totalk);
            c += !used[p];
            used[p] = 1;
        }
        for (int p = 0, j = 0; p < totalk; p++)
            if (used[p])
                idx[(size_t)t * k + (size_t)j++] = (uint16_t)p;
    }
    codec_bitw w = {buf, 0, 0, 0};
    for (int t = 0; t < n_tiles; t++)
        codec_rice_write_tile(&w, idx + (size_t)t * k, k, r);
    size_t nbytes = codec_bitw_finish(&w);
    codec_bitr rd = {buf, nbytes, 0};
    for (int t = 0; t < n_tiles; t++) {
        assert_int_equal(codec_rice_read_tile(&rd, r, k, totalk, back), 0);
        assert_memory_equal(back, idx + (size_t)t * k, sizeof(uint16_t) * (size_t)k);
    }
    assert_int_equal(codec_rice_check_end(&rd), 0);
    /* the same stream one byte short fails somewhere, and never reads past it */
    codec_bitr cut = {buf, nbytes - 1, 0};
    int failed = 0;
    for (int t = 0; t < n_tiles && !failed; t++)
        failed = codec_rice_read_tile(&cut, r, k, totalk, back) != 0;
    assert_true(failed || codec_rice_check_end(&cut) != 0);
    free(idx);
    free(buf);
}

static void test_rice(void **state)
{
    (void)state;
    for (int r = 0; r <= CODEC_MAX_RICE; r++) {
        rice_case(4096, 64, 9, r, 1);
        rice_case(4096, 2, 7, r, 2);      /* long gaps: unary runs past one window at small r */
        rice_case(64, 64, 4, r, 3);       /* dense 1-D tiles */
        rice_case(1750, 62, 5, r, 4);     /* odd tile sizes */
        rice_case(4096, 4096, 1, r, 5);   /* everything */
    }
    /* a position ≥ totalk is refused: one gap of 40 in a tile of 40 */
    unsigned char buf[16] = {0};
    codec_bitw w = {buf, 0, 0, 0};
    uint16_t big[2] = {3, 39}, back[2];
    codec_rice_write_tile(&w, big, 2, 2);
    size_t n = codec_bitw_finish(&w);
    codec_bitr ok = {buf, n, 0}, bad = {buf, n, 0};
    assert_int_equal(codec_rice_read_tile(&ok, 2, 2, 40, back), 0);
    assert_int_equal(codec_rice_read_tile(&bad, 2, 2, 39, back), -1);
    /* a stream of zero bits never terminates its unary code */
    unsigned char zeros[32] = {0};
    codec_bitr z = {zeros, sizeof zeros, 0};
    assert_int_equal(codec_rice_read_tile(&z, 0, 2, 4096, back), -1);
    /* nonzero bits after the last tile */
    buf[n] = 0;
    codec_bitr tail = {buf, n + 1, 0};
    assert_int_equal(codec_rice_read_tile(&tail, 2, 2, 40, back), 0);
    assert_int_not_equal(codec_rice_check_end(&tail), 0);
}

static void test_dct(void **state)
{
    (void)state;
    tplr_codec_geom g[64];
    for (int n = 1; n <= 64; n++)
        g[n - 1] = (tplr_codec_geom){.n1 = n, .n2 = n};
    codec_dct d;
    ASSERT_OK(codec_dct_init(&d, g, 64));
    for (int n = 1; n <= 64; n++) { /* FᵀF = I */
        double worst = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) {
                double s = 0;
                for (int i = 0; i < n; i++)
                    s += d.f[n][i * n + a] * d.f[n][i * n + b];
                worst = fmax(worst, fabs(s - (a == b)));
            }
        assert_true(worst < 1e-12);
    }
    static float x[4096], X[4096], y[4096];
    static double tmp[4096 + 64];
    int shapes[][2] = {{64, 64}, {50, 35}, {1, 37}, {1, 1}, {7, 64}};
    for (int s = 0; s < 5; s++) {
        int n1 = shapes[s][0], n2 = shapes[s][1];
        for (int i = 0; i < n1 * n2; i++)
            x[i] = (float)tplr_rng_normal(9, (uint64_t)s, (uint64_t)i);
        codec_dct_forward(&d, n1, n2, x, X, tmp);
        double ex = 0, eX = 0;
        for (int i = 0; i < n1 * n2; i++)
            ex += (double)x[i] * x[i], eX += (double)X[i] * X[i];
        assert_true(fabs(ex - eX) < 1e-5 * ex); /* orthonormal: energy kept */
        codec_dct_inverse(&d, n1, n2, X, y, tmp);
        assert_true(tu_max_rel_diff(y, x, (size_t)(n1 * n2)) < 1e-6);
    }
    /* a constant tile has only the DC coefficient: mean·√(n1·n2) */
    for (int i = 0; i < 64 * 64; i++)
        x[i] = 0.5f;
    codec_dct_forward(&d, 64, 64, x, X, tmp);
    assert_true(fabs(X[0] - 0.5 * 64) < 1e-5);
    for (int i = 1; i < 64 * 64; i++)
        assert_true(fabs(X[i]) < 1e-6);
    codec_dct_free(&d);
}

static void test_quantizer(void **state)
{
    (void)state;
    /* v = 1, 2, 3, 4: shift 2.5, c = ±0.5, ±1.5, std = √(5/3), scale = 6·std/4 = 1.936…;
     * c/scale + 2 = 1.225, 1.742, 2.258, 2.775 → codes 1, 2, 2, 3; bin 0 is empty. */
    float v[4] = {1, 2, 3, 4};
    uint8_t codes[4];
    codec_quant q;
    codec_quantize(v, 4, 4, 6, codes, &q);
    assert_true(q.shift == 2.5f);
    assert_true(fabsf(q.scale - (float)(6.0 * sqrt(5.0 / 3.0) / 4.0)) < 1e-6f);
    uint8_t want[4] = {1, 2, 2, 3};
    assert_memory_equal(codes, want, 4);
    assert_true(q.lookup[0] == 0.0f && q.lookup[1] == -1.5f && q.lookup[2] == 0.0f && q.lookup[3] == 1.5f);
    /* constant values: std 0 → scale 1; every code is bins/2 and decodes exactly */
    float cst[5] = {3, 3, 3, 3, 3};
    uint8_t cc[5];
    codec_quantize(cst, 5, 4, 6, cc, &q);
    assert_true(q.scale == 1.0f && q.shift == 3.0f);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cc[i], 2);
    float deq[4];
    codec_dequant_table(q.lookup, q.shift, 4, deq);
    assert_true(deq[2] == 3.0f);
    /* round half to even, then clamp */
    assert_int_equal(codec_quant_code(0.5f, 1.0f, 2.0f, 3.0f), 2);  /* 2.5 → 2 */
    assert_int_equal(codec_quant_code(-0.5f, 1.0f, 2.0f, 3.0f), 2); /* 1.5 → 2 */
    assert_int_equal(codec_quant_code(-1.5f, 1.0f, 2.0f, 3.0f), 0); /* 0.5 → 0 */
    assert_int_equal(codec_quant_code(1.5f, 1.0f, 2.0f, 3.0f), 3);  /* 3.5 → 4 → 3 */
    assert_int_equal(codec_quant_code(-100.0f, 1.0f, 2.0f, 3.0f), 0);
    assert_int_equal(codec_quant_code(100.0f, 1.0f, 2.0f, 3.0f), 3);
    /* 256 bins (Templar's old 8-bit setting): offset 128 */
    assert_int_equal(codec_quant_code(0.0f, 1.0f, 128.0f, 255.0f), 128);
}

/* Reference top-k: sort positions by (|x| descending, position ascending). */
static const float *sort_x;
static int by_mag(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    float x = fabsf(sort_x[i]), y = fabsf(sort_x[j]);
    return x > y ? -1 : x < y ? 1 : i - j;
}
static int by_pos(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void test_topk(void **state)
{
    (void)state;
    static float x[4096];
    static int order[4096];
    static codec_topk_scratch s;
    uint16_t idx[4096];
    int sizes[] = {4096, 4096, 4096, 1750, 64, 37, 17, 4096, 100};
    int ks[] = {64, 2, 4094, 62, 32, 36, 16, 64, 98};
    for (int c = 0; c < 9; c++) {
        int n = sizes[c], k = ks[c];
        for (int rep = 0; rep < 20; rep++) {
            for (int i = 0; i < n; i++) {
                double r = tplr_rng_normal(11, (uint64_t)(c * 100 + rep), (uint64_t)i);
                if (rep % 4 == 1)
                    r = (double)(int)(r * 2); /* many ties */
                if (rep % 4 == 2)
                    r = i % 2 ? 0.0 : -0.0; /* all zero: the first k positions */
                x[i] = (float)r;
                order[i] = i;
            }
            if (c == 7) /* the largest values all in one block */
                for (int i = 0; i < 16; i++)
                    x[i] = 100.0f + (float)i;
            sort_x = x;
            qsort(order, (size_t)n, sizeof(int), by_mag);
            qsort(order, (size_t)k, sizeof(int), by_pos);
            codec_topk(x, n, k, idx, &s);
            for (int j = 0; j < k; j++)
                if (idx[j] != order[j])
                    fail_msg("n %d k %d rep %d: position %d is %d, the reference says %d", n, k, rep, j, idx[j],
                             order[j]);
        }
    }
}

static const int64_t shapes[][2] = {{128, 192}, {100, 70}, {96, 0}, {37, 0}, {67, 64}, {64, 130}};
#define N_SHAPES 6

/* Sent + residual = input: decode(container) + e_after equals β·e_before + Δ. */
static void check_invariant(int use_dct)
{
    tplr_codec_table t = cu_table(shapes, N_SHAPES);
    tplr_codec_params p = tplr_codec_defaults();
    p.topk = 8;
    p.use_dct = use_dct;
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    tplr_codec_encoder *enc;
    tplr_codec_aggregator *agg;
    ASSERT_OK(tplr_codec_encoder_create(&t, &p, &o, &enc));
    ASSERT_OK(tplr_codec_aggregator_create(&t, &p, 4, &agg));
    cu_keys k = cu_keys_make(1);
    size_t n = t.n_floats;
    float *e_prev = calloc(n, sizeof(float)), *dec = malloc(sizeof(float) * n);
    for (int round = 0; round < 3; round++) {
        float *delta = cu_randn(n, 21, (uint64_t)round, 0.01f);
        size_t len;
        unsigned char *b = cu_encode(enc, delta, &k, (uint64_t)round, 3, &len);
        tplr_codec_view v;
        cu_validate(b, len, &t, &p, &v);
        ASSERT_OK(tplr_codec_decode(agg, &v, dec, NULL));
        const float *e = tplr_codec_encoder_state(enc);
        double worst = 0, scale = 0;
        size_t exact = 0, sent = 0;
        for (size_t i = 0; i < n; i++) {
            float input = 0.95f * e_prev[i] + delta[i];
            worst = fmax(worst, fabs((double)dec[i] + e[i] - input));
            scale = fmax(scale, fabs(input));
            sent += dec[i] != 0;
            exact += dec[i] == 0 && e[i] == input;
        }
        assert_true(worst <= 1e-6 * scale);
        if (!use_dct) /* what was not sent stays in e bit for bit */
            assert_int_equal(exact + sent, n);
        else
            assert_true(sent > n / 2); /* dense after the inverse DCT */
        memcpy(e_prev, e, sizeof(float) * n);
        tplr_codec_view_free(&v);
        free(b);
        free(delta);
    }
    /* a null round clears e and sends zeros */
    tplr_codec_origin who = {9, 3, k.sk};
    const unsigned char *b;
    size_t len;
    ASSERT_OK(tplr_codec_encode(enc, NULL, 1, &who, &b, &len));
    tplr_codec_view v;
    cu_validate(b, len, &t, &p, &v);
    ASSERT_OK(tplr_codec_decode(agg, &v, dec, NULL));
    const float *e = tplr_codec_encoder_state(enc);
    for (size_t i = 0; i < n; i++)
        assert_true(dec[i] == 0.0f && e[i] == 0.0f);
    tplr_codec_view_free(&v);
    free(e_prev);
    free(dec);
    tplr_codec_aggregator_free(agg);
    tplr_codec_encoder_free(enc);
    tplr_codec_table_free(&t);
}

static void test_error_feedback(void **state)
{
    (void)state;
    check_invariant(0);
    check_invariant(1);
}

static void test_nonfinite_delta(void **state)
{
    (void)state;
    tplr_codec_table t = cu_table(shapes, N_SHAPES);
    tplr_codec_params p = tplr_codec_defaults();
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    tplr_codec_encoder *enc;
    ASSERT_OK(tplr_codec_encoder_create(&t, &p, &o, &enc));
    cu_keys k = cu_keys_make(1);
    float *delta = cu_randn(t.n_floats, 3, 0, 1.0f);
    size_t len;
    free(cu_encode(enc, delta, &k, 1, 1, &len));
    delta[t.tensors[4].offset + 5] = NAN;
    tplr_codec_origin who = {2, 1, k.sk};
    const unsigned char *b;
    assert_int_equal(tplr_codec_encode(enc, delta, 0, &who, &b, &len), TPLR_ENUMERIC);
    assert_non_null(strstr(tplr_errmsg(), "t4"));
    const float *e = tplr_codec_encoder_state(enc);
    for (size_t i = 0; i < t.n_floats; i++)
        assert_true(e[i] == 0.0f);
    free(delta);
    tplr_codec_encoder_free(enc);
    tplr_codec_table_free(&t);
}

/* The documented aggregation, written out plainly over Templar's layouts
 * (12-bit positions, byte codes) read straight from the container bytes. */
static void reference_aggregate(const tplr_codec_table *t, tplr_codec_view *v, int n_peers, float *out)
{
    for (int ti = 0; ti < t->n_tensors; ti++) {
        double norms[16], sorted[16];
        float f[16];
        for (int i = 0; i < n_peers; i++) {
            const tplr_codec_record *r = &v[i].records[ti];
            size_t nv = r->geom.n_chunks * (size_t)r->geom.k;
            double ss = 0;
            for (size_t j = 0; j < nv; j++) {
                double d = r->lookup[r->codes[j]] + r->shift;
                ss += d * d;
            }
            norms[i] = sorted[i] = sqrt(ss);
        }
        codec_sort_doubles(sorted, n_peers);
        for (int i = 0; i < n_peers; i++)
            f[i] = (float)fmin(1.0, sorted[(n_peers - 1) / 2] / (norms[i] + 1e-8));
        const tplr_tensor_info *info = &t->tensors[ti];
        float *sum = calloc(info->numel, sizeof(float)), *cnt = calloc(info->numel, sizeof(float));
        for (int i = 0; i < n_peers; i++) {
            const tplr_codec_record *r = &v[i].records[ti];
            const tplr_codec_geom *g = &r->geom;
            assert_int_equal(r->index_layout, TPLR_CODEC_IDX_PACK12);
            for (size_t c = 0; c < g->n_chunks; c++)
                for (int j = 0; j < g->k; j++) {
                    size_t at = c * (size_t)g->k + (size_t)j;
                    const unsigned char *b3 = r->idx + at / 2 * 3;
                    int pos = at % 2 ? (b3[1] >> 4) | b3[2] << 4 : b3[0] | (b3[1] & 15) << 8;
                    size_t row = c / (size_t)g->tiles_x * (size_t)g->n1 + (size_t)(pos / g->n2);
                    size_t col = c % (size_t)g->tiles_x * (size_t)g->n2 + (size_t)(pos % g->n2);
                    float val = (r->lookup[r->codes[at]] + r->shift) * f[i];
                    sum[row * (size_t)g->cols + col] += val;
                    cnt[row * (size_t)g->cols + col] += 1.0f;
                }
        }
        for (size_t e = 0; e < info->numel; e++)
            out[info->offset + e] = cnt[e] > 0 ? sum[e] / cnt[e] : 0.0f;
        free(sum);
        free(cnt);
    }
}

#define PEERS 7

/* Encodes PEERS peers with the given layouts; deltas of different scales so
 * that clipping matters. */
static void encode_peers(const tplr_codec_table *t, const tplr_codec_params *p, int idx_layout, int code_layout,
                         unsigned char **bytes, size_t *lens, tplr_codec_view *views)
{
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    o.index_layout = idx_layout;
    o.code_layout = code_layout;
    cu_keys k = cu_keys_make(2);
    for (int i = 0; i < PEERS; i++) {
        tplr_codec_encoder *enc;
        ASSERT_OK(tplr_codec_encoder_create(t, p, &o, &enc));
        float *delta = cu_randn(t->n_floats, 40, (uint64_t)i, 0.001f * (float)(1 + i * i));
        if (i == 3) /* a peer that copies twice peer 0's delta at even positions */
            for (size_t j = 0; j < t->n_floats; j++)
                delta[j] = j % 2 ? delta[j] * 0.05f : 0.002f * (float)tplr_rng_normal(40, 0, j);
        bytes[i] = cu_encode(enc, delta, &k, 5, (uint32_t)i, &lens[i]);
        cu_validate(bytes[i], lens[i], t, p, &views[i]);
        free(delta);
        tplr_codec_encoder_free(enc);
    }
}

static void test_aggregate_reference(void **state)
{
    (void)state;
    tplr_codec_table t = cu_table(shapes, N_SHAPES);
    tplr_codec_params p = tplr_codec_defaults();
    p.topk = 16;
    unsigned char *b12[PEERS], *bri[PEERS];
    size_t l12[PEERS], lri[PEERS];
    tplr_codec_view v12[PEERS], vri[PEERS];
    encode_peers(&t, &p, TPLR_CODEC_IDX_PACK12, TPLR_CODEC_CODES_BYTE, b12, l12, v12);
    encode_peers(&t, &p, TPLR_CODEC_IDX_AUTO, TPLR_CODEC_CODES_PACKED, bri, lri, vri);
    const tplr_codec_view *pv12[PEERS], *pvri[PEERS];
    for (int i = 0; i < PEERS; i++) {
        pv12[i] = &v12[i];
        pvri[i] = &vri[i];
        assert_true(lri[i] < l12[i]); /* Rice and 2-bit codes are smaller */
    }
    tplr_codec_aggregator *agg;
    ASSERT_OK(tplr_codec_aggregator_create(&t, &p, PEERS, &agg));
    size_t n = t.n_floats;
    float *got = malloc(sizeof(float) * n), *alt = malloc(sizeof(float) * n), *want = malloc(sizeof(float) * n);
    int n_skipped = -1;
    ASSERT_OK(tplr_codec_aggregate(agg, pv12, PEERS, got, NULL, &n_skipped));
    assert_int_equal(n_skipped, 0);
    reference_aggregate(&t, v12, PEERS, want);
    assert_true(tu_max_rel_diff(got, want, n) < 1e-6);
    /* the layouts carry the same numbers: identical bits */
    ASSERT_OK(tplr_codec_aggregate(agg, pvri, PEERS, alt, NULL, NULL));
    assert_memory_equal(got, alt, sizeof(float) * n);
    /* a subset of peers, and one peer decoded alone */
    ASSERT_OK(tplr_codec_aggregate(agg, pv12 + 2, 4, got, NULL, NULL));
    reference_aggregate(&t, v12 + 2, 4, want);
    assert_true(tu_max_rel_diff(got, want, n) < 1e-6);
    ASSERT_OK(tplr_codec_decode(agg, &v12[5], got, NULL));
    size_t nonzero = 0;
    for (int ti = 0; ti < t.n_tensors; ti++)
        nonzero += v12[5].records[ti].geom.n_chunks * (size_t)v12[5].records[ti].geom.k;
    for (size_t i = 0; i < n; i++)
        nonzero -= got[i] != 0.0f;
    assert_true(nonzero < 50); /* every sent value lands (a few may quantize to exactly 0) */
    for (int i = 0; i < PEERS; i++) {
        tplr_codec_view_free(&v12[i]);
        tplr_codec_view_free(&vri[i]);
        free(b12[i]);
        free(bri[i]);
    }
    free(got);
    free(alt);
    free(want);
    tplr_codec_aggregator_free(agg);
    tplr_codec_table_free(&t);
}

/* Within one peer, a position sent twice decodes to the mean (validation
 * refuses such containers; the decoder still defines them). */
static void test_decode_duplicates(void **state)
{
    (void)state;
    int64_t shape[1][2] = {{8, 0}};
    tplr_codec_table t = cu_table(shape, 1);
    tplr_codec_params p = tplr_codec_defaults();
    p.topk = 4;
    tplr_codec_view v = {.version = 1, .params = p, .n_records = 1, .n_floats = 8};
    tplr_codec_record r = {.ndim = 1, .shape = {8}, .index_layout = TPLR_CODEC_IDX_PACK12, .code_bits = 8};
    ASSERT_OK(tplr_codec_geom_of(&t.tensors[0], &p, &r.geom));
    uint16_t pos[4] = {5, 1, 5, 5};
    unsigned char idx[6], codes[4] = {0, 1, 2, 3};
    codec_pack12_write(pos, 4, idx);
    r.idx = idx, r.idx_bytes = 6, r.codes = codes, r.code_bytes = 4;
    r.pos = pos, r.code = codes; /* what validation would have decoded */
    float deq[4] = {1.0f, 2.0f, 4.0f, 10.0f};
    memcpy(r.deq, deq, sizeof deq);
    v.records = &r;
    tplr_codec_aggregator *agg;
    ASSERT_OK(tplr_codec_aggregator_create(&t, &p, 1, &agg));
    float out[8];
    ASSERT_OK(tplr_codec_decode(agg, &v, out, NULL));
    float want[8] = {0, 2.0f, 0, 0, 0, 5.0f, 0, 0}; /* (1 + 4 + 10) / 3 */
    assert_memory_equal(out, want, sizeof want);
    tplr_codec_aggregator_free(agg);
    tplr_codec_table_free(&t);
}

static void test_thread_count_independent(void **state)
{
    (void)state;
    tplr_codec_table t = cu_table(shapes, N_SHAPES);
    tplr_codec_params p = tplr_codec_defaults();
    p.topk = 16;
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    cu_keys k = cu_keys_make(4);
    float *delta = cu_randn(t.n_floats, 8, 8, 1.0f);
    unsigned char *bytes[2];
    size_t len[2];
    float *agg_out[2];
    for (int run = 0; run < 2; run++) {
        omp_set_num_threads(run ? 2 : 1);
        tplr_codec_encoder *enc;
        tplr_codec_aggregator *agg;
        ASSERT_OK(tplr_codec_encoder_create(&t, &p, &o, &enc));
        ASSERT_OK(tplr_codec_aggregator_create(&t, &p, 2, &agg));
        free(cu_encode(enc, delta, &k, 1, 1, &len[run]));
        bytes[run] = cu_encode(enc, delta, &k, 2, 1, &len[run]);
        tplr_codec_view v[2];
        cu_validate(bytes[run], len[run], &t, &p, &v[0]);
        cu_validate(bytes[run], len[run], &t, &p, &v[1]);
        const tplr_codec_view *pv[2] = {&v[0], &v[1]};
        agg_out[run] = malloc(sizeof(float) * t.n_floats);
        ASSERT_OK(tplr_codec_aggregate(agg, pv, 2, agg_out[run], NULL, NULL));
        tplr_codec_view_free(&v[0]);
        tplr_codec_view_free(&v[1]);
        tplr_codec_aggregator_free(agg);
        tplr_codec_encoder_free(enc);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(bytes[0], bytes[1], len[0]);
    assert_memory_equal(agg_out[0], agg_out[1], sizeof(float) * t.n_floats);
    for (int i = 0; i < 2; i++)
        free(bytes[i]), free(agg_out[i]);
    free(delta);
    tplr_codec_table_free(&t);
}

static void test_overlap(void **state)
{
    (void)state;
    tplr_codec_table t = cu_table(shapes, N_SHAPES);
    tplr_codec_params p = tplr_codec_defaults();
    p.topk = 16;
    unsigned char *b[PEERS];
    size_t len[PEERS];
    tplr_codec_view v[PEERS];
    encode_peers(&t, &p, TPLR_CODEC_IDX_PACK12, TPLR_CODEC_CODES_BYTE, b, len, v);
    tplr_codec_overlap o;
    double per[N_SHAPES];
    ASSERT_OK(tplr_codec_overlap_of(&v[0], &v[0], &o, per));
    assert_true(o.fraction == 1.0 && o.shared == o.total);
    /* brute force over the 12-bit streams: Σ shared / Σ tiles·k */
    for (int a = 0; a < PEERS; a++)
        for (int c = a + 1; c < PEERS; c++) {
            uint64_t shared = 0, total = 0;
            for (int ti = 0; ti < N_SHAPES; ti++) {
                const tplr_codec_record *ra = &v[a].records[ti], *rc = &v[c].records[ti];
                uint16_t ia[4096], ic[4096];
                int k = ra->geom.k;
                for (size_t ch = 0; ch < ra->geom.n_chunks; ch++) {
                    codec_pack12_read(ra->idx + ch * (size_t)k / 2 * 3, (size_t)k, ia);
                    codec_pack12_read(rc->idx + ch * (size_t)k / 2 * 3, (size_t)k, ic);
                    for (int x = 0; x < k; x++)
                        for (int y = 0; y < k; y++)
                            if (ia[x] == ic[y]) {
                                shared++;
                                break;
                            }
                }
                total += ra->geom.n_chunks * (uint64_t)k;
            }
            ASSERT_OK(tplr_codec_overlap_of(&v[a], &v[c], &o, per));
            assert_int_equal(o.shared, shared);
            assert_int_equal(o.total, total);
        }
    ASSERT_OK(tplr_codec_overlap_of(&v[0], &v[3], &o, NULL));
    double copied = o.fraction;
    ASSERT_OK(tplr_codec_overlap_of(&v[0], &v[1], &o, NULL));
    assert_true(copied > o.fraction + 0.1); /* peer 3 copied half of peer 0's delta */
    for (int i = 0; i < PEERS; i++)
        tplr_codec_view_free(&v[i]), free(b[i]);
    tplr_codec_table_free(&t);
}

static void test_outer(void **state)
{
    (void)state;
    tplr_tensor_info ti[2] = {{.name = "a", .ndim = 1, .shape = {2}, .offset = 0, .numel = 2},
                              {.name = "b", .ndim = 1, .shape = {1}, .offset = 2, .numel = 1}};
    float theta[3] = {1.0f, -2.0f, 3.0f}, g[3] = {0.5f, 1.0f, 2.0f};
    tplr_outer_hparams h = tplr_outer_defaults(TPLR_OUTER_SGD);
    assert_true(h.lr == 0.4);
    tplr_outer *o;
    ASSERT_OK(tplr_outer_create(&h, 3, &o));
    unsigned char skip[2] = {0, 1};
    tplr_outer_step(o, theta, g, ti, 2, skip);
    assert_true(fabs(theta[0] - 0.8) < 1e-7 && fabs(theta[1] + 2.4) < 1e-7 && theta[2] == 3.0f);
    tplr_outer_free(o);
    /* Nesterov by hand: m1 = g, θ1 = θ0 − lr(g + μg); m2 = μm1 + g, θ2 = θ1 − lr(g + μm2) */
    h = tplr_outer_defaults(TPLR_OUTER_NESTEROV);
    assert_true(h.lr == 0.7 && h.momentum == 0.9);
    ASSERT_OK(tplr_outer_create(&h, 3, &o));
    float th[3] = {1.0f, 1.0f, 1.0f}, gg[3] = {1.0f, -1.0f, 0.25f};
    tplr_outer_step(o, th, gg, ti, 2, NULL);
    tplr_outer_step(o, th, gg, ti, 2, skip);
    for (int i = 0; i < 3; i++) {
        double m1 = gg[i], t1 = 1.0 - 0.7 * (gg[i] + 0.9 * m1), m2 = 0.9 * m1 + gg[i], t2 = t1 - 0.7 * (gg[i] + 0.9 * m2);
        assert_true(fabs(th[i] - (i == 2 ? t1 : t2)) < 1e-6);
    }
    assert_true(o->momentum[2] == 0.25f); /* skipped tensor: momentum untouched */
    tplr_outer_free(o);
    h.momentum = 1.0;
    assert_int_equal(tplr_outer_validate(&h), TPLR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_and_geometry),
        cmocka_unit_test(test_pack12),
        cmocka_unit_test(test_code_packing),
        cmocka_unit_test(test_rice),
        cmocka_unit_test(test_dct),
        cmocka_unit_test(test_quantizer),
        cmocka_unit_test(test_topk),
        cmocka_unit_test(test_error_feedback),
        cmocka_unit_test(test_nonfinite_delta),
        cmocka_unit_test(test_aggregate_reference),
        cmocka_unit_test(test_decode_duplicates),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_outer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
