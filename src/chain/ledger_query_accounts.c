/* Reads of accounts: balances, transfers and extrinsics by id or by nonce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_query.h"
#include "tplr/address.h"

/* Steps statement st on (block, index); on a row, returns a JSON object that
 * holds the id, with the row in *out (reset it after reading); otherwise
 * replies (404 naming what, or the database error) and returns NULL. */
static json_t *row_by_id(request *q, stmt_id st, uint64_t block, uint64_t index, const char *what, sqlite3_stmt **out)
{
    sqlite3_stmt *s = db_stmt(q->c, st);
    if (!s) {
        reply_db_error(q);
        return NULL;
    }
    sqlite3_bind_int64(s, 1, (sqlite3_int64)block);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        reply_error(q->r, 404, "not_found", "no %s %llu-%llu", what, (unsigned long long)block,
                    (unsigned long long)index);
        return NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "block", json_integer((json_int_t)block));
    json_object_set_new(o, "index", json_integer((json_int_t)index));
    *out = s;
    return o;
}

void get_transfer(request *q)
{
    uint64_t block, index;
    if (q->n_seg != 3 || seg_uint(q, 1, INT64_MAX, &block) || seg_uint(q, 2, UINT32_MAX, &index))
        return reply_error(q->r, 400, "bad_request", "use /v1/transfers/BLOCK/INDEX");
    sqlite3_stmt *s;
    json_t *o = row_by_id(q, ST_TRANSFER_GET, block, index, "transfer", &s);
    if (!o)
        return;
    json_object_set_new(o, "from", address_json(sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0)));
    json_object_set_new(o, "to", address_json(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)));
    json_object_set_new(o, "amount", json_integer(sqlite3_column_int64(s, 2)));
    sqlite3_reset(s);
    reply_json(q->r, 200, "ok", o);
}

/* The value of key in a query string "a=1&b=2" (len bytes, not NUL-terminated). */
static const char *query_value(const char *query, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
        if ((size_t)(end - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            *len = (size_t)(end - p) - kl - 1;
            return p + kl + 1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

void get_extrinsic(request *q)
{
    uint64_t block, index;
    if (q->n_seg == 1) { /* ?signer=ADDRESS&nonce=N */
        size_t al = 0, nl = 0;
        const char *a = query_value(q->query, "signer", &al), *nv = query_value(q->query, "nonce", &nl);
        unsigned char pk[32];
        request sub = *q;
        sub.seg[0] = nv, sub.seg_len[0] = nl, sub.n_seg = 1;
        if (!a || !nv || tplr_address_decode(a, al, pk) || seg_uint(&sub, 0, INT64_MAX, &index))
            return reply_error(q->r, 400, "bad_request", "use /v1/extrinsics?signer=ADDRESS&nonce=N");
        sqlite3_stmt *s = db_stmt(q->c, ST_EXT_FIND);
        if (!s)
            return reply_db_error(q);
        sqlite3_bind_blob(s, 1, pk, 32, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
        int found = sqlite3_step(s) == SQLITE_ROW;
        block = found ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
        index = found ? (uint64_t)sqlite3_column_int64(s, 1) : 0;
        sqlite3_reset(s);
        if (!found)
            return reply_error(q->r, 404, "not_found", "this signer has no extrinsic with that nonce");
    } else if (q->n_seg != 3 || seg_uint(q, 1, INT64_MAX, &block) || seg_uint(q, 2, UINT32_MAX, &index))
        return reply_error(q->r, 400, "bad_request", "use /v1/extrinsics/BLOCK/INDEX");
    sqlite3_stmt *s;
    json_t *o = row_by_id(q, ST_EXT_GET, block, index, "extrinsic", &s);
    if (!o)
        return;
    json_object_set_new(o, "op", json_string(tplr_tx_op_name((tplr_tx_op)sqlite3_column_int(s, 0))));
    json_object_set_new(o, "signer", address_json(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)));
    json_object_set_new(o, "nonce", json_integer(sqlite3_column_int64(s, 2)));
    json_object_set_new(o, "payload", hex_json(sqlite3_column_blob(s, 3), sqlite3_column_bytes(s, 3)));
    json_object_set_new(o, "signatures", hex_json(sqlite3_column_blob(s, 4), sqlite3_column_bytes(s, 4)));
    sqlite3_reset(s);
    reply_json(q->r, 200, "ok", o);
}

/* Written by hand rather than through jansson: the hottest database read. */
void get_balance(request *q)
{
    unsigned char pk[32];
    if (q->n_seg != 2 || seg_address(q, 1, pk))
        return q->n_seg != 2 ? reply_error(q->r, 400, "bad_request", "use /v1/balance/ADDRESS") : (void)0;
    sqlite3_stmt *s = db_stmt(q->c, ST_ACCOUNT_GET);
    if (!s)
        return reply_db_error(q);
    sqlite3_bind_blob(s, 1, pk, 32, SQLITE_STATIC);
    long long balance = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0, staked = 0;
    sqlite3_reset(s);
    if (!(s = db_stmt(q->c, ST_STAKES_OF_COLDKEY)))
        return reply_db_error(q);
    sqlite3_bind_blob(s, 1, pk, 32, SQLITE_STATIC);
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f)
        return reply_error(q->r, 500, "internal", "out of memory");
    fprintf(f, "{\"address\":\"%.*s\",\"balance\":%lld,\"stakes\":[", (int)q->seg_len[1], q->seg[1], balance);
    for (int i = 0; sqlite3_step(s) == SQLITE_ROW; i++) {
        char hk[TPLR_ADDRESS_MAX];
        if (sqlite3_column_bytes(s, 0) != 32)
            continue;
        tplr_address_encode(sqlite3_column_blob(s, 0), hk);
        fprintf(f, "%s{\"hotkey\":\"%s\",\"amount\":%lld}", i ? "," : "", hk, sqlite3_column_int64(s, 1));
        staked += sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    fprintf(f, "],\"staked\":%lld}", staked);
    fclose(f);
    q->r->status = 200;
    q->r->code = "ok";
    q->r->body = body;
    q->r->body_len = len;
}

