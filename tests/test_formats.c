/* safetensors, .npy, config.json and checkpoints: round trips, and every
 * kind of broken input refused with a typed error. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "tplr/checkpoint.h"
#include "tplr/fileio.h"
#include "tplr/npy.h"
#include "tplr/samples.h"

static char dir[4096];

static int setup(void **state)
{
    (void)state;
    tu_tmpdir("formats", dir, sizeof dir);
    return 0;
}

static const char *path_in(const char *name)
{
    static char p[4300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    ASSERT_OK(tplr_write_file_atomic(path, data, n));
}

static void expect_error(tplr_err got, tplr_err want, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(got), tplr_errmsg());
    if (needle && !strstr(tplr_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", tplr_errmsg(), needle);
}

/* A safetensors image from a header string and a payload size. */
static size_t make_st(unsigned char *buf, const char *header, size_t payload)
{
    size_t h = strlen(header);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(h >> (8 * i));
    memcpy(buf + 8, header, h);
    memset(buf + 8 + h, 0, payload);
    return 8 + h + payload;
}

static void test_safetensors_roundtrip(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {-1, 0.5f, 7};
    tplr_st_entry e[2] = {{"a.weight", a, 2, {2, 3}}, {"b", b, 1, {3}}};
    tplr_st_meta meta[] = {{"format", "pt"}, {"note", "quote \" and \\ ok"}};
    ASSERT_OK(tplr_st_write(path_in("rt.safetensors"), e, 2, meta, 2));
    tplr_safetensors st;
    ASSERT_OK(tplr_st_open(path_in("rt.safetensors"), &st));
    assert_int_equal(st.n_tensors, 2);
    const tplr_st_tensor *t = tplr_st_find(&st, "a.weight");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[1], 3);
    float back[6];
    ASSERT_OK(tplr_st_read_f32(&st, t, back, 6));
    assert_memory_equal(back, a, sizeof a);
    assert_string_equal(tplr_st_meta_get(&st, "note"), "quote \" and \\ ok");
    expect_error(tplr_st_read_f32(&st, t, back, 5), TPLR_EMISMATCH, "elements");
    tplr_st_close(&st);
}

static void test_safetensors_half_precision(void **state)
{
    (void)state;
    unsigned char buf[256];
    /* F16: 1.0 = 0x3c00, -2.0 = 0xc000, 2^-24 = 0x0001 (subnormal); BF16: 1.0 = 0x3f80 */
    size_t n = make_st(buf, "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                            "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[6,8]}}", 8);
    unsigned char *d = buf + n - 8;
    d[0] = 0x00, d[1] = 0x3c, d[2] = 0x00, d[3] = 0xc0, d[4] = 0x01, d[5] = 0x00, d[6] = 0x80, d[7] = 0x3f;
    tplr_safetensors st;
    ASSERT_OK(tplr_st_parse(buf, n, "mem", &st));
    float h[3], b;
    ASSERT_OK(tplr_st_read_f32(&st, tplr_st_find(&st, "h"), h, 3));
    ASSERT_OK(tplr_st_read_f32(&st, tplr_st_find(&st, "b"), &b, 1));
    assert_true(h[0] == 1.0f && h[1] == -2.0f && h[2] == 0x1p-24f && b == 1.0f);
    tplr_st_close(&st);
}

static void test_safetensors_rejects(void **state)
{
    (void)state;
    unsigned char buf[512];
    tplr_safetensors st;
    static const struct {
        const char *header;
        size_t payload;
        const char *needle;
    } cases[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "outside"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 16, "bytes of data"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, "overlap"},
        {"{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "large"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets"},
        {"{\"a\":1}", 0, "dtype"},
        {"[1,2]", 0, "object"},
        {"{\"a\":", 0, "JSON"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "string"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = make_st(buf, cases[i].header, cases[i].payload);
        expect_error(tplr_st_parse(buf, n, "mem", &st), TPLR_EFORMAT, cases[i].needle);
    }
    /* header length beyond the file, and a file shorter than 8 bytes */
    size_t n = make_st(buf, "{}", 0);
    buf[0] = 200;
    expect_error(tplr_st_parse(buf, n, "mem", &st), TPLR_EFORMAT, "truncated");
    expect_error(tplr_st_parse(buf, 5, "mem", &st), TPLR_EFORMAT, "too short");
}

