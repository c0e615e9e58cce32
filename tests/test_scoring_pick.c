/* Weights, evaluation selection and peer lists: a hand-worked weight
 * example, the profile's properties, selection determinism and weighting
 * statistics, binning, and the peer list's ranking and filters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/rng.h"
#include "tplr/scoring_pick.h"

#define CLOSE(a, b) assert_true(fabs((double)(a) - (double)(b)) <= 1e-12 * (1 + fabs((double)(b))))

static tplr_scoring *fresh(void)
{
    tplr_scoring_config c;
    tplr_scoring_config_defaults(&c);
    tplr_scoring *s;
    ASSERT_OK(tplr_scoring_create(&c, &s));
    return s;
}

/* gather 3, reserve 2: profile 2, 1.5, 1 -> ×0.375/4.5; reserve 1, 0.5 ->
 * ×0.125/1.5, capped at the smallest gather weight 1/12; total non-burn
 * 0.5, so nothing moves in the final scaling. */
static void test_weights_hand(void **state)
{
    (void)state;
    tplr_scoring_config c;
    tplr_scoring_config_defaults(&c);
    c.gather_peer_count = 3;
    c.reserve_peer_count = 2;
    double f[10] = {0.9, 5.0 /* burn uid: ignored */, 0.5, 0.7, 0.1, 0.05, 0.01, -1, 0, 0};
    uint16_t uids[8];
    double w[8];
    int n;
    ASSERT_OK(tplr_scoring_weights_of(&c, f, 10, uids, w, &n));
    uint16_t eu[] = {1, 0, 3, 2, 4, 5};
    double ew[] = {0.5, 1.0 / 6, 1.0 / 8, 1.0 / 12, 1.0 / 12, 1.0 / 24};
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) {
        assert_int_equal(uids[i], eu[i]);
        CLOSE(w[i], ew[i]);
    }
    /* a reserve that would outweigh the gather is capped, then all rescaled:
     * gather 1 of weight 0.375, reserve 0.125 -> 0.125 (under the cap) */
    c.gather_peer_count = 1;
    c.reserve_peer_count = 1;
    c.gather_share = 0.1; /* gather 0.05, reserve 0.45 -> capped at 0.05 -> both 0.25 */
    ASSERT_OK(tplr_scoring_weights_of(&c, f, 10, uids, w, &n));
    assert_int_equal(n, 3);
    CLOSE(w[0], 0.5);
    CLOSE(w[1], 0.25);
    CLOSE(w[2], 0.25);
    /* no positive score: everything burns */
    double z[4] = {0, 0.3, -1, 0};
    ASSERT_OK(tplr_scoring_weights_of(&c, z, 4, uids, w, &n));
    assert_int_equal(n, 1);
    assert_int_equal(uids[0], 1);
    CLOSE(w[0], 1.0);
    z[2] = NAN;
    assert_int_equal(tplr_scoring_weights_of(&c, z, 4, uids, w, &n), TPLR_EINVAL);
}

/* Defaults over random scores: sums, burn, ranks, linear profile, caps. */
static void test_weights_properties(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    for (int trial = 0; trial < 50; trial++) {
        int n_uids = 2 + (int)tplr_rng_below(7, trial, 0, 200);
        for (int u = 0; u < TPLR_SCORING_MAX_UIDS; u++)
            s->uid[u].final_score = 0;
        for (int u = 0; u < n_uids; u++)
            s->uid[u].final_score = tplr_rng_uniform(7, trial, 1 + u) - 0.3;
        uint16_t uids[64];
        double w[64];
        int n;
        ASSERT_OK(tplr_scoring_weights(s, uids, w, &n));
        int positive = 0;
        for (int u = 0; u < n_uids; u++)
            positive += u != 1 && s->uid[u].final_score > 0;
        int ng = positive < 20 ? positive : 20, nr = positive - ng < 10 ? positive - ng : 10;
        assert_int_equal(n, 1 + ng + nr);
        assert_int_equal(uids[0], 1);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += w[i];
            assert_true(w[i] > 0);
            CLOSE(s->uid[uids[i]].weight, w[i]);
        }
        CLOSE(sum, 1.0);
        CLOSE(w[0], ng ? 0.5 : 1.0);
        for (int i = 2; i < n; i++) {
            assert_true(w[i] <= w[i - 1] * (1 + 1e-12));                                      /* monotone */
            assert_true(s->uid[uids[i]].final_score <= s->uid[uids[i - 1]].final_score);       /* by rank */
        }
        if (ng >= 2)
            CLOSE(w[1] / w[ng], 2.0); /* linear from 2 down to 1 */
        for (int i = 1 + ng; i < n; i++)
            assert_true(w[i] <= w[ng] * (1 + 1e-12)); /* reserve capped at the smallest gather weight */
        if (ng >= 3)
            CLOSE(w[1] - w[2], w[2] - w[3]);
    }
    tplr_scoring_free(s);
}

