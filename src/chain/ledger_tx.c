#include "tplr/ledger_tx.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "tplr/address.h"
#include "tplr/hash.h"

static const char *const op_names[TPLR_TX_OP_COUNT + 1] = {
    NULL, "register", "stake", "unstake", "commit", "set_weights", "transfer",
};

const char *tplr_tx_op_name(tplr_tx_op op)
{
    return op >= 1 && op <= TPLR_TX_OP_COUNT ? op_names[op] : "unknown";
}

tplr_err tplr_tx_op_parse(const char *name, tplr_tx_op *op)
{
    for (int i = 1; i <= TPLR_TX_OP_COUNT; i++)
        if (!strcmp(name, op_names[i])) {
            *op = (tplr_tx_op)i;
            return TPLR_OK;
        }
    return tplr_fail(TPLR_ENOTFOUND, "unknown transaction '%s' (register, stake, unstake, commit, set_weights, "
                     "transfer)", name);
}

static int has_key(tplr_tx_op op)
{
    return op == TPLR_TX_REGISTER || op == TPLR_TX_STAKE || op == TPLR_TX_UNSTAKE || op == TPLR_TX_TRANSFER;
}
static int has_amount(tplr_tx_op op) { return op == TPLR_TX_STAKE || op == TPLR_TX_UNSTAKE || op == TPLR_TX_TRANSFER; }

/* ---- canonical encoding ---- */

static unsigned char *put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    return p + 2;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 8;
}

static unsigned char *put_bytes(unsigned char *p, const void *src, size_t n)
{
    memcpy(p, src, n);
    return p + n;
}

size_t tplr_tx_encode(const tplr_tx *tx, const unsigned char chain_id[32], unsigned char *out)
{
    _Static_assert(sizeof TPLR_TX_DOMAIN - 1 == 16, "the domain tag is 16 bytes");
    unsigned char *p = put_bytes(out, TPLR_TX_DOMAIN, 16);
    p = put_bytes(p, chain_id, 32);
    p = put_u16(p, tx->netuid);
    *p++ = (unsigned char)tx->op;
    p = put_u64(p, tx->nonce);
    p = put_u64(p, tx->block);
    p = put_bytes(p, tx->signer, TPLR_KEY_PUBLIC);
    if (has_key(tx->op))
        p = put_bytes(p, tx->key, TPLR_KEY_PUBLIC);
    if (has_amount(tx->op))
        p = put_u64(p, tx->amount);
    if (tx->op == TPLR_TX_COMMIT) {
        *p++ = (unsigned char)tx->data_len;
        p = put_bytes(p, tx->data, tx->data_len);
    }
    if (tx->op == TPLR_TX_SET_WEIGHTS) {
        p = put_u16(p, (uint16_t)tx->n_weights);
        for (int i = 0; i < tx->n_weights; i++) {
            p = put_u16(p, tx->uids[i]);
            p = put_u16(p, tx->weights[i]);
        }
    }
    return (size_t)(p - out);
}

tplr_err tplr_tx_sign(tplr_tx *tx, const unsigned char chain_id[32], const unsigned char signer_sk[TPLR_KEY_SECRET],
                      const unsigned char *hotkey_sk)
{
    if (tx->op == TPLR_TX_REGISTER && !hotkey_sk)
        return tplr_fail(TPLR_EINVAL, "a registration is signed by the coldkey and by the hotkey");
    unsigned char *msg = malloc(TPLR_TX_ENCODED_MAX); /* not on the stack: servers' threads have small ones */
    if (!msg)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    size_t n = tplr_tx_encode(tx, chain_id, msg);
    tplr_err e = tplr_key_sign(tx->signature, msg, n, signer_sk);
    if (!e && tx->op == TPLR_TX_REGISTER)
        e = tplr_key_sign(tx->key_signature, msg, n, hotkey_sk);
    free(msg);
    return e;
}

