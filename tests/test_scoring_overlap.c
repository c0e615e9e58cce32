/* Overlap pairs from real containers (the codec's encoder and validator):
 * a peer that re-uploads another's gradient is blamed when it uploads later. */
#include <math.h>
#include <stdlib.h>

#include "codec_util.h"
#include "tplr/scoring.h"

static void test_overlap_pairs(void **state)
{
    (void)state;
    const int64_t shapes[][2] = {{64, 128}, {128, 0}, {96, 64}};
    tplr_codec_table t = cu_table(shapes, 3);
    tplr_codec_params p = tplr_codec_defaults();
    p.topk = 16;
    tplr_codec_encode_opts o = tplr_codec_encode_defaults();
    enum { PEERS = 4 };
    unsigned char *b[PEERS];
    size_t len[PEERS];
    tplr_codec_view v[PEERS];
    for (int i = 0; i < PEERS; i++) {
        cu_keys k = cu_keys_make((unsigned char)(10 + i));
        tplr_codec_encoder *enc;
        ASSERT_OK(tplr_codec_encoder_create(&t, &p, &o, &enc));
        /* peer 3 sends peer 0's delta */
        float *delta = cu_randn(t.n_floats, 77, (uint64_t)(i == 3 ? 0 : i), 0.01f);
        b[i] = cu_encode(enc, delta, &k, 9, (uint32_t)(40 + i), &len[i]);
        cu_validate(b[i], len[i], &t, &p, &v[i]);
        free(delta);
        tplr_codec_encoder_free(enc);
    }
    uint16_t uids[PEERS] = {40, 41, 42, 43};
    double times[PEERS] = {10, 11, 12, 13};
    tplr_overlap_pair pairs[PEERS * (PEERS - 1) / 2];
    int n;
    ASSERT_OK(tplr_scoring_overlap_pairs(v, uids, times, PEERS, pairs, &n));
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) {
        int a = pairs[i].a - 40, c = pairs[i].b - 40;
        tplr_codec_overlap ov;
        ASSERT_OK(tplr_codec_overlap_of(&v[a], &v[c], &ov, NULL));
        assert_true(pairs[i].fraction == ov.fraction);
        assert_true(pairs[i].time_a == times[a] && pairs[i].time_b == times[c]);
        if (a == 0 && c == 3)
            assert_true(pairs[i].fraction == 1.0);
        else
            assert_true(pairs[i].fraction < 0.4);
    }
    tplr_scoring_config cfg;
    tplr_scoring_config_defaults(&cfg);
    tplr_scoring *s;
    ASSERT_OK(tplr_scoring_create(&cfg, &s));
    for (int u = 40; u < 44; u++) {
        s->uid[u].known = 1;
        s->uid[u].final_score = 1.0;
    }
    ASSERT_OK(tplr_scoring_begin_window(s, 9));
    ASSERT_OK(tplr_scoring_overlap(s, pairs, n, 100));
    assert_true(s->uid[40].final_score == 1.0 && s->uid[41].final_score == 1.0 && s->uid[42].final_score == 1.0);
    assert_true(s->uid[43].final_score == 0.0 && tplr_scoring_is_naughty(s, 43, 28));
    int ne;
    const tplr_penalty_event *ev = tplr_scoring_events(s, &ne);
    assert_int_equal(ne, 1);
    assert_int_equal(ev[0].reason, TPLR_PENALTY_OVERLAP_NAUGHTY);
    assert_true(ev[0].value == 1.0);
    /* containers of different tables do not compare */
    const int64_t other[][2] = {{64, 128}};
    tplr_codec_table t2 = cu_table(other, 1);
    tplr_codec_encoder *enc;
    ASSERT_OK(tplr_codec_encoder_create(&t2, &p, &o, &enc));
    float *delta = cu_randn(t2.n_floats, 5, 0, 0.01f);
    cu_keys k = cu_keys_make(50);
    size_t l2;
    unsigned char *b2 = cu_encode(enc, delta, &k, 9, 44, &l2);
    tplr_codec_view mixed[2];
    mixed[0] = v[0];
    cu_validate(b2, l2, &t2, &p, &mixed[1]);
    assert_int_equal(tplr_scoring_overlap_pairs(mixed, uids, times, 2, pairs, &n), TPLR_EMISMATCH);
    tplr_codec_view_free(&mixed[1]);
    free(b2);
    free(delta);
    tplr_codec_encoder_free(enc);
    tplr_codec_table_free(&t2);
    for (int i = 0; i < PEERS; i++) {
        tplr_codec_view_free(&v[i]);
        free(b[i]);
    }
    tplr_codec_table_free(&t);
    tplr_scoring_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