static void test_weighted_sample(void **state)
{
    (void)state;
    double w[10];
    for (int i = 0; i < 10; i++)
        w[i] = i + 1;
    /* k = 1 over many seeds: frequencies follow the weights (5 sigma) */
    int count[10] = {0};
    const int draws = 100000;
    for (int d = 0; d < draws; d++) {
        int pick;
        ASSERT_OK(tplr_weighted_sample(w, 10, 1, (uint64_t)d, 3, &pick));
        count[pick]++;
    }
    for (int i = 0; i < 10; i++) {
        double p = w[i] / 55.0, got = (double)count[i] / draws;
        assert_true(fabs(got - p) < 5 * sqrt(p * (1 - p) / draws));
    }
    /* without replacement: k = n is a permutation, k > n is capped */
    int out[10], seen[10] = {0};
    ASSERT_OK(tplr_weighted_sample(w, 10, 25, 42, 0, out));
    for (int i = 0; i < 10; i++)
        seen[out[i]]++;
    for (int i = 0; i < 10; i++)
        assert_int_equal(seen[i], 1);
    /* deterministic */
    int again[10];
    ASSERT_OK(tplr_weighted_sample(w, 10, 10, 42, 0, again));
    assert_memory_equal(out, again, sizeof out);
    w[3] = 0;
    assert_int_equal(tplr_weighted_sample(w, 10, 1, 0, 0, out), TPLR_EINVAL);
}

static void test_select(void **state)
{
    (void)state;
    tplr_scoring *s = fresh(), *t = fresh();
    uint16_t cand[60];
    double stake[60];
    for (int i = 0; i < 60; i++) {
        cand[i] = (uint16_t)(i + 2);
        stake[i] = i == 5 ? 50000 : 10; /* uid 7 is a validator */
    }
    s->uid[9].naughty_until = 100;
    t->uid[9].naughty_until = 100;
    ASSERT_OK(tplr_scoring_begin_window(s, 10));
    ASSERT_OK(tplr_scoring_begin_window(t, 10));
    uint16_t a[20], b[20];
    int na, nb, bin;
    ASSERT_OK(tplr_scoring_select(s, cand, stake, 60, 1234, a, &na, &bin));
    ASSERT_OK(tplr_scoring_select(t, cand, stake, 60, 1234, b, &nb, NULL));
    assert_int_equal(na, 20);
    assert_int_equal(bin, -1); /* fewer than 100 candidates: no bins */
    assert_memory_equal(a, b, sizeof a);
    assert_memory_equal(s->uid, t->uid, sizeof s->uid);
    int chosen[TPLR_SCORING_MAX_UIDS] = {0};
    for (int i = 0; i < na; i++) {
        assert_true(a[i] != 7 && a[i] != 9);
        assert_int_equal(chosen[a[i]]++, 0);
    }
    for (int i = 0; i < 60; i++) {
        int u = cand[i];
        if (u == 7 || u == 9)
            assert_int_equal(s->uid[u].eval_wait, 1);
        else
            assert_int_equal(s->uid[u].eval_wait, chosen[u] ? 1 : 2);
    }
    /* another seed, another choice */
    ASSERT_OK(tplr_scoring_select(t, cand, stake, 60, 999, b, &nb, NULL));
    assert_true(memcmp(a, b, sizeof a) != 0);
    /* waiting raises the odds: over many windows every candidate is evaluated, and
     * none waits long (with weights by wait, about 3 windows on average) */
    int64_t last[TPLR_SCORING_MAX_UIDS];
    for (int u = 0; u < TPLR_SCORING_MAX_UIDS; u++)
        last[u] = 10;
    last[9] = 99; /* naughty until window 100 */
    int64_t worst = 0;
    for (int w = 11; w < 211; w++) {
        ASSERT_OK(tplr_scoring_begin_window(s, w));
        ASSERT_OK(tplr_scoring_select(s, cand, stake, 60, tplr_rng_mix(5, (uint64_t)w), a, &na, NULL));
        for (int i = 0; i < na; i++) {
            worst = w - last[a[i]] > worst ? w - last[a[i]] : worst;
            last[a[i]] = w;
        }
    }
    print_message("longest wait for an evaluation: %lld windows\n", (long long)worst);
    assert_true(worst <= 15);
    /* bins: 120 candidates, ordinal = uid; each bin is 24 consecutive ordinals */
    tplr_scoring *u = fresh();
    uint16_t c2[120];
    double s2[120];
    for (int i = 0; i < 120; i++) {
        c2[i] = (uint16_t)(200 + i);
        s2[i] = 0;
        u->uid[200 + i].rating = (tplr_rating){100.0 + i, 1};
    }
    int bins_seen[5] = {0};
    for (int w = 1; w <= 40; w++) {
        ASSERT_OK(tplr_scoring_begin_window(u, w));
        ASSERT_OK(tplr_scoring_select(u, c2, s2, 120, (uint64_t)w, a, &na, &bin));
        assert_true(bin >= 0 && bin < 5);
        bins_seen[bin]++;
        assert_int_equal(na, 20);
        for (int i = 0; i < na; i++) { /* bin 0 = the best ordinals = the highest uids */
            int rank = 319 - a[i];
            assert_int_equal(rank / 24, bin);
        }
    }
    for (int b_ = 0; b_ < 5; b_++)
        assert_true(bins_seen[b_] > 0);
    uint16_t dup[2] = {3, 3};
    assert_int_equal(tplr_scoring_select(u, dup, s2, 2, 1, a, &na, NULL), TPLR_EINVAL);
    tplr_scoring_free(u);
    tplr_scoring_free(s);
    tplr_scoring_free(t);
}