tplr_err tplr_tx_verify(const tplr_tx *tx, const unsigned char chain_id[32])
{
    unsigned char *msg = malloc(TPLR_TX_ENCODED_MAX);
    if (!msg)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    size_t n = tplr_tx_encode(tx, chain_id, msg);
    int signer_ok = tplr_key_verify(tx->signature, msg, n, tx->signer);
    int hotkey_ok = tx->op != TPLR_TX_REGISTER || tplr_key_verify(tx->key_signature, msg, n, tx->key);
    free(msg);
    if (!signer_ok)
        return tplr_fail(TPLR_EREFUSED, "bad signature: 'signature' is not the signer's signature of this %s on "
                         "this ledger (wrong key, altered field, or signed for another network)",
                         tplr_tx_op_name(tx->op));
    if (!hotkey_ok)
        return tplr_fail(TPLR_EREFUSED, "bad signature: 'hotkey_signature' is not the hotkey's signature of this "
                         "registration");
    return TPLR_OK;
}

/* ---- JSON out ---- */

static void set_address(json_t *o, const char *name, const unsigned char pk[32])
{
    char a[TPLR_ADDRESS_MAX];
    tplr_address_encode(pk, a);
    json_object_set_new(o, name, json_string(a));
}

static void set_hex(json_t *o, const char *name, const unsigned char *b, size_t n)
{
    char hex[2 * TPLR_KEY_SIGNATURE + 1];
    tplr_hex(hex, b, n);
    json_object_set_new(o, name, json_string(hex));
}

char *tplr_tx_to_json(const tplr_tx *tx)
{
    json_t *o = json_object();
    json_object_set_new(o, "netuid", json_integer(tx->netuid));
    json_object_set_new(o, "nonce", json_integer((json_int_t)tx->nonce));
    json_object_set_new(o, "block", json_integer((json_int_t)tx->block));
    set_address(o, "signer", tx->signer);
    if (tx->op == TPLR_TX_TRANSFER)
        set_address(o, "to", tx->key);
    else if (has_key(tx->op))
        set_address(o, "hotkey", tx->key);
    if (tx->op == TPLR_TX_REGISTER)
        set_hex(o, "hotkey_signature", tx->key_signature, TPLR_KEY_SIGNATURE);
    if (has_amount(tx->op))
        json_object_set_new(o, "amount", json_integer((json_int_t)tx->amount));
    if (tx->op == TPLR_TX_COMMIT)
        json_object_set_new(o, "data", json_stringn(tx->data, tx->data_len));
    if (tx->op == TPLR_TX_SET_WEIGHTS) {
        json_t *u = json_array(), *w = json_array();
        for (int i = 0; i < tx->n_weights; i++) {
            json_array_append_new(u, json_integer(tx->uids[i]));
            json_array_append_new(w, json_integer(tx->weights[i]));
        }
        json_object_set_new(o, "uids", u);
        json_object_set_new(o, "weights", w);
    }
    set_hex(o, "signature", tx->signature, TPLR_KEY_SIGNATURE);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

/* ---- JSON in (untrusted) ---- */

static tplr_err bad_field(const char *name, const char *what)
{
    return tplr_fail(TPLR_EFORMAT, "field '%s': %s", name, what);
}

static tplr_err read_uint(json_t *v, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!json_is_integer(v))
        return bad_field(name, "must be an integer (no quotes, no fraction or exponent)");
    json_int_t x = json_integer_value(v);
    if (x < 0 || (uint64_t)x < lo || (uint64_t)x > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "%lld is outside %llu..%llu", (long long)x, (unsigned long long)lo,
                 (unsigned long long)hi);
        return bad_field(name, msg);
    }
    *out = (uint64_t)x;
    return TPLR_OK;
}

static tplr_err read_address(json_t *v, const char *name, unsigned char pk[32])
{
    if (!json_is_string(v))
        return bad_field(name, "must be an address (a string)");
    if (tplr_address_decode(json_string_value(v), json_string_length(v), pk) != TPLR_OK)
        return tplr_fail_ctx(TPLR_EFORMAT, "field '%s'", name);
    return TPLR_OK;
}

static tplr_err read_signature(json_t *v, const char *name, unsigned char sig[TPLR_KEY_SIGNATURE])
{
    if (!json_is_string(v) || tplr_hex_decode(sig, TPLR_KEY_SIGNATURE, json_string_value(v), json_string_length(v)))
        return bad_field(name, "must be an Ed25519 signature: 128 hexadecimal digits");
    return TPLR_OK;
}

