/* Addresses (against tests/chain/address_vectors.json, written by an
 * independent Python script), Ed25519 keys (RFC 8032 test 1), and wallets:
 * files, modes, encryption, and every kind of bad input refused. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "tplr/address.h"
#include "tplr/fileio.h"
#include "tplr/hash.h"
#include "tplr/keys.h"
#include "tplr/wallet.h"

static char home[4096];

static int setup(void **state)
{
    (void)state;
    tu_tmpdir("wallet", home, sizeof home);
    setenv("TPLR_HOME", home, 1);
    unsetenv(TPLR_PASSPHRASE_ENV);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(home);
    return 0;
}

static void expect_error(tplr_err got, tplr_err want, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", tplr_err_name(want), tplr_err_name(got), tplr_errmsg());
    if (needle && !strstr(tplr_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", tplr_errmsg(), needle);
}

static void test_address_vectors(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/chain/address_vectors.json", tu_src_dir());
    json_error_t jerr;
    json_t *vs = json_load_file(path, 0, &jerr);
    if (!vs)
        fail_msg("%s: %s", path, jerr.text);
    assert_true(json_array_size(vs) >= 5);
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        unsigned char pk[32], back[32];
        const char *hex = json_string_value(json_object_get(v, "public_key"));
        const char *want = json_string_value(json_object_get(v, "address"));
        assert_int_equal(tplr_hex_decode(pk, 32, hex, strlen(hex)), 0);
        char got[TPLR_ADDRESS_MAX];
        tplr_address_encode(pk, got);
        assert_string_equal(got, want);
        assert_int_equal(strlen(got), 51);
        ASSERT_OK(tplr_address_decode(want, strlen(want), back));
        assert_memory_equal(back, pk, 32);
    }
    json_decref(vs);
}

static void test_address_errors(void **state)
{
    (void)state;
    const char *good = "2SH7LSWK6QPkDHPZk7CeAw4ET8Tjq5riLANuzyxWJ3KWK8pxQaz";
    unsigned char pk[32];
    char bad[64];
    strcpy(bad, good);
    bad[10] = bad[10] == 'a' ? 'b' : 'a'; /* one mistyped character */
    expect_error(tplr_address_decode(bad, strlen(bad), pk), TPLR_EFORMAT, "checksum");
    strcpy(bad, good);
    bad[5] = '0';
    expect_error(tplr_address_decode(bad, strlen(bad), pk), TPLR_EFORMAT, "not base58");
    expect_error(tplr_address_decode(good, 50, pk), TPLR_EFORMAT, "wrong length");
    expect_error(tplr_address_decode("", 0, pk), TPLR_EFORMAT, "empty");
    snprintf(bad, sizeof bad, "%s1", good);
    expect_error(tplr_address_decode(bad, strlen(bad), pk), TPLR_EFORMAT, NULL);
    /* Bitcoin's genesis address is base58check of version 0 and 20 bytes: not ours */
    const char *btc = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
    expect_error(tplr_address_decode(btc, strlen(btc), pk), TPLR_EFORMAT, NULL);
    expect_error(tplr_address_decode("2SH7\0LSWK", 9, pk), TPLR_EFORMAT, NULL);
}

static void test_rfc8032_key(void **state)
{
    (void)state;
    unsigned char seed[32], pk[32], sig[64];
    const char *s = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const char *p = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const char *g = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
                    "d25bf5f0595bbe24655141438e7a100b";
    tplr_hex_decode(seed, 32, s, 64);
    tplr_hex_decode(pk, 32, p, 64);
    tplr_hex_decode(sig, 64, g, 128);
    tplr_keypair kp;
    ASSERT_OK(tplr_keypair_from_seed(seed, &kp));
    assert_memory_equal(kp.pk, pk, 32);
    unsigned char mine[64];
    ASSERT_OK(tplr_key_sign(mine, "", 0, kp.sk));
    assert_memory_equal(mine, sig, 64);
    assert_true(tplr_key_verify(sig, "", 0, pk));
    sig[0] ^= 1;
    assert_false(tplr_key_verify(sig, "", 0, pk));
    assert_int_equal(tplr_hex_decode(seed, 32, s, 63), -1);
    assert_int_equal(tplr_hex_decode(seed, 1, "g0", 2), -1);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 0777;
}

static void test_wallet_roundtrip(void **state)
{
    (void)state;
    unsigned char cold[32], hot[32], pk[32], sk[64];
    ASSERT_OK(tplr_wallet_create_coldkey("alice", NULL, cold));
    ASSERT_OK(tplr_wallet_create_hotkey("alice", "miner", hot));
    ASSERT_OK(tplr_wallet_load_hotkey("alice", "miner", sk, pk));
    assert_memory_equal(pk, hot, 32);
    unsigned char sig[64];
    ASSERT_OK(tplr_key_sign(sig, "m", 1, sk));
    assert_true(tplr_key_verify(sig, "m", 1, hot));
    ASSERT_OK(tplr_wallet_load_coldkey("alice", NULL, sk, pk));
    assert_memory_equal(pk, cold, 32);
    int enc = 1;
    ASSERT_OK(tplr_wallet_coldkey_public("alice", pk, &enc));
    assert_int_equal(enc, 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/wallets/alice/coldkey.json", home);
    assert_int_equal(mode_of(path), 0600);
    snprintf(path, sizeof path, "%s/wallets/alice/hotkeys/miner.json", home);
    assert_int_equal(mode_of(path), 0600);
    snprintf(path, sizeof path, "%s/wallets/alice/hotkeys", home);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof path, "%s/wallets", home);
    assert_int_equal(mode_of(path), 0700);
    /* never replaced */
    expect_error(tplr_wallet_create_coldkey("alice", NULL, pk), TPLR_EINVAL, "already exists");
    expect_error(tplr_wallet_create_hotkey("alice", "miner", pk), TPLR_EINVAL, "already exists");
    ASSERT_OK(tplr_wallet_create_hotkey("alice", "validator", pk));
    tplr_names names;
    ASSERT_OK(tplr_wallet_hotkeys("alice", &names));
    assert_int_equal(names.n, 2);
    assert_string_equal(names.names[0], "miner");
    assert_string_equal(names.names[1], "validator");
    tplr_names_free(&names);
    ASSERT_OK(tplr_wallet_list(&names));
    assert_int_equal(names.n, 1);
    tplr_names_free(&names);
    expect_error(tplr_wallet_load_hotkey("alice", "nope", sk, pk), TPLR_ENOTFOUND, "tplr wallet new");
}

