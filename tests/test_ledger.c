/* The ledger without HTTP: genesis, every operation and every refusal (with
 * the state digest unchanged after each), registration past immunity,
 * emissions at the tempo, queries, and reopening. Blocks are produced by
 * hand, so everything is deterministic. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/address.h"
#include "tplr/fileio.h"
#include "tplr/ledger.h"

static char dir[4096];
static tplr_keypair alice, bob, carol, hot_a, hot_b, hot_c;
static uint64_t next_nonce = 1;

static void key(tplr_keypair *kp, int tag)
{
    unsigned char seed[32];
    memset(seed, tag, sizeof seed);
    ASSERT_OK(tplr_keypair_from_seed(seed, kp));
}

static int setup(void **state)
{
    (void)state;
    tu_tmpdir("ledger", dir, sizeof dir);
    key(&alice, 1), key(&bob, 2), key(&carol, 3), key(&hot_a, 11), key(&hot_b, 12), key(&hot_c, 13);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    return 0;
}

static void expect_error(tplr_err got, tplr_err want, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(got), tplr_errmsg());
    if (needle && !strstr(tplr_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", tplr_errmsg(), needle);
}

/* A fresh ledger: alice 1000000, bob 500, carol 100000; params as given. */
static tplr_ledger *open_ledger(const char *name, const char *const *params)
{
    char db[4300], gpath[4300];
    snprintf(db, sizeof db, "%s/%s.db", dir, name);
    snprintf(gpath, sizeof gpath, "%s/%s.genesis.json", dir, name);
    tplr_genesis g;
    tplr_genesis_default(&g);
    ASSERT_OK(tplr_genesis_set_param(&g, "registration_cost", "100"));
    ASSERT_OK(tplr_genesis_set_param(&g, "block_emission", "1000"));
    for (int i = 0; params && params[i]; i += 2)
        ASSERT_OK(tplr_genesis_set_param(&g, params[i], params[i + 1]));
    ASSERT_OK(tplr_genesis_add_balance(&g, alice.pk, 1000000));
    ASSERT_OK(tplr_genesis_add_balance(&g, bob.pk, 500));
    ASSERT_OK(tplr_genesis_add_balance(&g, carol.pk, 100000));
    char *json = tplr_genesis_to_json(&g);
    ASSERT_OK(tplr_write_file_atomic(gpath, json, strlen(json)));
    free(json);
    tplr_genesis_free(&g);
    tplr_ledger_opts o = {db, gpath, 0};
    tplr_ledger *l;
    ASSERT_OK(tplr_ledger_open(&o, &l));
    return l;
}

static void blocks(tplr_ledger *l, int n)
{
    for (int i = 0; i < n; i++)
        ASSERT_OK(tplr_ledger_produce_block(l, 1700000000000ull + tplr_ledger_head(l) * 12000));
}

typedef struct result {
    int status;
    char code[48];
    json_t *body;
} result;

static result send_signed(tplr_ledger *l, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hot_sk)
{
    tx->netuid = tx->netuid ? tx->netuid : tplr_ledger_params(l)->netuid;
    tx->nonce = tx->nonce ? tx->nonce : next_nonce++;
    tx->block = tx->block ? tx->block : tplr_ledger_head(l);
    memcpy(tx->signer, signer->pk, 32);
    ASSERT_OK(tplr_tx_sign(tx, tplr_ledger_chain_id(l), signer->sk, hot_sk));
    char *json = tplr_tx_to_json(tx);
    tplr_ledger_reply r;
    tplr_ledger_submit(l, tx->op, json, strlen(json), &r);
    free(json);
    result out = {r.status, "", json_loads(r.body, 0, NULL)};
    snprintf(out.code, sizeof out.code, "%s", r.code);
    tplr_ledger_reply_free(&r);
    return out;
}

static void digest(tplr_ledger *l, unsigned char d[32]) { ASSERT_OK(tplr_ledger_state_digest(l, d)); }