static tplr_err read_data(json_t *v, tplr_tx *tx)
{
    if (!json_is_string(v))
        return bad_field("data", "must be a string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n > TPLR_COMMIT_MAX)
        return bad_field("data", "longer than the 128 bytes a commitment holds");
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return bad_field("data", "a commitment holds printable ASCII only (bytes 0x20 to 0x7e)");
    memcpy(tx->data, s, n);
    tx->data[n] = '\0';
    tx->data_len = n;
    return TPLR_OK;
}

static tplr_err read_u16_array(json_t *v, const char *name, uint16_t *out, int *n)
{
    if (!json_is_array(v))
        return bad_field(name, "must be an array of integers");
    size_t len = json_array_size(v);
    if (len == 0 || len > TPLR_WEIGHTS_MAX)
        return bad_field(name, "must hold 1 to 1024 entries");
    for (size_t i = 0; i < len; i++) {
        uint64_t x;
        json_t *item = json_array_get(v, i);
        if (!json_is_integer(item) || json_integer_value(item) < 0 || json_integer_value(item) > 65535)
            return bad_field(name, "entries must be integers from 0 to 65535");
        x = (uint64_t)json_integer_value(item);
        out[i] = (uint16_t)x;
    }
    *n = (int)len;
    return TPLR_OK;
}

static tplr_err check_weights(const tplr_tx *tx, int n_weight_values)
{
    if (n_weight_values != tx->n_weights)
        return tplr_fail(TPLR_EFORMAT, "wrong length: %d uids but %d weights", tx->n_weights, n_weight_values);
    int any = 0;
    for (int i = 0; i < tx->n_weights; i++) {
        any |= tx->weights[i] != 0;
        for (int k = 0; k < i; k++)
            if (tx->uids[k] == tx->uids[i])
                return tplr_fail(TPLR_EFORMAT, "field 'uids': uid %u appears twice", tx->uids[i]);
    }
    if (!any)
        return bad_field("weights", "all zero: give at least one positive weight");
    return TPLR_OK;
}

/* The fields each op takes, in a fixed order. */
static const char *const *fields_of(tplr_tx_op op)
{
    static const char *const reg[] = {"netuid", "nonce", "block", "signer", "signature", "hotkey",
                                      "hotkey_signature", NULL};
    static const char *const stake[] = {"netuid", "nonce", "block", "signer", "signature", "hotkey", "amount", NULL};
    static const char *const commit[] = {"netuid", "nonce", "block", "signer", "signature", "data", NULL};
    static const char *const weights[] = {"netuid", "nonce", "block", "signer", "signature", "uids", "weights", NULL};
    static const char *const transfer[] = {"netuid", "nonce", "block", "signer", "signature", "to", "amount", NULL};
    switch (op) {
    case TPLR_TX_REGISTER: return reg;
    case TPLR_TX_STAKE:
    case TPLR_TX_UNSTAKE: return stake;
    case TPLR_TX_COMMIT: return commit;
    case TPLR_TX_SET_WEIGHTS: return weights;
    case TPLR_TX_TRANSFER: return transfer;
    }
    return NULL;
}

static tplr_err read_field(tplr_tx *tx, const char *name, json_t *v, int *n_weight_values)
{
    uint64_t x = 0;
    if (!strcmp(name, "netuid")) {
        TPLR_TRY(read_uint(v, name, 0, 65535, &x));
        tx->netuid = (uint16_t)x;
    } else if (!strcmp(name, "nonce"))
        return read_uint(v, name, 0, INT64_MAX, &tx->nonce);
    else if (!strcmp(name, "block"))
        return read_uint(v, name, 0, INT64_MAX, &tx->block);
    else if (!strcmp(name, "amount"))
        return read_uint(v, name, 1, TPLR_AMOUNT_MAX, &tx->amount);
    else if (!strcmp(name, "signer"))
        return read_address(v, name, tx->signer);
    else if (!strcmp(name, "hotkey") || !strcmp(name, "to"))
        return read_address(v, name, tx->key);
    else if (!strcmp(name, "signature"))
        return read_signature(v, name, tx->signature);
    else if (!strcmp(name, "hotkey_signature"))
        return read_signature(v, name, tx->key_signature);
    else if (!strcmp(name, "data"))
        return read_data(v, tx);
    else if (!strcmp(name, "uids"))
        return read_u16_array(v, name, tx->uids, &tx->n_weights);
    else if (!strcmp(name, "weights"))
        return read_u16_array(v, name, tx->weights, n_weight_values);
    return TPLR_OK;
}

static tplr_err read_object(tplr_tx_op op, json_t *root, tplr_tx *tx)
{
    const char *const *fields = fields_of(op);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        int known = 0;
        for (const char *const *f = fields; *f && !known; f++)
            known = !strcmp(*f, key);
        if (!known)
            return tplr_fail(TPLR_EFORMAT, "unknown field '%.64s' in a %s request", key, tplr_tx_op_name(op));
    }
    int n_weight_values = 0;
    for (const char *const *f = fields; *f; f++) {
        v = json_object_get(root, *f);
        if (!v)
            return tplr_fail(TPLR_EFORMAT, "missing field '%s' in a %s request", *f, tplr_tx_op_name(op));
        TPLR_TRY(read_field(tx, *f, v, &n_weight_values));
    }
    return op == TPLR_TX_SET_WEIGHTS ? check_weights(tx, n_weight_values) : TPLR_OK;
}

