/* The ledger client's calls: typed reads, and transactions that are
 * prepared (nonce, block, signatures), sent, and retried as the same bytes. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "tplr/address.h"

tplr_err tplr_chain_block(tplr_chain *c, uint64_t *block, uint64_t *time_ms)
{
    json_t *j;
    TPLR_TRY(client_get_json(c, "/v1/block", &j));
    uint64_t t = 0;
    tplr_err e = json_u64(j, "block", block);
    if (!e)
        e = json_u64(j, "time_ms", &t);
    if (!e && time_ms)
        *time_ms = t;
    json_decref(j);
    return e;
}

tplr_err tplr_chain_block_time(tplr_chain *c, uint64_t height, uint64_t *time_ms)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%llu", (unsigned long long)height);
    json_t *j;
    TPLR_TRY(client_get_json(c, path, &j));
    tplr_err e = json_u64(j, "time_ms", time_ms);
    json_decref(j);
    return e;
}

static tplr_err read_neuron(json_t *o, tplr_neuron *nr)
{
    uint64_t uid;
    TPLR_TRY(json_u64(o, "uid", &uid));
    nr->uid = (int)uid;
    TPLR_TRY(json_key(o, "hotkey", nr->hotkey));
    TPLR_TRY(json_key(o, "coldkey", nr->coldkey));
    TPLR_TRY(json_i64(o, "stake", &nr->stake));
    TPLR_TRY(json_i64(o, "emission", &nr->emission));
    TPLR_TRY(json_u64(o, "registered_at", &nr->registered_at));
    TPLR_TRY(json_u64(o, "last_update", &nr->last_update));
    nr->validator_permit = json_is_true(json_object_get(o, "validator_permit"));
    nr->consensus = json_number_value(json_object_get(o, "consensus"));
    nr->trust = json_number_value(json_object_get(o, "trust"));
    nr->incentive = json_number_value(json_object_get(o, "incentive"));
    nr->dividends = json_number_value(json_object_get(o, "dividends"));
    return TPLR_OK;
}

tplr_err tplr_chain_metagraph(tplr_chain *c, tplr_metagraph *m)
{
    memset(m, 0, sizeof *m);
    json_t *j;
    TPLR_TRY(client_get_json(c, "/v1/metagraph", &j));
    json_t *arr = json_object_get(j, "neurons");
    uint64_t netuid = 0;
    tplr_err e = json_u64(j, "block", &m->block);
    if (!e)
        e = json_u64(j, "netuid", &netuid);
    if (!e && !json_is_array(arr))
        e = tplr_fail(TPLR_EFORMAT, "the metagraph has no 'neurons' array");
    if (!e && !(m->neurons = calloc(json_array_size(arr) + 1, sizeof *m->neurons)))
        e = tplr_fail(TPLR_ENOMEM, "metagraph: out of memory");
    for (size_t i = 0; !e && i < json_array_size(arr); i++, m->n++)
        e = read_neuron(json_array_get(arr, i), &m->neurons[i]);
    m->netuid = (uint16_t)netuid;
    json_decref(j);
    if (e)
        tplr_metagraph_free(m);
    return e;
}

void tplr_metagraph_free(tplr_metagraph *m)
{
    free(m->neurons);
    m->neurons = NULL;
    m->n = 0;
}

tplr_err tplr_chain_balance(tplr_chain *c, const unsigned char key[32], int64_t *balance, int64_t *staked)
{
    char path[128], a[TPLR_ADDRESS_MAX];
    tplr_address_encode(key, a);
    snprintf(path, sizeof path, "/v1/balance/%s", a);
    json_t *j;
    TPLR_TRY(client_get_json(c, path, &j));
    int64_t s = 0;
    tplr_err e = json_i64(j, "balance", balance);
    if (!e)
        e = json_i64(j, "staked", &s);
    if (!e && staked)
        *staked = s;
    json_decref(j);
    return e;
}

static tplr_err read_commitment(json_t *o, tplr_commitment *cm)
{
    json_t *data = json_object_get(o, "data");
    if (!json_is_string(data) || json_string_length(data) > TPLR_COMMIT_MAX)
        return tplr_fail(TPLR_EFORMAT, "a commitment in the ledger's answer has no valid 'data'");
    memcpy(cm->data, json_string_value(data), json_string_length(data) + 1);
    TPLR_TRY(json_key(o, "hotkey", cm->hotkey));
    uint64_t uid;
    cm->uid = json_u64(o, "uid", &uid) ? -1 : (int)uid;
    tplr_err_clear();
    return json_u64(o, "block", &cm->block);
}

tplr_err tplr_chain_commitment(tplr_chain *c, const unsigned char hotkey[32], tplr_commitment *out)
{
    char path[128], a[TPLR_ADDRESS_MAX];
    tplr_address_encode(hotkey, a);
    snprintf(path, sizeof path, "/v1/commitments/%s", a);
    json_t *j;
    TPLR_TRY(client_get_json(c, path, &j));
    tplr_err e = read_commitment(j, out);
    json_decref(j);
    return e;
}

tplr_err tplr_chain_commitments(tplr_chain *c, tplr_commitment **out, int *n)
{
    *out = NULL;
    *n = 0;
    json_t *j;
    TPLR_TRY(client_get_json(c, "/v1/commitments", &j));
    json_t *arr = json_object_get(j, "commitments");
    tplr_err e = json_is_array(arr) ? TPLR_OK : tplr_fail(TPLR_EFORMAT, "no 'commitments' array in the answer");
    if (!e && !(*out = calloc(json_array_size(arr) + 1, sizeof **out)))
        e = tplr_fail(TPLR_ENOMEM, "commitments: out of memory");
    for (size_t i = 0; !e && i < json_array_size(arr); i++, (*n)++)
        e = read_commitment(json_array_get(arr, i), &(*out)[i]);
    json_decref(j);
    if (e) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return e;
}

tplr_err tplr_chain_weights(tplr_chain *c, int uid, uint16_t *uids, uint16_t *weights, int *n, uint64_t *block)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/weights/%d", uid);
    json_t *j;
    TPLR_TRY(client_get_json(c, path, &j));
    json_t *u = json_object_get(j, "uids"), *w = json_object_get(j, "weights");
    tplr_err e = json_u64(j, "block", block);
    size_t len = json_array_size(u);
    if (!e && (!json_is_array(u) || !json_is_array(w) || json_array_size(w) != len || len > TPLR_WEIGHTS_MAX))
        e = tplr_fail(TPLR_EFORMAT, "the weights in the ledger's answer are malformed");
    for (size_t i = 0; !e && i < len; i++) {
        uids[i] = (uint16_t)json_integer_value(json_array_get(u, i));
        weights[i] = (uint16_t)json_integer_value(json_array_get(w, i));
    }
    *n = e ? 0 : (int)len;
    json_decref(j);
    return e;
}

tplr_err tplr_chain_transfer_get(tplr_chain *c, uint64_t block, uint32_t index, tplr_transfer *t)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/transfers/%llu/%u", (unsigned long long)block, index);
    json_t *j;
    TPLR_TRY(client_get_json(c, path, &j));
    t->block = block;
    t->index = index;
    tplr_err e = json_key(j, "from", t->from);
    if (!e)
        e = json_key(j, "to", t->to);
    if (!e)
        e = json_i64(j, "amount", &t->amount);
    json_decref(j);
    return e;
}

/* ---- transactions ---- */

