/* The scoring rules and the per-window state, on hand-computed cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/scoring.h"

#define CLOSE(a, b) assert_true(fabs((double)(a) - (double)(b)) <= 1e-12 * (1 + fabs((double)(b))))

static void test_config(void **state)
{
    (void)state;
    tplr_scoring_config c;
    tplr_scoring_config_defaults(&c);
    ASSERT_OK(tplr_scoring_config_check(&c));
    assert_true(c.openskill_beta == 7 && c.openskill_tau == 0.1 && c.bma_alpha == 0.05);
    assert_int_equal(c.uids_per_window, 20);
    assert_int_equal(c.burn_uid, 1);
    int n;
    const tplr_scoring_config_row *rows = tplr_scoring_config_rows(&n);
    assert_true(n > 40);
    for (int i = 0; i < n; i++) {
        double v;
        ASSERT_OK(tplr_scoring_config_get(&c, rows[i].name, &v));
        assert_true(v == rows[i].default_value || (rows[i].is_int && v == (int)rows[i].default_value));
        assert_true(strlen(rows[i].meaning) > 5);
    }
    ASSERT_OK(tplr_scoring_config_set(&c, "uids_per_window", 7));
    assert_int_equal(c.uids_per_window, 7);
    assert_int_equal(tplr_scoring_config_set(&c, "uids_per_window", 7.5), TPLR_EINVAL);
    assert_int_equal(tplr_scoring_config_set(&c, "nope", 1), TPLR_ENOTFOUND);
    ASSERT_OK(tplr_scoring_config_set(&c, "bma_alpha", 2));
    assert_int_equal(tplr_scoring_config_check(&c), TPLR_EINVAL);
    assert_non_null(strstr(tplr_errmsg(), "bma_alpha"));
}

static void test_rules(void **state)
{
    (void)state;
    tplr_scoring_config c;
    tplr_scoring_config_defaults(&c);
    tplr_eval_losses l = {.before_own = 10, .after_own = 8, .before_rand = 12, .after_rand = 11};
    assert_true(tplr_eval_losses_ok(&l));
    CLOSE(tplr_gradient_score(&l), 1.0 / 12.0);
    assert_int_equal(tplr_binary_indicator(&l), 1); /* 0.2 own > 0.0833 random */
    l.after_own = 9.5;                              /* 0.05 < 0.0833 */
    assert_int_equal(tplr_binary_indicator(&l), -1);
    l.before_rand = 0;
    assert_false(tplr_eval_losses_ok(&l));
    l.before_rand = NAN;
    assert_false(tplr_eval_losses_ok(&l));
    /* sync: (1 - x/3)^2.5 */
    CLOSE(tplr_sync_score(&c, 0), 1.0);
    CLOSE(tplr_sync_score(&c, 1.5), pow(0.5, 2.5));
    CLOSE(tplr_sync_score(&c, 3), 0.0);
    CLOSE(tplr_sync_score(&c, 10), 0.0);
    CLOSE(tplr_sync_score(&c, -1), 1.0);
    CLOSE(tplr_sync_score(&c, NAN), 0.0);
    /* x: |d| = 0,1,2,3,4 -> q1 = 1, q3 = 3 -> IQM = 2; / ema 0.5 = 4 */
    float a[5] = {0, 1, 2, 3, 4}, b[5] = {0, 0, 0, 0, 0};
    CLOSE(tplr_sync_x(a, b, 5, 0.5), 4.0);
    CLOSE(tplr_sync_x(b, a, 5, 0.5), 4.0);
    CLOSE(tplr_sync_x(a, b, 5, 0), 0.0);
    /* two values: q1 = 0.25, q3 = 0.75, none inside -> their midpoint 0.5 */
    CLOSE(tplr_sync_x(a, b, 2, 1), 0.5);
    float inf[1] = {INFINITY};
    assert_true(isinf(tplr_sync_x(inf, b, 1, 1)));
    CLOSE(tplr_sync_ema_update(0, 2, 0.2), 2);
    CLOSE(tplr_sync_ema_update(2, 1, 0.2), 1.8);
}

static void test_names(void **state)
{
    (void)state;
    for (int p = 0; p < TPLR_PENALTY_COUNT; p++) {
        assert_non_null(tplr_penalty_name(p));
        for (int q = 0; q < p; q++)
            assert_string_not_equal(tplr_penalty_name(p), tplr_penalty_name(q));
    }
    assert_string_equal(tplr_penalty_name(TPLR_PENALTY_MISSING), "missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
