/* The data-parallel step (tplr/data_parallel.h) against the engine's own
 * forward and backward on the whole batch (itself checked against PyTorch in
 * test_golden_torch): one worker is the same computation bit for bit; more
 * workers give the same loss and gradient up to the order of the additions,
 * also with unequal shares and shares whose targets are all ignored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/data_parallel.h"
#include "tplr/kernels.h"
#include "tplr/rng.h"

enum { B = 5, T = 16 };

typedef struct fixture {
    tplr_model *m;
    int32_t in[B * T], tg[B * T];
    float *want;       /* the whole batch's gradient from tplr_model_forward_backward */
    float want_loss;
    int64_t want_valid;
} fixture;

/* ignore: 0 none, 1 row 0's targets and a few others, 2 every target */
static void setup(fixture *f, int ignore)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    ASSERT_OK(tplr_model_create(&cfg, &f->m));
    tplr_model_init_weights(f->m, 11);
    for (int i = 0; i < B * T; i++) {
        f->in[i] = (int32_t)tplr_rng_below(5, 0, (uint64_t)i, (uint64_t)cfg.vocab);
        f->tg[i] = (int32_t)tplr_rng_below(5, 1, (uint64_t)i, (uint64_t)cfg.vocab);
        if (ignore == 2 || (ignore == 1 && (i < T || i % 7 == 3)))
            f->tg[i] = TPLR_IGNORE_INDEX;
    }
    tplr_acts *a;
    ASSERT_OK(tplr_acts_create(f->m, B, T, &a));
    tplr_model_zero_grads(f->m);
    f->want_loss = tplr_model_forward_backward(f->m, a, f->in, f->tg, 1.0f, &f->want_valid);
    f->want = malloc(sizeof(float) * f->m->n_params);
    assert_non_null(f->want);
    memcpy(f->want, f->m->grads, sizeof(float) * f->m->n_params);
    tplr_acts_free(a);
}

static void teardown(fixture *f)
{
    free(f->want);
    tplr_model_free(f->m);
}

/* One step with `workers` workers: its loss, and the gradient left in m->grads. */
static float dp_step(fixture *f, int workers, int *n_out, int64_t *valid)
{
    tplr_dp *dp;
    ASSERT_OK(tplr_dp_create(f->m, B, T, workers, &dp));
    *n_out = dp->n;
    tplr_model_zero_grads(f->m);
    float loss = tplr_dp_forward_backward(dp, f->in, f->tg, valid);
    double norm = sqrt(tplr_dp_fold_sumsq(dp)), want = sqrt(tplr_k_sumsq(f->m->grads, f->m->n_params));
    assert_memory_equal(&norm, &want, sizeof norm);
    for (int k = 1; k < dp->n; k++) /* the fold leaves the other workers' buffers zeroed */
        for (size_t i = 0; i < f->m->n_params; i++)
            if (dp->grads[k][i] != 0.0f)
                fail_msg("worker %d's gradient %zu is %g after the fold", k, i, (double)dp->grads[k][i]);
    tplr_dp_free(dp);
    return loss;
}

static void compare_workers(int ignore)
{
    fixture f;
    setup(&f, ignore);
    size_t n = f.m->n_params;
    float *first = malloc(sizeof(float) * n);
    assert_non_null(first);
    const int counts[] = {1, 2, 3, 5, 9};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        int w;
        int64_t valid;
        float loss = dp_step(&f, counts[c], &w, &valid);
        assert_int_equal(w, counts[c] < B ? counts[c] : B);
        assert_int_equal(valid, f.want_valid);
        if (w == 1) { /* the engine's own pass, bit for bit */
            assert_true(loss == f.want_loss);
            assert_memory_equal(f.m->grads, f.want, sizeof(float) * n);
            continue;
        }
        if (f.want_valid == 0) {
            assert_true(loss == 0.0f);
            for (size_t i = 0; i < n; i++)
                assert_true(f.m->grads[i] == 0.0f);
            continue;
        }
        assert_true(fabsf(loss - f.want_loss) <= 1e-6f * fabsf(f.want_loss));
        for (int t = 0; t < f.m->n_tensors; t++) {
            const tplr_tensor_info *ti = &f.m->tensors[t];
            double e = tu_rel_l2(f.m->grads + ti->offset, f.want + ti->offset, ti->numel);
            if (!(e <= 1e-6))
                fail_msg("%d workers: %s differs by relative L2 %.3g", w, ti->name, e);
        }
        /* the same workers again: the same bits */
        memcpy(first, f.m->grads, sizeof(float) * n);
        float again = dp_step(&f, counts[c], &w, &valid);
        assert_true(again == loss);
        assert_memory_equal(f.m->grads, first, sizeof(float) * n);
    }
    free(first);
    teardown(&f);
}

static void test_all_targets(void **state)
{
    (void)state;
    compare_workers(0);
}

static void test_ignored_targets(void **state)
{
    (void)state;
    compare_workers(1);
}

static void test_no_valid_target(void **state)
{
    (void)state;
    compare_workers(2);
}

/* The logits a step can hand back (lnf·lm_headᵀ of its training pass)
 * against a forward pass over the whole batch; and with two or more workers
 * the step's bits do not depend on the thread count. */
static void test_logits_and_threads(void **state)
{
    (void)state;
    fixture f;
    setup(&f, 1);
    size_t nl = (size_t)B * T * (size_t)f.m->cfg.vocab;
    float *want = malloc(sizeof(float) * nl), *got = malloc(sizeof(float) * nl);
    tplr_acts *a;
    ASSERT_OK(tplr_acts_create(f.m, B, T, &a));
    tplr_model_forward_logits(f.m, a, f.in, want);
    tplr_acts_free(a);
    float *first = malloc(sizeof(float) * f.m->n_params);
    for (int threads = 1; threads <= 2; threads++) {
        tplr_k_set_threads(threads);
        tplr_dp *dp;
        ASSERT_OK(tplr_dp_create(f.m, B, T, 2, &dp));
        dp->logits = got;
        tplr_model_zero_grads(f.m);
        double norm;
        tplr_dp_grad(dp, f.in, f.tg, &norm);
        double e = tu_max_rel_diff(got, want, nl);
        if (!(e <= 1e-5))
            fail_msg("logits differ by %.3g", e);
        if (threads == 1)
            memcpy(first, f.m->grads, sizeof(float) * f.m->n_params);
        else
            assert_memory_equal(f.m->grads, first, sizeof(float) * f.m->n_params);
        tplr_dp_free(dp);
    }
    free(first);
    free(want);
    free(got);
    teardown(&f);
}

static void test_bad_batch(void **state)
{
    (void)state;
    fixture f;
    setup(&f, 0);
    tplr_dp *dp = (tplr_dp *)1;
    assert_int_equal(tplr_dp_create(f.m, 0, T, 2, &dp), TPLR_EINVAL);
    assert_null(dp);
    assert_int_equal(tplr_dp_create(f.m, B, f.m->cfg.max_seq + 1, 2, &dp), TPLR_EINVAL);
    assert_null(dp);
    teardown(&f);
}

int main(void)
{
    tplr_k_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_targets),
        cmocka_unit_test(test_ignored_targets),
        cmocka_unit_test(test_no_valid_target),
        cmocka_unit_test(test_logits_and_threads),
        cmocka_unit_test(test_bad_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
