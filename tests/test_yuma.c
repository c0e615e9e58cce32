/* Emissions: the Yuma-style epoch against the hand-worked examples in
 * tests/chain/yuma_examples.md and the independent Python reference's
 * golden values (tests/chain/yuma_golden.json), and validator permits. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/yuma.h"

#define NMAX 16

typedef struct subnet {
    int n;
    uint64_t stake[NMAX], last_update[NMAX], registered_at[NMAX];
    int permit[NMAX];
    double weights[NMAX * NMAX], bonds[NMAX * NMAX];
    double consensus[NMAX], rank[NMAX], trust[NMAX], incentive[NMAX], dividends[NMAX], new_bonds[NMAX * NMAX];
    uint64_t emission[NMAX];
} subnet;

static void run(subnet *s, uint64_t block, double kappa, double alpha, uint64_t cutoff)
{
    tplr_yuma_in in = {s->n, block, cutoff, kappa, alpha, s->stake, s->permit, s->last_update, s->registered_at,
                       s->weights, s->bonds};
    tplr_yuma_out out = {s->consensus, s->rank, s->trust, s->incentive, s->dividends, s->new_bonds};
    ASSERT_OK(tplr_yuma_epoch(&in, &out));
}

static void test_hand_example(void **state)
{
    (void)state;
    subnet s = {.n = 4, .stake = {300, 100, 0, 0}, .last_update = {50, 60, 0, 0}};
    tplr_yuma_permits(4, s.stake, 64, 1, s.permit);
    assert_true(s.permit[0] && s.permit[1] && !s.permit[2] && !s.permit[3]);
    s.weights[0 * 4 + 2] = 3, s.weights[0 * 4 + 3] = 1;
    s.weights[1 * 4 + 2] = 1, s.weights[1 * 4 + 3] = 1;
    run(&s, 100, 0.5, 0.1, 5000);
    double tol = 1e-12;
    assert_true(fabs(s.consensus[2] - 0.75) < tol && fabs(s.consensus[3] - 0.25) < tol);
    assert_true(fabs(s.rank[2] - 0.6875) < tol && fabs(s.rank[3] - 0.25) < tol);
    assert_true(fabs(s.incentive[2] - 11.0 / 15) < tol && fabs(s.incentive[3] - 4.0 / 15) < tol);
    assert_true(fabs(s.trust[2] - 1.0) < tol && fabs(s.trust[3] - 0.8) < tol);
    assert_true(fabs(s.new_bonds[0 * 4 + 2] - 9.0 / 11) < tol && fabs(s.new_bonds[1 * 4 + 2] - 2.0 / 11) < tol);
    assert_true(fabs(s.new_bonds[0 * 4 + 3] - 0.75) < tol && fabs(s.new_bonds[1 * 4 + 3] - 0.25) < tol);
    assert_true(fabs(s.dividends[0] - 0.8) < tol && fabs(s.dividends[1] - 0.2) < tol);
    uint64_t paid = tplr_yuma_emission(1001, 4, s.incentive, s.dividends, s.emission);
    assert_int_equal(s.emission[0], 400);
    assert_int_equal(s.emission[1], 100);
    assert_int_equal(s.emission[2], 366);
    assert_int_equal(s.emission[3], 133);
    assert_int_equal(paid, 999);
}

static void test_permits(void **state)
{
    (void)state;
    uint64_t stake[6] = {10, 50, 50, 0, 30, 20};
    int permit[6];
    tplr_yuma_permits(6, stake, 3, 1, permit); /* 50 (uid 1), 50 (uid 2), 30 (uid 4) */
    int want[6] = {0, 1, 1, 0, 1, 0};
    assert_memory_equal(permit, want, sizeof want);
    tplr_yuma_permits(6, stake, 2, 1, permit); /* a tie at the cut goes to the lower uid */
    int want2[6] = {0, 1, 1, 0, 0, 0};
    assert_memory_equal(permit, want2, sizeof want2);
    tplr_yuma_permits(6, stake, 64, 25, permit); /* min stake */
    int want3[6] = {0, 1, 1, 0, 1, 0};
    assert_memory_equal(permit, want3, sizeof want3);
}

static void test_nobody_weighted(void **state)
{
    (void)state;
    subnet s = {.n = 3, .stake = {100, 0, 0}};
    tplr_yuma_permits(3, s.stake, 64, 1, s.permit);
    run(&s, 10, 0.5, 0.1, 5000);
    uint64_t paid = tplr_yuma_emission(1000, 3, s.incentive, s.dividends, s.emission);
    assert_int_equal(paid, 0);
    for (int i = 0; i < 3; i++)
        assert_true(s.incentive[i] == 0 && s.dividends[i] == 0 && s.emission[i] == 0);
}

