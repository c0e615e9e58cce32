/* Reads: the router for every GET of the API, the shared answer helpers,
 * and the chain-wide endpoints (block, info, genesis, supply, state). Each is
 * answered from a pooled read-only connection inside one read transaction. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_query.h"
#include "tplr/address.h"
#include "tplr/hash.h"

void reply_json(tplr_ledger_reply *r, int status, const char *code, json_t *j)
{
    r->status = status;
    r->code = code;
    r->body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    r->body_len = r->body ? strlen(r->body) : 0;
    json_decref(j);
}

void reply_error(tplr_ledger_reply *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *j = json_object();
    json_object_set_new(j, "error", json_string(msg));
    json_object_set_new(j, "code", json_string(code));
    reply_json(r, status, code, j);
}

void reply_db_error(request *q)
{
    reply_error(q->r, 500, "internal", "%s", tplr_errmsg());
}

json_t *address_json(const void *pk, int len)
{
    char a[TPLR_ADDRESS_MAX];
    if (len != 32)
        return json_null();
    tplr_address_encode(pk, a);
    return json_string(a);
}

json_t *hex_json(const void *b, int len)
{
    char *hex = malloc(2 * (size_t)len + 1);
    if (!hex)
        return json_null();
    tplr_hex(hex, b, (size_t)len);
    json_t *j = json_string(hex);
    free(hex);
    return j;
}

/* A path segment as a non-negative integer (digits only, at most max). */
int seg_uint(const request *q, int i, uint64_t max, uint64_t *v)
{
    if (i >= q->n_seg || q->seg_len[i] == 0 || q->seg_len[i] > 19)
        return -1;
    uint64_t x = 0;
    for (size_t k = 0; k < q->seg_len[i]; k++) {
        char ch = q->seg[i][k];
        if (ch < '0' || ch > '9')
            return -1;
        x = x * 10 + (uint64_t)(ch - '0');
    }
    if (x > max)
        return -1;
    *v = x;
    return 0;
}

int seg_address(request *q, int i, unsigned char pk[32])
{
    if (i >= q->n_seg || tplr_address_decode(q->seg[i], q->seg_len[i], pk)) {
        reply_error(q->r, 400, "bad_address", "%s", i < q->n_seg ? tplr_errmsg() : "missing address");
        return -1;
    }
    return 0;
}

uint64_t snapshot_head(dbconn *c, uint64_t *time_ms)
{
    sqlite3_stmt *s = db_stmt(c, ST_HEAD);
    uint64_t h = 0;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        h = (uint64_t)sqlite3_column_int64(s, 0);
        if (time_ms)
            *time_ms = (uint64_t)sqlite3_column_int64(s, 1);
    }
    if (s)
        sqlite3_reset(s);
    return h;
}

/* ---- endpoints ---- */

static void get_block(request *q)
{
    tplr_ledger *l = q->l;
    char buf[96];
    uint64_t h, t;
    if (q->n_seg == 1) { /* the head, from memory: the hottest read */
        ledger_head_read(l, &h, &t);
    } else {
        if (seg_uint(q, 1, INT64_MAX, &h) || q->n_seg != 2)
            return reply_error(q->r, 400, "bad_request", "use /v1/blocks/HEIGHT");
        sqlite3_stmt *s = db_stmt(q->c, ST_BLOCK_GET);
        if (!s)
            return reply_db_error(q);
        sqlite3_bind_int64(s, 1, (sqlite3_int64)h);
        int found = sqlite3_step(s) == SQLITE_ROW;
        t = found ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
        sqlite3_reset(s);
        if (!found)
            return reply_error(q->r, 404, "not_found", "no block %llu yet", (unsigned long long)h);
    }
    int n = snprintf(buf, sizeof buf, "{\"block\":%llu,\"time_ms\":%llu}", (unsigned long long)h,
                     (unsigned long long)t);
    q->r->status = 200;
    q->r->code = "ok";
    q->r->body = strdup(buf);
    q->r->body_len = q->r->body ? (size_t)n : 0;
}

static void get_info(request *q)
{
    char hex[65];
    tplr_hex(hex, q->l->chain_id, 32);
    json_t *j = json_object();
    json_object_set_new(j, "netuid", json_integer(q->l->params.netuid));
    json_object_set_new(j, "chain_id", json_string(hex));
    json_object_set_new(j, "block", json_integer((json_int_t)atomic_load(&q->l->head)));
    sqlite3_stmt *s = db_stmt(q->c, ST_META_GET);
    if (!s)
        return json_decref(j), reply_db_error(q);
    sqlite3_bind_text(s, 1, "genesis", -1, SQLITE_STATIC);
    json_t *g = sqlite3_step(s) == SQLITE_ROW ? json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL) : NULL;
    sqlite3_reset(s);
    json_object_set_new(j, "network", json_incref(json_object_get(g, "network")));
    json_object_set_new(j, "params", json_incref(json_object_get(g, "params")));
    json_decref(g);
    reply_json(q->r, 200, "ok", j);
}

