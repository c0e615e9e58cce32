/* Shards, sample sources and Templar's sampler against golden values from
 * NumPy and hashlib (tests/reference/data_ref.py), plus every broken input. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "tplr/fileio.h"
#include "tplr/kernels.h"
#include "tplr/sampler.h"

static char dir[4096];
static json_t *golden;
static int vocab, sample_len, n_samples;

static int setup(void **state)
{
    (void)state;
    tu_tmpdir("data", dir, sizeof dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/reference/golden/data_ref.json", tu_src_dir());
    json_error_t jerr;
    golden = json_load_file(path, 0, &jerr);
    if (!golden)
        return -1;
    vocab = (int)json_integer_value(json_object_get(golden, "vocab"));
    sample_len = (int)json_integer_value(json_object_get(golden, "sample_len"));
    n_samples = (int)json_integer_value(json_object_get(golden, "n_samples"));
    return 0;
}

static const char *path_in(const char *name)
{
    static char p[4300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static int32_t token_at(int64_t i) { return (int32_t)(((uint64_t)i * 2654435761u) % (uint64_t)vocab); }

/* The golden token stream, written as shards in uneven documents. */
static void write_golden_shards(const char *name, int64_t shard_tokens)
{
    tplr_shards_params p = {.dir = path_in(name), .tokenizer = "formula", .vocab_size = vocab, .eos = -1,
                            .sample_len = sample_len, .shard_tokens = shard_tokens, .val_fraction = 0};
    tplr_shards_writer *w;
    ASSERT_OK(tplr_shards_writer_create(&p, &w));
    int64_t total = (int64_t)n_samples * sample_len, at = 0;
    int32_t *buf = malloc(sizeof(int32_t) * 10007);
    while (at < total) {
        int64_t n = total - at < 10007 ? total - at : 10007 - (at % 13);
        for (int64_t i = 0; i < n; i++)
            buf[i] = token_at(at + i);
        ASSERT_OK(tplr_shards_writer_add(w, buf, (size_t)n));
        at += n;
    }
    free(buf);
    tplr_shards_summary sum;
    ASSERT_OK(tplr_shards_writer_finish(w, &sum));
    assert_int_equal(sum.train_samples, n_samples);
}

static void check_ids(tplr_samples *s)
{
    json_t *head = json_object_get(golden, "ids_head");
    for (size_t i = 0; i < json_array_size(head); i++)
        assert_true(tplr_samples_id(s, (int64_t)i) == strtoull(json_string_value(json_array_get(head, i)), NULL, 10));
    uint64_t x = 0;
    for (int64_t i = 0; i < s->n; i++)
        x ^= tplr_samples_id(s, i);
    assert_true(x == strtoull(json_string_value(json_object_get(golden, "ids_xor")), NULL, 10));
}

static void test_shards_match_hashlib_and_numpy(void **state)
{
    (void)state;
    write_golden_shards("golden", 64 * 7000); /* 5 shards */
    tplr_samples s;
    tplr_samples_opts o = {.vocab = vocab};
    ASSERT_OK(tplr_samples_open(path_in("golden"), &o, &s));
    assert_int_equal(s.n, n_samples);
    assert_int_equal(s.n_shards, 5);
    assert_int_equal(s.T, sample_len);
    check_ids(&s);
    json_t *pools = json_object_get(golden, "pools");
    for (size_t c = 0; c < json_array_size(pools); c++) {
        json_t *pc = json_array_get(pools, c);
        tplr_pool_spec spec = {(uint64_t)json_integer_value(json_object_get(pc, "uid")),
                               (uint64_t)json_integer_value(json_object_get(pc, "window")),
                               (uint64_t)json_integer_value(json_object_get(pc, "network_seed")),
                               json_integer_value(json_object_get(pc, "pool_size"))};
        int64_t *pool = malloc(sizeof(int64_t) * (size_t)spec.pool_size), sum = 0;
        ASSERT_OK(tplr_sample_pool(&spec, s.n, pool));
        json_t *head = json_object_get(pc, "pool_head");
        for (size_t i = 0; i < json_array_size(head) && (int64_t)i < spec.pool_size; i++)
            assert_int_equal(pool[i], json_integer_value(json_array_get(head, i)));
        for (int64_t i = 0; i < spec.pool_size; i++)
            sum += pool[i];
        assert_int_equal(sum, json_integer_value(json_object_get(pc, "pool_sum")));
        char hex[33];
        ASSERT_OK(tplr_sample_digest(&s, pool, spec.pool_size, hex));
        assert_string_equal(hex, json_string_value(json_object_get(pc, "digest")));
        free(pool);
    }
    /* inputs, and targets shifted with the last position ignored */
    int32_t in[64], tg[64];
    tplr_samples_get(&s, 20001, in, tg);
    for (int t = 0; t < sample_len; t++)
        assert_int_equal(in[t], token_at(20001LL * sample_len + t));
    for (int t = 0; t + 1 < sample_len; t++)
        assert_int_equal(tg[t], in[t + 1]);
    assert_int_equal(tg[sample_len - 1], TPLR_IGNORE_INDEX);
    tplr_samples_close(&s);
}