tplr_err tplr_chain_prepare(tplr_chain *c, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hotkey_sk)
{
    TPLR_TRY(tplr_chain_block(c, &tx->block, NULL));
    tx->netuid = c->netuid;
    randombytes_buf(&tx->nonce, sizeof tx->nonce);
    tx->nonce &= (uint64_t)INT64_MAX;
    memcpy(tx->signer, signer->pk, 32);
    return tplr_tx_sign(tx, c->chain_id, signer->sk, hotkey_sk);
}

tplr_err tplr_chain_submit(tplr_chain *c, const tplr_tx *tx, tplr_extrinsic_id *id, int *uid)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/tx/%s", tplr_tx_op_name(tx->op));
    char *body = tplr_tx_to_json(tx);
    if (!body)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    http_answer a;
    int attempts;
    tplr_err e = client_http(c, path, body, &a, &attempts);
    free(body);
    TPLR_TRY(e);
    json_t *j = json_loadb(a.body, a.len, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "code"));
    int replay_of_itself = a.status == 409 && attempts > 1 && code && !strcmp(code, "replay");
    if (a.status != 200 && !replay_of_itself)
        e = client_refusal(c, &a, tplr_tx_op_name(tx->op));
    else {
        uint64_t block = 0, index = 0, u = 0;
        e = json_u64(j, "block", &block);
        if (!e)
            e = json_u64(j, "index", &index);
        if (!e && id)
            *id = (tplr_extrinsic_id){block, (uint32_t)index};
        if (!e && uid)
            *uid = json_u64(j, "uid", &u) ? -1 : (int)u;
        tplr_err_clear();
    }
    json_decref(j);
    http_answer_free(&a);
    return e;
}

