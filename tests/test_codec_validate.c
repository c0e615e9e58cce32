/* Validation of untrusted containers: each field altered (and re-signed, so
 * that the check under test is the one that fires) yields its typed reason;
 * truncations, bit flips and random edits never pass unnoticed or crash. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/codec/internal.h"
#include "codec_util.h"
#include "tplr/rng.h"

static const int64_t shapes[][2] = {{96, 128}, {40, 0}, {64, 64}, {10, 0}};
#define N_T 4

typedef struct fixture {
    tplr_codec_table t;
    tplr_codec_params p;
    cu_keys k, other;
    unsigned char *rice, *byte; /* AUTO + packed codes; 12-bit + byte codes */
    size_t rice_len, byte_len;
} fixture;

static fixture F;

static int setup(void **state)
{
    (void)state;
    F.t = cu_table(shapes, N_T);
    F.p = tplr_codec_defaults();
    F.p.topk = 16;
    F.k = cu_keys_make(7);
    F.other = cu_keys_make(8);
    float *delta = cu_randn(F.t.n_floats, 5, 5, 0.1f);
    for (int layout = 0; layout < 2; layout++) {
        tplr_codec_encode_opts o = tplr_codec_encode_defaults();
        o.index_layout = layout ? TPLR_CODEC_IDX_PACK12 : TPLR_CODEC_IDX_AUTO;
        o.code_layout = layout ? TPLR_CODEC_CODES_BYTE : TPLR_CODEC_CODES_PACKED;
        tplr_codec_encoder *enc;
        ASSERT_OK(tplr_codec_encoder_create(&F.t, &F.p, &o, &enc));
        if (layout)
            F.byte = cu_encode(enc, delta, &F.k, 77, 12, &F.byte_len);
        else
            F.rice = cu_encode(enc, delta, &F.k, 77, 12, &F.rice_len);
        tplr_codec_encoder_free(enc);
    }
    free(delta);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(F.rice);
    free(F.byte);
    tplr_codec_table_free(&F.t);
    return 0;
}

static tplr_codec_expect strict(void) { return (tplr_codec_expect){&F.t, &F.p, F.k.pk, 77, 12, 0}; }

/* Validates b (n bytes) and checks the reason. */
static void expect_reason(const unsigned char *b, size_t n, const tplr_codec_expect *x, tplr_codec_reason want,
                          const char *what)
{
    tplr_codec_view v;
    tplr_codec_reason why;
    tplr_err e = tplr_codec_validate(b, n, x, &v, &why);
    if (want == TPLR_CODEC_VALID) {
        if (e)
            fail_msg("%s: refused (%s): %s", what, tplr_codec_reason_name(why), tplr_errmsg());
        tplr_codec_view_free(&v);
        return;
    }
    if (!e)
        fail_msg("%s: accepted, expected %s", what, tplr_codec_reason_name(want));
    if (why != want)
        fail_msg("%s: reason %s, expected %s (%s)", what, tplr_codec_reason_name(why), tplr_codec_reason_name(want),
                 tplr_errmsg());
}

/* Byte offsets of record t's fields, from a parse of the original. */
typedef struct rec_at {
    size_t start, ndim_at, shape, tile, k, layout, shift, scale, lookup, idx_len, idx, code_len, codes;
    size_t idx_bytes, code_bytes;
} rec_at;

static rec_at locate(const unsigned char *b, size_t n, int t)
{
    tplr_codec_expect x = {NULL, NULL, NULL, -1, -1, 0};
    tplr_codec_view v;
    tplr_codec_reason why;
    ASSERT_OK(tplr_codec_parse(b, n, &x, &v, &why));
    rec_at r;
    const tplr_codec_record *rec = &v.records[t];
    r.start = t == 0 ? CODEC_HEADER_BYTES
                     : (size_t)(v.records[t - 1].codes - b) + v.records[t - 1].code_bytes;
    size_t L = strlen(rec->name), nd = (size_t)rec->ndim;
    r.ndim_at = r.start + 1 + L;
    r.shape = r.ndim_at + 1;
    r.tile = r.shape + 4 * nd;
    r.k = r.tile + 2 * nd;
    r.layout = r.k + 2;
    r.shift = r.layout + 4;
    r.scale = r.shift + 4;
    r.lookup = r.scale + 4;
    r.idx_len = r.lookup + 4 * (size_t)F.p.bins;
    r.idx = r.idx_len + 4;
    assert_int_equal(r.idx, (size_t)(rec->idx - b));
    r.code_len = r.idx + rec->idx_bytes;
    r.codes = r.code_len + 4;
    r.idx_bytes = rec->idx_bytes;
    r.code_bytes = rec->code_bytes;
    tplr_codec_view_free(&v);
    return r;
}