/* Templar's own format: a 1-D uint32 .npy of the same stream. */
static void test_templar_flat_npy(void **state)
{
    (void)state;
    int64_t total = (int64_t)n_samples * sample_len;
    uint32_t *tok = malloc(sizeof(uint32_t) * (size_t)total);
    for (int64_t i = 0; i < total; i++)
        tok[i] = (uint32_t)token_at(i);
    ASSERT_OK(tplr_npy_write(path_in("flat.npy"), TPLR_NPY_U32, 1, &total, tok));
    free(tok);
    tplr_samples s;
    tplr_samples_opts o = {.vocab = vocab};
    assert_int_equal(tplr_samples_open(path_in("flat.npy"), &o, &s), TPLR_EINVAL); /* needs the sample length */
    o.sample_len = sample_len;
    ASSERT_OK(tplr_samples_open(path_in("flat.npy"), &o, &s));
    assert_int_equal(s.n, n_samples);
    check_ids(&s);
    tplr_samples_close(&s);
    o.vocab = 1000;
    assert_int_equal(tplr_samples_open(path_in("flat.npy"), &o, &s), TPLR_EFORMAT);
}

static void test_writer_splits_and_eos(void **state)
{
    (void)state;
    tplr_shards_params p = {.dir = path_in("eos"), .tokenizer = "t", .vocab_size = 300, .eos = 299,
                            .sample_len = 8, .shard_tokens = 8 * 5, .val_fraction = 0.25};
    tplr_shards_writer *w;
    ASSERT_OK(tplr_shards_writer_create(&p, &w));
    int32_t doc[20];
    for (int d = 0; d < 10; d++) { /* 10 documents of 19 tokens + EOS = 200 tokens = 25 samples */
        for (int i = 0; i < 19; i++)
            doc[i] = d * 19 + i;
        ASSERT_OK(tplr_shards_writer_add(w, doc, 19));
    }
    tplr_shards_summary sum;
    ASSERT_OK(tplr_shards_writer_finish(w, &sum));
    assert_int_equal(sum.documents, 10);
    assert_int_equal(sum.tokens, 200);
    assert_int_equal(sum.val_samples, 6); /* round(0.25 · 25) */
    assert_int_equal(sum.train_samples, 19);
    assert_int_equal(sum.train_shards, 4);
    tplr_samples s;
    tplr_samples_opts o = {.vocab = 300, .mask_eos = 1};
    ASSERT_OK(tplr_samples_open(path_in("eos"), &o, &s));
    assert_int_equal(s.n, 19);
    int32_t in[8], tg[8];
    tplr_samples_get(&s, 2, in, tg); /* tokens 16..23: doc 0 ends at 18, EOS at 19 */
    assert_int_equal(in[3], 299);
    assert_int_equal(tg[2], TPLR_IGNORE_INDEX); /* the EOS target is masked */
    assert_int_equal(tg[3], 19);
    tplr_samples_close(&s);
    o.split = "val";
    ASSERT_OK(tplr_samples_open(path_in("eos"), &o, &s));
    assert_int_equal(s.n, 6);
    tplr_samples_get(&s, 0, in, tg);
    assert_int_equal(in[0], 7 * 19 + 12); /* sample 19 = stream position 152 = document 7 (20 tokens each), offset 12 */
    tplr_samples_close(&s);
    /* a folder that already holds shards is refused */
    assert_int_equal(tplr_shards_writer_create(&p, &w), TPLR_EINVAL);
}

