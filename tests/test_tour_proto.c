/* The tournament's pipe records (tplr-tour-pipe v1), the shared set-up (batches,
 * weights) and the verifier's rules, without a sandbox. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tour_internal.h"
#include "tplr/tour_proto.h"

static const tplr_tour_expect EX = {6, 10};

static void hdr(uint8_t h[16], uint32_t type, uint64_t len) { tplr_tour_hdr_encode(h, type, len); }

static void test_header_rules(void **state)
{
    (void)state;
    uint8_t h[16];
    tplr_tour_hdr out;
    hdr(h, TPLR_TOUR_MSG_REQUEST, 0);
    ASSERT_OK(tplr_tour_hdr_parse_up(h, &EX, &out));
    assert_int_equal(out.type, TPLR_TOUR_MSG_REQUEST);
    hdr(h, TPLR_TOUR_MSG_REQUEST, 1);
    assert_int_equal(tplr_tour_hdr_parse_up(h, &EX, &out), TPLR_EFORMAT);
    hdr(h, TPLR_TOUR_MSG_ERROR, TPLR_TOUR_ERROR_MAX);
    ASSERT_OK(tplr_tour_hdr_parse_up(h, &EX, &out));
    hdr(h, TPLR_TOUR_MSG_ERROR, TPLR_TOUR_ERROR_MAX + 1);
    assert_int_equal(tplr_tour_hdr_parse_up(h, &EX, &out), TPLR_ETOOLARGE);
    hdr(h, TPLR_TOUR_MSG_RESULT, 32 + 4 * 16);
    ASSERT_OK(tplr_tour_hdr_parse_up(h, &EX, &out));
    assert_int_equal(out.len, 96);
    hdr(h, TPLR_TOUR_MSG_RESULT, 32 + 4 * 16 + 4);
    assert_int_equal(tplr_tour_hdr_parse_up(h, &EX, &out), TPLR_ETOOLARGE);
    hdr(h, TPLR_TOUR_MSG_RESULT, UINT64_MAX);
    assert_int_equal(tplr_tour_hdr_parse_up(h, &EX, &out), TPLR_ETOOLARGE);
    /* the harness's own types may not come from the runner, nor the runner's go down */
    hdr(h, TPLR_TOUR_MSG_BATCH, 0);
    assert_int_equal(tplr_tour_hdr_parse_up(h, &EX, &out), TPLR_EFORMAT);
    hdr(h, TPLR_TOUR_MSG_REQUEST, 0);
    assert_int_equal(tplr_tour_hdr_parse_down(h, &out), TPLR_EFORMAT);
    hdr(h, TPLR_TOUR_MSG_REQUEST, 0);
    h[0] ^= 1;
    assert_int_equal(tplr_tour_hdr_parse_up(h, &EX, &out), TPLR_EFORMAT);
    hdr(h, TPLR_TOUR_MSG_REQUEST, 0);
    h[4] = 2;
    assert_int_equal(tplr_tour_hdr_parse_up(h, &EX, &out), TPLR_EFORMAT);
}

static void test_result_head(void **state)
{
    (void)state;
    uint8_t b[TPLR_TOUR_RESULT_HEAD_BYTES];
    tplr_tour_result_head in = {1234, 6.5, 6, 10}, out;
    tplr_tour_result_head_encode(b, &in);
    ASSERT_OK(tplr_tour_result_head_parse(b, &EX, &out));
    assert_int_equal(out.total_tokens, 1234);
    assert_true(out.final_loss == 6.5);
    in.n_logits = 7;
    tplr_tour_result_head_encode(b, &in);
    assert_int_equal(tplr_tour_result_head_parse(b, &EX, &out), TPLR_EMISMATCH);
    in.n_logits = 6, in.n_weights = 11;
    tplr_tour_result_head_encode(b, &in);
    assert_int_equal(tplr_tour_result_head_parse(b, &EX, &out), TPLR_EMISMATCH);
    in.n_weights = 10, in.total_tokens = -1;
    tplr_tour_result_head_encode(b, &in);
    assert_int_equal(tplr_tour_result_head_parse(b, &EX, &out), TPLR_EFORMAT);
    char text[8];
    tplr_tour_error_text((const uint8_t *)"ab\x01\xff" "cdefgh", 10, text, sizeof text);
    assert_string_equal(text, "ab??cde");
}