/* Submits and expects a refusal with this status and code, and no state change. */
static void expect_refusal(tplr_ledger *l, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hot_sk,
                           int status, const char *code)
{
    unsigned char before[32], after[32];
    digest(l, before);
    result r = send_signed(l, tx, signer, hot_sk);
    if (r.status != status || strcmp(r.code, code))
        fail_msg("%s: expected %d %s, got %d %s: %s", tplr_tx_op_name(tx->op), status, code, r.status, r.code,
                 json_string_value(json_object_get(r.body, "error")));
    assert_non_null(json_string_value(json_object_get(r.body, "error")));
    json_decref(r.body);
    digest(l, after);
    assert_memory_equal(before, after, 32);
}

static json_t *expect_ok(tplr_ledger *l, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hot_sk)
{
    result r = send_signed(l, tx, signer, hot_sk);
    if (r.status != 200)
        fail_msg("%s: %d %s: %s", tplr_tx_op_name(tx->op), r.status, r.code,
                 json_string_value(json_object_get(r.body, "error")));
    return r.body;
}

static tplr_tx *tx_new(tplr_tx_op op, const unsigned char *key, uint64_t amount)
{
    tplr_tx *tx = calloc(1, sizeof *tx);
    tx->op = op;
    if (key)
        memcpy(tx->key, key, 32);
    tx->amount = amount;
    return tx;
}

static int do_register(tplr_ledger *l, const tplr_keypair *cold, const tplr_keypair *hot)
{
    tplr_tx *tx = tx_new(TPLR_TX_REGISTER, hot->pk, 0);
    json_t *j = expect_ok(l, tx, cold, hot->sk);
    int uid = (int)json_integer_value(json_object_get(j, "uid"));
    json_decref(j);
    free(tx);
    return uid;
}

static json_t *get(tplr_ledger *l, const char *path, int want_status)
{
    tplr_ledger_reply r;
    char p[512], *q;
    snprintf(p, sizeof p, "%s", path);
    q = strchr(p, '?');
    if (q)
        *q++ = '\0';
    tplr_ledger_get(l, p, q, &r);
    if (r.status != want_status)
        fail_msg("GET %s: %d (%s), expected %d", path, r.status, r.body, want_status);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    tplr_ledger_reply_free(&r);
    return j;
}

static int64_t balance_of(tplr_ledger *l, const unsigned char pk[32])
{
    char a[TPLR_ADDRESS_MAX], path[128];
    tplr_address_encode(pk, a);
    snprintf(path, sizeof path, "/v1/balance/%s", a);
    json_t *j = get(l, path, 200);
    int64_t b = json_integer_value(json_object_get(j, "balance"));
    json_decref(j);
    return b;
}

/* issuance == free + staked, always */
static void check_supply(tplr_ledger *l)
{
    json_t *s = get(l, "/v1/supply", 200);
    assert_int_equal(json_integer_value(json_object_get(s, "issuance")),
                     json_integer_value(json_object_get(s, "free")) + json_integer_value(json_object_get(s, "staked")));
    json_decref(s);
}

