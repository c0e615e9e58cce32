/* The effects of each transaction, run inside the write transaction. Each
 * returns 0, or the HTTP status of a refusal (the caller rolls back). */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "tplr/address.h"
#include "tplr/yuma.h"

/* ---- small accessors ---- */

static tplr_err balance_get(dbconn *c, const unsigned char key[32], int64_t *v)
{
    sqlite3_stmt *s = db_stmt(c, ST_ACCOUNT_GET);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TPLR_OK : db_fail(c, "reading a balance");
}

static tplr_err balance_set(dbconn *c, const unsigned char key[32], int64_t v)
{
    sqlite3_stmt *s = db_stmt(c, ST_ACCOUNT_PUT);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, v);
    return db_done(c, s, "writing a balance");
}

static tplr_err stake_get(dbconn *c, const unsigned char hotkey[32], const unsigned char coldkey[32], int64_t *v)
{
    sqlite3_stmt *s = db_stmt(c, ST_STAKE_GET);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_blob(s, 1, hotkey, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, coldkey, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TPLR_OK : db_fail(c, "reading a stake");
}

static tplr_err stake_set(dbconn *c, const unsigned char hotkey[32], const unsigned char coldkey[32], int64_t v)
{
    sqlite3_stmt *s = db_stmt(c, v ? ST_STAKE_PUT : ST_STAKE_DEL);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_blob(s, 1, hotkey, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, coldkey, 32, SQLITE_STATIC);
    if (v)
        sqlite3_bind_int64(s, 3, v);
    return db_done(c, s, "writing a stake");
}

tplr_err ops_hotkey_stake(dbconn *c, const unsigned char hotkey[32], int64_t *stake)
{
    sqlite3_stmt *s = db_stmt(c, ST_STAKE_SUM_HOTKEY);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_blob(s, 1, hotkey, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *stake = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? TPLR_OK : db_fail(c, "summing stake");
}

/* The hotkey's owner; *found 0 when the hotkey was never registered. */
static tplr_err hotkey_owner(dbconn *c, const unsigned char hotkey[32], unsigned char owner[32], int *found)
{
    sqlite3_stmt *s = db_stmt(c, ST_HOTKEY_OWNER);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_blob(s, 1, hotkey, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32;
    if (*found)
        memcpy(owner, sqlite3_column_blob(s, 0), 32);
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TPLR_OK : db_fail(c, "reading a hotkey's owner");
}

typedef struct neuron_ref {
    int uid; /* -1: not registered */
    uint64_t last_update;
    int permit;
} neuron_ref;

static tplr_err neuron_of(dbconn *c, const unsigned char hotkey[32], neuron_ref *n)
{
    sqlite3_stmt *s = db_stmt(c, ST_NEURON_BY_HOTKEY);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_blob(s, 1, hotkey, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    n->uid = -1;
    if (rc == SQLITE_ROW) {
        n->uid = sqlite3_column_int(s, 0);
        n->last_update = (uint64_t)sqlite3_column_int64(s, 1);
        n->permit = sqlite3_column_int(s, 2);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TPLR_OK : db_fail(c, "reading a neuron");
}

static tplr_err single_int(dbconn *c, stmt_id id, int64_t arg1, int64_t arg2, int64_t *v, int *found)
{
    sqlite3_stmt *s = db_stmt(c, id);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_int64(s, 1, arg1);
    sqlite3_bind_int64(s, 2, arg2);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL;
    *v = *found ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TPLR_OK : db_fail(c, "querying the ledger");
}

tplr_err ops_refresh_permits(tplr_ledger *l)
{
    dbconn *c = &l->writer;
    int n = 0, cap = 64;
    uint64_t *stake = malloc(sizeof *stake * (size_t)cap);
    int *old = malloc(sizeof *old * (size_t)cap), *permit = NULL;
    sqlite3_stmt *s = db_stmt(c, ST_NEURON_STAKES);
    tplr_err e = s && stake && old ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "permits: out of memory");
    int rc;
    while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) { /* uids are dense, so the row count is n */
            cap *= 2;
            void *a = realloc(stake, sizeof *stake * (size_t)cap), *b = realloc(old, sizeof *old * (size_t)cap);
            stake = a ? a : stake;
            old = b ? b : old;
            if (!a || !b)
                e = tplr_fail(TPLR_ENOMEM, "permits: out of memory");
            if (e)
                break;
        }
        stake[n] = (uint64_t)sqlite3_column_int64(s, 1);
        old[n++] = sqlite3_column_int(s, 2);
    }
    if (s)
        sqlite3_reset(s);
    if (!e && !(permit = malloc(sizeof *permit * (size_t)(n + 1))))
        e = tplr_fail(TPLR_ENOMEM, "permits: out of memory");
    if (!e)
        tplr_yuma_permits(n, stake, (int)l->params.max_validators, l->params.min_validator_stake, permit);
    for (int i = 0; !e && i < n; i++) {
        if (permit[i] == old[i])
            continue;
        sqlite3_stmt *u = db_stmt(c, ST_PERMIT_SET);
        if (!u)
            e = TPLR_EIO;
        else {
            sqlite3_bind_int(u, 1, i);
            sqlite3_bind_int(u, 2, permit[i]);
            e = db_done(c, u, "updating a permit");
        }
    }
    free(stake), free(old), free(permit);
    return e;
}

/* ---- the operations ---- */

static int debit(dbconn *c, const unsigned char key[32], uint64_t amount, const char *what, outcome *o)
{
    int64_t bal;
    if (balance_get(c, key, &bal))
        return internal(o);
    if ((uint64_t)bal < amount)
        return REFUSE(o, 409, "insufficient_balance", "%s needs %llu base units; the balance is %lld", what,
                      (unsigned long long)amount, (long long)bal);
    return balance_set(c, key, bal - (int64_t)amount) ? internal(o) : 0;
}

static int credit(dbconn *c, const unsigned char key[32], uint64_t amount, outcome *o)
{
    int64_t bal;
    if (balance_get(c, key, &bal))
        return internal(o);
    if (amount > (uint64_t)(INT64_MAX - bal))
        return REFUSE(o, 409, "overflow", "the recipient's balance would pass 2^63-1 base units");
    return balance_set(c, key, bal + (int64_t)amount) ? internal(o) : 0;
}

/* The uid a new hotkey gets: the next free one, or the lowest-ranked uid past its immunity. */
static int pick_uid(tplr_ledger *l, uint64_t block, int *uid, int *replaces, outcome *o)
{
    dbconn *c = &l->writer;
    int64_t n, v;
    int found;
    if (single_int(c, ST_NEURON_COUNT, 0, 0, &n, &found))
        return internal(o);
    *replaces = n >= l->params.max_uids;
    if (!*replaces) {
        *uid = (int)n;
        return 0;
    }
    if (single_int(c, ST_PRUNE_CANDIDATE, (int64_t)block, l->params.immunity_period, &v, &found))
        return internal(o);
    if (found) {
        *uid = (int)v;
        return 0;
    }
    if (single_int(c, ST_IMMUNE_UNTIL, l->params.immunity_period, 0, &v, &found))
        return internal(o);
    return REFUSE(o, 409, "subnet_full", "all %u uids are taken and still immune; the first can be replaced at "
                  "block %lld", l->params.max_uids, (long long)v);
}

static int op_register(tplr_ledger *l, const tplr_tx *tx, uint64_t block, outcome *o)
{
    dbconn *c = &l->writer;
    unsigned char owner[32];
    int owned, uid = 0, replaces = 0;
    neuron_ref nr;
    if (hotkey_owner(c, tx->key, owner, &owned) || neuron_of(c, tx->key, &nr))
        return internal(o);
    if (owned && memcmp(owner, tx->signer, 32)) {
        char a[TPLR_ADDRESS_MAX];
        tplr_address_encode(owner, a);
        return REFUSE(o, 403, "not_owner", "this hotkey belongs to coldkey %s", a);
    }
    if (nr.uid >= 0)
        return REFUSE(o, 409, "already_registered", "this hotkey is already registered as uid %d", nr.uid);
    if (pick_uid(l, block, &uid, &replaces, o) || debit(c, tx->signer, l->params.registration_cost,
                                                        "registration", o))
        return o->status;
    int64_t issuance, burned;
    if (meta_get_int(c, "issuance", &issuance) || meta_get_int(c, "burned", &burned) ||
        meta_put_int(c, "issuance", issuance - (int64_t)l->params.registration_cost) ||
        meta_put_int(c, "burned", burned + (int64_t)l->params.registration_cost))
        return internal(o);
    sqlite3_stmt *s = db_stmt(c, ST_HOTKEY_ADD);
    if (!s)
        return internal(o);
    sqlite3_bind_blob(s, 1, tx->key, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, tx->signer, 32, SQLITE_STATIC);
    if (db_done(c, s, "adding a hotkey"))
        return internal(o);
    if (replaces) { /* the old occupant's weights and bonds go with it */
        stmt_id clear[2] = {ST_WEIGHTS_DEL_UID, ST_BONDS_DEL_UID};
        for (int k = 0; k < 2; k++) {
            sqlite3_stmt *d = db_stmt(c, clear[k]);
            if (!d)
                return internal(o);
            sqlite3_bind_int(d, 1, uid);
            if (db_done(c, d, "clearing a replaced uid"))
                return internal(o);
        }
    }
    if (!(s = db_stmt(c, ST_NEURON_PUT)))
        return internal(o);
    sqlite3_bind_int(s, 1, uid);
    sqlite3_bind_blob(s, 2, tx->key, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)block);
    if (db_done(c, s, "registering a neuron") || ops_refresh_permits(l))
        return internal(o);
    o->uid = uid;
    return 0;
}

static int op_stake(tplr_ledger *l, const tplr_tx *tx, int unstake, outcome *o)
{
    dbconn *c = &l->writer;
    unsigned char owner[32];
    int owned;
    int64_t staked;
    if (hotkey_owner(c, tx->key, owner, &owned) || stake_get(c, tx->key, tx->signer, &staked))
        return internal(o);
    if (!owned)
        return REFUSE(o, 404, "unknown_hotkey", "this hotkey was never registered; register it first");
    if (unstake) {
        if ((uint64_t)staked < tx->amount)
            return REFUSE(o, 409, "insufficient_stake", "unstaking %llu base units, but this coldkey has %lld "
                          "staked on this hotkey", (unsigned long long)tx->amount, (long long)staked);
        if (credit(c, tx->signer, tx->amount, o) || stake_set(c, tx->key, tx->signer, staked - (int64_t)tx->amount))
            return o->status != 200 ? o->status : internal(o);
    } else {
        if (tx->amount > (uint64_t)(INT64_MAX - staked))
            return REFUSE(o, 409, "overflow", "the stake would pass 2^63-1 base units");
        if (debit(c, tx->signer, tx->amount, "staking", o) ||
            stake_set(c, tx->key, tx->signer, staked + (int64_t)tx->amount))
            return o->status != 200 ? o->status : internal(o);
    }
    return ops_refresh_permits(l) ? internal(o) : 0;
}

static int op_commit(tplr_ledger *l, const tplr_tx *tx, uint64_t block, outcome *o)
{
    dbconn *c = &l->writer;
    neuron_ref nr;
    if (neuron_of(c, tx->signer, &nr))
        return internal(o);
    if (nr.uid < 0)
        return REFUSE(o, 403, "not_registered", "only a registered hotkey can commit; register it first");
    sqlite3_stmt *s = db_stmt(c, ST_COMMIT_PUT);
    if (!s)
        return internal(o);
    sqlite3_bind_blob(s, 1, tx->signer, 32, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, tx->data, (int)tx->data_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)block);
    return db_done(c, s, "writing a commitment") ? internal(o) : 0;
}