static void get_supply(request *q)
{
    int64_t issuance, burned, emitted, free_sum = 0, accounts = 0, staked = 0;
    if (meta_get_int(q->c, "issuance", &issuance) || meta_get_int(q->c, "burned", &burned) ||
        meta_get_int(q->c, "emitted", &emitted))
        return reply_db_error(q);
    sqlite3_stmt *s = db_stmt(q->c, ST_SUM_BALANCES);
    if (!s)
        return reply_db_error(q);
    if (sqlite3_step(s) == SQLITE_ROW)
        free_sum = sqlite3_column_int64(s, 0), accounts = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    if (!(s = db_stmt(q->c, ST_SUM_STAKES)))
        return reply_db_error(q);
    if (sqlite3_step(s) == SQLITE_ROW)
        staked = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    json_t *j = json_object();
    json_object_set_new(j, "block", json_integer((json_int_t)snapshot_head(q->c, NULL)));
    json_object_set_new(j, "issuance", json_integer(issuance));
    json_object_set_new(j, "free", json_integer(free_sum));
    json_object_set_new(j, "staked", json_integer(staked));
    json_object_set_new(j, "burned", json_integer(burned));
    json_object_set_new(j, "emitted", json_integer(emitted));
    json_object_set_new(j, "accounts", json_integer(accounts));
    reply_json(q->r, 200, "ok", j);
}

static void get_genesis(request *q)
{
    sqlite3_stmt *s = db_stmt(q->c, ST_META_GET);
    if (!s)
        return reply_db_error(q);
    sqlite3_bind_text(s, 1, "genesis", -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        q->r->status = 200;
        q->r->code = "ok";
        q->r->body = strdup((const char *)sqlite3_column_text(s, 0));
        q->r->body_len = q->r->body ? strlen(q->r->body) : 0;
    } else
        reply_error(q->r, 500, "internal", "the stored genesis is missing");
    sqlite3_reset(s);
}


static void get_state(request *q)
{
    unsigned char d[32];
    char hex[65];
    if (ledger_digest_on(q->c, d))
        return reply_db_error(q);
    tplr_hex(hex, d, 32);
    json_t *j = json_object();
    json_object_set_new(j, "block", json_integer((json_int_t)snapshot_head(q->c, NULL)));
    json_object_set_new(j, "digest", json_string(hex));
    reply_json(q->r, 200, "ok", j);
}

static const struct route {
    const char *name;
    void (*fn)(request *);
    int min_seg, max_seg, needs_db;
} routes[] = {
    /* name, answer, fewest and most path segments, needs the database */
    {"block", get_block, 1, 1, 0},         {"blocks", get_block, 2, 2, 1},
    {"info", get_info, 1, 1, 1},           {"genesis", get_genesis, 1, 1, 1},
    {"metagraph", get_metagraph, 1, 1, 1}, {"commitments", get_commitments, 1, 2, 1},
    {"weights", get_weights, 1, 2, 1},     {"transfers", get_transfer, 3, 3, 1},
    {"extrinsics", get_extrinsic, 1, 3, 1}, {"balance", get_balance, 2, 2, 1},
    {"supply", get_supply, 1, 1, 1},       {"state", get_state, 1, 1, 1},
};

void tplr_ledger_get(tplr_ledger *l, const char *path, const char *query, tplr_ledger_reply *r)
{
    memset(r, 0, sizeof *r);
    request q = {.l = l, .query = query, .r = r};
    if (strncmp(path, "/v1/", 4))
        return reply_error(r, 404, "not_found", "no such endpoint: %.200s (the API lives under /v1/)", path);
    for (const char *p = path + 4; *p && q.n_seg < SEGMENTS_MAX;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        q.seg[q.n_seg] = p, q.seg_len[q.n_seg++] = len;
        p = slash ? slash + 1 : p + len;
        if (slash && !*p)
            q.seg[q.n_seg] = p, q.seg_len[q.n_seg++] = 0; /* a trailing slash is an empty segment */
    }
    const struct route *rt = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && q.n_seg; i++)
        if (strlen(routes[i].name) == q.seg_len[0] && !strncmp(routes[i].name, q.seg[0], q.seg_len[0]) &&
            q.n_seg >= routes[i].min_seg && q.n_seg <= routes[i].max_seg)
            rt = &routes[i];
    if (!rt)
        return reply_error(r, 404, "not_found", "no such endpoint: %.200s (see docs/ledger.md, \"API\")", path);
    if (!rt->needs_db)
        return rt->fn(&q);
    if (reader_get(l, &q.c))
        return reply_error(r, 500, "internal", "%s", tplr_errmsg());
    if (db_begin(q.c, 0))
        reply_db_error(&q);
    else {
        rt->fn(&q);
        db_commit(q.c);
    }
    reader_put(l, q.c);
}
