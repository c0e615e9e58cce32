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


static tplr_scoring *fresh(void)
{
    tplr_scoring_config c;
    tplr_scoring_config_defaults(&c);
    tplr_scoring *s;
    ASSERT_OK(tplr_scoring_create(&c, &s));
    return s;
}

/* uid holds (final, bma) before a window */
static void put(tplr_scoring *s, int uid, double final, double bma)
{
    s->uid[uid].known = 1;
    s->uid[uid].final_score = final;
    s->uid[uid].bma = bma;
}

static int has_event(const tplr_scoring *s, int uid, tplr_penalty p, double *before, double *after)
{
    int n;
    const tplr_penalty_event *ev = tplr_scoring_events(s, &n);
    for (int i = 0; i < n; i++)
        if (ev[i].uid == uid && ev[i].reason == p) {
            if (before)
                *before = ev[i].before;
            if (after)
                *after = ev[i].after;
            return 1;
        }
    return 0;
}

/* The rating OpenSkill gives, computed independently of the state. */
static void expected_ratings(const tplr_scoring *s, tplr_rating *r, const double *scores, int n)
{
    tplr_openskill_params p;
    tplr_scoring_openskill_params(&s->cfg, &p);
    ASSERT_OK(tplr_openskill_rate(&p, r, scores, n));
}

static double ordinal(const tplr_scoring *s, tplr_rating r)
{
    return r.mu - s->cfg.openskill_z * r.sigma;
}

/* Two evaluations: gradient scores, indicators, BMA, OpenSkill, final scores. */
static void test_eval_window(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    /* uid 3 had a good history: a rating with a positive ordinal and a BMA */
    s->uid[3].rating = (tplr_rating){40, 2};
    put(s, 3, 0, 0.5);
    ASSERT_OK(tplr_scoring_begin_window(s, 100));
    tplr_eval_losses a = {10, 8, 12, 11}, b = {10, 9.9, 12, 12.5};
    ASSERT_OK(tplr_scoring_eval(s, 3, &a, 1.5));
    ASSERT_OK(tplr_scoring_eval(s, 4, &b, 0));
    assert_int_equal(tplr_scoring_eval(s, 4, &b, 0), TPLR_EINVAL); /* once per window */
    tplr_eval_losses bad = {10, 8, 0, 11};
    assert_int_equal(tplr_scoring_eval(s, 5, &bad, 0), TPLR_EINVAL);
    CLOSE(s->uid[3].gradient_score, 1.0 / 12);
    CLOSE(s->uid[4].gradient_score, -0.5 / 12);
    CLOSE(s->uid[3].binary_indicator, 1);  /* 0.2 > 0.083 */
    CLOSE(s->uid[4].binary_indicator, 1);  /* 0.01 > -0.042 */
    CLOSE(s->uid[3].bma, 0.95 * 0.5 + 0.05);
    CLOSE(s->uid[4].bma, 0.05);
    CLOSE(s->uid[3].sync_score, pow(0.5, 2.5));
    ASSERT_OK(tplr_scoring_end_window(s));
    tplr_rating r[2] = {{40, 2}, {25, 25.0 / 3}};
    double sc[2] = {1.0 / 12, -0.5 / 12};
    expected_ratings(s, r, sc, 2);
    CLOSE(s->uid[3].rating.mu, r[0].mu);
    CLOSE(s->uid[4].rating.sigma, r[1].sigma);
    assert_true(s->uid[3].rated && s->uid[4].rated);
    CLOSE(s->uid[3].final_score, ordinal(s, r[0]) * 0.525 * pow(0.5, 2.5));
    assert_true(ordinal(s, r[1]) < 0);
    CLOSE(s->uid[4].final_score, 0); /* negative: below 1e-4 */
    /* one negative evaluation out of one: > 50% -> the negative rule fires (nothing to slash) */
    assert_true(has_event(s, 4, TPLR_PENALTY_NEGATIVE, NULL, NULL));
    assert_false(has_event(s, 3, TPLR_PENALTY_NEGATIVE, NULL, NULL));
    assert_int_equal(s->uid[4].neg_streak, 1);
    assert_int_equal(s->uid[3].last_eval_window, 100);
    assert_int_equal(s->windows_scored, 1);
    assert_int_equal(tplr_scoring_eval(s, 3, &a, 0), TPLR_EINVAL); /* outside a window */
    assert_int_equal(tplr_scoring_begin_window(s, 100), TPLR_EINVAL); /* windows move forward */
    tplr_scoring_free(s);
}

