/* Generation: the KV-cache decoder agrees with the full forward pass at
 * every position, and sampling follows its rules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/generate.h"
#include "tplr/kernels.h"
#include "tplr/rng.h"

static void check_against_forward(const char *tie)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    ASSERT_OK(tplr_config_set(&cfg, tie));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, 11);
    enum { T = 37 };
    int V = cfg.vocab;
    int32_t tok[T];
    for (int i = 0; i < T; i++)
        tok[i] = (int32_t)tplr_rng_below(5, 0, (uint64_t)i, (uint64_t)V);
    tplr_acts *a;
    ASSERT_OK(tplr_acts_create(m, 1, T, &a));
    float *full = malloc(sizeof(float) * T * (size_t)V);
    tplr_model_forward_logits(m, a, tok, full);
    tplr_generator *g;
    ASSERT_OK(tplr_generator_create(m, T, &g));
    ASSERT_OK(tplr_generator_feed(g, tok, 10)); /* a prompt, then one at a time */
    assert_true(tu_max_rel_diff(g->logits, full + 9 * (size_t)V, (size_t)V) < 1e-5);
    for (int t = 10; t < T; t++) {
        ASSERT_OK(tplr_generator_feed(g, tok + t, 1));
        double d = tu_max_rel_diff(g->logits, full + (size_t)t * V, (size_t)V);
        if (d >= 1e-5)
            fail_msg("position %d: decoder and forward pass differ by %.2e", t, d);
    }
    assert_int_equal(tplr_generator_feed(g, tok, 1), TPLR_EINVAL); /* the cache is full */
    tplr_generator_reset(g);
    int32_t bad = V;
    assert_int_equal(tplr_generator_feed(g, &bad, 1), TPLR_EINVAL);
    tplr_generator_free(g);
    free(full);
    tplr_acts_free(a);
    tplr_model_free(m);
}

static void test_decoder_matches_forward(void **state)
{
    (void)state;
    check_against_forward("tie_embeddings=false");
    check_against_forward("tie_embeddings=true");
}

static void test_sampling(void **state)
{
    (void)state;
    float logits[6] = {0.5f, 3.0f, 3.0f, -1.0f, 2.0f, 0.0f};
    int order[6];
    assert_int_equal(tplr_sample_logits(logits, 6, 0.0, 0, 1, 0, order), 1); /* greedy: first maximum */
    int counts[6] = {0};
    for (int s = 0; s < 6000; s++)
        counts[tplr_sample_logits(logits, 6, 1.0, 2, 7, (uint64_t)s, order)]++;
    assert_int_equal(counts[0] + counts[3] + counts[4] + counts[5], 0); /* top-2 only */
    assert_true(abs(counts[1] - counts[2]) < 400);                       /* equal logits, equal odds */
    for (int s = 0; s < 6000; s++)
        counts[tplr_sample_logits(logits, 6, 1.0, 3, 7, (uint64_t)s, order)]++;
    /* the third choice (logit 2.0) has probability e^2/(2e^3+e^2) ≈ 0.155 */
    double p4 = counts[4] / 6000.0;
    assert_true(fabs(p4 - exp(2.0) / (2 * exp(3.0) + exp(2.0))) < 0.03);
    /* the same seed and step give the same token */
    assert_int_equal(tplr_sample_logits(logits, 6, 0.8, 0, 3, 9, order), tplr_sample_logits(logits, 6, 0.8, 0, 3, 9, order));
}

int main(void)
{
    tplr_k_set_threads(2);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_decoder_matches_forward), cmocka_unit_test(test_sampling)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
