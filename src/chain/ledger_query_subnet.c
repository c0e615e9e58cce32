/* Reads of the subnet: metagraph, commitments, weights. */
#include <string.h>

#include "ledger_query.h"

static json_t *text_json(sqlite3_stmt *s, int col)
{
    return json_stringn((const char *)sqlite3_column_text(s, col), (size_t)sqlite3_column_bytes(s, col));
}

void get_metagraph(request *q)
{
    sqlite3_stmt *s = db_stmt(q->c, ST_METAGRAPH);
    if (!s)
        return reply_db_error(q);
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *o = json_object();
        json_object_set_new(o, "uid", json_integer(sqlite3_column_int(s, 0)));
        json_object_set_new(o, "hotkey", address_json(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)));
        json_object_set_new(o, "coldkey", address_json(sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2)));
        json_object_set_new(o, "stake", json_integer(sqlite3_column_int64(s, 3)));
        json_object_set_new(o, "validator_permit", json_boolean(sqlite3_column_int(s, 4)));
        static const char *const reals[] = {"consensus", "trust", "incentive", "dividends"};
        for (int k = 0; k < 4; k++)
            json_object_set_new(o, reals[k], json_real(sqlite3_column_double(s, 5 + k)));
        json_object_set_new(o, "emission", json_integer(sqlite3_column_int64(s, 9)));
        json_object_set_new(o, "registered_at", json_integer(sqlite3_column_int64(s, 10)));
        json_object_set_new(o, "last_update", json_integer(sqlite3_column_int64(s, 11)));
        json_array_append_new(arr, o);
    }
    sqlite3_reset(s);
    json_t *j = json_object();
    json_object_set_new(j, "netuid", json_integer(q->l->params.netuid));
    json_object_set_new(j, "block", json_integer((json_int_t)snapshot_head(q->c, NULL)));
    json_object_set_new(j, "n", json_integer((json_int_t)json_array_size(arr)));
    json_object_set_new(j, "neurons", arr);
    reply_json(q->r, 200, "ok", j);
}

void get_commitments(request *q)
{
    if (q->n_seg == 2) {
        unsigned char pk[32];
        if (seg_address(q, 1, pk))
            return;
        sqlite3_stmt *s = db_stmt(q->c, ST_COMMIT_GET);
        if (!s)
            return reply_db_error(q);
        sqlite3_bind_blob(s, 1, pk, 32, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_ROW) {
            sqlite3_reset(s);
            return reply_error(q->r, 404, "not_found", "this hotkey has no commitment");
        }
        json_t *o = json_object();
        json_object_set_new(o, "hotkey", address_json(pk, 32));
        json_object_set_new(o, "data", text_json(s, 0));
        json_object_set_new(o, "block", json_integer(sqlite3_column_int64(s, 1)));
        sqlite3_reset(s);
        return reply_json(q->r, 200, "ok", o);
    }
    sqlite3_stmt *s = db_stmt(q->c, ST_COMMITS_ALL);
    if (!s)
        return reply_db_error(q);
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *o = json_object();
        json_object_set_new(o, "uid", json_integer(sqlite3_column_int(s, 0)));
        json_object_set_new(o, "hotkey", address_json(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)));
        json_object_set_new(o, "data", text_json(s, 2));
        json_object_set_new(o, "block", json_integer(sqlite3_column_int64(s, 3)));
        json_array_append_new(arr, o);
    }
    sqlite3_reset(s);
    json_t *j = json_object();
    json_object_set_new(j, "block", json_integer((json_int_t)snapshot_head(q->c, NULL)));
    json_object_set_new(j, "commitments", arr);
    reply_json(q->r, 200, "ok", j);
}

static json_t *weights_row(int uid, sqlite3_int64 block, const unsigned char *p, int len)
{
    json_t *o = json_object(), *u = json_array(), *w = json_array();
    for (int k = 0; p && k + 4 <= len; k += 4) {
        json_array_append_new(u, json_integer(p[k] | p[k + 1] << 8));
        json_array_append_new(w, json_integer(p[k + 2] | p[k + 3] << 8));
    }
    json_object_set_new(o, "uid", json_integer(uid));
    json_object_set_new(o, "block", json_integer(block));
    json_object_set_new(o, "uids", u);
    json_object_set_new(o, "weights", w);
    return o;
}

void get_weights(request *q)
{
    uint64_t uid;
    if (q->n_seg == 2) {
        if (seg_uint(q, 1, 65535, &uid))
            return reply_error(q->r, 400, "bad_request", "use /v1/weights/UID");
        sqlite3_stmt *s = db_stmt(q->c, ST_WEIGHTS_GET);
        if (!s)
            return reply_db_error(q);
        sqlite3_bind_int64(s, 1, (sqlite3_int64)uid);
        if (sqlite3_step(s) != SQLITE_ROW) {
            sqlite3_reset(s);
            return reply_error(q->r, 404, "not_found", "uid %llu has set no weights", (unsigned long long)uid);
        }
        json_t *o = weights_row((int)uid, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1),
                                sqlite3_column_bytes(s, 1));
        sqlite3_reset(s);
        return reply_json(q->r, 200, "ok", o);
    }
    sqlite3_stmt *s = db_stmt(q->c, ST_WEIGHTS_ALL);
    if (!s)
        return reply_db_error(q);
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(arr, weights_row(sqlite3_column_int(s, 0), sqlite3_column_int64(s, 1),
                                               sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2)));
    sqlite3_reset(s);
    json_t *j = json_object();
    json_object_set_new(j, "block", json_integer((json_int_t)snapshot_head(q->c, NULL)));
    json_object_set_new(j, "weights", arr);
    reply_json(q->r, 200, "ok", j);
}