static void test_genesis(void **state)
{
    (void)state;
    tplr_genesis g;
    const char *bad[][2] = {
        {"{\"format\":\"tplr-genesis\",\"version\":1,\"params\":{\"tempoo\":5}}", "unknown parameter 'tempoo'"},
        {"{\"format\":\"tplr-genesis\",\"version\":1,\"params\":{\"tempo\":0}}", "params.tempo"},
        {"{\"format\":\"tplr-genesis\",\"version\":1,\"params\":{\"kappa\":1.5}}", "params.kappa"},
        {"{\"format\":\"tplr-genesis\",\"version\":2}", "version must be 1"},
        {"{\"format\":\"x\",\"version\":1}", "not a genesis file"},
        {"{\"format\":\"tplr-genesis\",\"version\":1,\"balances\":[{\"address\":\"x\",\"amount\":1}]}", "balances[0]"},
        {"{\"format\":\"tplr-genesis\",\"version\":1,\"other\":1}", "unknown field"},
        {"{\"format\":\"tplr-genesis\",\"version\":1,\"params\":{\"block_emission\":9000000000000000000}}", "2^53"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(tplr_genesis_parse(bad[i][0], strlen(bad[i][0]), "g", &g), TPLR_EFORMAT, bad[i][1]);
    char a[TPLR_ADDRESS_MAX], text[512];
    tplr_address_encode(alice.pk, a);
    snprintf(text, sizeof text, "{\"format\":\"tplr-genesis\",\"version\":1,\"balances\":[{\"address\":\"%s\","
             "\"amount\":5},{\"address\":\"%s\",\"amount\":6}]}", a, a);
    expect_error(tplr_genesis_parse(text, strlen(text), "g", &g), TPLR_EFORMAT, "repeats");
    snprintf(text, sizeof text, "{\"format\":\"tplr-genesis\",\"version\":1,\"balances\":[{\"address\":\"%s\","
             "\"amount\":9223372036854775807},{\"address\":\"2SH7LSWK6QPkDHPZk7CeAw4ET8Tjq5riLANuzyxWJ3KWK8pxQaz\","
             "\"amount\":1}]}", a);
    expect_error(tplr_genesis_parse(text, strlen(text), "g", &g), TPLR_EFORMAT, "2^63-1");

    tplr_ledger *l = open_ledger("genesis", (const char *const[]){"tempo", "7", NULL});
    assert_int_equal(tplr_ledger_head(l), 0);
    assert_int_equal(tplr_ledger_params(l)->tempo, 7);
    assert_int_equal(balance_of(l, alice.pk), 1000000);
    assert_int_equal(balance_of(l, hot_a.pk), 0);
    json_t *s = get(l, "/v1/supply", 200);
    assert_int_equal(json_integer_value(json_object_get(s, "issuance")), 1100500);
    json_decref(s);
    json_t *info = get(l, "/v1/info", 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(info, "params"), "tempo")), 7);
    json_decref(info);
    unsigned char id[32];
    memcpy(id, tplr_ledger_chain_id(l), 32);
    blocks(l, 3);
    tplr_ledger_close(l);
    /* reopened: same chain, head kept; another genesis is refused */
    char db[4300], other[4300];
    snprintf(db, sizeof db, "%s/genesis.db", dir);
    tplr_ledger_opts o = {db, NULL, 0};
    ASSERT_OK(tplr_ledger_open(&o, &l));
    assert_memory_equal(tplr_ledger_chain_id(l), id, 32);
    assert_int_equal(tplr_ledger_head(l), 3);
    assert_int_equal(tplr_ledger_params(l)->tempo, 7);
    tplr_ledger_close(l);
    snprintf(other, sizeof other, "%s/other.json", dir);
    const char *g2 = "{\"format\":\"tplr-genesis\",\"version\":1,\"params\":{\"tempo\":8}}";
    ASSERT_OK(tplr_write_file_atomic(other, g2, strlen(g2)));
    o.genesis_path = other;
    expect_error(tplr_ledger_open(&o, &l), TPLR_EMISMATCH, "another genesis");
}