static void test_missing_invalid(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    put(s, 5, 0.8, 0.5);
    put(s, 6, 0.3, 0.5);
    put(s, 7, -0.2, 0.5);
    ASSERT_OK(tplr_scoring_begin_window(s, 7));
    ASSERT_OK(tplr_scoring_missing(s, 5));
    ASSERT_OK(tplr_scoring_invalid(s, 6));
    ASSERT_OK(tplr_scoring_missing(s, 7));
    assert_int_equal(tplr_scoring_missing(s, 5), TPLR_EINVAL);
    assert_int_equal(tplr_scoring_missing(s, 5000), TPLR_EINVAL);
    double before = 0, after = 0;
    assert_true(has_event(s, 5, TPLR_PENALTY_MISSING, &before, &after));
    CLOSE(before, 0.8);
    CLOSE(after, 0.6);
    CLOSE(s->uid[5].bma, 0.375);
    CLOSE(s->uid[6].final_score, 0);
    CLOSE(s->uid[6].bma, 0.5); /* invalid leaves the BMA */
    CLOSE(s->uid[7].final_score, -0.2); /* only positive scores are slashed */
    CLOSE(s->uid[7].bma, 0.5);
    assert_int_equal(s->n_game, 3);
    CLOSE(s->game_score[0], -99);
    CLOSE(s->game_score[1], -99);
    ASSERT_OK(tplr_scoring_end_window(s));
    /* a three-way tie at -99 */
    tplr_rating r[3] = {{25, 25.0 / 3}, {25, 25.0 / 3}, {25, 25.0 / 3}};
    double sc[3] = {-99, -99, -99};
    expected_ratings(s, r, sc, 3);
    CLOSE(s->uid[5].rating.mu, r[0].mu);
    double f = ordinal(s, r[0]) * 0.375;
    CLOSE(s->uid[5].final_score, f < 1e-4 ? 0 : f);
    assert_int_equal(s->uid[5].neg_count, 0); /* missing is not a measured evaluation */
    tplr_scoring_free(s);
}

static void test_gather(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    put(s, 7, 1.0, 0.8);
    put(s, 8, 1.0, 0.8);
    uint16_t peers[3] = {7, 8, 9}, skip7[1] = {7}, skip8[1] = {8}, none[1] = {0};
    double expect7[] = {0.75, 0.375, 0}; /* consecutive misses: ×0.75, ×0.5, ×0 */
    for (int w = 1; w <= 3; w++) {
        ASSERT_OK(tplr_scoring_begin_window(s, w));
        ASSERT_OK(tplr_scoring_gather(s, peers, 3, skip7, 1, 0.66));
        CLOSE(s->uid[7].final_score, expect7[w - 1]);
        assert_true(has_event(s, 7, TPLR_PENALTY_GATHER_MISS, NULL, NULL));
        ASSERT_OK(tplr_scoring_end_window(s));
    }
    CLOSE(s->uid[8].final_score, 1.0);
    assert_int_equal(s->uid[7].miss_streak, 3);
    /* a fourth miss among the last 8: reset + naughty for 20 windows */
    put(s, 7, 1.0, 0.8);
    ASSERT_OK(tplr_scoring_begin_window(s, 4));
    ASSERT_OK(tplr_scoring_gather(s, peers, 3, skip7, 1, 0.66));
    assert_true(has_event(s, 7, TPLR_PENALTY_GATHER_RESET, NULL, NULL));
    CLOSE(s->uid[7].final_score, 0);
    CLOSE(s->uid[7].bma, 0);
    assert_int_equal(s->uid[7].naughty_until, 24);
    assert_true(tplr_scoring_is_naughty(s, 7, 23));
    assert_false(tplr_scoring_is_naughty(s, 7, 24));
    /* a gather below 40% success: skipped peers to 0 */
    ASSERT_OK(tplr_scoring_gather(s, peers, 3, skip8, 1, 0.3));
    assert_true(has_event(s, 8, TPLR_PENALTY_GATHER_FAILED, NULL, NULL));
    CLOSE(s->uid[8].final_score, 0);
    ASSERT_OK(tplr_scoring_end_window(s));
    /* a hit between misses restarts the streak */
    put(s, 9, 1.0, 0.8);
    uint16_t skip9[1] = {9};
    ASSERT_OK(tplr_scoring_begin_window(s, 5));
    ASSERT_OK(tplr_scoring_gather(s, peers, 3, skip9, 1, 0.66));
    ASSERT_OK(tplr_scoring_end_window(s));
    ASSERT_OK(tplr_scoring_begin_window(s, 6));
    ASSERT_OK(tplr_scoring_gather(s, peers, 3, none, 0, 1.0));
    ASSERT_OK(tplr_scoring_gather(s, peers, 3, skip9, 1, 0.66)); /* the same call twice is two gathers */
    CLOSE(s->uid[9].final_score, 0.75 * 0.75);
    /* bad input */
    uint16_t outsider[1] = {50}, dup[2] = {7, 7};
    assert_int_equal(tplr_scoring_gather(s, peers, 3, outsider, 1, 0.5), TPLR_EINVAL);
    assert_int_equal(tplr_scoring_gather(s, dup, 2, none, 0, 0.5), TPLR_EINVAL);
    assert_int_equal(tplr_scoring_gather(s, peers, 3, none, 0, 1.5), TPLR_EINVAL);
    tplr_scoring_free(s);
}