static int op_set_weights(tplr_ledger *l, const tplr_tx *tx, uint64_t block, outcome *o)
{
    dbconn *c = &l->writer;
    neuron_ref nr;
    int64_t n;
    int found;
    if (neuron_of(c, tx->signer, &nr) || single_int(c, ST_NEURON_COUNT, 0, 0, &n, &found))
        return internal(o);
    if (nr.uid < 0)
        return REFUSE(o, 403, "not_registered", "only a registered hotkey can set weights");
    if (!nr.permit)
        return REFUSE(o, 403, "not_validator", "uid %d has no validator permit (the %u uids with the most stake, "
                      "at least %llu, have one)", nr.uid, l->params.max_validators,
                      (unsigned long long)l->params.min_validator_stake);
    if (block < nr.last_update + l->params.weights_rate_limit)
        return REFUSE(o, 429, "rate_limited", "uid %d set weights (or registered) at block %llu; the next "
                      "set_weights is allowed at block %llu", nr.uid, (unsigned long long)nr.last_update,
                      (unsigned long long)(nr.last_update + l->params.weights_rate_limit));
    if (tx->n_weights > n)
        return REFUSE(o, 400, "bad_weights", "wrong length: %d weights for a subnet of %lld uids", tx->n_weights,
                      (long long)n);
    for (int i = 0; i < tx->n_weights; i++)
        if (tx->uids[i] >= n)
            return REFUSE(o, 400, "bad_weights", "uid %u is not registered (the subnet has uids 0 to %lld)",
                          tx->uids[i], (long long)n - 1);
    unsigned char *pairs = malloc(4 * TPLR_WEIGHTS_MAX);
    if (!pairs)
        return tplr_fail(TPLR_ENOMEM, "out of memory"), internal(o);
    for (int i = 0; i < tx->n_weights; i++) {
        pairs[4 * i] = (unsigned char)tx->uids[i];
        pairs[4 * i + 1] = (unsigned char)(tx->uids[i] >> 8);
        pairs[4 * i + 2] = (unsigned char)tx->weights[i];
        pairs[4 * i + 3] = (unsigned char)(tx->weights[i] >> 8);
    }
    sqlite3_stmt *s = db_stmt(c, ST_WEIGHTS_PUT);
    tplr_err e = s ? TPLR_OK : TPLR_EIO;
    if (s) {
        sqlite3_bind_int(s, 1, nr.uid);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)block);
        sqlite3_bind_blob(s, 3, pairs, 4 * tx->n_weights, SQLITE_STATIC);
        e = db_done(c, s, "writing weights");
    }
    free(pairs);
    if (e || !(s = db_stmt(c, ST_NEURON_TOUCH)))
        return internal(o);
    sqlite3_bind_int(s, 1, nr.uid);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)block);
    return db_done(c, s, "updating last_update") ? internal(o) : 0;
}

