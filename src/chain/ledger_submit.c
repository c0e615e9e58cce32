/* The path of every state-changing request: parse, check the signatures,
 * then under the write lock check the block bound and the nonce, apply the
 * operation and journal it in one SQLite transaction, or refuse it with the
 * state unchanged. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"

int outcome_set(outcome *o, int status, const char *code)
{
    o->status = status;
    o->code = code;
    return status;
}

int internal(outcome *o)
{
    o->status = 500;
    o->code = "internal";
    return 500;
}

static void reply_error(tplr_ledger_reply *r, const outcome *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "error", json_string(tplr_errmsg()));
    json_object_set_new(j, "code", json_string(o->code));
    if (o->ref_block >= 0) {
        json_object_set_new(j, "block", json_integer(o->ref_block));
        json_object_set_new(j, "index", json_integer(o->ref_index));
    }
    r->status = o->status;
    r->code = o->code;
    r->body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    r->body_len = r->body ? strlen(r->body) : 0;
    json_decref(j);
}

static void reply_ok(tplr_ledger_reply *r, tplr_tx_op op, uint64_t block, uint32_t index, int uid)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "{\"ok\":true,\"op\":\"%s\",\"block\":%llu,\"index\":%u", tplr_tx_op_name(op),
                     (unsigned long long)block, index);
    if (uid >= 0)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ",\"uid\":%d", uid);
    snprintf(buf + n, sizeof buf - (size_t)n, "}");
    r->status = 200;
    r->code = "ok";
    r->body = strdup(buf);
    r->body_len = r->body ? strlen(r->body) : 0;
}

/* Checks that need the journal and the head; 0 when the request may go on.
 * The nonce comes first, so that a retry of an applied transaction is always
 * told so (with its id), even once its block has gone stale. */
static int check_fresh(tplr_ledger *l, const tplr_tx *tx, uint64_t head, outcome *o)
{
    sqlite3_stmt *s = db_stmt(&l->writer, ST_EXT_FIND);
    if (!s)
        return internal(o);
    sqlite3_bind_blob(s, 1, tx->signer, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)tx->nonce);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        o->ref_block = sqlite3_column_int64(s, 0);
        o->ref_index = sqlite3_column_int64(s, 1);
        sqlite3_reset(s);
        return REFUSE(o, 409, "replay", "replay: nonce %llu of this signer was already used by extrinsic %lld-%lld",
                      (unsigned long long)tx->nonce, (long long)o->ref_block, (long long)o->ref_index);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        db_fail(&l->writer, "looking up a nonce");
        return internal(o);
    }
    if (tx->block > head)
        return REFUSE(o, 400, "future_block", "signed at block %llu, but the ledger is at block %llu: sign with "
                      "the current block", (unsigned long long)tx->block, (unsigned long long)head);
    if (head - tx->block > l->params.request_validity)
        return REFUSE(o, 400, "stale_block", "signed at block %llu, more than %u blocks before the current block "
                      "%llu: sign again", (unsigned long long)tx->block, l->params.request_validity,
                      (unsigned long long)head);
    return 0;
}

static tplr_err journal(tplr_ledger *l, const tplr_tx *tx, uint64_t block, uint32_t index)
{
    unsigned char *payload = malloc(TPLR_TX_ENCODED_MAX), sigs[2 * TPLR_KEY_SIGNATURE];
    if (!payload)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    size_t n = tplr_tx_encode(tx, l->chain_id, payload);
    memcpy(sigs, tx->signature, TPLR_KEY_SIGNATURE);
    memcpy(sigs + TPLR_KEY_SIGNATURE, tx->key_signature, TPLR_KEY_SIGNATURE);
    int n_sigs = tx->op == TPLR_TX_REGISTER ? 2 : 1;
    sqlite3_stmt *s = db_stmt(&l->writer, ST_EXT_ADD);
    if (!s) {
        free(payload);
        return TPLR_EIO;
    }
    sqlite3_bind_int64(s, 1, (sqlite3_int64)block);
    sqlite3_bind_int64(s, 2, index);
    sqlite3_bind_int(s, 3, tx->op);
    sqlite3_bind_blob(s, 4, tx->signer, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)tx->nonce);
    sqlite3_bind_blob(s, 6, payload, (int)n, SQLITE_STATIC);
    sqlite3_bind_blob(s, 7, sigs, n_sigs * TPLR_KEY_SIGNATURE, SQLITE_STATIC);
    tplr_err e = db_done(&l->writer, s, "journaling an extrinsic");
    free(payload);
    return e;
}

/* Under the write lock: checks, effects and journal in one transaction. */
static int apply_locked(tplr_ledger *l, const tplr_tx *tx, uint64_t *block, uint32_t *index, outcome *o)
{
    *block = atomic_load(&l->head);
    *index = l->next_index;
    if (check_fresh(l, tx, *block, o))
        return o->status;
    dbconn *c = &l->writer;
    if (db_begin(c, 1))
        return internal(o);
    if (ops_apply(l, tx, *block, *index, o) || journal(l, tx, *block, *index) || db_commit(c)) {
        if (o->status == 200)
            internal(o);
        db_rollback(c); /* keeps the error message */
        return o->status;
    }
    l->next_index++;
    return 0;
}

void tplr_ledger_submit(tplr_ledger *l, tplr_tx_op op, const char *body, size_t len, tplr_ledger_reply *r)
{
    memset(r, 0, sizeof *r);
    outcome o = {200, "ok", -1, -1, -1};
    tplr_tx *tx = malloc(sizeof *tx);
    if (!tx) {
        tplr_fail(TPLR_ENOMEM, "out of memory");
        internal(&o);
        reply_error(r, &o);
        return;
    }
    uint64_t block = 0;
    uint32_t index = 0;
    if (tplr_tx_from_json(op, body, len, tx))
        outcome_set(&o, 400, "bad_request"); /* the parser wrote the message */
    else if (tx->netuid != l->params.netuid)
        REFUSE(&o, 400, "wrong_netuid", "this ledger serves subnet %u, the request is for subnet %u",
               l->params.netuid, tx->netuid);
    else if (tplr_tx_verify(tx, l->chain_id))
        outcome_set(&o, 401, "bad_signature");
    else {
        pthread_mutex_lock(&l->write_lock);
        apply_locked(l, tx, &block, &index, &o);
        pthread_mutex_unlock(&l->write_lock);
    }
    if (o.status == 200)
        reply_ok(r, op, block, index, o.uid);
    else
        reply_error(r, &o);
    free(tx);
}

void tplr_ledger_reply_free(tplr_ledger_reply *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