static tplr_err send_tx(tplr_chain *c, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hotkey_sk,
                        tplr_extrinsic_id *id, int *uid)
{
    TPLR_TRY(tplr_chain_prepare(c, tx, signer, hotkey_sk));
    return tplr_chain_submit(c, tx, id, uid);
}

/* A zeroed transaction on the heap (it holds 4 KiB of weights). */
static tplr_tx *new_tx(tplr_tx_op op)
{
    tplr_tx *tx = calloc(1, sizeof *tx);
    if (tx)
        tx->op = op;
    else
        tplr_fail(TPLR_ENOMEM, "out of memory");
    return tx;
}

tplr_err tplr_chain_register(tplr_chain *c, const tplr_keypair *coldkey, const tplr_keypair *hotkey,
                             tplr_extrinsic_id *id, int *uid)
{
    tplr_tx *tx = new_tx(TPLR_TX_REGISTER);
    if (!tx)
        return TPLR_ENOMEM;
    memcpy(tx->key, hotkey->pk, 32);
    tplr_err e = send_tx(c, tx, coldkey, hotkey->sk, id, uid);
    free(tx);
    return e;
}

static tplr_err amount_tx(tplr_chain *c, tplr_tx_op op, const tplr_keypair *signer, const unsigned char key[32],
                          uint64_t amount, tplr_extrinsic_id *id)
{
    if (amount < 1 || amount > TPLR_AMOUNT_MAX)
        return tplr_fail(TPLR_EINVAL, "an amount is a whole number of base units from 1 to 2^63-1");
    tplr_tx *tx = new_tx(op);
    if (!tx)
        return TPLR_ENOMEM;
    memcpy(tx->key, key, 32);
    tx->amount = amount;
    tplr_err e = send_tx(c, tx, signer, NULL, id, NULL);
    free(tx);
    return e;
}

tplr_err tplr_chain_stake(tplr_chain *c, const tplr_keypair *coldkey, const unsigned char hotkey[32],
                          uint64_t amount, tplr_extrinsic_id *id)
{
    return amount_tx(c, TPLR_TX_STAKE, coldkey, hotkey, amount, id);
}

tplr_err tplr_chain_unstake(tplr_chain *c, const tplr_keypair *coldkey, const unsigned char hotkey[32],
                            uint64_t amount, tplr_extrinsic_id *id)
{
    return amount_tx(c, TPLR_TX_UNSTAKE, coldkey, hotkey, amount, id);
}

tplr_err tplr_chain_transfer(tplr_chain *c, const tplr_keypair *coldkey, const unsigned char to[32],
                             uint64_t amount, tplr_extrinsic_id *id)
{
    return amount_tx(c, TPLR_TX_TRANSFER, coldkey, to, amount, id);
}

tplr_err tplr_chain_commit(tplr_chain *c, const tplr_keypair *hotkey, const char *data, tplr_extrinsic_id *id)
{
    size_t n = strlen(data);
    if (n > TPLR_COMMIT_MAX)
        return tplr_fail(TPLR_EINVAL, "a commitment holds at most %d bytes, not %zu", TPLR_COMMIT_MAX, n);
    tplr_tx *tx = new_tx(TPLR_TX_COMMIT);
    if (!tx)
        return TPLR_ENOMEM;
    memcpy(tx->data, data, n + 1);
    tx->data_len = n;
    tplr_err e = send_tx(c, tx, hotkey, NULL, id, NULL);
    free(tx);
    return e;
}

tplr_err tplr_chain_set_weights(tplr_chain *c, const tplr_keypair *hotkey, const uint16_t *uids,
                                const double *weights, int n, tplr_extrinsic_id *id)
{
    tplr_tx *tx = new_tx(TPLR_TX_SET_WEIGHTS);
    if (!tx)
        return TPLR_ENOMEM;
    tplr_err e = tplr_tx_set_weights_u16(tx, uids, weights, n);
    if (!e)
        e = send_tx(c, tx, hotkey, NULL, id, NULL);
    free(tx);
    return e;
}
