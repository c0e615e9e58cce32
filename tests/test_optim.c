/* AdamW, clipping and the schedule against values worked out by hand, and
 * the determinism of the training step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/kernels.h"
#include "tplr/optim.h"
#include "tplr/rng.h"

static void test_schedule(void **state)
{
    (void)state;
    tplr_adamw_hparams h = tplr_adamw_defaults();
    h.lr = 1e-3;
    h.warmup_steps = 10;
    h.t_max = 100;
    h.eta_min_factor = 0.1;
    assert_true(fabs(tplr_lr_at(&h, 0) - 1e-4) < 1e-15);         /* lr·1/10 */
    assert_true(fabs(tplr_lr_at(&h, 9) - 1e-3) < 1e-15);         /* end of warmup */
    assert_true(fabs(tplr_lr_at(&h, 10) - 1e-3) < 1e-15);        /* cosine starts at lr */
    assert_true(fabs(tplr_lr_at(&h, 60) - 0.55e-3) < 1e-12);     /* halfway: (lr + eta_min)/2 */
    assert_true(fabs(tplr_lr_at(&h, 110) - 1e-4) < 1e-15);       /* end: eta_min */
    assert_true(fabs(tplr_lr_at(&h, 5000) - 1e-4) < 1e-15);      /* stays there */
    h.warmup_steps = 0;
    assert_true(fabs(tplr_lr_at(&h, 0) - 1e-3) < 1e-15);
    h.lr = -1;
    assert_int_equal(tplr_adamw_validate(&h), TPLR_EINVAL);
    h = tplr_adamw_defaults();
    h.beta2 = 1.0;
    assert_int_equal(tplr_adamw_validate(&h), TPLR_EINVAL);
}

/* Two AdamW steps on three values, computed independently in double. */
static void test_adamw_by_hand(void **state)
{
    (void)state;
    float p[3] = {0.5f, -1.0f, 2.0f}, m[3] = {0}, v[3] = {0};
    const float g1[3] = {0.1f, -0.2f, 0.0f}, g2[3] = {0.3f, 0.1f, -0.5f};
    double P[3] = {0.5, -1.0, 2.0}, Mm[3] = {0}, Vv[3] = {0};
    double lr = 0.01, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
    for (int step = 1; step <= 2; step++) {
        const float *g = step == 1 ? g1 : g2;
        tplr_k_adamw(p, g, m, v, 3, lr, b1, b2, eps, wd, step);
        for (int i = 0; i < 3; i++) {
            P[i] *= 1 - lr * wd;
            Mm[i] = b1 * Mm[i] + (1 - b1) * g[i];
            Vv[i] = b2 * Vv[i] + (1 - b2) * (double)g[i] * g[i];
            double mh = Mm[i] / (1 - pow(b1, step)), vh = Vv[i] / (1 - pow(b2, step));
            P[i] -= lr * mh / (sqrt(vh) + eps);
        }
    }
    for (int i = 0; i < 3; i++)
        if (fabs(p[i] - P[i]) > 1e-6)
            fail_msg("value %d: %.9f vs %.9f", i, p[i], P[i]);
}

static tplr_model *tiny(void)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    ASSERT_OK(tplr_config_set(&cfg, "layers=1"));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, 9);
    return m;
}

static void test_clip_and_decay_mask(void **state)
{
    (void)state;
    tplr_model *m = tiny();
    double ss = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        m->grads[i] = (float)tplr_rng_normal(1, 2, i);
        ss += (double)m->grads[i] * m->grads[i];
    }
    double norm = tplr_clip_grad_norm(m, 1.0);
    assert_true(fabs(norm - sqrt(ss)) / sqrt(ss) < 1e-9);
    double after = sqrt(tplr_k_sumsq(m->grads, m->n_params));
    assert_true(fabs(after - 1.0) < 1e-5);
    assert_true(fabs(tplr_clip_grad_norm(m, 0.0) - after) < 1e-9); /* clip 0: only measures */

    /* zero gradients: matrices shrink by (1 - lr·wd), norm gains do not */
    tplr_model_zero_grads(m);
    tplr_adamw_hparams h = tplr_adamw_defaults();
    h.weight_decay = 0.5;
    tplr_adamw *o;
    ASSERT_OK(tplr_adamw_create(m, &h, &o));
    float *before = malloc(sizeof(float) * m->n_params);
    memcpy(before, m->params, sizeof(float) * m->n_params);
    tplr_adamw_step(o, m, 0.1);
    for (int t = 0; t < m->n_tensors; t++) {
        const tplr_tensor_info *ti = &m->tensors[t];
        float want = ti->ndim == 2 ? before[ti->offset] * (float)(1.0 - 0.1 * 0.5) : before[ti->offset];
        if (fabsf(m->params[ti->offset] - want) > 1e-7f)
            fail_msg("%s: %.8f, want %.8f", ti->name, m->params[ti->offset], want);
    }
    free(before);
    tplr_adamw_free(o);
    tplr_model_free(m);
}

