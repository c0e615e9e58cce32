/* The codec against an independent NumPy implementation of the same math
 * (tests/reference/codec_ref.py → tests/reference/golden/codec.safetensors):
 * positions, codes, quantizer parameters, error feedback, decoded values,
 * Templar's byte layouts, aggregation of 5 peers and index overlap, with and
 * without the DCT. Inputs are recomputed here from the script's integer hash.
 *
 * Tolerances: positions, codes, byte layouts and overlap counts exact;
 * quantizer parameters, error feedback, decoded and aggregated values within
 * 1e-6 of the largest value (float64 sums in another order may move the last
 * bit; measured: identical or one float32 ulp). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_util.h"
#include "tplr/safetensors.h"

#define N_T 6
#define N_PEERS 5
#define TOL 1e-6

static tplr_safetensors G;
static int64_t shapes[N_T][2];
static double worst_seen;

static int setup(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/reference/golden/codec.safetensors", tu_src_dir());
    ASSERT_OK(tplr_st_open(path, &G));
    json_t *s = json_loads(tplr_st_meta_get(&G, "shapes"), 0, NULL);
    assert_int_equal(json_array_size(s), N_T);
    for (int i = 0; i < N_T; i++) {
        json_t *d = json_array_get(s, (size_t)i);
        shapes[i][0] = json_integer_value(json_array_get(d, 0));
        shapes[i][1] = json_array_size(d) == 2 ? json_integer_value(json_array_get(d, 1)) : 0;
    }
    json_decref(s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tplr_st_close(&G);
    printf("largest relative difference to the NumPy reference: %.2g\n", worst_seen);
    return 0;
}

static const tplr_st_tensor *get(const char *fmt, const char *a, int r, const char *b)
{
    char name[128];
    snprintf(name, sizeof name, fmt, a, r, b);
    const tplr_st_tensor *t = tplr_st_find(&G, name);
    if (!t)
        fail_msg("golden tensor %s is missing (regenerate with tests/reference/codec_ref.py)", name);
    return t;
}

static const tplr_st_tensor *get_case(const char *case_name, const char *what)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", case_name, what);
    const tplr_st_tensor *t = tplr_st_find(&G, name);
    if (!t)
        fail_msg("golden tensor %s is missing (regenerate with tests/reference/codec_ref.py)", name);
    return t;
}

static void close_to(const float *got, const tplr_st_tensor *want, size_t n, const char *what)
{
    assert_int_equal(want->numel, n);
    float *w = malloc(sizeof(float) * n);
    ASSERT_OK(tplr_st_read_f32(&G, want, w, n));
    double d = tu_max_rel_diff(got, w, n);
    worst_seen = d > worst_seen ? d : worst_seen;
    if (d > TOL)
        fail_msg("%s: largest relative difference %.3g", what, d);
    free(w);
}

/* The script's hash_floats and deltas_for, bit for bit. */
static void hash_floats(float *out, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t h = ((uint32_t)i + seed * 1000003u) * 2654435761u;
        h ^= h >> 15;
        h *= 2246822519u;
        h ^= h >> 13;
        float u = (float)((int32_t)(h >> 8) - (1 << 23)) * 0x1p-23f;
        out[i] = u * u * u;
    }
}

static void deltas_for(const tplr_codec_table *t, uint32_t seed, double scale, float *out)
{
    for (int i = 0; i < N_T; i++) {
        float *d = out + t->tensors[i].offset, s = (float)(scale * (1 + i)), step = (float)(scale * 0.25);
        hash_floats(d, t->tensors[i].numel, seed * 16 + (uint32_t)i);
        for (size_t j = 0; j < t->tensors[i].numel; j++) {
            d[j] = d[j] * s;
            if (i == 1)
                d[j] = __builtin_rintf(d[j] / step) * step;
        }
    }
}

typedef struct gcase {
    const char *name;
    tplr_codec_params p;
    double decay;
} gcase;

