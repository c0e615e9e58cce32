/* The tournament's SQLite store: adding submissions (exact copies, near
 * copies of another miner, a miner's own revisions, payment reuse), the
 * evaluation queue (claim, finish, restart), evaluations, the leaderboard
 * order, scores and the winner, and hidden sources. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/hash.h"
#include "tplr/tour_store.h"

static char dir[4096], db[4200];
static unsigned char alice[32], bob[32], payer[32];

static const char prog_a[] =
    "tplr_err inner_steps(tplr_model *m, tplr_tour_data *d, tplr_adamw *o, int n, const tplr_tour_device *x,\n"
    "                     tplr_inner_steps_result *r)\n"
    "{\n"
    "    int64_t total = 0;\n"
    "    for (int i = 0; i < n; i++) {\n"
    "        const int32_t *b = tplr_tour_next_batch(d);\n"
    "        if (!b) return tplr_fail(TPLR_EINVAL, \"no batch %d\", i);\n"
    "        TPLR_TRY(step(m, o, b, r));\n"
    "        total += (int64_t)tplr_tour_batch_rows(d) * tplr_tour_batch_len(d);\n"
    "    }\n"
    "    r->total_tokens = total;\n"
    "    return TPLR_OK;\n"
    "}\n";
/* prog_a with its names changed: a near copy. */
static const char prog_a_renamed[] =
    "tplr_err inner_steps(tplr_model *mm, tplr_tour_data *dd, tplr_adamw *oo, int nn, const tplr_tour_device *xx,\n"
    "    tplr_inner_steps_result *rr) { int64_t sum = 0; for (int k = 0; k < nn; k++) {\n"
    "    const int32_t *bb = tplr_tour_next_batch(dd); if (!bb) return tplr_fail(TPLR_EINVAL, \"none %d\", k);\n"
    "    TPLR_TRY(go(mm, oo, bb, rr)); sum += (int64_t)tplr_tour_batch_rows(dd) * tplr_tour_batch_len(dd); }\n"
    "    rr->total_tokens = sum; return TPLR_OK; }\n";
static const char prog_b[] =
    "static void fill(float *p, size_t n, float v) { while (n--) *p++ = v; }\n"
    "struct pipe { float *buf[2]; int cur; };\n"
    "static float *swap(struct pipe *p) { p->cur ^= 1; return p->buf[p->cur]; }\n"
    "int overlap(struct pipe *p, size_t n) { fill(swap(p), n, 0.f); return p->cur; }\n";
static const char prog_c[] = "int main(void) { double x = 1; while (x < 10) x *= 1.5; return (int)x; }\n";

static void key(unsigned char pk[32], int tag) { memset(pk, tag, 32); }

static tplr_err add(tplr_tour_store *s, const unsigned char *hotkey, const char *code, int pay, uint64_t block,
                    int64_t *id, tplr_tour_refusal *why)
{
    unsigned char sha[32];
    ASSERT_OK(tplr_sha256(sha, code, strlen(code)));
    tplr_tour_fp fp;
    ASSERT_OK(tplr_tour_fingerprint(code, strlen(code), &fp));
    tplr_tour_new n = {hotkey, 4, code, strlen(code), sha, &fp, pay, block, 0, payer, 100000000};
    tplr_err e = tplr_tour_store_add(s, &n, 0.9, id, why);
    tplr_tour_fp_free(&fp);
    return e;
}