static void test_sync_and_overlap(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    for (int u = 10; u < 18; u++)
        put(s, u, 1.0, 0.8);
    ASSERT_OK(tplr_scoring_begin_window(s, 50));
    ASSERT_OK(tplr_scoring_gather_sync(s, 10, 1, 2));   /* at the limit: fine */
    ASSERT_OK(tplr_scoring_gather_sync(s, 11, 1, 2.5)); /* behind */
    ASSERT_OK(tplr_scoring_gather_sync(s, 12, 0, 0));   /* check failed */
    CLOSE(s->uid[10].final_score, 1.0);
    CLOSE(s->uid[11].final_score, 0.75);
    CLOSE(s->uid[11].bma, 0.6);
    CLOSE(s->uid[12].final_score, 0.75);
    assert_true(has_event(s, 11, TPLR_PENALTY_SYNC, NULL, NULL));
    for (int u = 10; u < 13; u++)
        put(s, u, 1.0, 0.8);
    tplr_overlap_pair pairs[] = {
        {10, 11, 0.45, 1, 2}, /* 11 uploaded later: ×0.5 */
        {12, 13, 0.55, 5, 3}, /* 12 later: reset */
        {14, 15, 0.65, 4, 4}, /* a tie: both reset + naughty */
        {16, 17, 0.39, 1, 2}, /* under the flag */
        {10, 16, 0.42, 0, 9}, /* 16 later */
    };
    ASSERT_OK(tplr_scoring_overlap(s, pairs, 5, 19)); /* before step 20: nothing */
    CLOSE(s->uid[11].final_score, 1.0);
    ASSERT_OK(tplr_scoring_overlap(s, pairs, 5, 20));
    CLOSE(s->uid[10].final_score, 1.0);
    CLOSE(s->uid[11].final_score, 0.5);
    CLOSE(s->uid[11].bma, 0.4);
    CLOSE(s->uid[12].final_score, 0);
    assert_true(has_event(s, 12, TPLR_PENALTY_OVERLAP_RESET, NULL, NULL));
    assert_false(tplr_scoring_is_naughty(s, 12, 51));
    CLOSE(s->uid[13].final_score, 1.0);
    assert_true(has_event(s, 14, TPLR_PENALTY_OVERLAP_NAUGHTY, NULL, NULL));
    assert_true(has_event(s, 15, TPLR_PENALTY_OVERLAP_NAUGHTY, NULL, NULL));
    assert_true(tplr_scoring_is_naughty(s, 15, 69));
    CLOSE(s->uid[16].final_score, 0.5);
    CLOSE(s->uid[17].final_score, 1.0);
    tplr_overlap_pair bad = {3, 3, 0.5, 0, 0};
    assert_int_equal(tplr_scoring_overlap(s, &bad, 1, 30), TPLR_EINVAL);
    bad = (tplr_overlap_pair){3, 4, 1.5, 0, 0};
    assert_int_equal(tplr_scoring_overlap(s, &bad, 1, 30), TPLR_EINVAL);
    tplr_scoring_free(s);
}