/* A copy of src (n bytes, plus room for extra) to alter. */
static unsigned char *copy_of(const unsigned char *src, size_t n, size_t extra)
{
    unsigned char *c = malloc(n + extra);
    memcpy(c, src, n);
    return c;
}

static void resign(unsigned char *b, size_t n) { ASSERT_OK(tplr_codec_sign(b, n, F.k.sk)); }

/* Alters one field of record t of the byte-layout (or Rice) container, re-signs, checks. */
typedef void (*edit_fn)(unsigned char *b, const rec_at *r);

static void check_edit(int use_byte, int t, edit_fn edit, tplr_codec_reason want, const char *what)
{
    const unsigned char *src = use_byte ? F.byte : F.rice;
    size_t n = use_byte ? F.byte_len : F.rice_len;
    rec_at r = locate(src, n, t);
    unsigned char *b = copy_of(src, n, 0);
    edit(b, &r);
    resign(b, n);
    tplr_codec_expect x = strict();
    expect_reason(b, n, &x, want, what);
    free(b);
}

static void e_name(unsigned char *b, const rec_at *r) { b[r->start + 2] = 'X'; } /* "t0" → "tX" */
static void e_shape(unsigned char *b, const rec_at *r) { codec_put_u32(b + r->shape, 97); }
static void e_tile(unsigned char *b, const rec_at *r) { codec_put_u16(b + r->tile, 32); }
static void e_k(unsigned char *b, const rec_at *r) { codec_put_u16(b + r->k, 14); }
static void e_idx_layout(unsigned char *b, const rec_at *r) { b[r->layout] = 2; }
static void e_rice_param(unsigned char *b, const rec_at *r) { b[r->layout + 1] = 13; }
static void e_code_layout(unsigned char *b, const rec_at *r) { b[r->layout + 2] = 2; }
static void e_reserved(unsigned char *b, const rec_at *r) { b[r->layout + 3] = 1; }
static void e_scale_zero(unsigned char *b, const rec_at *r) { codec_put_f32(b + r->scale, 0.0f); }
static void e_scale_big(unsigned char *b, const rec_at *r) { codec_put_f32(b + r->scale, 2e4f); }
static void e_shift_nan(unsigned char *b, const rec_at *r) { codec_put_f32(b + r->shift, NAN); }
static void e_lookup_inf(unsigned char *b, const rec_at *r) { codec_put_f32(b + r->lookup + 4, INFINITY); }
static void e_deq_overflow(unsigned char *b, const rec_at *r)
{
    codec_put_f32(b + r->shift, 3e38f);
    codec_put_f32(b + r->lookup + 12, 3e38f);
}
static void e_idx_len(unsigned char *b, const rec_at *r) { codec_put_u32(b + r->idx_len, (uint32_t)r->idx_bytes - 3); }
static void e_code_len(unsigned char *b, const rec_at *r) { codec_put_u32(b + r->code_len, (uint32_t)r->code_bytes + 1); }
/* 12-bit stream: first position ← 4095 (the 1-D tensor's tile holds 40) */
static void e_index_big(unsigned char *b, const rec_at *r) { b[r->idx] = 0xFF, b[r->idx + 1] |= 0x0F; }
/* 12-bit stream: second position ← first position */
static void e_index_dup(unsigned char *b, const rec_at *r)
{
    unsigned a = b[r->idx] | (b[r->idx + 1] & 0x0Fu) << 8;
    b[r->idx + 1] = (unsigned char)((b[r->idx + 1] & 0x0F) | (a & 0x0F) << 4);
    b[r->idx + 2] = (unsigned char)(a >> 4);
}
static void e_code_big(unsigned char *b, const rec_at *r) { b[r->codes + 3] = 9; }
static void e_code_padding(unsigned char *b, const rec_at *r) { b[r->codes + r->code_bytes - 1] |= 0x80; }
static void e_rice_tail(unsigned char *b, const rec_at *r) { b[r->idx + r->idx_bytes - 1] |= 0x80; }
static void e_rice_garbage(unsigned char *b, const rec_at *r) { memset(b + r->idx, 0, r->idx_bytes); }

