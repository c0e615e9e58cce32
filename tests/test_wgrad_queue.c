/* The queue of weight gradients (tplr/wgrad_queue.h): queued, a backward
 * pass gives the bits of the unqueued one, whichever thread runs the
 * products; every product runs exactly once, also when a second thread
 * starts taking before the owner has pushed anything; a full queue runs
 * what is pushed at once. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "tplr/kernels.h"
#include "tplr/profile.h"
#include "tplr/rng.h"
#include "tplr/wgrad_queue.h"

enum { B = 3, T = 16, N_ITEMS = 12, DIM = 8 };

static tplr_model *tiny_model(void)
{
    tplr_model_config cfg;
    ASSERT_OK(tplr_config_preset("tiny", &cfg));
    tplr_model *m;
    ASSERT_OK(tplr_model_create(&cfg, &m));
    tplr_model_init_weights(m, 3);
    return m;
}

static void tokens(const tplr_model *m, int32_t *in, int32_t *tg)
{
    for (int i = 0; i < B * T; i++) {
        in[i] = (int32_t)tplr_rng_below(9, 0, (uint64_t)i, (uint64_t)m->cfg.vocab);
        tg[i] = (int32_t)tplr_rng_below(9, 1, (uint64_t)i, (uint64_t)m->cfg.vocab);
    }
}

/* The gradient of one forward and backward pass, with a queue for `layers`
 * layers (0: none); with thief set, a second thread takes products from the
 * queue while the pass runs. */
static float *gradient(tplr_model *m, int layers, int thief)
{
    int32_t in[B * T], tg[B * T];
    tokens(m, in, tg);
    tplr_acts *a;
    ASSERT_OK(tplr_acts_create(m, B, T, &a));
    a->n_threads = 1;
    tplr_wgrad_queue *q = NULL;
    if (layers) {
        ASSERT_OK(tplr_wgrad_queue_create(m, a->M, layers, &q));
        tplr_wgrad_queue_reset(q);
        a->wq = q;
    }
    tplr_model_zero_grads(m);
    if (thief) {
#pragma omp parallel num_threads(2)
        {
            omp_set_num_threads(1);
            if (omp_get_thread_num() == 0)
                tplr_model_forward_backward(m, a, in, tg, 1.0f, NULL);
            else
                tplr_wgrad_queue_run(q);
        }
    } else {
        tplr_model_forward_backward(m, a, in, tg, 1.0f, NULL);
    }
    float *g = malloc(sizeof(float) * m->n_params);
    assert_non_null(g);
    memcpy(g, m->grads, sizeof(float) * m->n_params);
    tplr_wgrad_queue_free(q);
    tplr_acts_free(a);
    return g;
}

static void test_same_bits(void **state)
{
    (void)state;
    tplr_model *m = tiny_model();
    float *want = gradient(m, 0, 0);
    for (int layers = 1; layers <= m->cfg.layers; layers++) {
        float *got = gradient(m, layers, 0);
        assert_memory_equal(got, want, sizeof(float) * m->n_params);
        free(got);
    }
    for (int rep = 0; rep < 20; rep++) {
        float *got = gradient(m, m->cfg.layers, 1);
        assert_memory_equal(got, want, sizeof(float) * m->n_params);
        free(got);
    }
    free(want);
    tplr_model_free(m);
}

/* Products G_i += A_iᵀ·B_i whose results tell how often each ran. */
typedef struct products {
    float A[N_ITEMS][DIM * DIM], Bm[N_ITEMS][DIM * DIM], G[N_ITEMS][DIM * DIM], once[N_ITEMS][DIM * DIM];
    tplr_wgrad w[N_ITEMS];
} products;

static void make_products(products *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < N_ITEMS; i++) {
        for (int j = 0; j < DIM * DIM; j++) {
            p->A[i][j] = (float)((i + 2 * j) % 7) - 3.0f; /* small integers: the sums are exact */
            p->Bm[i][j] = (float)((3 * i + j) % 5) - 2.0f;
        }
        p->w[i] = (tplr_wgrad){DIM, DIM, DIM, DIM, DIM, DIM, p->A[i], p->Bm[i], p->G[i], TPLR_PH_QKV_MM_B};
        tplr_wgrad w = p->w[i];
        w.G = p->once[i];
        tplr_wgrad_run(&w);
    }
}

static void pause_a_little(void)
{
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

static void test_each_runs_once(void **state)
{
    (void)state;
    tplr_model *m = tiny_model();
    products *p = malloc(sizeof *p);
    assert_non_null(p);
    tplr_wgrad_queue *q;
    ASSERT_OK(tplr_wgrad_queue_create(m, 4, (N_ITEMS + 3) / 4, &q));
    assert_int_equal(q->cap, N_ITEMS);
    for (int rep = 0; rep < 50; rep++) {
        make_products(p);
        tplr_wgrad_queue_reset(q);
        /* thread 1 starts taking at once; thread 0 pushes slowly, seals, then takes too */
#pragma omp parallel num_threads(2)
        {
            omp_set_num_threads(1);
            if (omp_get_thread_num() == 0) {
                for (int i = 0; i < N_ITEMS; i++) {
                    tplr_wgrad_queue_push(q, &p->w[i]);
                    if (rep % 2)
                        pause_a_little();
                }
                tplr_wgrad_queue_seal(q);
            }
            tplr_wgrad_queue_run(q);
        }
        for (int i = 0; i < N_ITEMS; i++)
            assert_memory_equal(p->G[i], p->once[i], sizeof p->G[i]);
    }
    /* a full queue runs what comes next at once */
    make_products(p);
    tplr_wgrad_queue_reset(q);
    for (int i = 0; i < N_ITEMS; i++)
        tplr_wgrad_queue_push(q, &p->w[i]);
    tplr_wgrad_queue_push(q, &p->w[0]);
    for (int j = 0; j < DIM * DIM; j++)
        assert_true(p->G[0][j] == p->once[0][j]); /* ran once, before the queue's own copy */
    tplr_wgrad_queue_seal(q);
    tplr_wgrad_queue_run(q);
    for (int j = 0; j < DIM * DIM; j++)
        assert_true(p->G[0][j] == 2.0f * p->once[0][j]);
    tplr_wgrad_queue_free(q);
    free(p);
    tplr_model_free(m);
}

static void test_bad_layers(void **state)
{
    (void)state;
    tplr_model *m = tiny_model();
    tplr_wgrad_queue *q = (tplr_wgrad_queue *)1;
    assert_int_equal(tplr_wgrad_queue_create(m, 16, 0, &q), TPLR_EINVAL);
    assert_null(q);
    assert_int_equal(tplr_wgrad_queue_create(m, 16, m->cfg.layers + 1, &q), TPLR_EINVAL);
    assert_null(q);
    tplr_model_free(m);
}

int main(void)
{
    tplr_k_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bits),
        cmocka_unit_test(test_each_runs_once),
        cmocka_unit_test(test_bad_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
