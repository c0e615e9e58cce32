/* Ledger transactions: the canonical signed encoding (a test vector that
 * docs/formats.md also shows), JSON round trips of every operation,
 * signatures, and untrusted JSON refused field by field. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tplr/address.h"
#include "tplr/hash.h"
#include "tplr/ledger_tx.h"

static unsigned char chain_id[32];
static tplr_keypair alice, bob;

static int setup(void **state)
{
    (void)state;
    unsigned char seed[32];
    for (int i = 0; i < 32; i++)
        chain_id[i] = (unsigned char)(0xc0 + i), seed[i] = (unsigned char)i;
    ASSERT_OK(tplr_keypair_from_seed(seed, &alice));
    seed[0] = 1;
    ASSERT_OK(tplr_keypair_from_seed(seed, &bob));
    return 0;
}

static void expect_error(tplr_err got, tplr_err want, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(got), tplr_errmsg());
    if (needle && !strstr(tplr_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", tplr_errmsg(), needle);
}

static tplr_tx *transfer_tx(void)
{
    tplr_tx *tx = calloc(1, sizeof *tx);
    tx->op = TPLR_TX_TRANSFER;
    tx->netuid = 3;
    tx->nonce = 0x0102030405060708ull;
    tx->block = 1000;
    memcpy(tx->signer, alice.pk, 32);
    memcpy(tx->key, bob.pk, 32);
    tx->amount = 123456789;
    return tx;
}

/* The transfer of docs/formats.md ("Ledger transactions"), byte for byte:
 * seeds 00 01 .. 1f (alice) and 01 01 02 .. 1f (bob), chain id c0 .. df. */
static void test_canonical_vector(void **state)
{
    (void)state;
    tplr_tx *tx = transfer_tx();
    unsigned char out[TPLR_TX_ENCODED_MAX];
    size_t n = tplr_tx_encode(tx, chain_id, out);
    assert_int_equal(n, 16 + 32 + 2 + 1 + 8 + 8 + 32 + 32 + 8);
    char hex[2 * 139 + 1];
    tplr_hex(hex, out, n);
    const char *want = "74706c722d6c65646765722d74782f31"                                 /* "tplr-ledger-tx/1" */
                       "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf" /* chain id */
                       "0300"                                                             /* netuid 3 */
                       "06"                                                               /* op: transfer */
                       "0807060504030201"                                                 /* nonce */
                       "e803000000000000"                                                 /* block 1000 */
                       "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8" /* signer */
                       "d819a757b619ee36f29d030822a764c2d2c9578510aaff704a7650ebad556f03" /* to */
                       "15cd5b0700000000";                                                /* amount */
    assert_string_equal(hex, want);
    /* and piece by piece, as docs/formats.md lays it out */
    assert_memory_equal(out, "tplr-ledger-tx/1", 16);
    assert_memory_equal(out + 16, chain_id, 32);
    assert_memory_equal(out + 48, "\x03\x00\x06\x08\x07\x06\x05\x04\x03\x02\x01\xe8\x03\0\0\0\0\0\0", 19);
    assert_memory_equal(out + 67, alice.pk, 32);
    assert_memory_equal(out + 99, bob.pk, 32);
    assert_memory_equal(out + 131, "\x15\xcd\x5b\x07\0\0\0\0", 8);
    free(tx);
}

static void roundtrip(tplr_tx *tx, const unsigned char *second_sk)
{
    ASSERT_OK(tplr_tx_sign(tx, chain_id, alice.sk, second_sk));
    ASSERT_OK(tplr_tx_verify(tx, chain_id));
    char *json = tplr_tx_to_json(tx);
    assert_non_null(json);
    tplr_tx *back = malloc(sizeof *back);
    ASSERT_OK(tplr_tx_from_json(tx->op, json, strlen(json), back));
    assert_memory_equal(back, tx, sizeof *tx);
    ASSERT_OK(tplr_tx_verify(back, chain_id));
    unsigned char other[32];
    memcpy(other, chain_id, 32);
    other[0] ^= 1; /* another network: the same signature does not hold */
    expect_error(tplr_tx_verify(back, other), TPLR_EREFUSED, "bad signature");
    free(back);
    free(json);
}