static void test_encrypted_coldkey(void **state)
{
    (void)state;
    unsigned char cold[32], pk[32], sk[64];
    ASSERT_OK(tplr_wallet_create_coldkey("carol", "correct horse", cold));
    char path[4300], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/wallets/carol/coldkey.json", home);
    ASSERT_OK(tplr_read_file(path, 65536, &text, &len));
    assert_null(strstr(text, "\"seed\""));
    assert_non_null(strstr(text, "argon2id13"));
    free(text);
    int enc = 0;
    ASSERT_OK(tplr_wallet_coldkey_public("carol", pk, &enc)); /* no passphrase needed */
    assert_int_equal(enc, 1);
    assert_memory_equal(pk, cold, 32);
    expect_error(tplr_wallet_load_coldkey("carol", NULL, sk, pk), TPLR_EINVAL, TPLR_PASSPHRASE_ENV);
    expect_error(tplr_wallet_load_coldkey("carol", "wrong horse", sk, pk), TPLR_EINVAL, "wrong passphrase");
    ASSERT_OK(tplr_wallet_load_coldkey("carol", "correct horse", sk, pk));
    assert_memory_equal(pk, cold, 32);
    setenv(TPLR_PASSPHRASE_ENV, "correct horse", 1);
    ASSERT_OK(tplr_wallet_load_coldkey("carol", NULL, sk, pk));
    unsetenv(TPLR_PASSPHRASE_ENV);
}

/* Rewrites a key file with one field replaced (JSON value text), mode 0600. */
static void tamper(const char *path, const char *field, const char *value)
{
    json_t *j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    if (value)
        json_object_set_new(j, field, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(j, field);
    char *s = json_dumps(j, 0);
    ASSERT_OK(tplr_write_file_atomic(path, s, strlen(s)));
    chmod(path, 0600);
    free(s);
    json_decref(j);
}

static void test_bad_key_files(void **state)
{
    (void)state;
    unsigned char pk[32], sk[64], other[32];
    ASSERT_OK(tplr_wallet_create_hotkey("dave", "h", pk));
    ASSERT_OK(tplr_wallet_create_hotkey("dave", "other", other));
    char path[4300], *orig;
    size_t len;
    snprintf(path, sizeof path, "%s/wallets/dave/hotkeys/h.json", home);
    ASSERT_OK(tplr_read_file(path, 65536, &orig, &len));
    struct {
        const char *field, *value, *needle;
    } cases[] = {
        {"version", "2", "version 2"},
        {"kind", "\"coldkey\"", "holds a coldkey"},
        {"seed", "\"00\"", "64 hexadecimal digits"},
        {"seed", "\"0000000000000000000000000000000000000000000000000000000000000000\"", "does not give"},
        {"extra", "1", "unknown field 'extra'"},
        {"address", "\"2SH7LSWK6QPkDHPZk7CeAw4ET8Tjq5riLANuzyxWJ3KWK8pxQaz\"", "does not match"},
        {"seed", NULL, "either 'seed' or 'encrypted'"},
        {"format", "\"x\"", "not a tplr key file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ASSERT_OK(tplr_write_file_atomic(path, orig, len));
        chmod(path, 0600);
        tamper(path, cases[i].field, cases[i].value);
        expect_error(tplr_wallet_load_hotkey("dave", "h", sk, pk), TPLR_EFORMAT, cases[i].needle);
    }
    ASSERT_OK(tplr_write_file_atomic(path, "{not json", 9));
    chmod(path, 0600);
    expect_error(tplr_wallet_load_hotkey("dave", "h", sk, pk), TPLR_EFORMAT, "not JSON");
    ASSERT_OK(tplr_write_file_atomic(path, orig, len));
    chmod(path, 0644);
    expect_error(tplr_wallet_load_hotkey("dave", "h", sk, pk), TPLR_EINVAL, "chmod 600");
    chmod(path, 0600);
    ASSERT_OK(tplr_wallet_load_hotkey("dave", "h", sk, pk));
    free(orig);
}

static void test_names(void **state)
{
    (void)state;
    unsigned char pk[32];
    const char *bad[] = {"", ".hidden", "../etc", "a/b", "x y", "0123456789012345678901234567890123456789012345678901"
                                                              "23456789012345"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_error(tplr_wallet_create_coldkey(bad[i], NULL, pk), TPLR_EINVAL, "bad wallet name");
        expect_error(tplr_wallet_create_hotkey("ok", bad[i], pk), TPLR_EINVAL, "bad hotkey name");
    }
    ASSERT_OK(tplr_wallet_check_name("wallet", "a.b-c_D9"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_vectors), cmocka_unit_test(test_address_errors),
        cmocka_unit_test(test_rfc8032_key),     cmocka_unit_test(test_wallet_roundtrip),
        cmocka_unit_test(test_encrypted_coldkey), cmocka_unit_test(test_bad_key_files),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