static tplr_tour_init tiny_init(uint64_t seed)
{
    tplr_tour_init in = {.batch = 2, .seq = 9, .steps = 3, .threads = 1, .seed = seed, .hp = tplr_tour_hparams()};
    if (tplr_config_preset("tiny", &in.cfg))
        fail_msg("no tiny preset: %s", tplr_errmsg());
    return in;
}

static void test_init_roundtrip(void **state)
{
    (void)state;
    tplr_tour_init in = tiny_init(0xfeedull), out;
    uint8_t b[TPLR_TOUR_INIT_BYTES];
    tplr_tour_init_encode(b, &in);
    ASSERT_OK(tplr_tour_init_parse(b, &out));
    assert_true(tplr_config_equal(&in.cfg, &out.cfg));
    assert_int_equal(out.batch, 2);
    assert_int_equal(out.seq, 9);
    assert_int_equal(out.steps, 3);
    assert_true(out.seed == 0xfeedull && out.hp.lr == in.hp.lr && out.hp.weight_decay == in.hp.weight_decay);
    in.seq = in.cfg.max_seq + 2; /* the model would see more than max_seq */
    tplr_tour_init_encode(b, &in);
    assert_int_not_equal(tplr_tour_init_parse(b, &out), TPLR_OK);
}

static void test_batches_and_weights(void **state)
{
    (void)state;
    int32_t a[2 * 9], b[2 * 9], c[2 * 9];
    tplr_tour_batch_tokens(7, 0, 2, 9, 1024, a);
    tplr_tour_batch_tokens(7, 0, 2, 9, 1024, b);
    tplr_tour_batch_tokens(8, 0, 2, 9, 1024, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    for (int i = 0; i < 18; i++)
        assert_true(a[i] >= 0 && a[i] < 1024);
    /* what the sandbox gets does not give the batches away */
    tplr_tour_batch_tokens(tplr_tour_weight_seed(7), 0, 2, 9, 1024, c);
    assert_memory_not_equal(a, c, sizeof a);
    assert_true(tplr_tour_weight_seed(7) != 7 && tplr_tour_weight_seed(7) != tplr_tour_weight_seed(8));
    tplr_tour_init in = tiny_init(1);
    tplr_model *m1 = NULL, *m2 = NULL;
    ASSERT_OK(tplr_model_create(&in.cfg, &m1));
    ASSERT_OK(tplr_model_create(&in.cfg, &m2));
    tplr_tour_init_weights(m1, 1);
    tplr_tour_init_weights(m2, 2);
    double max = 0;
    for (size_t i = 0; i < m1->n_params; i++)
        max = fmax(max, fabs((double)m1->params[i] - m2->params[i]));
    assert_true(max > 1e-4 && max <= 2e-3 + 1e-6); /* two ±1e-3 perturbations of one initialization */
    tplr_model_free(m1);
    tplr_model_free(m2);
}

/* A reference exec, a copy to tamper with, and the initial weights. */
typedef struct fixture {
    tplr_tour_init in;
    tplr_tour_exec ref, sub;
    float *w0;
    size_t nl, nw;
} fixture;

static void make_fixture(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->in = tiny_init(3);
    tplr_model *m = NULL;
    ASSERT_OK(tplr_model_create(&f->in.cfg, &m));
    f->nw = m->n_params;
    f->nl = (size_t)f->in.batch * (f->in.seq - 1) * f->in.cfg.vocab;
    f->w0 = malloc(sizeof(float) * f->nw);
    tplr_tour_init_weights(m, tplr_tour_weight_seed(3));
    memcpy(f->w0, m->params, sizeof(float) * f->nw);
    tplr_model_free(m);
    tplr_tour_exec *x[2] = {&f->ref, &f->sub};
    for (int k = 0; k < 2; k++) {
        x[k]->tokens = (uint64_t)f->in.steps * f->in.batch * f->in.seq;
        x[k]->head.total_tokens = (int64_t)x[k]->tokens;
        x[k]->head.final_loss = 6.9;
        x[k]->logits = malloc(sizeof(float) * f->nl);
        x[k]->weights = malloc(sizeof(float) * f->nw);
        for (size_t i = 0; i < f->nl; i++)
            x[k]->logits[i] = (float)sin((double)i);
        for (size_t i = 0; i < f->nw; i++)
            x[k]->weights[i] = f->w0[i] + 1e-3f * (float)cos((double)i); /* every tensor moved */
    }
}

static void free_fixture(fixture *f)
{
    tplr_tour_exec_free(&f->ref);
    tplr_tour_exec_free(&f->sub);
    free(f->w0);
}

static tplr_tour_verdict verdict(fixture *f, tplr_tour_run *run)
{
    memset(run, 0, sizeof *run);
    tplr_tour_verify(&f->ref, &f->sub, &f->in, f->w0, run);
    return run->verdict;
}

static void test_verifier(void **state)
{
    (void)state;
    fixture f;
    tplr_tour_run run;
    make_fixture(&f);
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_PASS);
    assert_true(run.logits_diff == 0 && run.weights_rel_l2 == 0);
    /* tokens: the harness's count and the claim both count */
    f.sub.tokens -= f.in.batch * f.in.seq;
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_TOKEN_COUNT_MISMATCH);
    f.sub.tokens = f.ref.tokens, f.sub.head.total_tokens += 1;
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_TOKEN_COUNT_MISMATCH);
    f.sub.head.total_tokens = f.ref.head.total_tokens;
    /* loss: inside and outside 1e-3 relative, NaN */
    f.sub.head.final_loss = 6.9 * (1 + 0.9e-3);
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_PASS);
    f.sub.head.final_loss = 6.9 * (1 + 1.1e-3);
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_LOSS_MISMATCH);
    f.sub.head.final_loss = NAN;
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_LOSS_MISMATCH);
    f.sub.head.final_loss = 6.9;
    /* logits: 0.5 % off passes, 2 % fails, one NaN fails */
    for (size_t i = 0; i < f.nl; i++)
        f.sub.logits[i] = f.ref.logits[i] * 1.005f;
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_PASS);
    for (size_t i = 0; i < f.nl; i++)
        f.sub.logits[i] = f.ref.logits[i] * 1.02f;
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_LOGITS_MISMATCH);
    memcpy(f.sub.logits, f.ref.logits, sizeof(float) * f.nl);
    f.sub.logits[5] = NAN;
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_LOGITS_MISMATCH);
    f.sub.logits[5] = f.ref.logits[5];
    /* weights: one frozen norm gain (a few values among 0.3M) fails */
    tplr_model *shapes = NULL;
    ASSERT_OK(tplr_model_create_shapes(&f.in.cfg, &shapes));
    size_t off = shapes->layer[0].norm1;
    for (int i = 0; i < f.in.cfg.hidden; i++)
        f.sub.weights[off + i] = f.w0[off + i];
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_WEIGHTS_MISMATCH);
    assert_true(run.weights_rel_l2 > 0.99);
    assert_non_null(strstr(run.detail, "model.layers.0.input_layernorm.weight"));
    memcpy(f.sub.weights, f.ref.weights, sizeof(float) * f.nw);
    f.sub.weights[off] = NAN;
    assert_int_equal(verdict(&f, &run), TPLR_TOUR_WEIGHTS_MISMATCH);
    tplr_model_free(shapes);
    free_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_rules),  cmocka_unit_test(test_result_head),
        cmocka_unit_test(test_init_roundtrip), cmocka_unit_test(test_batches_and_weights),
        cmocka_unit_test(test_verifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