static gcase load_case(const char *name)
{
    json_t *all = json_loads(tplr_st_meta_get(&G, "cases"), 0, NULL), *c = json_object_get(all, name);
    assert_non_null(c);
    gcase g = {name,
               {(int)json_integer_value(json_object_get(c, "topk")), (int)json_integer_value(json_object_get(c, "chunk")),
                (int)json_integer_value(json_object_get(c, "bins")), (int)json_integer_value(json_object_get(c, "range")),
                (int)json_integer_value(json_object_get(c, "dct"))},
               json_real_value(json_object_get(c, "decay"))};
    json_decref(all);
    return g;
}

/* One record against the golden positions, codes and quantizer. */
static void check_record(const tplr_codec_record *rec, const char *cname, int r, const char *tname)
{
    const tplr_st_tensor *gi = get("%s.idx.%d.%s", cname, r, tname), *gc = get("%s.codes.%d.%s", cname, r, tname);
    const tplr_st_tensor *gq = get("%s.quant.%d.%s", cname, r, tname);
    int k = rec->geom.k;
    assert_int_equal(gi->numel, rec->geom.n_chunks * (size_t)k);
    for (size_t c = 0; c < rec->geom.n_chunks; c++) {
        const uint16_t *idx = rec->pos + c * (size_t)k;
        const uint8_t *codes = rec->code + c * (size_t)k;
        for (int j = 0; j < k; j++) {
            int32_t want_i;
            memcpy(&want_i, gi->data + 4 * (c * (size_t)k + (size_t)j), 4);
            if (idx[j] != want_i || codes[j] != gc->data[c * (size_t)k + (size_t)j])
                fail_msg("%s round %d %s tile %zu value %d: position %d code %d, NumPy says %d and %d", cname, r, tname,
                         c, j, idx[j], codes[j], want_i, gc->data[c * (size_t)k + (size_t)j]);
        }
    }
    float q[2 + TPLR_CODEC_MAX_BINS];
    q[0] = rec->shift;
    q[1] = rec->scale;
    memcpy(q + 2, rec->lookup, sizeof(float) * (gq->numel - 2));
    close_to(q, gq, gq->numel, "quantizer parameters");
}

static void run_rounds(const gcase *gc, const tplr_codec_table *t)
{
    tplr_codec_encode_opts o[2] = {tplr_codec_encode_defaults(), tplr_codec_encode_defaults()};
    o[0].index_layout = TPLR_CODEC_IDX_PACK12; /* Templar's byte layouts */
    o[0].code_layout = TPLR_CODEC_CODES_BYTE;
    tplr_codec_encoder *enc[2];
    tplr_codec_aggregator *agg;
    cu_keys keys = cu_keys_make(3);
    for (int i = 0; i < 2; i++) {
        o[i].momentum_decay = gc->decay;
        ASSERT_OK(tplr_codec_encoder_create(t, &gc->p, &o[i], &enc[i]));
    }
    ASSERT_OK(tplr_codec_aggregator_create(t, &gc->p, N_PEERS, &agg));
    float *delta = malloc(sizeof(float) * t->n_floats), *dec = malloc(sizeof(float) * t->n_floats);
    for (int r = 0; r < 2; r++) {
        deltas_for(t, (uint32_t)(100 * r + (int)strlen(gc->name)), 1e-3, delta);
        for (int layout = 0; layout < 2; layout++) {
            size_t len;
            unsigned char *b = cu_encode(enc[layout], delta, &keys, (uint64_t)r, 0, &len);
            tplr_codec_view v;
            cu_validate(b, len, t, &gc->p, &v);
            ASSERT_OK(tplr_codec_decode(agg, &v, dec, NULL));
            close_to(dec, get("%s.sent.%d%s", gc->name, r, ""), t->n_floats, "decoded values");
            close_to(tplr_codec_encoder_state(enc[layout]), get("%s.e.%d%s", gc->name, r, ""), t->n_floats,
                     "error feedback");
            for (int i = 0; i < N_T; i++)
                check_record(&v.records[i], gc->name, r, t->tensors[i].name);
            if (!strcmp(gc->name, "plain") && r == 0) {
                const tplr_codec_record *r0 = &v.records[0];
                const tplr_st_tensor *want =
                    layout == 0 ? get("%s.pack12.%d.%s", "plain", 0, "t0") : get("%s.packed_codes.%d.%s", "plain", 0, "t0");
                const unsigned char *got = layout == 0 ? r0->idx : r0->codes;
                assert_int_equal(layout == 0 ? r0->idx_bytes : r0->code_bytes, want->nbytes);
                assert_memory_equal(got, want->data, want->nbytes);
            }
            tplr_codec_view_free(&v);
            free(b);
        }
    }
    free(delta);
    free(dec);
    tplr_codec_aggregator_free(agg);
    tplr_codec_encoder_free(enc[0]);
    tplr_codec_encoder_free(enc[1]);
}