static void test_transfers(void **state)
{
    (void)state;
    tplr_ledger *l = open_ledger("transfers", NULL);
    blocks(l, 2);
    tplr_tx *tx = tx_new(TPLR_TX_TRANSFER, bob.pk, 300);
    json_t *j = expect_ok(l, tx, &alice, NULL);
    uint64_t block = (uint64_t)json_integer_value(json_object_get(j, "block"));
    int index = (int)json_integer_value(json_object_get(j, "index"));
    assert_int_equal(block, 2);
    assert_int_equal(index, 0);
    json_decref(j);
    assert_int_equal(balance_of(l, alice.pk), 999700);
    assert_int_equal(balance_of(l, bob.pk), 800);
    json_t *t = get(l, "/v1/transfers/2/0", 200);
    assert_int_equal(json_integer_value(json_object_get(t, "amount")), 300);
    char a[TPLR_ADDRESS_MAX];
    tplr_address_encode(alice.pk, a);
    assert_string_equal(json_string_value(json_object_get(t, "from")), a);
    json_decref(t);
    json_decref(get(l, "/v1/transfers/2/1", 404));
    json_decref(get(l, "/v1/transfers/x/1", 400));
    /* the same signed bytes again: a replay, pointing at the first */
    char *body = tplr_tx_to_json(tx);
    tplr_ledger_reply r;
    tplr_ledger_submit(l, TPLR_TX_TRANSFER, body, strlen(body), &r);
    assert_int_equal(r.status, 409);
    assert_string_equal(r.code, "replay");
    assert_non_null(strstr(r.body, "\"block\":2,\"index\":0"));
    tplr_ledger_reply_free(&r);
    free(body);
    /* the extrinsic by signer and nonce, and by id */
    char path[256];
    snprintf(path, sizeof path, "/v1/extrinsics?signer=%s&nonce=%llu", a, (unsigned long long)tx->nonce);
    json_t *x = get(l, path, 200);
    assert_string_equal(json_string_value(json_object_get(x, "op")), "transfer");
    assert_int_equal(json_integer_value(json_object_get(x, "index")), 0);
    json_decref(x);
    free(tx);
    /* a second transfer in the same block gets the next index; a new block starts at 0 */
    tx = tx_new(TPLR_TX_TRANSFER, carol.pk, 1);
    j = expect_ok(l, tx, &alice, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "index")), 1);
    json_decref(j);
    free(tx);
    blocks(l, 1);
    tx = tx_new(TPLR_TX_TRANSFER, carol.pk, 1);
    j = expect_ok(l, tx, &alice, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "block")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "index")), 0);
    json_decref(j);
    free(tx);
    /* double spend: bob has 800; 500 goes, the next 500 is refused */
    tx = tx_new(TPLR_TX_TRANSFER, carol.pk, 500);
    json_decref(expect_ok(l, tx, &bob, NULL));
    free(tx);
    tx = tx_new(TPLR_TX_TRANSFER, carol.pk, 500);
    expect_refusal(l, tx, &bob, NULL, 409, "insufficient_balance");
    free(tx);
    /* overflow at the recipient */
    tx = tx_new(TPLR_TX_TRANSFER, alice.pk, 1);
    json_decref(expect_ok(l, tx, &alice, NULL)); /* to oneself: fine, no change */
    free(tx);
    /* wrong signer: alice's signature, bob's name */
    tx = tx_new(TPLR_TX_TRANSFER, carol.pk, 1);
    tx->netuid = 3, tx->nonce = 777, tx->block = tplr_ledger_head(l);
    memcpy(tx->signer, alice.pk, 32);
    ASSERT_OK(tplr_tx_sign(tx, tplr_ledger_chain_id(l), alice.sk, NULL));
    memcpy(tx->signer, bob.pk, 32);
    body = tplr_tx_to_json(tx);
    tplr_ledger_submit(l, TPLR_TX_TRANSFER, body, strlen(body), &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.code, "bad_signature");
    tplr_ledger_reply_free(&r);
    free(body);
    free(tx);
    /* stale, future, other subnet */
    blocks(l, 70);
    tx = tx_new(TPLR_TX_TRANSFER, carol.pk, 1);
    tx->block = tplr_ledger_head(l) - 65;
    expect_refusal(l, tx, &alice, NULL, 400, "stale_block");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_TRANSFER, tx->amount = 1, memcpy(tx->key, carol.pk, 32);
    tx->block = tplr_ledger_head(l) + 1;
    expect_refusal(l, tx, &alice, NULL, 400, "future_block");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_TRANSFER, tx->amount = 1, memcpy(tx->key, carol.pk, 32);
    tx->netuid = 4;
    expect_refusal(l, tx, &alice, NULL, 400, "wrong_netuid");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_TRANSFER, tx->amount = 1, memcpy(tx->key, carol.pk, 32);
    tx->block = tplr_ledger_head(l) - 64; /* the oldest block still accepted */
    json_decref(expect_ok(l, tx, &alice, NULL));
    free(tx);
    /* malformed bodies leave everything as it was */
    unsigned char before[32], after[32];
    digest(l, before);
    const char *bodies[] = {"", "{", "[]", "{\"amount\":-1}", "null"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        tplr_ledger_submit(l, TPLR_TX_TRANSFER, bodies[i], strlen(bodies[i]), &r);
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "bad_request");
        tplr_ledger_reply_free(&r);
    }
    digest(l, after);
    assert_memory_equal(before, after, 32);
    check_supply(l);
    tplr_ledger_close(l);
}

