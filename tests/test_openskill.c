/* OpenSkill Plackett-Luce against the npm openskill package: hand-checked
 * properties here; the golden games (tests/scoring/openskill_golden.json,
 * made by tests/scoring/openskill_golden.js) are compared to 1e-9. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

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
    /* extreme ratings stay finite (the exponentials are taken relative to the largest) */
    tplr_rating far[2] = {{1e6, 1}, {-1e6, 1}};
    double fs[2] = {0, 1};
    ASSERT_OK(tplr_openskill_rate(&p, far, fs, 2));
    assert_true(isfinite(far[0].mu) && isfinite(far[1].mu) && far[0].sigma > 0 && far[1].sigma > 0);
    r[1].sigma = 0;
    double ok[2] = {1, 0};
    assert_int_equal(tplr_openskill_rate(&p, r, ok, 2), TPLR_EINVAL);
}


static double num_at(json_t *a, size_t i)
{
    json_t *v = json_array_get(a, i);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-300);
}

/* Every window of every scenario: rate the players with our ratings carried
 * from the previous windows; mu, sigma and ordinal within 1e-9 relative. */
static void test_golden(void **state)
{
    (void)state;
    char path[4096];
    const char *env = getenv("TPLR_OPENSKILL_GOLDEN");
    if (env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/scoring/openskill_golden.json", tu_src_dir());
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc)
        fail_msg("%s: %s", path, jerr.text);
    json_t *scenarios = json_object_get(doc, "scenarios");
    assert_true(json_array_size(scenarios) >= 10);
    double worst = 0;
    int games = 0, ties = 0;
    for (size_t sc = 0; sc < json_array_size(scenarios); sc++) {
        json_t *S = json_array_get(scenarios, sc);
        tplr_openskill_params p;
        tplr_openskill_defaults(&p);
        p.beta = json_number_value(json_object_get(S, "beta"));
        p.tau = json_number_value(json_object_get(S, "tau"));
        int np = (int)json_integer_value(json_object_get(S, "players"));
        assert_true(np > 0 && np <= 64);
        tplr_rating pool[64];
        for (int i = 0; i < np; i++)
            pool[i] = tplr_openskill_new(&p);
        json_t *windows = json_object_get(S, "windows");
        for (size_t w = 0; w < json_array_size(windows); w++) {
            json_t *W = json_array_get(windows, w);
            json_t *players = json_object_get(W, "players"), *scores = json_object_get(W, "scores");
            int n = (int)json_array_size(players);
            assert_true(n >= 1 && n <= 64 && (size_t)n == json_array_size(scores));
            tplr_rating r[64];
            double sc_[64];
            int who[64];
            for (int i = 0; i < n; i++) {
                who[i] = (int)json_integer_value(json_array_get(players, (size_t)i));
                assert_true(who[i] >= 0 && who[i] < np);
                r[i] = pool[who[i]];
                sc_[i] = num_at(scores, (size_t)i);
                for (int j = 0; j < i; j++)
                    ties += sc_[j] == sc_[i];
            }
            ASSERT_OK(tplr_openskill_rate(&p, r, sc_, n));
            for (int i = 0; i < n; i++) {
                double emu = num_at(json_object_get(W, "mu"), (size_t)i);
                double esig = num_at(json_object_get(W, "sigma"), (size_t)i);
                double eord = num_at(json_object_get(W, "ordinal"), (size_t)i);
                double d = fmax(rel(r[i].mu, emu), rel(r[i].sigma, esig));
                /* the ordinal can be near 0: relative to the terms that make it */
                double dord = fabs(tplr_openskill_ordinal(&p, r[i]) - eord) / (fabs(emu) + 3 * esig);
                d = fmax(d, dord);
                if (d > 1e-9)
                    fail_msg("scenario %zu window %zu player %d: (%.17g, %.17g) vs npm (%.17g, %.17g)", sc, w,
                             who[i], r[i].mu, r[i].sigma, emu, esig);
                worst = fmax(worst, d);
                pool[who[i]] = r[i];
            }
            games++;
        }
    }
    print_message("openskill golden: %d games (%d tied pairs), worst relative difference %.3g\n", games, ties, worst);
    assert_true(games >= 50 && ties > 0);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_ordinal),
        cmocka_unit_test(test_two_players),
        cmocka_unit_test(test_ties_and_symmetry),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