/* A uid with a strong rating keeps evaluating negative while others are positive. */
static void test_negative_rules(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    s->uid[20].rating = (tplr_rating){60, 2};
    put(s, 20, 0, 0.8);
    tplr_eval_losses neg = {10, 9, 10, 10.5}; /* gradient score -0.05, indicator +1 */
    tplr_eval_losses pos = {10, 9, 10, 9.5};
    for (int w = 1; w <= 3; w++) {
        ASSERT_OK(tplr_scoring_begin_window(s, w));
        tplr_rating r[3] = {s->uid[20].rating, s->uid[21].rating, s->uid[22].rating};
        double bma = s->uid[20].bma * 0.95 + 0.05;
        ASSERT_OK(tplr_scoring_eval(s, 20, &neg, 0));
        ASSERT_OK(tplr_scoring_eval(s, 21, &pos, 0));
        ASSERT_OK(tplr_scoring_eval(s, 22, &pos, 0));
        ASSERT_OK(tplr_scoring_end_window(s));
        double sc[3] = {-0.05, 0.05, 0.05};
        expected_ratings(s, r, sc, 3);
        CLOSE(s->uid[20].final_score, ordinal(s, r[0]) * bma * 0.25);
        assert_true(has_event(s, 20, TPLR_PENALTY_NEGATIVE, NULL, NULL));
        assert_int_equal(s->uid[20].excluded, w >= 3);
        assert_int_equal(has_event(s, 20, TPLR_PENALTY_NEGATIVE_EXCLUDED, NULL, NULL), w >= 3);
    }
    /* window 4: six evaluations, the 5th best negative: both rules waived */
    ASSERT_OK(tplr_scoring_begin_window(s, 4));
    tplr_rating r20 = s->uid[20].rating;
    double bma = s->uid[20].bma * 0.95 + 0.05;
    ASSERT_OK(tplr_scoring_eval(s, 20, &neg, 0));
    ASSERT_OK(tplr_scoring_eval(s, 21, &pos, 0));
    for (int u = 23; u < 27; u++)
        ASSERT_OK(tplr_scoring_eval(s, u, &neg, 0));
    ASSERT_OK(tplr_scoring_end_window(s));
    assert_false(has_event(s, 20, TPLR_PENALTY_NEGATIVE, NULL, NULL));
    assert_int_equal(s->uid[20].excluded, 0);
    assert_int_equal(s->uid[20].neg_streak, 4);
    assert_int_equal(s->uid[20].neg_count, 4);
    assert_true(s->uid[20].rating.mu != r20.mu);
    CLOSE(s->uid[20].final_score, ordinal(s, s->uid[20].rating) * bma);
    tplr_scoring_free(s);
}