static void test_writer_errors(void **state)
{
    (void)state;
    tplr_shards_params p = {.dir = path_in("empty"), .vocab_size = 300, .eos = -1, .sample_len = 8,
                            .shard_tokens = 64, .val_fraction = 0};
    tplr_shards_writer *w;
    tplr_shards_summary sum;
    ASSERT_OK(tplr_shards_writer_create(&p, &w));
    assert_int_equal(tplr_shards_writer_finish(w, &sum), TPLR_EINVAL);
    assert_non_null(strstr(tplr_errmsg(), "empty"));
    assert_false(tplr_path_exists(path_in("empty/manifest.json")));
    p.dir = path_in("short");
    ASSERT_OK(tplr_shards_writer_create(&p, &w));
    int32_t few[3] = {1, 2, 3}, bad[1] = {300};
    assert_int_equal(tplr_shards_writer_add(w, bad, 1), TPLR_EINVAL);
    ASSERT_OK(tplr_shards_writer_add(w, few, 3));
    assert_int_equal(tplr_shards_writer_finish(w, &sum), TPLR_EINVAL);
    assert_non_null(strstr(tplr_errmsg(), "too few"));
    p.eos = 300;
    assert_int_equal(tplr_shards_writer_create(&p, &w), TPLR_EINVAL);
}

static void corrupt_copy(const char *from, const char *to, size_t offset, int truncate_by)
{
    char *buf;
    size_t n;
    ASSERT_OK(tplr_read_file(from, 1u << 30, &buf, &n));
    if (offset < n)
        buf[offset] ^= 0x40;
    ASSERT_OK(tplr_write_file_atomic(to, buf, n - (size_t)truncate_by));
    free(buf);
}

static void test_corrupt_shards(void **state)
{
    (void)state;
    write_golden_shards("bad", 64 * 30000);
    char good[4300], copy[4300];
    snprintf(good, sizeof good, "%s", path_in("bad/train-000000.tshard"));
    snprintf(copy, sizeof copy, "%s", path_in("bad/copy.tshard"));
    tplr_shard sh;
    ASSERT_OK(tplr_shard_open(good, &sh));
    tplr_shard_close(&sh);
    static const struct {
        size_t offset;
        int truncate;
        const char *needle;
    } cases[] = {
        {0, 0, "not a tplr shard"}, {8, 0, "version"}, {12, 0, "token width"}, {16, 0, "samples of"},
        {60, 0, "checksum"}, {100, 0, "reserved"}, {5000, 0, "checksum"}, {1u << 30, 8, "truncated"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        corrupt_copy(good, copy, cases[i].offset, cases[i].truncate);
        tplr_err e = tplr_shard_open(copy, &sh);
        if (e != TPLR_EFORMAT || !strstr(tplr_errmsg(), cases[i].needle))
            fail_msg("case %zu: %s (%s)", i, tplr_errmsg(), tplr_err_name(e));
    }
    /* a model vocabulary smaller than the shards' */
    tplr_samples s;
    tplr_samples_opts o = {.vocab = 1000};
    assert_int_equal(tplr_samples_open(path_in("bad"), &o, &s), TPLR_EMISMATCH);
    /* a manifest that points outside the folder */
    char *m;
    size_t n;
    ASSERT_OK(tplr_read_file(path_in("bad/manifest.json"), 1 << 20, &m, &n));
    char *at = strstr(m, "train-000000.tshard");
    memcpy(at, "../../etc/passwd\"   ", 20);
    ASSERT_OK(tplr_write_file_atomic(path_in("bad/manifest.json"), m, n));
    free(m);
    o.vocab = vocab;
    assert_int_equal(tplr_samples_open(path_in("bad"), &o, &s), TPLR_EFORMAT);
    o.split = "test";
    assert_int_equal(tplr_samples_open(path_in("golden"), &o, &s), TPLR_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shards_match_hashlib_and_numpy), cmocka_unit_test(test_templar_flat_npy),
        cmocka_unit_test(test_writer_splits_and_eos),          cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_corrupt_shards),
    };
    int r = cmocka_run_group_tests(tests, setup, NULL);
    json_decref(golden);
    return r;
}