static tplr_model *tiny_model(const char *set)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    ASSERT_OK(tplr_config_set(&cfg, "layers=2"));
    if (set)
        ASSERT_OK(tplr_config_set(&cfg, set));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, 5);
    return m;
}

static void test_checkpoint_roundtrip(void **state)
{
    (void)state;
    tplr_model *m = tiny_model(NULL), *back;
    ASSERT_OK(tplr_checkpoint_save(m, path_in("ck")));
    ASSERT_OK(tplr_checkpoint_load(path_in("ck"), &back));
    assert_true(tplr_config_equal(&m->cfg, &back->cfg));
    assert_memory_equal(m->params, back->params, sizeof(float) * m->n_params);
    tplr_model_free(back);
    /* no temporary files are left behind */
    DIR *d = opendir(path_in("ck"));
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_name[0] != '.') {
            assert_null(strstr(de->d_name, ".tmp-"));
            entries++;
        }
    closedir(d);
    assert_int_equal(entries, 2); /* config.json, model.safetensors */
    tplr_model_free(m);
}

static void test_checkpoint_rejects(void **state)
{
    (void)state;
    tplr_model *m = tiny_model(NULL), *back;
    ASSERT_OK(tplr_checkpoint_save(m, path_in("bad")));
    /* shapes from another config */
    tplr_model *wide = tiny_model("ffn=180");
    ASSERT_OK(tplr_config_save(&wide->cfg, path_in("bad/config.json")));
    expect_error(tplr_checkpoint_load(path_in("bad"), &back), TPLR_EMISMATCH, "gate_proj.weight");
    /* fewer layers than the weights hold: extra tensors */
    tplr_model *shallow = tiny_model("layers=1");
    ASSERT_OK(tplr_config_save(&shallow->cfg, path_in("bad/config.json")));
    expect_error(tplr_checkpoint_load(path_in("bad"), &back), TPLR_EMISMATCH, "unexpected tensor");
    /* a truncated weights file */
    ASSERT_OK(tplr_config_save(&m->cfg, path_in("bad/config.json")));
    tplr_mmap map;
    ASSERT_OK(tplr_mmap_open(path_in("bad/model.safetensors"), &map));
    unsigned char *copy = malloc(map.size);
    memcpy(copy, map.data, map.size);
    size_t size = map.size;
    tplr_mmap_close(&map);
    write_bytes(path_in("bad/model.safetensors"), copy, size - 100);
    expect_error(tplr_checkpoint_load(path_in("bad"), &back), TPLR_EFORMAT, "model.safetensors");
    free(copy);
    /* a folder without a checkpoint */
    expect_error(tplr_checkpoint_load(path_in("nowhere"), &back), TPLR_ENOTFOUND, "tplr model init");
    tplr_model_free(m);
    tplr_model_free(wide);
    tplr_model_free(shallow);
}

