/* The tplr-scores file: a validator that saves, stops and loads continues
 * exactly as one that never stopped; malformed files are refused field by
 * field and leave the state unchanged. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/rng.h"
#include "tplr/scoring_file.h"
#include "tplr/scoring_pick.h"

static tplr_scoring *fresh(void)
{
    tplr_scoring_config c;
    tplr_scoring_config_defaults(&c);
    c.gather_peer_count = 8;
    c.reserve_peer_count = 4;
    c.uids_per_window = 6;
    c.overlap_min_step = 3;
    tplr_scoring *s;
    ASSERT_OK(tplr_scoring_create(&c, &s));
    return s;
}

#define U(i) tplr_rng_uniform(0x5c0e, (uint64_t)w, (uint64_t)(i))

/* One window of a validator's calls, every input a function of w alone. */
static void sim_window(tplr_scoring *s, int64_t w)
{
    ASSERT_OK(tplr_scoring_begin_window(s, w));
    uint16_t cand[39];
    double inc[39], stake[39];
    for (int i = 0; i < 39; i++) {
        cand[i] = (uint16_t)(i == 1 ? 39 : i);
        inc[i] = U(i);
        stake[i] = U(100 + i) < 0.05 ? 1e6 : 10;
    }
    uint16_t peers[12], reserve[4], skipped[12];
    int np, nr, ns = 0;
    ASSERT_OK(tplr_scoring_peers(s, cand, inc, 39, w < 3, peers, &np, reserve, &nr));
    for (int i = 0; i < nr; i++)
        peers[np + i] = reserve[i];
    for (int i = 0; i < np + nr; i++)
        if (U(200 + i) < 0.2)
            skipped[ns++] = peers[i];
    ASSERT_OK(tplr_scoring_gather(s, peers, np + nr, skipped, ns, 1.0 - (double)ns / (np + nr)));
    for (int i = 0; i < np; i++)
        ASSERT_OK(tplr_scoring_gather_sync(s, peers[i], U(300 + i) > 0.05, U(320 + i) * 3));
    tplr_overlap_pair pairs[4];
    for (int i = 0; i < 4 && np >= 2; i++)
        pairs[i] = (tplr_overlap_pair){peers[i % np], peers[(i + 1) % np], U(400 + i) * 0.5, U(410 + i), U(420 + i)};
    ASSERT_OK(tplr_scoring_overlap(s, pairs, np >= 2 ? 4 : 0, w));
    uint16_t sel[6];
    int nsel;
    ASSERT_OK(tplr_scoring_select(s, cand, stake, 39, tplr_rng_mix(77, (uint64_t)w), sel, &nsel, NULL));
    for (int i = 0; i < nsel; i++) {
        double r = U(500 + i);
        if (r < 0.1)
            ASSERT_OK(tplr_scoring_missing(s, sel[i]));
        else if (r < 0.15)
            ASSERT_OK(tplr_scoring_invalid(s, sel[i]));
        else {
            double b = 3 + U(600 + i);
            tplr_eval_losses l = {b, b - 0.3 + 0.4 * U(610 + i), b, b - 0.2 + 0.3 * U(620 + i)};
            ASSERT_OK(tplr_scoring_eval(s, sel[i], &l, U(630 + i) * 2));
        }
    }
    for (int i = 0; i < 39; i++)
        ASSERT_OK(tplr_scoring_activity(s, cand[i], U(700 + i) > 0.05));
    ASSERT_OK(tplr_scoring_end_window(s));
    uint16_t wu[16];
    double ww[16];
    int nw;
    ASSERT_OK(tplr_scoring_weights(s, wu, ww, &nw));
    tplr_scoring_observe_delta(s, 0.01 * U(800));
}