/* 1 when no array or object in the JSON text nests deeper than max: the
 * parser recurses once per level, and requests need two. Bytes inside
 * strings do not count. */
static int nesting_within(const char *s, size_t n, int max)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"')
            in_string = 1;
        else if ((c == '[' || c == '{') && ++depth > max)
            return 0;
        else if (c == ']' || c == '}')
            depth--;
    }
    return 1;
}

tplr_err tplr_tx_from_json(tplr_tx_op op, const char *body, size_t len, tplr_tx *tx)
{
    memset(tx, 0, sizeof *tx);
    if (!fields_of(op))
        return tplr_fail(TPLR_EINVAL, "unknown transaction type %d", (int)op);
    tx->op = op;
    if (len > TPLR_TX_JSON_MAX)
        return tplr_fail(TPLR_EFORMAT, "request body of %zu bytes is larger than the %d allowed", len,
                         TPLR_TX_JSON_MAX);
    if (!nesting_within(body, len, TPLR_TX_JSON_DEPTH))
        return tplr_fail(TPLR_EFORMAT, "the request nests arrays or objects deeper than %d levels",
                         TPLR_TX_JSON_DEPTH);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tplr_fail(TPLR_EFORMAT, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    tplr_err e = json_is_object(root) ? read_object(op, root, tx)
                                      : tplr_fail(TPLR_EFORMAT, "the request body must be a JSON object");
    json_decref(root);
    return e;
}

/* ---- weights ---- */

tplr_err tplr_tx_set_weights_u16(tplr_tx *tx, const uint16_t *uids, const double *weights, int n)
{
    if (n < 1 || n > TPLR_WEIGHTS_MAX)
        return tplr_fail(TPLR_EINVAL, "a weight vector has 1 to %d entries, not %d", TPLR_WEIGHTS_MAX, n);
    double max = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(weights[i]) || weights[i] < 0)
            return tplr_fail(TPLR_EINVAL, "weight %d (uid %u) is %g: weights must be finite and not negative", i,
                             uids[i], weights[i]);
        for (int k = 0; k < i; k++)
            if (uids[k] == uids[i])
                return tplr_fail(TPLR_EINVAL, "uid %u appears twice in the weight vector", uids[i]);
        if (weights[i] > max)
            max = weights[i];
    }
    if (max <= 0)
        return tplr_fail(TPLR_EINVAL, "all weights are zero: give at least one positive weight");
    tx->n_weights = 0;
    for (int i = 0; i < n; i++) {
        long w = lround(weights[i] / max * 65535.0);
        if (w == 0)
            continue;
        tx->uids[tx->n_weights] = uids[i];
        tx->weights[tx->n_weights++] = (uint16_t)(w > 65535 ? 65535 : w);
    }
    return TPLR_OK;
}