static void test_valid(void **state)
{
    (void)state;
    tplr_codec_expect x = strict();
    expect_reason(F.rice, F.rice_len, &x, TPLR_CODEC_VALID, "rice container");
    expect_reason(F.byte, F.byte_len, &x, TPLR_CODEC_VALID, "byte container");
    tplr_codec_expect any = {NULL, NULL, NULL, -1, -1, 0};
    tplr_codec_view v;
    tplr_codec_reason why;
    ASSERT_OK(tplr_codec_validate(F.rice, F.rice_len, &any, &v, &why));
    assert_int_equal(v.n_records, N_T);
    assert_int_equal(v.window, 77);
    assert_int_equal(v.uid, 12);
    assert_memory_equal(v.hotkey, F.k.pk, 32);
    tplr_codec_table own;
    ASSERT_OK(tplr_codec_table_of_view(&v, &own));
    assert_int_equal(own.n_floats, F.t.n_floats);
    assert_string_equal(own.tensors[3].name, "t3");
    tplr_codec_table_free(&own);
    tplr_codec_view_free(&v);
    assert_true(F.rice_len < F.byte_len);
}

static void test_header_reasons(void **state)
{
    (void)state;
    tplr_codec_expect x = strict();
    unsigned char *b = copy_of(F.rice, F.rice_len, 1);
    size_t n = F.rice_len;
    b[0] = 'X';
    expect_reason(b, n, &x, TPLR_CODEC_BAD_MAGIC, "magic");
    memcpy(b, F.rice, n);
    codec_put_u16(b + 8, 2), resign(b, n);
    expect_reason(b, n, &x, TPLR_CODEC_BAD_VERSION, "version");
    memcpy(b, F.rice, n);
    codec_put_u16(b + 10, 2), resign(b, n);
    expect_reason(b, n, &x, TPLR_CODEC_BAD_HEADER, "flags");
    memcpy(b, F.rice, n);
    codec_put_u16(b + 16, 1), resign(b, n);
    expect_reason(b, n, &x, TPLR_CODEC_BAD_HEADER, "one bin");
    memcpy(b, F.rice, n);
    codec_put_u32(b + 20, 0), resign(b, n);
    expect_reason(b, n, &x, TPLR_CODEC_BAD_HEADER, "no tensors");
    memcpy(b, F.rice, n);
    codec_put_u32(b + 20, N_T + 1), resign(b, n);
    expect_reason(b, n, &x, TPLR_CODEC_WRONG_TENSORS, "one tensor more");
    memcpy(b, F.rice, n);
    codec_put_u16(b + 14, 8), resign(b, n); /* topk 8: k no longer matches */
    tplr_codec_expect no_params = x;
    no_params.params = NULL;
    expect_reason(b, n, &no_params, TPLR_CODEC_BAD_K, "header topk");
    expect_reason(b, n, &x, TPLR_CODEC_WRONG_PARAMS, "network topk");
    memcpy(b, F.rice, n);
    tplr_codec_expect w = x;
    w.window = 78;
    expect_reason(b, n, &w, TPLR_CODEC_WRONG_WINDOW, "window");
    w = x, w.uid = 13;
    expect_reason(b, n, &w, TPLR_CODEC_WRONG_UID, "uid");
    w = x, w.signer = F.other.pk;
    expect_reason(b, n, &w, TPLR_CODEC_WRONG_SIGNER, "signer");
    w = x, w.max_bytes = n - 1;
    expect_reason(b, n, &w, TPLR_CODEC_TOO_LARGE, "size cap");
    b[100] ^= 1; /* not re-signed */
    expect_reason(b, n, &x, TPLR_CODEC_BAD_DIGEST, "altered body");
    memcpy(b, F.rice, n);
    b[n - 1] ^= 1;
    expect_reason(b, n, &x, TPLR_CODEC_BAD_SIGNATURE, "altered signature");
    /* signed by another key, the header claiming it */
    memcpy(b, F.rice, n);
    memcpy(b + 36, F.other.pk, 32);
    ASSERT_OK(tplr_codec_sign(b, n, F.other.sk));
    expect_reason(b, n, &x, TPLR_CODEC_WRONG_SIGNER, "another miner's key");
    w = x, w.signer = NULL;
    expect_reason(b, n, &w, TPLR_CODEC_VALID, "another miner's key, any signer");
    /* a key that is not the header's cannot sign */
    assert_int_equal(tplr_codec_sign(b, n, F.k.sk), TPLR_EINVAL);
    /* one byte more before the signature */
    memcpy(b, F.rice, n - CODEC_TAIL_BYTES);
    b[n - CODEC_TAIL_BYTES] = 0;
    resign(b, n + 1);
    expect_reason(b, n + 1, &x, TPLR_CODEC_TRAILING, "trailing byte");
    free(b);
}