static void test_roundtrips(void **state)
{
    (void)state;
    tplr_tx *tx = transfer_tx();
    roundtrip(tx, NULL);
    tx->op = TPLR_TX_STAKE;
    roundtrip(tx, NULL);
    tx->op = TPLR_TX_UNSTAKE;
    roundtrip(tx, NULL);
    memset(tx, 0, sizeof *tx);
    tx->op = TPLR_TX_REGISTER;
    memcpy(tx->signer, alice.pk, 32);
    memcpy(tx->key, bob.pk, 32);
    expect_error(tplr_tx_sign(tx, chain_id, alice.sk, NULL), TPLR_EINVAL, "signed by the coldkey and by the hotkey");
    roundtrip(tx, bob.sk);
    memset(tx->key_signature, 0, 64);
    expect_error(tplr_tx_verify(tx, chain_id), TPLR_EREFUSED, "hotkey_signature");
    memset(tx, 0, sizeof *tx);
    tx->op = TPLR_TX_COMMIT;
    memcpy(tx->signer, alice.pk, 32);
    strcpy(tx->data, "acct0123456789abcdef0123456789abkey");
    tx->data_len = strlen(tx->data);
    roundtrip(tx, NULL);
    memset(tx, 0, sizeof *tx);
    tx->op = TPLR_TX_SET_WEIGHTS;
    memcpy(tx->signer, alice.pk, 32);
    uint16_t uids[4] = {5, 1, 9, 2};
    double w[4] = {0.5, 1.0, 0.0, 1e-9};
    ASSERT_OK(tplr_tx_set_weights_u16(tx, uids, w, 4));
    assert_int_equal(tx->n_weights, 2); /* zeros, and what rounds to zero, are dropped */
    assert_int_equal(tx->uids[0], 5);
    assert_int_equal(tx->weights[0], 32768); /* 0.5 * 65535 = 32767.5 rounds up */
    assert_int_equal(tx->weights[1], 65535);
    roundtrip(tx, NULL);
    free(tx);
}

static void test_weight_conversion_errors(void **state)
{
    (void)state;
    tplr_tx *tx = calloc(1, sizeof *tx);
    uint16_t uids[3] = {1, 2, 1};
    double w[3] = {1, -1, 1};
    expect_error(tplr_tx_set_weights_u16(tx, uids, w, 2), TPLR_EINVAL, "not negative");
    w[1] = 0;
    expect_error(tplr_tx_set_weights_u16(tx, uids, w, 3), TPLR_EINVAL, "appears twice");
    w[0] = 0;
    expect_error(tplr_tx_set_weights_u16(tx, uids, w, 2), TPLR_EINVAL, "all weights are zero");
    expect_error(tplr_tx_set_weights_u16(tx, uids, w, 0), TPLR_EINVAL, "1 to 1024");
    free(tx);
}

/* A valid signed transfer's JSON with one field replaced (raw JSON text) or
 * removed (value NULL). */