static void test_registration(void **state)
{
    (void)state;
    const char *params[] = {"max_uids", "2", "immunity_period", "5", "weights_rate_limit", "0", NULL};
    tplr_ledger *l = open_ledger("registration", params);
    blocks(l, 1);
    assert_int_equal(do_register(l, &alice, &hot_a), 0);
    assert_int_equal(do_register(l, &bob, &hot_b), 1);
    assert_int_equal(balance_of(l, bob.pk), 400); /* the cost, 100, is burned */
    json_t *s = get(l, "/v1/supply", 200);
    assert_int_equal(json_integer_value(json_object_get(s, "burned")), 200);
    json_decref(s);
    tplr_tx *tx = tx_new(TPLR_TX_REGISTER, hot_a.pk, 0);
    expect_refusal(l, tx, &alice, hot_a.sk, 409, "already_registered");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_REGISTER, memcpy(tx->key, hot_c.pk, 32);
    expect_refusal(l, tx, &carol, hot_c.sk, 409, "subnet_full"); /* both immune until block 6 */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_REGISTER, memcpy(tx->key, hot_c.pk, 32);
    /* the hotkey must co-sign: signed by carol only, with a forged hotkey signature */
    tx->netuid = 3, tx->nonce = 9999, tx->block = tplr_ledger_head(l);
    memcpy(tx->signer, carol.pk, 32);
    ASSERT_OK(tplr_tx_sign(tx, tplr_ledger_chain_id(l), carol.sk, carol.sk));
    char *body = tplr_tx_to_json(tx);
    tplr_ledger_reply r;
    tplr_ledger_submit(l, TPLR_TX_REGISTER, body, strlen(body), &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "hotkey_signature"));
    tplr_ledger_reply_free(&r);
    free(body);
    /* the validator at uid 0 weights uid 1; then uid 1 is replaced and its weights go */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_STAKE, memcpy(tx->key, hot_a.pk, 32), tx->amount = 1000;
    json_decref(expect_ok(l, tx, &alice, NULL));
    blocks(l, 5); /* head 6: uid 0 and 1 registered at 1, immune through block 5 */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 1, tx->uids[0] = 1, tx->weights[0] = 9;
    json_decref(expect_ok(l, tx, &hot_a, NULL));
    json_decref(get(l, "/v1/weights/0", 200));
    /* carol takes the lowest-ranked uid past immunity: with no emissions yet, the older, then the lower uid (0) */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_REGISTER, memcpy(tx->key, hot_c.pk, 32);
    json_t *j = expect_ok(l, tx, &carol, hot_c.sk);
    assert_int_equal(json_integer_value(json_object_get(j, "uid")), 0);
    json_decref(j);
    json_decref(get(l, "/v1/weights/0", 404)); /* the replaced validator's weights went with it */
    json_t *m = get(l, "/v1/metagraph", 200);
    assert_int_equal(json_integer_value(json_object_get(m, "n")), 2);
    json_t *n0 = json_array_get(json_object_get(m, "neurons"), 0);
    char a[TPLR_ADDRESS_MAX];
    tplr_address_encode(hot_c.pk, a);
    assert_string_equal(json_string_value(json_object_get(n0, "hotkey")), a);
    assert_int_equal(json_integer_value(json_object_get(n0, "registered_at")), 6);
    json_decref(m);
    /* alice's stake stays on her old hotkey, and she can take it back; hot_a belongs to alice */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_UNSTAKE, memcpy(tx->key, hot_a.pk, 32), tx->amount = 1000;
    json_decref(expect_ok(l, tx, &alice, NULL));
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_REGISTER, memcpy(tx->key, hot_a.pk, 32);
    expect_refusal(l, tx, &carol, hot_a.sk, 403, "not_owner");
    /* not enough to pay the cost */
    tplr_keypair poor, hot_p;
    key(&poor, 40), key(&hot_p, 41);
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_REGISTER, memcpy(tx->key, hot_p.pk, 32);
    blocks(l, 10);
    expect_refusal(l, tx, &poor, hot_p.sk, 409, "insufficient_balance");
    check_supply(l);
    free(tx);
    tplr_ledger_close(l);
}