static void test_config_errors(void **state)
{
    (void)state;
    tplr_model_config c;
    ASSERT_OK(tplr_config_preset("small", &c));
    ASSERT_OK(tplr_config_set(&c, "heads=3"));
    expect_error(tplr_config_validate(&c), TPLR_EINVAL, "hidden (256) is not divisible by heads (3)");
    ASSERT_OK(tplr_config_preset("small", &c));
    ASSERT_OK(tplr_config_set(&c, "num_key_value_heads=3"));
    expect_error(tplr_config_validate(&c), TPLR_EINVAL, "kv_heads");
    expect_error(tplr_config_set(&c, "widht=3"), TPLR_EINVAL, "unknown config key 'widht'");
    expect_error(tplr_config_set(&c, "hidden=-3"), TPLR_EINVAL, "positive integer");
    expect_error(tplr_config_set(&c, "tie_embeddings=maybe"), TPLR_EINVAL, "true or false");
    expect_error(tplr_config_preset("huge", &c), TPLR_EINVAL, "tiny, small, 150M, 1B");
    expect_error(tplr_config_from_json(&c, "{\"hidden_size\": 64", "x"), TPLR_EFORMAT, "invalid JSON");
    expect_error(tplr_config_from_json(&c, "{\"hidden_size\":64,\"num_hidden_layers\":1,\"num_attention_heads\":4,"
                                           "\"intermediate_size\":8,\"vocab_size\":10,\"rope_scaling\":{\"type\":\"linear\"}}", "x"),
                 TPLR_EFORMAT, "rope_scaling");
    expect_error(tplr_config_from_json(&c, "{\"hidden_size\":64,\"num_hidden_layers\":1,\"num_attention_heads\":4,"
                                           "\"intermediate_size\":8,\"vocab_size\":10,\"sliding_window\":4}", "x"),
                 TPLR_EFORMAT, "sliding_window");
    expect_error(tplr_config_from_json(&c, "{\"hidden_size\":64,\"num_attention_heads\":4}", "x"), TPLR_EFORMAT,
                 "missing key");
    /* Hugging Face's own key names and defaults */
    ASSERT_OK(tplr_config_from_json(&c, "{\"hidden_size\":64,\"num_hidden_layers\":1,\"num_attention_heads\":4,"
                                        "\"intermediate_size\":8,\"vocab_size\":10,\"transformers_version\":\"4.40\"}", "x"));
    assert_int_equal(c.kv_heads, 4);
    char *json;
    ASSERT_OK(tplr_config_preset("150M", &c));
    ASSERT_OK(tplr_config_to_json(&c, &json));
    tplr_model_config back;
    ASSERT_OK(tplr_config_from_json(&back, json, "roundtrip"));
    assert_true(tplr_config_equal(&c, &back));
    assert_non_null(strstr(json, "\"rms_norm_eps\": 1e-5"));
    free(json);
}

static void test_npy(void **state)
{
    (void)state;
    uint16_t rows[2][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}};
    int64_t shape[2] = {2, 4};
    ASSERT_OK(tplr_npy_write(path_in("a.npy"), TPLR_NPY_U16, 2, shape, rows));
    tplr_npy a;
    ASSERT_OK(tplr_npy_open(path_in("a.npy"), &a));
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 4);
    assert_int_equal(((const unsigned char *)a.data - a.map.data) % 64, 0);
    assert_memory_equal(a.data, rows, sizeof rows);
    tplr_npy_close(&a);
    /* a version 2.0 header as NumPy writes for long headers, with Python 2 longs */
    const char hdr[] = "{'descr': '<i4', 'fortran_order': False, 'shape': (3L,), }";
    unsigned char buf[128] = "\x93NUMPY\x02\x00";
    size_t hl = sizeof hdr - 1;
    buf[8] = (unsigned char)hl;
    memcpy(buf + 12, hdr, hl);
    int32_t vals[3] = {7, -100, 9};
    memcpy(buf + 12 + hl, vals, sizeof vals);
    ASSERT_OK(tplr_npy_parse(buf, 12 + hl + sizeof vals, "v2", &a));
    assert_int_equal(a.ndim, 1);
    int32_t second;
    memcpy(&second, (const unsigned char *)a.data + 4, 4); /* this image's data is not aligned */
    assert_int_equal(second, -100);
    expect_error(tplr_npy_parse(buf, 12 + hl + 8, "v2", &a), TPLR_EFORMAT, "truncated");
    static const char *bad[] = {
        "{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '<u2', 'fortran_order': True, 'shape': (2,), }",
        "{'descr': '<u2', 'fortran_order': False, 'shape': (2,, }",
        "{'descr': '<u2', 'fortran_order': False, }",
        "{'descr': '<u2', 'fortran_order': False, 'shape': (99999999999999999999,), }",
        "{'descr': '<u2', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char b2[256] = "\x93NUMPY\x01\x00";
        size_t l = strlen(bad[i]);
        b2[8] = (unsigned char)l;
        memcpy(b2 + 10, bad[i], l);
        expect_error(tplr_npy_parse(b2, 10 + l + 4, "bad", &a), TPLR_EFORMAT, NULL);
    }
    expect_error(tplr_npy_parse((const unsigned char *)"PK\x03\x04zipfile", 13, "zip", &a), TPLR_EFORMAT,
                 "not a NumPy");
}