static void load_u64s(json_t *a, uint64_t *out)
{
    for (size_t i = 0; i < json_array_size(a); i++)
        out[i] = (uint64_t)json_integer_value(json_array_get(a, i));
}

static void expect_vec(const char *what, const char *name, json_t *want, const double *got, int n)
{
    for (int i = 0; i < n; i++) {
        double w = json_real_value(json_array_get(want, (size_t)i));
        if (json_is_integer(json_array_get(want, (size_t)i)))
            w = (double)json_integer_value(json_array_get(want, (size_t)i));
        if (!(fabs(got[i] - w) <= 1e-12 * (1 + fabs(w))))
            fail_msg("%s: %s[%d] = %.17g, the reference says %.17g", name, what, i, got[i], w);
    }
}

static void replay_case(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    subnet s = {0};
    s.n = (int)json_array_size(json_object_get(c, "stake"));
    assert_true(s.n <= NMAX);
    load_u64s(json_object_get(c, "stake"), s.stake);
    load_u64s(json_object_get(c, "registered_at"), s.registered_at);
    tplr_yuma_permits(s.n, s.stake, (int)json_integer_value(json_object_get(c, "max_validators")),
                      (uint64_t)json_integer_value(json_object_get(c, "min_stake")), s.permit);
    json_t *permit = json_object_get(c, "permit");
    for (int i = 0; i < s.n; i++)
        if (s.permit[i] != (int)json_integer_value(json_array_get(permit, (size_t)i)))
            fail_msg("%s: permit of uid %d differs from the reference", name, i);
    double kappa = json_real_value(json_object_get(c, "kappa")), alpha = json_real_value(json_object_get(c, "alpha"));
    uint64_t cutoff = (uint64_t)json_integer_value(json_object_get(c, "activity_cutoff"));
    uint64_t total = (uint64_t)json_integer_value(json_object_get(c, "total"));
    size_t k;
    json_t *ep;
    json_array_foreach(json_object_get(c, "epochs"), k, ep) {
        load_u64s(json_object_get(ep, "last_update"), s.last_update);
        memset(s.weights, 0, sizeof s.weights);
        const char *vi;
        json_t *row;
        json_object_foreach(json_object_get(ep, "weights"), vi, row) {
            const char *uj;
            json_t *w;
            json_object_foreach(row, uj, w) s.weights[atoi(vi) * s.n + atoi(uj)] = (double)json_integer_value(w);
        }
        run(&s, (uint64_t)json_integer_value(json_object_get(ep, "block")), kappa, alpha, cutoff);
        json_t *want = json_object_get(ep, "expect");
        expect_vec("consensus", name, json_object_get(want, "consensus"), s.consensus, s.n);
        expect_vec("rank", name, json_object_get(want, "rank"), s.rank, s.n);
        expect_vec("trust", name, json_object_get(want, "trust"), s.trust, s.n);
        expect_vec("incentive", name, json_object_get(want, "incentive"), s.incentive, s.n);
        expect_vec("dividends", name, json_object_get(want, "dividends"), s.dividends, s.n);
        for (int i = 0; i < s.n; i++)
            expect_vec("bonds", name, json_array_get(json_object_get(want, "bonds"), (size_t)i),
                       s.new_bonds + i * s.n, s.n);
        tplr_yuma_emission(total, s.n, s.incentive, s.dividends, s.emission);
        json_t *em = json_object_get(want, "emission");
        for (int i = 0; i < s.n; i++)
            if (s.emission[i] != (uint64_t)json_integer_value(json_array_get(em, (size_t)i)))
                fail_msg("%s epoch %zu: emission of uid %d is %llu, the reference says %lld", name, k, i,
                         (unsigned long long)s.emission[i], json_integer_value(json_array_get(em, (size_t)i)));
        memcpy(s.bonds, s.new_bonds, sizeof s.bonds);
    }
}

static void test_golden(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/chain/yuma_golden.json", tu_src_dir());
    json_error_t jerr;
    json_t *cases = json_load_file(path, 0, &jerr);
    if (!cases)
        fail_msg("%s: %s", path, jerr.text);
    assert_true(json_array_size(cases) >= 6);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) replay_case(c);
    json_decref(cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_example),
        cmocka_unit_test(test_permits),
        cmocka_unit_test(test_nobody_weighted),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