static void test_stake_commit_weights(void **state)
{
    (void)state;
    const char *params[] = {"weights_rate_limit", "3", "min_validator_stake", "50", NULL};
    tplr_ledger *l = open_ledger("weights", params);
    blocks(l, 1);
    do_register(l, &alice, &hot_a);
    do_register(l, &bob, &hot_b);
    tplr_tx *tx = tx_new(TPLR_TX_STAKE, hot_b.pk, 1000);
    expect_refusal(l, tx, &bob, NULL, 409, "insufficient_balance");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_STAKE, memcpy(tx->key, hot_c.pk, 32), tx->amount = 1;
    expect_refusal(l, tx, &alice, NULL, 404, "unknown_hotkey");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_STAKE, memcpy(tx->key, hot_a.pk, 32), tx->amount = 5000;
    json_decref(expect_ok(l, tx, &alice, NULL));
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_STAKE, memcpy(tx->key, hot_a.pk, 32), tx->amount = 7; /* delegated */
    json_decref(expect_ok(l, tx, &carol, NULL));
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_UNSTAKE, memcpy(tx->key, hot_a.pk, 32), tx->amount = 8;
    expect_refusal(l, tx, &carol, NULL, 409, "insufficient_stake");
    json_t *m = get(l, "/v1/metagraph", 200);
    json_t *n0 = json_array_get(json_object_get(m, "neurons"), 0);
    json_t *n1 = json_array_get(json_object_get(m, "neurons"), 1);
    assert_int_equal(json_integer_value(json_object_get(n0, "stake")), 5007);
    assert_true(json_is_true(json_object_get(n0, "validator_permit")));
    assert_true(json_is_false(json_object_get(n1, "validator_permit"))); /* no stake */
    json_decref(m);
    /* commitments */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_COMMIT;
    strcpy(tx->data, "0123456789abcdef0123456789abcdef"), tx->data_len = 32;
    json_decref(expect_ok(l, tx, &hot_a, NULL));
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_COMMIT, strcpy(tx->data, "x"), tx->data_len = 1;
    expect_refusal(l, tx, &hot_c, NULL, 403, "not_registered");
    json_t *c = get(l, "/v1/commitments", 200);
    assert_int_equal(json_array_size(json_object_get(c, "commitments")), 1);
    json_decref(c);
    /* weights: a non-validator, wrong length, unknown uid, too soon, then fine, then too soon again */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 1, tx->uids[0] = 0, tx->weights[0] = 1;
    expect_refusal(l, tx, &hot_b, NULL, 403, "not_validator");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 3;
    for (int i = 0; i < 3; i++)
        tx->uids[i] = (uint16_t)i, tx->weights[i] = 1;
    blocks(l, 3);
    expect_refusal(l, tx, &hot_a, NULL, 400, "bad_weights"); /* 3 weights, 2 uids */
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 1, tx->uids[0] = 5, tx->weights[0] = 1;
    expect_refusal(l, tx, &hot_a, NULL, 400, "bad_weights");
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 1, tx->uids[0] = 1, tx->weights[0] = 1;
    json_decref(expect_ok(l, tx, &hot_a, NULL));
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 1, tx->uids[0] = 1, tx->weights[0] = 2;
    expect_refusal(l, tx, &hot_a, NULL, 429, "rate_limited");
    json_t *w = get(l, "/v1/weights/0", 200);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(w, "weights"), 0)), 1);
    json_decref(w);
    check_supply(l);
    free(tx);
    tplr_ledger_close(l);
}

/* The `hand` example of tests/chain/yuma_examples.md, run through the ledger:
 * validators with 300 and 100 stake, miners at uids 2 and 3, and 1001 units
 * per epoch (tempo 7, 143 per block). */