static int op_transfer(tplr_ledger *l, const tplr_tx *tx, uint64_t block, uint32_t index, outcome *o)
{
    dbconn *c = &l->writer;
    if (debit(c, tx->signer, tx->amount, "this transfer", o) || credit(c, tx->key, tx->amount, o))
        return o->status;
    sqlite3_stmt *s = db_stmt(c, ST_TRANSFER_ADD);
    if (!s)
        return internal(o);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)block);
    sqlite3_bind_int64(s, 2, index);
    sqlite3_bind_blob(s, 3, tx->signer, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, tx->key, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)tx->amount);
    return db_done(c, s, "recording a transfer") ? internal(o) : 0;
}

int ops_apply(tplr_ledger *l, const tplr_tx *tx, uint64_t block, uint32_t index, outcome *o)
{
    switch (tx->op) {
    case TPLR_TX_REGISTER: return op_register(l, tx, block, o);
    case TPLR_TX_STAKE: return op_stake(l, tx, 0, o);
    case TPLR_TX_UNSTAKE: return op_stake(l, tx, 1, o);
    case TPLR_TX_COMMIT: return op_commit(l, tx, block, o);
    case TPLR_TX_SET_WEIGHTS: return op_set_weights(l, tx, block, o);
    case TPLR_TX_TRANSFER: return op_transfer(l, tx, block, index, o);
    }
    return REFUSE(o, 400, "bad_request", "unknown operation");
}