static void test_restart_continues_exactly(void **state)
{
    (void)state;
    char dir[512], path[600];
    tu_tmpdir("scores", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/scores.json", dir);
    const int N = 23, M = 17;
    tplr_scoring *straight = fresh(), *first = fresh(), *second = fresh();
    for (int w = 0; w < N + M; w++)
        sim_window(straight, 1000 + w);
    for (int w = 0; w < N; w++)
        sim_window(first, 1000 + w);
    ASSERT_OK(tplr_scoring_save(first, path));
    ASSERT_OK(tplr_scoring_load(second, path));
    /* what was loaded is what was saved */
    char *a, *b;
    ASSERT_OK(tplr_scoring_to_json(first, &a));
    ASSERT_OK(tplr_scoring_to_json(second, &b));
    assert_string_equal(a, b);
    free(a);
    free(b);
    for (int w = N; w < N + M; w++)
        sim_window(second, 1000 + w);
    ASSERT_OK(tplr_scoring_to_json(straight, &a));
    ASSERT_OK(tplr_scoring_to_json(second, &b));
    assert_string_equal(a, b);
    assert_memory_equal(straight->uid, second->uid, sizeof straight->uid);
    assert_int_equal(straight->n_events, second->n_events);
    assert_memory_equal(straight->events, second->events,
                        (size_t)(straight->n_events < TPLR_SCORING_MAX_EVENTS ? straight->n_events
                                                                               : TPLR_SCORING_MAX_EVENTS) *
                            sizeof straight->events[0]);
    /* the simulation exercised the rules */
    int rated = 0, naughty = 0;
    for (int u = 0; u < 40; u++) {
        rated += straight->uid[u].rated;
        naughty += straight->uid[u].naughty_until > 0;
    }
    assert_true(rated > 20);
    print_message("restart: %d windows + %d, %d uids rated, %d ever naughty, %zu bytes of JSON\n", N, M, rated,
                  naughty, strlen(a));
    free(a);
    free(b);
    /* nothing but the file in the folder (no temporary left) */
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)))
        files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 1);
    /* no saving inside a window */
    ASSERT_OK(tplr_scoring_begin_window(second, 5000));
    assert_int_equal(tplr_scoring_save(second, path), TPLR_EINVAL);
    snprintf(path, sizeof path, "%s/none.json", dir);
    assert_int_not_equal(tplr_scoring_load(second, path), TPLR_OK);
    tplr_scoring_free(straight);
    tplr_scoring_free(first);
    tplr_scoring_free(second);
    tu_rmtree(dir);
}

/* text with the first `from` replaced by `to` (malloc'd) */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (!at)
        fail_msg("'%s' is not in the test document", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

static void test_rejects(void **state)
{
    (void)state;
    tplr_scoring *s = fresh();
    ASSERT_OK(tplr_scoring_begin_window(s, 12));
    ASSERT_OK(tplr_scoring_end_window(s));
    s->uid[4].known = 1;
    s->uid[4].bma = 0.5;
    s->uid[4].neg_bits = 3;
    s->uid[4].neg_count = 2;
    s->uid[4].eval_wait = 3;
    s->uid[5].known = 1;
    char *good;
    ASSERT_OK(tplr_scoring_to_json(s, &good));
    tplr_scoring *t = fresh();
    ASSERT_OK(tplr_scoring_from_json(t, good, strlen(good), "good"));
    assert_memory_equal(s->uid, t->uid, sizeof s->uid);
    struct {
        const char *from, *to;
        tplr_err want;
        const char *says;
    } cases[] = {
        {"tplr-scores", "tplr-scorez", TPLR_EFORMAT, "format"},
        {"\"version\": 1", "\"version\": 2", TPLR_EMISMATCH, "version"},
        {"\"bma\": 0.5", "\"bma\": 1.5", TPLR_EFORMAT, "bma"},
        {"\"neg_count\": 2", "\"neg_count\": 1", TPLR_EFORMAT, "neg_bits"},
        {"\"known\"", "\"knwn\"", TPLR_EFORMAT, "knwn"},
        {"\"uid\": 5", "\"uid\": 4", TPLR_EFORMAT, "twice"},
        {"\"uid\": 5", "\"uid\": 1024", TPLR_EFORMAT, "uid"},
        {"\"eval_wait\": 3", "\"eval_wait\": 3.5", TPLR_EFORMAT, "eval_wait"},
        {"\"eval_wait\": 3", "\"eval_wait\": 0", TPLR_EFORMAT, "eval_wait"},
        {"\"window\": 12", "\"window\": -5", TPLR_EFORMAT, "window"},
        {"\"window\": 12", "\"window\": 12, \"window\": 13", TPLR_EFORMAT, "JSON"},
        {"\"first_window\": 12", "\"first_window\": 13", TPLR_EFORMAT, "first_window"},
        {"\"delta_ema\": 0.0", "\"delta_ema\": -1", TPLR_EFORMAT, "delta_ema"},
        {"\"mu\": 25.0", "\"mu\": \"25\"", TPLR_EFORMAT, "mu"},
        {"\"uids\": [", "\"uids\": [7, ", TPLR_EFORMAT, "uids[0]"},
    };
    tplr_scoring *before = fresh();
    memcpy(before, t, sizeof *t);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = replaced(good, cases[i].from, cases[i].to);
        tplr_err e = tplr_scoring_from_json(t, bad, strlen(bad), "bad.json");
        if (e != cases[i].want || !strstr(tplr_errmsg(), cases[i].says))
            fail_msg("case %zu (%s -> %s): got %s '%s'", i, cases[i].from, cases[i].to, tplr_err_name(e),
                     tplr_errmsg());
        assert_memory_equal(before, t, sizeof *t);
        free(bad);
    }
    /* truncated at every length: refused, never accepted half */
    size_t n = strlen(good);
    for (size_t cut = 0; cut < n - 2; cut += 7)
        assert_int_equal(tplr_scoring_from_json(t, good, cut, "cut.json"), TPLR_EFORMAT);
    assert_memory_equal(before, t, sizeof *t);
    free(good);
    tplr_scoring_free(s);
    tplr_scoring_free(t);
    tplr_scoring_free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_continues_exactly),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