static void run_peers(const gcase *gc, const tplr_codec_table *t)
{
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    o.momentum_decay = gc->decay;
    cu_keys keys = cu_keys_make(4);
    unsigned char *bytes[N_PEERS];
    tplr_codec_view v[N_PEERS];
    const tplr_codec_view *pv[N_PEERS];
    float *delta = malloc(sizeof(float) * t->n_floats), *out = malloc(sizeof(float) * t->n_floats);
    for (int i = 0; i < N_PEERS; i++) {
        tplr_codec_encoder *enc;
        size_t len;
        ASSERT_OK(tplr_codec_encoder_create(t, &gc->p, &o, &enc));
        deltas_for(t, (uint32_t)(1000 + i), 1e-3 * (1 + i * i), delta);
        bytes[i] = cu_encode(enc, delta, &keys, 1, (uint32_t)i, &len);
        cu_validate(bytes[i], len, t, &gc->p, &v[i]);
        pv[i] = &v[i];
        tplr_codec_encoder_free(enc);
    }
    tplr_codec_aggregator *agg;
    ASSERT_OK(tplr_codec_aggregator_create(t, &gc->p, N_PEERS, &agg));
    ASSERT_OK(tplr_codec_aggregate(agg, pv, N_PEERS, out, NULL, NULL));
    close_to(out, get_case(gc->name, "aggregate"), t->n_floats, "aggregate");
    float norms[N_PEERS * N_T];
    for (int i = 0; i < N_PEERS; i++)
        for (int j = 0; j < N_T; j++)
            norms[i * N_T + j] = (float)v[i].records[j].norm;
    close_to(norms, get_case(gc->name, "norms"), N_PEERS * N_T, "peer norms");
    const tplr_st_tensor *ov = get_case(gc->name, "overlap");
    for (int a = 0; a < N_PEERS; a++)
        for (int b = 0; b < N_PEERS; b++) {
            tplr_codec_overlap o2;
            ASSERT_OK(tplr_codec_overlap_of(&v[a], &v[b], &o2, NULL));
            int64_t want[2];
            memcpy(want, ov->data + 16 * (size_t)(a * N_PEERS + b), 16);
            assert_int_equal(o2.shared, want[0]);
            assert_int_equal(o2.total, want[1]);
        }
    for (int i = 0; i < N_PEERS; i++) {
        tplr_codec_view_free(&v[i]);
        free(bytes[i]);
    }
    free(delta);
    free(out);
    tplr_codec_aggregator_free(agg);
}

static void run_case(const char *name)
{
    gcase gc = load_case(name);
    tplr_codec_table t = cu_table((const int64_t(*)[2])shapes, N_T);
    run_rounds(&gc, &t);
    run_peers(&gc, &t);
    tplr_codec_table_free(&t);
}

static void test_plain(void **state)
{
    (void)state;
    run_case("plain");
}

static void test_dct(void **state)
{
    (void)state;
    run_case("dct");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_dct),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
