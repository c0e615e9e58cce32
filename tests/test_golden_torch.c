/* The engine against PyTorch: logits, loss, every gradient and a 10-step
 * AdamW loss curve, on models re-created by `tplr model init`'s code path and
 * batches stored in the golden files (tests/reference/make_golden.sh). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/checkpoint.h"
#include "tplr/hash.h"
#include "tplr/kernels.h"
#include "tplr/optim.h"

/* Tolerances (fp32 against fp32, different summation orders):
 * logits and loss: max relative difference 1e-5 of the largest value;
 * gradients: relative L2 error 2e-5 per tensor;
 * loss curve after 10 AdamW steps: 2e-5 relative.
 * (Measured on the development machine: about 1e-6 or better for each.) */
#define TOL_LOGITS 1e-5
#define TOL_LOSS 1e-5
#define TOL_GRAD 2e-5
#define TOL_CURVE 2e-5

typedef struct golden_case {
    const char *name;
    const char *preset;
    const char *sets[4];
    uint64_t seed;
} golden_case;

static tplr_model *make_model(const golden_case *gc)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset(gc->preset, &cfg));
    for (int i = 0; i < 4 && gc->sets[i]; i++)
        ASSERT_OK(tplr_config_set(&cfg, gc->sets[i]));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, gc->seed);
    return m;
}

/* The golden was computed from the bytes `tplr model init` wrote; writing
 * the re-created model must give the very same bytes. */
static void check_same_bytes(const tplr_model *m, const tplr_safetensors *st, const char *name)
{
    char dir[4096], path[4200], hex[65];
    tu_tmpdir(name, dir, sizeof dir);
    ASSERT_OK(tplr_checkpoint_save(m, dir));
    snprintf(path, sizeof path, "%s/%s", dir, TPLR_CKPT_WEIGHTS);
    ASSERT_OK(tplr_sha256_file(path, hex));
    const char *want = tplr_st_meta_get(st, "model_sha256");
    assert_non_null(want);
    if (strcmp(hex, want))
        fail_msg("[%s] re-created model.safetensors has sha256 %s, the golden was made from %s", name, hex, want);
    remove(path);
    snprintf(path, sizeof path, "%s/%s", dir, TPLR_CKPT_CONFIG);
    remove(path);
    remove(dir);
}

static double meta_double(const tplr_safetensors *st, const char *key)
{
    const char *v = tplr_st_meta_get(st, key);
    if (!v)
        fail_msg("golden lacks metadata %s", key);
    return atof(v);
}

static void run_case(const golden_case *gc)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/reference/golden/%s.safetensors", tu_src_dir(), gc->name);
    tplr_safetensors st;
    ASSERT_OK(tplr_st_open(path, &st));
    tplr_model *m = make_model(gc);
    check_same_bytes(m, &st, gc->name);
    const tplr_st_tensor *in = tplr_st_find(&st, "inputs"), *tg = tplr_st_find(&st, "targets");
    assert_non_null(in);
    assert_non_null(tg);
    int B = (int)in->shape[0], T = (int)in->shape[1], V = m->cfg.vocab;
    const int32_t *inputs = (const int32_t *)in->data, *targets = (const int32_t *)tg->data;
    ASSERT_OK(tplr_model_check_tokens(m, inputs, (size_t)B * T, 0));
    ASSERT_OK(tplr_model_check_tokens(m, targets, (size_t)B * T, 1));
    tplr_acts *a;
    ASSERT_OK(tplr_acts_create(m, B, T, &a));

    /* logits */
    size_t nl = (size_t)B * T * V;
    float *logits = malloc(sizeof(float) * nl), *ref = malloc(sizeof(float) * nl);
    tplr_model_forward_logits(m, a, inputs, logits);
    ASSERT_OK(tplr_st_read_f32(&st, tplr_st_find(&st, "logits"), ref, nl));
    double d = tu_max_rel_diff(logits, ref, nl);
    printf("[%s] logits max rel diff %.2e\n", gc->name, d);
    assert_true(d < TOL_LOGITS);

    /* loss and gradients */
    float ref_loss;
    ASSERT_OK(tplr_st_read_f32(&st, tplr_st_find(&st, "loss"), &ref_loss, 1));
    tplr_model_zero_grads(m);
    float loss = tplr_model_forward_backward(m, a, inputs, targets, 1.0f, NULL);
    printf("[%s] loss %.7f vs torch %.7f\n", gc->name, loss, ref_loss);
    assert_true(fabs(loss - ref_loss) / fabs(ref_loss) < TOL_LOSS);
    double worst = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        const tplr_tensor_info *ti = &m->tensors[t];
        char name[160];
        snprintf(name, sizeof name, "grad.%s", ti->name);
        const tplr_st_tensor *g = tplr_st_find(&st, name);
        if (!g)
            fail_msg("golden lacks %s", name);
        float *gref = malloc(sizeof(float) * ti->numel);
        ASSERT_OK(tplr_st_read_f32(&st, g, gref, ti->numel));
        double e = tu_rel_l2(m->grads + ti->offset, gref, ti->numel);
        if (e > worst)
            worst = e;
        if (e >= TOL_GRAD)
            fail_msg("[%s] gradient of %s: relative L2 error %.2e", gc->name, ti->name, e);
        free(gref);
    }
    printf("[%s] gradients: worst relative L2 error %.2e over %d tensors\n", gc->name, worst, m->n_tensors);

    /* AdamW loss curve */
    tplr_adamw_hparams hp = tplr_adamw_defaults();
    hp.lr = meta_double(&st, "lr");
    hp.beta1 = meta_double(&st, "beta1");
    hp.beta2 = meta_double(&st, "beta2");
    hp.eps = meta_double(&st, "eps");
    hp.weight_decay = meta_double(&st, "weight_decay");
    hp.clip = meta_double(&st, "clip");
    int steps = (int)meta_double(&st, "steps");
    float *curve = malloc(sizeof(float) * (size_t)steps);
    ASSERT_OK(tplr_st_read_f32(&st, tplr_st_find(&st, "curve.loss"), curve, (size_t)steps));
    tplr_adamw *opt;
    ASSERT_OK(tplr_adamw_create(m, &hp, &opt));
    for (int s = 0; s < steps; s++) {
        tplr_model_zero_grads(m);
        float l = tplr_model_forward_backward(m, a, inputs, targets, 1.0f, NULL);
        tplr_clip_grad_norm(m, hp.clip);
        tplr_adamw_step(opt, m, hp.lr);
        double rel = fabs(l - curve[s]) / fabs(curve[s]);
        if (s == 0 || s == steps - 1)
            printf("[%s] step %d loss %.6f vs torch %.6f (rel %.1e)\n", gc->name, s + 1, l, curve[s], rel);
        if (rel >= TOL_CURVE)
            fail_msg("[%s] step %d: loss %.7f vs torch %.7f", gc->name, s + 1, l, curve[s]);
    }
    tplr_adamw_free(opt);
    free(curve);
    free(logits);
    free(ref);
    tplr_acts_free(a);
    tplr_model_free(m);
    tplr_st_close(&st);
}

static void test_tiny_gqa(void **state)
{
    (void)state;
    golden_case gc = {"tiny", "tiny", {NULL}, 1};
    run_case(&gc);
}

static void test_tied_embeddings(void **state)
{
    (void)state;
    golden_case gc = {"tied", "tiny", {"layers=2", "tie_embeddings=true", "vocab=512", NULL}, 2};
    run_case(&gc);
}

int main(void)
{
    tplr_k_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_gqa),
        cmocka_unit_test(test_tied_embeddings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