static void test_sumsq_thread_independent(void **state)
{
    (void)state;
    size_t n = 300001;
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)tplr_rng_normal(3, 0, i);
    tplr_k_set_threads(1);
    double a = tplr_k_sumsq(x, n);
    tplr_k_set_threads(2);
    double b = tplr_k_sumsq(x, n);
    assert_memory_equal(&a, &b, sizeof a);
    free(x);
}

/* The one-pass paths give the bits of the separate ones: fold + sum of
 * squares against adding and tplr_k_sumsq; the step from scaled gradients
 * that clears them against tplr_k_scale + tplr_adamw_step. */
static void test_fused_paths(void **state)
{
    (void)state;
    tplr_model *a = tiny(), *b = tiny();
    size_t n = a->n_params;
    float *w1 = malloc(sizeof(float) * n), *w2 = malloc(sizeof(float) * n), *want = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) {
        a->grads[i] = (float)tplr_rng_normal(4, 0, i);
        w1[i] = (float)tplr_rng_normal(4, 1, i);
        w2[i] = (float)tplr_rng_normal(4, 2, i);
        want[i] = (a->grads[i] + w1[i]) + w2[i];
    }
    float *src[2] = {w1, w2};
    double ss = tplr_k_fold_sumsq(a->grads, src, 2, n);
    assert_memory_equal(a->grads, want, sizeof(float) * n);
    double want_ss = tplr_k_sumsq(want, n);
    assert_memory_equal(&ss, &want_ss, sizeof ss);
    for (size_t i = 0; i < n; i++)
        if (w1[i] != 0.0f || w2[i] != 0.0f)
            fail_msg("source %zu not cleared", i);

    memcpy(b->grads, a->grads, sizeof(float) * n);
    tplr_adamw_hparams h = tplr_adamw_defaults();
    tplr_adamw *oa, *ob;
    ASSERT_OK(tplr_adamw_create(a, &h, &oa));
    ASSERT_OK(tplr_adamw_create(b, &h, &ob));
    for (int step = 0; step < 3; step++) {
        float f = tplr_clip_factor(sqrt(ss), 1.0);
        assert_true(f < 1.0f && f > 0.0f);
        tplr_adamw_step_clear(oa, a, 1e-3, f);
        tplr_k_scale(b->grads, n, f);
        tplr_adamw_step(ob, b, 1e-3);
        assert_memory_equal(a->params, b->params, sizeof(float) * n);
        assert_memory_equal(oa->m, ob->m, sizeof(float) * n);
        assert_memory_equal(oa->v, ob->v, sizeof(float) * n);
        for (size_t i = 0; i < n; i++) {
            if (a->grads[i] != 0.0f)
                fail_msg("gradient %zu not cleared after step %d", i, step + 1);
            a->grads[i] = b->grads[i] = (float)tplr_rng_normal(5, (uint64_t)step, i);
        }
    }
    assert_true(tplr_clip_factor(0.5, 1.0) == 1.0f && tplr_clip_factor(5.0, 0.0) == 1.0f);
    tplr_adamw_free(oa);
    tplr_adamw_free(ob);
    free(w1);
    free(w2);
    free(want);
    tplr_model_free(a);
    tplr_model_free(b);
}

/* The same step twice gives the same bits, and so does a fresh model. */
static void test_step_determinism(void **state)
{
    (void)state;
    float loss[2], *g0 = NULL;
    for (int run = 0; run < 2; run++) {
        tplr_model *m = tiny();
        tplr_acts *a;
        ASSERT_OK(tplr_acts_create(m, 2, 16, &a));
        int32_t in[32], tg[32];
        for (int i = 0; i < 32; i++) {
            in[i] = (int32_t)tplr_rng_below(1, 0, (uint64_t)i, 1024);
            tg[i] = (int32_t)tplr_rng_below(1, 1, (uint64_t)i, 1024);
        }
        tplr_model_zero_grads(m);
        loss[run] = tplr_model_forward_backward(m, a, in, tg, 1.0f, NULL);
        if (!g0) {
            g0 = malloc(sizeof(float) * m->n_params);
            memcpy(g0, m->grads, sizeof(float) * m->n_params);
        } else
            assert_memory_equal(g0, m->grads, sizeof(float) * m->n_params);
        tplr_acts_free(a);
        tplr_model_free(m);
    }
    assert_memory_equal(&loss[0], &loss[1], sizeof(float));
    free(g0);
}

int main(void)
{
    tplr_k_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_adamw_by_hand),
        cmocka_unit_test(test_clip_and_decay_mask),
        cmocka_unit_test(test_sumsq_thread_independent),
        cmocka_unit_test(test_step_determinism),
        cmocka_unit_test(test_fused_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