static int setup(void **state)
{
    (void)state;
    tu_tmpdir("tour-store", dir, sizeof dir);
    snprintf(db, sizeof db, "%s/tour.db", dir);
    key(alice, 1), key(bob, 2), key(payer, 3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    return 0;
}

static void test_add_and_refusals(void **state)
{
    (void)state;
    tplr_tour_store *s;
    ASSERT_OK(tplr_tour_store_open(db, &s));
    int64_t id = 0, id2 = 0;
    tplr_tour_refusal why;
    ASSERT_OK(add(s, alice, prog_a, 1, 10, &id, &why));
    assert_int_equal(id, 1);
    /* the same bytes again, from anyone */
    assert_int_equal(add(s, bob, prog_a, 1, 11, &id2, &why), TPLR_EREFUSED);
    assert_string_equal(why.code, "duplicate_code");
    assert_int_equal(why.other_id, 1);
    /* a renamed copy by another miner */
    assert_int_equal(add(s, bob, prog_a_renamed, 1, 11, &id2, &why), TPLR_EREFUSED);
    assert_string_equal(why.code, "near_copy");
    assert_int_equal(why.other_id, 1);
    assert_true(why.similarity >= 0.9);
    assert_non_null(strstr(tplr_errmsg(), "submission 1 of another miner"));
    /* a payment id used before */
    assert_int_equal(add(s, bob, prog_b, 1, 10, &id2, &why), TPLR_EREFUSED);
    assert_string_equal(why.code, "payment_used");
    assert_true(tplr_tour_store_payment_used(s, 10, 0));
    assert_false(tplr_tour_store_payment_used(s, 11, 0));
    /* nothing of the refused ones was kept: bob's own code and payment go through now */
    ASSERT_OK(add(s, bob, prog_b, 1, 11, &id2, &why));
    assert_int_equal(id2, 2);
    /* a miner may revise its own code: a near copy of itself is fine */
    ASSERT_OK(add(s, alice, prog_a_renamed, 1, 12, &id2, &why));
    assert_int_equal(id2, 3);
    /* without a payment (a server with fee 0) */
    ASSERT_OK(add(s, bob, prog_c, 0, 0, &id2, &why));
    assert_int_equal(id2, 4);
    tplr_tour_submission sub;
    ASSERT_OK(tplr_tour_store_get(s, 1, &sub));
    assert_int_equal(sub.status, TPLR_TOUR_PENDING);
    assert_true(sub.has_payment && sub.pay_block == 10 && sub.paid == 100000000);
    assert_int_equal(sub.uid, 4);
    assert_false(sub.has_score);
    assert_int_equal(sub.hotkey[0], '2');
    char hex[65];
    unsigned char sha[32];
    tplr_sha256(sha, prog_a, strlen(prog_a));
    tplr_hex(hex, sha, 32);
    assert_string_equal(sub.code_sha256, hex);
    ASSERT_OK(tplr_tour_store_get(s, 4, &sub));
    assert_false(sub.has_payment);
    assert_int_equal(tplr_tour_store_get(s, 99, &sub), TPLR_ENOTFOUND);
    char *code;
    size_t len;
    ASSERT_OK(tplr_tour_store_code(s, 2, &code, &len));
    assert_int_equal(len, strlen(prog_b));
    assert_string_equal(code, prog_b);
    free(code);
    int pending;
    ASSERT_OK(tplr_tour_store_pending(s, &pending));
    assert_int_equal(pending, 4);
    tplr_tour_store_close(s);
}

static tplr_tour_eval_row run(int i, const char *verdict, double tps)
{
    tplr_tour_eval_row r;
    memset(&r, 0, sizeof r);
    r.run = i;
    snprintf(r.verdict, sizeof r.verdict, "%s", verdict);
    r.seed = 1000 + (uint64_t)i;
    r.tokens = 4096;
    r.seconds = 4096 / tps;
    r.tps = tps;
    r.loss = 5.5;
    r.ref_loss = 5.5;
    r.logits_diff = NAN; /* not measured: stored as NULL, read back as NaN */
    r.weights_rel_l2 = 1e-7;
    snprintf(r.detail, sizeof r.detail, "run %d", i);
    return r;
}

static void test_queue_and_leaderboard(void **state)
{
    (void)state;
    tplr_tour_store *s;
    ASSERT_OK(tplr_tour_store_open(db, &s));
    int64_t id;
    ASSERT_OK(tplr_tour_store_claim(s, &id));
    assert_int_equal(id, 1);
    ASSERT_OK(tplr_tour_store_claim(s, &id));
    assert_int_equal(id, 2);
    tplr_tour_submission sub;
    ASSERT_OK(tplr_tour_store_get(s, 2, &sub));
    assert_int_equal(sub.status, TPLR_TOUR_EVALUATING);
    assert_false(tplr_tour_status_public(sub.status));
    /* a stop in the middle: after reopening, both are pending again and come out in order */
    tplr_tour_store_close(s);
    ASSERT_OK(tplr_tour_store_open(db, &s));
    ASSERT_OK(tplr_tour_store_get(s, 2, &sub));
    assert_int_equal(sub.status, TPLR_TOUR_PENDING);
    ASSERT_OK(tplr_tour_store_claim(s, &id));
    assert_int_equal(id, 1);
    tplr_tour_eval_row runs[3] = {run(0, "Pass", 1000), run(1, "Pass", 1200), run(2, "Pass", 1100)};
    ASSERT_OK(tplr_tour_store_finish(s, 1, TPLR_TOUR_FINISHED, "Pass", 1, 1100, runs, 3, NULL));
    ASSERT_OK(tplr_tour_store_claim(s, &id));
    assert_int_equal(id, 2);
    tplr_tour_eval_row bad[1] = {run(0, "LossMismatchError", 900)};
    ASSERT_OK(tplr_tour_store_finish(s, 2, TPLR_TOUR_FAILED, "LossMismatchError", 0, 0, bad, 1, "loss differs"));
    ASSERT_OK(tplr_tour_store_claim(s, &id));
    assert_int_equal(id, 3);
    ASSERT_OK(tplr_tour_store_finish(s, 3, TPLR_TOUR_FINISHED, "Pass", 1, 1105, runs, 3, NULL)); /* < 1% better */
    /* the same run twice for one submission is refused, and nothing of that finish is kept */
    assert_int_equal(tplr_tour_store_finish(s, 3, TPLR_TOUR_FAILED, "Crash", 0, 0, runs, 1, NULL), TPLR_EIO);
    ASSERT_OK(tplr_tour_store_get(s, 3, &sub));
    assert_int_equal(sub.status, TPLR_TOUR_FINISHED);
    assert_true(sub.has_score && sub.score == 1105);
    assert_int_equal(sub.n_evals, 3);
    assert_true(tplr_tour_status_public(sub.status));
    ASSERT_OK(tplr_tour_store_get(s, 2, &sub));
    assert_string_equal(sub.verdict, "LossMismatchError");
    assert_string_equal(sub.error, "loss differs");
    assert_false(sub.has_score);
    assert_int_equal(tplr_tour_store_finish(s, 77, TPLR_TOUR_FINISHED, "Pass", 1, 1, NULL, 0, NULL), TPLR_ENOTFOUND);
    tplr_tour_eval_row *rows;
    int n;
    ASSERT_OK(tplr_tour_store_evaluations(s, 1, &rows, &n));
    assert_int_equal(n, 3);
    assert_int_equal(rows[1].run, 1);
    assert_true(rows[1].tps == 1200 && rows[1].seed == 1001 && rows[1].tokens == 4096);
    assert_true(isnan(rows[1].logits_diff));
    assert_string_equal(rows[2].detail, "run 2");
    assert_true(rows[0].created_ms > 0);
    free(rows);
    /* the leaderboard: scored by score (3 then 1), then the rest newest first (4, 2) */
    tplr_tour_submission *subs;
    ASSERT_OK(tplr_tour_store_list(s, 10, &subs, &n));
    assert_int_equal(n, 4);
    assert_int_equal(subs[0].id, 3);
    assert_int_equal(subs[1].id, 1);
    assert_int_equal(subs[2].id, 4);
    assert_int_equal(subs[3].id, 2);
    free(subs);
    ASSERT_OK(tplr_tour_store_list(s, 1, &subs, &n));
    assert_int_equal(n, 1);
    free(subs);
    /* the winner: 1 (1100) keeps the lead over 3 (1105, under 1% better) */
    int64_t w;
    ASSERT_OK(tplr_tour_store_winner(s, 0.01, &w));
    assert_int_equal(w, 1);
    ASSERT_OK(tplr_tour_store_winner(s, 0.0, &w));
    assert_int_equal(w, 3);
    tplr_tour_scored *sc;
    ASSERT_OK(tplr_tour_store_scored(s, &sc, &n));
    assert_int_equal(n, 2);
    assert_true(sc[0].id == 1 && sc[1].id == 3);
    free(sc);
    ASSERT_OK(tplr_tour_store_claim(s, &id));
    assert_int_equal(id, 4);
    assert_int_equal(tplr_tour_store_claim(s, &id), TPLR_ENOTFOUND);
    tplr_tour_store_close(s);
}

static void test_bad_database(void **state)
{
    (void)state;
    char path[4300];
    snprintf(path, sizeof path, "%s/not-a-db", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not an SQLite database, just text that is long enough to have a header...........", f);
    fclose(f);
    tplr_tour_store *s;
    assert_int_not_equal(tplr_tour_store_open(path, &s), TPLR_OK);
    snprintf(path, sizeof path, "%s/no/such/folder/x.db", dir);
    assert_int_equal(tplr_tour_store_open(path, &s), TPLR_EIO);
    assert_non_null(strstr(tplr_errmsg(), "cannot open the tournament database"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_refusals),
        cmocka_unit_test(test_queue_and_leaderboard),
        cmocka_unit_test(test_bad_database),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