static void test_peers(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    uint16_t cand[40];
    double inc[40];
    for (int i = 0; i < 40; i++) {
        cand[i] = (uint16_t)i;
        inc[i] = (double)(i % 7); /* ties broken by uid */
    }
    s->uid[6].naughty_until = 5;
    s->uid[13].excluded = 1;
    ASSERT_OK(tplr_scoring_begin_window(s, 3));
    uint16_t peers[20], reserve[10];
    int np, nr;
    ASSERT_OK(tplr_scoring_peers(s, cand, inc, 40, 1, peers, &np, reserve, &nr));
    assert_int_equal(np, 20);
    assert_int_equal(nr, 10);
    /* incentive 6: 20, 27, 34 (6, 13 dropped); 5: 5, 12, 19, 26, 33; ... */
    uint16_t want[6] = {20, 27, 34, 5, 12, 19};
    assert_memory_equal(peers, want, sizeof want);
    for (int i = 0; i < np; i++)
        assert_true(peers[i] != 1 && peers[i] != 6 && peers[i] != 13);
    for (int i = 0; i < nr; i++)
        assert_true(reserve[i] != 1 && reserve[i] != 6 && reserve[i] != 13);
    /* by weights afterwards: the weighted ones first, by weight */
    s->uid[30].final_score = 0.9;
    s->uid[2].final_score = 0.5;
    s->uid[13].final_score = 0.99; /* excluded */
    uint16_t wu[40];
    double ww[40];
    int nw;
    ASSERT_OK(tplr_scoring_weights(s, wu, ww, &nw));
    ASSERT_OK(tplr_scoring_peers(s, cand, inc, 40, 0, peers, &np, reserve, &nr));
    assert_int_equal(peers[0], 30);
    assert_int_equal(peers[1], 2);
    assert_int_equal(peers[2], 20); /* then by incentive */
    /* fewer candidates than slots */
    ASSERT_OK(tplr_scoring_peers(s, cand, NULL, 5, 1, peers, &np, reserve, &nr));
    assert_int_equal(np, 4); /* 0, 2, 3, 4 (1 is the burn uid) */
    assert_int_equal(nr, 0);
    assert_int_equal(peers[0], 0);
    tplr_scoring_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_hand),
        cmocka_unit_test(test_weights_properties),
        cmocka_unit_test(test_weighted_sample),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