static void test_record_reasons(void **state)
{
    (void)state;
    check_edit(0, 0, e_name, TPLR_CODEC_WRONG_TENSORS, "name");
    check_edit(0, 0, e_shape, TPLR_CODEC_WRONG_SHAPE, "shape");
    check_edit(0, 0, e_tile, TPLR_CODEC_BAD_CHUNK, "tile");
    check_edit(0, 2, e_k, TPLR_CODEC_BAD_K, "k");
    check_edit(0, 0, e_idx_layout, TPLR_CODEC_BAD_LAYOUT, "index layout");
    check_edit(0, 0, e_rice_param, TPLR_CODEC_BAD_LAYOUT, "rice parameter");
    check_edit(0, 0, e_code_layout, TPLR_CODEC_BAD_LAYOUT, "code layout");
    check_edit(0, 0, e_reserved, TPLR_CODEC_BAD_LAYOUT, "reserved byte");
    check_edit(1, 0, e_idx_len, TPLR_CODEC_BAD_LAYOUT, "12-bit stream length");
    check_edit(1, 1, e_code_len, TPLR_CODEC_BAD_LAYOUT, "code stream length");
    check_edit(0, 1, e_scale_zero, TPLR_CODEC_BAD_QUANT, "scale 0");
    check_edit(0, 1, e_scale_big, TPLR_CODEC_BAD_QUANT, "scale 2e4");
    check_edit(0, 1, e_shift_nan, TPLR_CODEC_BAD_QUANT, "shift NaN");
    check_edit(0, 1, e_lookup_inf, TPLR_CODEC_BAD_QUANT, "lookup inf");
    check_edit(0, 1, e_deq_overflow, TPLR_CODEC_BAD_QUANT, "lookup + shift overflows");
    check_edit(1, 1, e_index_big, TPLR_CODEC_BAD_INDEX, "position past the tile");
    check_edit(1, 2, e_index_dup, TPLR_CODEC_BAD_INDEX, "repeated position");
    check_edit(1, 2, e_code_big, TPLR_CODEC_BAD_CODE, "code 9 of 4 bins");
    check_edit(0, 3, e_code_padding, TPLR_CODEC_BAD_CODE, "code padding");
    check_edit(0, 0, e_rice_garbage, TPLR_CODEC_BAD_INDEX, "zeroed Rice stream");
    /* nonzero padding after the last Rice tile (if the stream has padding bits) */
    tplr_codec_expect any = {NULL, NULL, NULL, -1, -1, 0};
    tplr_codec_view v;
    tplr_codec_reason why;
    ASSERT_OK(tplr_codec_parse(F.rice, F.rice_len, &any, &v, &why));
    int tested = 0;
    for (int t = 0; t < N_T && !tested; t++) {
        codec_bitr rd = {v.records[t].idx, v.records[t].idx_bytes, 0};
        uint16_t idx[4096];
        for (size_t c = 0; c < v.records[t].geom.n_chunks; c++)
            assert_int_equal(codec_rice_read_tile(&rd, v.records[t].rice_param, v.records[t].geom.k,
                                                  v.records[t].geom.totalk, idx), 0);
        if (v.records[t].index_layout == TPLR_CODEC_IDX_RICE && rd.pos % 8) {
            check_edit(0, t, e_rice_tail, TPLR_CODEC_BAD_INDEX, "Rice padding");
            tested = 1;
        }
    }
    assert_true(tested);
    tplr_codec_view_free(&v);
}

