/* OpenSkill Plackett-Luce against the npm openskill package: hand-checked
 * properties here; the golden games (tests/scoring/openskill_golden.json,
 * made by tests/scoring/openskill_golden.js) are compared to 1e-9. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_util.h"
#include "tplr/openskill.h"

static void test_defaults_and_ordinal(void **state)
{
    (void)state;
    tplr_openskill_params p;
    tplr_openskill_defaults(&p);
    tplr_rating r = tplr_openskill_new(&p);
    assert_true(r.mu == 25.0 && r.sigma == 25.0 / 3.0);
    assert_true(fabs(tplr_openskill_ordinal(&p, r)) < 1e-12);
}

/* Two players, winner first: npm openskill 5.0.1 rate([[a],[b]]) with the
 * defaults gives a = (27.635389493140497, 8.06590141354368),
 * b = (22.364610506859503, 8.06590141354368). */
static void test_two_players(void **state)
{
    (void)state;
    tplr_openskill_params p;
    tplr_openskill_defaults(&p);
    tplr_rating r[2] = {tplr_openskill_new(&p), tplr_openskill_new(&p)};
    double scores[2] = {1, 0};
    ASSERT_OK(tplr_openskill_rate(&p, r, scores, 2));
    assert_true(fabs(r[0].mu - 27.635389493140497) < 1e-12 * 27.6);
    assert_true(fabs(r[1].mu - 22.364610506859503) < 1e-12);
    assert_true(fabs(r[0].sigma - 8.06590141354368) < 1e-12);
    assert_true(fabs(r[1].sigma - r[0].sigma) < 1e-15);
}

static void test_ties_and_symmetry(void **state)
{
    (void)state;
    tplr_openskill_params p;
    tplr_openskill_defaults(&p);
    tplr_rating r[3] = {tplr_openskill_new(&p), tplr_openskill_new(&p), tplr_openskill_new(&p)};
    double scores[3] = {0.5, 0.5, 0.5}; /* a three-way tie leaves the mus equal */
    ASSERT_OK(tplr_openskill_rate(&p, r, scores, 3));
    assert_true(fabs(r[0].mu - r[1].mu) < 1e-12 && fabs(r[1].mu - r[2].mu) < 1e-12);
    assert_true(r[0].sigma < 25.0 / 3.0);
    /* one player: only tau is added */
    tplr_rating one = tplr_openskill_new(&p);
    double s1 = 3;
    ASSERT_OK(tplr_openskill_rate(&p, &one, &s1, 1));
    assert_true(fabs(one.sigma - sqrt(p.sigma * p.sigma + p.tau * p.tau)) < 1e-12 && one.mu == 25.0);
}

static void test_rejects(void **state)
{
    (void)state;
    tplr_openskill_params p;
    tplr_openskill_defaults(&p);
    tplr_rating r[2] = {tplr_openskill_new(&p), tplr_openskill_new(&p)};
    double bad[2] = {NAN, 0};
    assert_int_equal(tplr_openskill_rate(&p, r, bad, 2), TPLR_EINVAL);
    assert_int_equal(tplr_openskill_rate(&p, r, bad, 0), TPLR_EINVAL);
    r[1].sigma = 0;
    double ok[2] = {1, 0};
    assert_int_equal(tplr_openskill_rate(&p, r, ok, 2), TPLR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_ordinal),
        cmocka_unit_test(test_two_players),
        cmocka_unit_test(test_ties_and_symmetry),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