static void test_token_rows(void **state)
{
    (void)state;
    uint16_t rows[3][5] = {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, {11, 12, 300, 14, 15}};
    int64_t shape[2] = {3, 5};
    ASSERT_OK(tplr_npy_write(path_in("tok.npy"), TPLR_NPY_U16, 2, shape, rows));
    tplr_token_rows r;
    expect_error(tplr_token_rows_open(path_in("tok.npy"), 256, &r), TPLR_EFORMAT, "row 2, column 2");
    tplr_samples sm;
    tplr_samples_opts so = {.vocab = 301};
    ASSERT_OK(tplr_samples_open(path_in("tok.npy"), &so, &sm));
    assert_int_equal(sm.n, 3);
    assert_int_equal(sm.T, 4);
    /* sequential order: step i uses rows i*B.., wrapping */
    tplr_row_order o;
    ASSERT_OK(tplr_row_order_init(&o, TPLR_ORDER_SEQUENTIAL, 0, sm.n));
    int32_t in[2 * 4], tg[2 * 4];
    tplr_batch_fill(&sm, &o, 1, 2, in, tg); /* rows 2 and 0 */
    assert_int_equal(in[0], 11);
    assert_int_equal(tg[0], 12);
    assert_int_equal(tg[3], 15);
    assert_int_equal(in[4], 1);
    tplr_row_order_free(&o);
    /* shuffled: each epoch is a permutation, and a pure function of (seed, epoch) */
    tplr_row_order s1, s2;
    ASSERT_OK(tplr_row_order_init(&s1, TPLR_ORDER_SHUFFLED, 42, 1000));
    ASSERT_OK(tplr_row_order_init(&s2, TPLR_ORDER_SHUFFLED, 42, 1000));
    char seen[1000] = {0};
    for (int i = 0; i < 1000; i++)
        seen[tplr_row_order_row(&s1, 1000 + i)]++;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(seen[i], 1);
    int64_t late = tplr_row_order_row(&s1, 2500);
    assert_int_equal(tplr_row_order_row(&s2, 2500), late); /* s2 jumps straight to epoch 2 */
    tplr_row_order_free(&s1);
    tplr_row_order_free(&s2);
    tplr_samples_close(&sm);
    /* wrong rank and dtype */
    float f[4] = {0};
    int64_t s1d[1] = {4};
    ASSERT_OK(tplr_npy_write(path_in("f.npy"), TPLR_NPY_F32, 1, s1d, f));
    expect_error(tplr_token_rows_open(path_in("f.npy"), 10, &r), TPLR_EFORMAT, "uint16, uint32 or int32");
    ASSERT_OK(tplr_npy_write(path_in("i.npy"), TPLR_NPY_I32, 1, s1d, f));
    expect_error(tplr_token_rows_open(path_in("i.npy"), 10, &r), TPLR_EFORMAT, "2-D");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safetensors_roundtrip), cmocka_unit_test(test_safetensors_half_precision),
        cmocka_unit_test(test_safetensors_rejects),   cmocka_unit_test(test_checkpoint_roundtrip),
        cmocka_unit_test(test_checkpoint_rejects),    cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_npy),                   cmocka_unit_test(test_token_rows),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