static void test_emission(void **state)
{
    (void)state;
    const char *params[] = {"tempo", "7", "weights_rate_limit", "0", "block_emission", "143", NULL};
    tplr_ledger *l = open_ledger("emission", params);
    tplr_keypair m1, m2;
    key(&m1, 21), key(&m2, 22);
    blocks(l, 1);
    do_register(l, &alice, &hot_a); /* uid 0 */
    do_register(l, &carol, &hot_c); /* uid 1 */
    do_register(l, &alice, &m1);    /* uid 2 */
    do_register(l, &carol, &m2);    /* uid 3 */
    tplr_tx *tx = tx_new(TPLR_TX_STAKE, hot_a.pk, 300);
    json_decref(expect_ok(l, tx, &alice, NULL));
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_STAKE, memcpy(tx->key, hot_c.pk, 32), tx->amount = 100;
    json_decref(expect_ok(l, tx, &carol, NULL));
    blocks(l, 1);
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 2;
    tx->uids[0] = 2, tx->weights[0] = 3, tx->uids[1] = 3, tx->weights[1] = 1;
    json_decref(expect_ok(l, tx, &hot_a, NULL));
    memset(tx, 0, sizeof *tx), tx->op = TPLR_TX_SET_WEIGHTS, tx->n_weights = 2;
    tx->uids[0] = 2, tx->weights[0] = 1, tx->uids[1] = 3, tx->weights[1] = 1;
    json_decref(expect_ok(l, tx, &hot_c, NULL));
    json_t *s0 = get(l, "/v1/supply", 200);
    int64_t issuance0 = json_integer_value(json_object_get(s0, "issuance"));
    json_decref(s0);
    blocks(l, 5); /* head 7: the epoch */
    json_t *m = get(l, "/v1/metagraph", 200), *nn = json_object_get(m, "neurons");
    double inc2 = json_real_value(json_object_get(json_array_get(nn, 2), "incentive"));
    double div0 = json_real_value(json_object_get(json_array_get(nn, 0), "dividends"));
    assert_true(fabs(inc2 - 11.0 / 15) < 1e-12);
    assert_true(fabs(div0 - 0.8) < 1e-12);
    /* 1001 units: miners floor(500*11/15)=366 and floor(500*4/15)=133; validators floor(501*0.8)=400 and 100 */
    int64_t want[4] = {400, 100, 366, 133}, stake[4] = {300 + 400, 100 + 100, 366, 133};
    for (int i = 0; i < 4; i++) {
        json_t *n = json_array_get(nn, (size_t)i);
        assert_int_equal(json_integer_value(json_object_get(n, "emission")), want[i]);
        assert_int_equal(json_integer_value(json_object_get(n, "stake")), stake[i]);
    }
    json_decref(m);
    json_t *s1 = get(l, "/v1/supply", 200);
    assert_int_equal(json_integer_value(json_object_get(s1, "issuance")) - issuance0, 999);
    assert_int_equal(json_integer_value(json_object_get(s1, "emitted")), 999);
    json_decref(s1);
    check_supply(l);
    free(tx);
    tplr_ledger_close(l);
}

static void test_queries(void **state)
{
    (void)state;
    tplr_ledger *l = open_ledger("queries", NULL);
    blocks(l, 2);
    json_t *b = get(l, "/v1/block", 200);
    assert_int_equal(json_integer_value(json_object_get(b, "block")), 2);
    json_decref(b);
    b = get(l, "/v1/blocks/1", 200);
    assert_int_equal(json_integer_value(json_object_get(b, "time_ms")), 1700000000000ll);
    json_decref(b);
    json_decref(get(l, "/v1/blocks/3", 404));
    json_decref(get(l, "/v1/nothing", 404));
    json_decref(get(l, "/v2/block", 404));
    json_decref(get(l, "/v1/balance/notanaddress", 400));
    json_decref(get(l, "/v1/weights/abc", 400));
    json_decref(get(l, "/v1/extrinsics?signer=x&nonce=1", 400));
    json_decref(get(l, "/v1/extrinsics/1/99999999999", 400));
    json_decref(get(l, "/v1/transfers/1", 404));
    json_decref(get(l, "/v1/genesis", 200));
    json_t *st = get(l, "/v1/state", 200);
    assert_int_equal(strlen(json_string_value(json_object_get(st, "digest"))), 64);
    json_decref(st);
    tplr_ledger_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis),   cmocka_unit_test(test_transfers),
        cmocka_unit_test(test_registration), cmocka_unit_test(test_stake_commit_weights),
        cmocka_unit_test(test_emission),  cmocka_unit_test(test_queries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