/* Every prefix and every single-bit flip is refused; parsing them never
 * reads out of bounds (run under ASan). */
static void test_truncations_and_flips(void **state)
{
    (void)state;
    tplr_codec_expect x = strict(), any = {NULL, NULL, NULL, -1, -1, 0};
    tplr_codec_view v;
    tplr_codec_reason why;
    const unsigned char *srcs[2] = {F.rice, F.byte};
    size_t lens[2] = {F.rice_len, F.byte_len};
    for (int s = 0; s < 2; s++) {
        for (size_t n = 0; n < lens[s]; n++) {
            unsigned char *b = copy_of(srcs[s], n, 0); /* exact size, so ASan sees overreads */
            assert_int_not_equal(tplr_codec_validate(b, n, &x, &v, &why), TPLR_OK);
            assert_int_not_equal(why, TPLR_CODEC_VALID);
            if (tplr_codec_parse(b, n, &any, &v, &why) == TPLR_OK)
                fail_msg("a %zu-byte prefix of %zu parses", n, lens[s]);
            free(b);
        }
        unsigned char *b = copy_of(srcs[s], lens[s], 0);
        for (size_t i = 0; i < lens[s]; i += 1 + i / 64)
            for (int bit = 0; bit < 8; bit += 3) {
                b[i] ^= (unsigned char)(1u << bit);
                assert_int_not_equal(tplr_codec_validate(b, lens[s], &x, &v, &why), TPLR_OK);
                if (tplr_codec_parse(b, lens[s], &any, &v, &why) == TPLR_OK)
                    tplr_codec_view_free(&v);
                b[i] ^= (unsigned char)(1u << bit);
            }
        free(b);
    }
}

/* Random edits, re-signed: whatever passes validation decodes and
 * aggregates without trouble. */
static void test_random_edits(void **state)
{
    (void)state;
    tplr_codec_expect x = strict();
    tplr_codec_aggregator *agg;
    ASSERT_OK(tplr_codec_aggregator_create(&F.t, &F.p, 2, &agg));
    float *out = malloc(sizeof(float) * F.t.n_floats);
    int accepted = 0;
    for (int it = 0; it < 3000; it++) {
        const unsigned char *src = it % 2 ? F.byte : F.rice;
        size_t n = it % 2 ? F.byte_len : F.rice_len;
        unsigned char *b = copy_of(src, n, 0);
        int edits = 1 + (int)tplr_rng_below(31, (uint64_t)it, 0, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = CODEC_HEADER_BYTES + tplr_rng_below(31, (uint64_t)it, 1 + (uint64_t)e,
                                                            n - CODEC_HEADER_BYTES - CODEC_TAIL_BYTES);
            b[at] = (unsigned char)tplr_rng_below(31, (uint64_t)it, 100 + (uint64_t)e, 256);
        }
        resign(b, n);
        tplr_codec_view v;
        tplr_codec_reason why;
        if (tplr_codec_validate(b, n, &x, &v, &why) == TPLR_OK) {
            accepted++;
            const tplr_codec_view *pv[2] = {&v, &v};
            ASSERT_OK(tplr_codec_aggregate(agg, pv, 2, out, NULL, NULL));
            tplr_codec_view_free(&v);
        } else
            assert_int_not_equal(why, TPLR_CODEC_VALID);
        free(b);
    }
    assert_true(accepted > 0); /* edits of values and codes are legal */
    free(out);
    tplr_codec_aggregator_free(agg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_header_reasons),
        cmocka_unit_test(test_record_reasons),
        cmocka_unit_test(test_truncations_and_flips),
        cmocka_unit_test(test_random_edits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