static char *mutated(const char *field, const char *value)
{
    tplr_tx *tx = transfer_tx();
    ASSERT_OK(tplr_tx_sign(tx, chain_id, alice.sk, NULL));
    char *json = tplr_tx_to_json(tx);
    free(tx);
    json_t *j = json_loads(json, 0, NULL);
    free(json);
    if (value)
        json_object_set_new(j, field, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(j, field);
    json = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return json;
}

static void expect_refused(tplr_tx_op op, const char *body, const char *needle)
{
    tplr_tx *tx = malloc(sizeof *tx);
    expect_error(tplr_tx_from_json(op, body, strlen(body), tx), TPLR_EFORMAT, needle);
    free(tx);
}

static void test_bad_json(void **state)
{
    (void)state;
    static const struct {
        const char *field, *value, *needle;
    } cases[] = {
        {"amount", "-5", "outside 1.."},
        {"amount", "0", "outside 1.."},
        {"amount", "1.5", "must be an integer"},
        {"amount", "\"100\"", "must be an integer"},
        {"amount", "1e3", "must be an integer"},
        {"nonce", "-1", "'nonce'"},
        {"netuid", "70000", "'netuid'"},
        {"to", "\"nobody\"", "field 'to'"},
        {"to", "42", "field 'to'"},
        {"signature", "\"abcd\"", "128 hexadecimal digits"},
        {"extra", "true", "unknown field 'extra'"},
        {"amount", NULL, "missing field 'amount'"},
        {"signer", NULL, "missing field 'signer'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = mutated(cases[i].field, cases[i].value);
        expect_refused(TPLR_TX_TRANSFER, body, cases[i].needle);
        free(body);
    }
    expect_refused(TPLR_TX_TRANSFER, "{\"amount\": 1", "malformed JSON");
    expect_refused(TPLR_TX_TRANSFER, "[1,2]", "JSON object");
    expect_refused(TPLR_TX_TRANSFER, "", "malformed JSON");
    expect_refused(TPLR_TX_TRANSFER, "{\"amount\":1,\"amount\":2}", "malformed JSON"); /* duplicate key */
    expect_refused(TPLR_TX_TRANSFER, "{\"amount\":99999999999999999999}", "malformed JSON"); /* > 2^63 */
    /* nesting: the parser recurses per level, and a server thread's stack is small */
    char *deep = malloc(20001);
    memset(deep, '[', 10000), memset(deep + 10000, ']', 10000), deep[20000] = '\0';
    expect_refused(TPLR_TX_TRANSFER, deep, "deeper than 4 levels");
    free(deep);
    char *body = mutated("to", "\"[[[[[[[[{{{{\""); /* brackets inside strings do not count */
    expect_refused(TPLR_TX_TRANSFER, body, "field 'to'");
    free(body);
    body = mutated("amount", "1");
    body = realloc(body, strlen(body) + 8);
    strcat(body, " junk");
    expect_refused(TPLR_TX_TRANSFER, body, "malformed JSON");
    free(body);
    /* a transfer's fields are not a stake's */
    body = mutated("amount", "1");
    expect_refused(TPLR_TX_STAKE, body, "unknown field 'to'");
    free(body);
    const char *base = "{\"netuid\":3,\"nonce\":1,\"block\":1,"
                       "\"signer\":\"2SH7LSWK6QPkDHPZk7CeAw4ET8Tjq5riLANuzyxWJ3KWK8pxQaz\",\"signature\":\""
                       "0000000000000000000000000000000000000000000000000000000000000000"
                       "0000000000000000000000000000000000000000000000000000000000000000\"";
    char buf[2048];
    snprintf(buf, sizeof buf, "%s,\"uids\":[1,2],\"weights\":[1]}", base);
    expect_refused(TPLR_TX_SET_WEIGHTS, buf, "wrong length");
    snprintf(buf, sizeof buf, "%s,\"uids\":[1,1],\"weights\":[1,2]}", base);
    expect_refused(TPLR_TX_SET_WEIGHTS, buf, "appears twice");
    snprintf(buf, sizeof buf, "%s,\"uids\":[1],\"weights\":[65536]}", base);
    expect_refused(TPLR_TX_SET_WEIGHTS, buf, "0 to 65535");
    snprintf(buf, sizeof buf, "%s,\"uids\":[1,2],\"weights\":[0,0]}", base);
    expect_refused(TPLR_TX_SET_WEIGHTS, buf, "all zero");
    snprintf(buf, sizeof buf, "%s,\"uids\":[],\"weights\":[]}", base);
    expect_refused(TPLR_TX_SET_WEIGHTS, buf, "1 to 1024");
    snprintf(buf, sizeof buf, "%s,\"data\":\"tab\\there\"}", base);
    expect_refused(TPLR_TX_COMMIT, buf, "printable ASCII");
    snprintf(buf, sizeof buf, "%s,\"data\":\"nul\\u0000\"}", base);
    expect_refused(TPLR_TX_COMMIT, buf, "malformed JSON");
    char big[300];
    memset(big, 'x', 129);
    big[129] = '\0';
    snprintf(buf, sizeof buf, "%s,\"data\":\"%s\"}", base, big);
    expect_refused(TPLR_TX_COMMIT, buf, "128 bytes");
}

static void test_tampering(void **state)
{
    (void)state;
    tplr_tx *tx = transfer_tx();
    ASSERT_OK(tplr_tx_sign(tx, chain_id, alice.sk, NULL));
    tplr_tx copy = *tx;
    copy.amount++;
    expect_error(tplr_tx_verify(&copy, chain_id), TPLR_EREFUSED, "bad signature");
    copy = *tx;
    copy.nonce++;
    expect_error(tplr_tx_verify(&copy, chain_id), TPLR_EREFUSED, NULL);
    copy = *tx;
    memcpy(copy.signer, bob.pk, 32); /* signed by alice, claimed by bob */
    expect_error(tplr_tx_verify(&copy, chain_id), TPLR_EREFUSED, NULL);
    copy = *tx;
    copy.op = TPLR_TX_STAKE; /* the same fields under another operation */
    expect_error(tplr_tx_verify(&copy, chain_id), TPLR_EREFUSED, NULL);
    ASSERT_OK(tplr_tx_verify(tx, chain_id));
    free(tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_vector), cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_weight_conversion_errors), cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_tampering),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