static void test_inactive_bma_tiny(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    put(s, 30, 1.0, 0.8);
    double expect = 1.0;
    for (int w = 10; w <= 13; w++) { /* inactive for 0..3 windows: ×0.75 each */
        ASSERT_OK(tplr_scoring_begin_window(s, w));
        ASSERT_OK(tplr_scoring_activity(s, 30, 0));
        expect *= 0.75;
        CLOSE(s->uid[30].final_score, expect);
        CLOSE(s->uid[30].bma, 0.8);
        ASSERT_OK(tplr_scoring_end_window(s));
    }
    ASSERT_OK(tplr_scoring_begin_window(s, 14)); /* more than 3: reset and forgotten */
    ASSERT_OK(tplr_scoring_activity(s, 30, 0));
    assert_true(has_event(s, 30, TPLR_PENALTY_INACTIVE_RESET, NULL, NULL));
    assert_int_equal(s->uid[30].known, 0);
    CLOSE(s->uid[30].final_score, 0);
    /* back to active clears the clock */
    put(s, 31, 1.0, 0.8);
    ASSERT_OK(tplr_scoring_activity(s, 31, 0));
    ASSERT_OK(tplr_scoring_activity(s, 31, 1));
    assert_int_equal(s->uid[31].inactive_since, -1);
    /* below 1e-4 becomes 0 */
    put(s, 32, 5e-5, 0.8);
    ASSERT_OK(tplr_scoring_end_window(s));
    CLOSE(s->uid[32].final_score, 0);
    assert_true(has_event(s, 32, TPLR_PENALTY_TINY, NULL, NULL));
    /* the BMA term is 0 below 0.10 once 10 windows have passed since the first (10) */
    s->uid[33].rating = (tplr_rating){60, 2};
    put(s, 33, 0, 0.04);
    tplr_eval_losses l = {10, 9, 10, 9.5};
    ASSERT_OK(tplr_scoring_begin_window(s, 19));
    ASSERT_OK(tplr_scoring_eval(s, 33, &l, 0));
    ASSERT_OK(tplr_scoring_end_window(s));
    assert_true(s->uid[33].final_score > 0); /* 9 windows: still warming up */
    ASSERT_OK(tplr_scoring_begin_window(s, 20));
    s->uid[33].bma = 0.04;
    ASSERT_OK(tplr_scoring_eval(s, 33, &l, 0));
    ASSERT_OK(tplr_scoring_end_window(s));
    CLOSE(s->uid[33].bma, 0.04 * 0.95 + 0.05);
    assert_true(s->uid[33].bma < 0.1);
    CLOSE(s->uid[33].final_score, 0);
    assert_true(has_event(s, 33, TPLR_PENALTY_BMA_LOW, NULL, NULL));
    tplr_scoring_free(s);
}

static void test_delta_ema(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    tplr_scoring_observe_delta(s, 2.0);
    CLOSE(s->delta_ema, 2.0);
    tplr_scoring_observe_delta(s, 1.0);
    CLOSE(s->delta_ema, 1.8);
    tplr_scoring_observe_delta(s, NAN);
    CLOSE(s->delta_ema, 1.8);
    CLOSE(tplr_scoring_ordinal(s, 3), 0);
    s->uid[3].rating = (tplr_rating){30, 2};
    CLOSE(tplr_scoring_ordinal(s, 3), 24);
    tplr_scoring_reset_uid(s, 3);
    tplr_scoring_reset_uid(s, -1);
    /* a cancelled window rates nothing, and the state can be saved again */
    tplr_eval_losses l = {10, 9, 10, 9.5};
    ASSERT_OK(tplr_scoring_begin_window(s, 3));
    ASSERT_OK(tplr_scoring_eval(s, 8, &l, 0));
    tplr_scoring_cancel_window(s);
    assert_false(s->in_window);
    assert_int_equal(s->uid[8].rated, 0);
    assert_int_equal(s->windows_scored, 0);
    assert_int_equal(tplr_scoring_end_window(s), TPLR_EINVAL);
    ASSERT_OK(tplr_scoring_begin_window(s, 4));
    ASSERT_OK(tplr_scoring_eval(s, 8, &l, 0)); /* a new window may score it again */
    tplr_scoring_free(s);
}


/* docs/scoring.md's constants table lists every config row with its default. */
static void test_docs_table(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/../docs/scoring.md", tu_src_dir());
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    int rows;
    const tplr_scoring_config_row *r = tplr_scoring_config_rows(&rows);
    for (int i = 0; i < rows; i++) {
        char want[256];
        snprintf(want, sizeof want, "| `%s` | %s | %.10g | %s |", r[i].name, r[i].is_int ? "int" : "number",
                 r[i].default_value, r[i].meaning);
        if (!strstr(doc, want))
            fail_msg("docs/scoring.md lacks the row: %s", want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_eval_window),
        cmocka_unit_test(test_missing_invalid),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_sync_and_overlap),
        cmocka_unit_test(test_negative_rules),
        cmocka_unit_test(test_inactive_bma_tiny),
        cmocka_unit_test(test_delta_ema),
        cmocka_unit_test(test_docs_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
