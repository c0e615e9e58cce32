/* Opening a ledger (creating it from a genesis), and producing blocks. */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "tplr/timeutil.h"

static tplr_err has_schema(dbconn *c, int *yes)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(c->db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'meta'", -1, &s, NULL))
        return db_fail(c, "reading the schema");
    *yes = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
    sqlite3_finalize(s);
    return TPLR_OK;
}

static tplr_err put_meta_blob(dbconn *c, const char *key, const void *data, int n, int text)
{
    sqlite3_stmt *s = db_stmt(c, ST_META_PUT);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(s, 2, data, n, SQLITE_TRANSIENT);
    else
        sqlite3_bind_blob(s, 2, data, n, SQLITE_TRANSIENT);
    return db_done(c, s, "writing meta");
}

static tplr_err add_block(dbconn *c, uint64_t height, uint64_t time_ms)
{
    sqlite3_stmt *s = db_stmt(c, ST_BLOCK_ADD);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)height);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)time_ms);
    return db_done(c, s, "adding a block");
}

/* Schema, meta, genesis balances and block 0, in one transaction. */
static tplr_err create_from_genesis(tplr_ledger *l, const tplr_genesis *g)
{
    dbconn *c = &l->writer;
    char *json = tplr_genesis_to_json(g);
    if (!json)
        return tplr_fail(TPLR_ENOMEM, "genesis: out of memory");
    int64_t issuance = 0;
    tplr_err e = db_begin(c, 1);
    if (!e)
        e = db_create_schema(c);
    if (!e)
        e = meta_put_int(c, "schema", LEDGER_SCHEMA_VERSION);
    if (!e)
        e = put_meta_blob(c, "genesis", json, (int)strlen(json), 1);
    if (!e)
        e = put_meta_blob(c, "chain_id", l->chain_id, 32, 0);
    for (int i = 0; !e && i < g->n_balances; i++) {
        sqlite3_stmt *s = db_stmt(c, ST_ACCOUNT_PUT);
        if (!s) {
            e = TPLR_EIO;
            break;
        }
        sqlite3_bind_blob(s, 1, g->balances[i].key, 32, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)g->balances[i].amount);
        e = db_done(c, s, "writing a genesis balance");
        issuance += (int64_t)g->balances[i].amount;
    }
    if (!e)
        e = meta_put_int(c, "issuance", issuance);
    if (!e)
        e = meta_put_int(c, "burned", 0);
    if (!e)
        e = meta_put_int(c, "emitted", 0);
    if (!e)
        e = meta_put_int(c, "last_epoch", 0);
    if (!e)
        e = add_block(c, 0, (uint64_t)(tplr_wall_time() * 1000));
    if (!e)
        e = db_commit(c);
    if (e)
        db_rollback(c);
    free(json);
    return e;
}

/* Reads the stored genesis (the database's own parameters); a genesis given
 * on the command line must be the same one. */
static tplr_err load_stored(tplr_ledger *l, const tplr_genesis *given)
{
    dbconn *c = &l->writer;
    int64_t schema_version;
    TPLR_TRY(meta_get_int(c, "schema", &schema_version));
    if (schema_version != LEDGER_SCHEMA_VERSION)
        return tplr_fail(TPLR_EFORMAT, "%s: ledger schema version %lld; this tplr reads version %d", l->db_path,
                         (long long)schema_version, LEDGER_SCHEMA_VERSION);
    sqlite3_stmt *s = db_stmt(c, ST_META_GET);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_text(s, 1, "genesis", -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return tplr_fail(TPLR_EFORMAT, "%s: the stored genesis is missing", l->db_path);
    tplr_genesis g;
    tplr_err e = tplr_genesis_parse((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0),
                                    "stored genesis", &g);
    sqlite3_reset(s);
    TPLR_TRY(e);
    l->params = g.params;
    e = tplr_genesis_chain_id(&g, l->chain_id);
    tplr_genesis_free(&g);
    TPLR_TRY(e);
    if (given) {
        unsigned char other[32];
        TPLR_TRY(tplr_genesis_chain_id(given, other));
        if (memcmp(other, l->chain_id, 32))
            return tplr_fail(TPLR_EMISMATCH, "%s was created from another genesis than the one given: leave out "
                             "--genesis, or use a new --db", l->db_path);
    }
    return TPLR_OK;
}

static tplr_err restore_head(tplr_ledger *l)
{
    dbconn *c = &l->writer;
    sqlite3_stmt *s = db_stmt(c, ST_HEAD);
    if (!s || sqlite3_step(s) != SQLITE_ROW)
        return tplr_fail(TPLR_EFORMAT, "%s: the ledger has no blocks", l->db_path);
    uint64_t head = (uint64_t)sqlite3_column_int64(s, 0);
    ledger_head_set(l, head, (uint64_t)sqlite3_column_int64(s, 1));
    sqlite3_reset(s);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(idx) + 1, 0) FROM extrinsics WHERE block = ?1", -1, &q, NULL))
        return db_fail(c, "reading the head block");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)head);
    l->next_index = sqlite3_step(q) == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return TPLR_OK;
}

static tplr_err open_db(tplr_ledger *l, const tplr_ledger_opts *o)
{
    tplr_genesis given;
    int have_given = o->genesis_path != NULL;
    if (have_given)
        TPLR_TRY(tplr_genesis_load(o->genesis_path, &given));
    else
        tplr_genesis_default(&given);
    tplr_err e = db_open(l->db_path, 1, l->sync_full, &l->writer);
    int exists = 0;
    if (!e)
        e = has_schema(&l->writer, &exists);
    if (!e && exists)
        e = load_stored(l, have_given ? &given : NULL);
    else if (!e) {
        l->params = given.params;
        e = tplr_genesis_chain_id(&given, l->chain_id);
        if (!e)
            e = create_from_genesis(l, &given);
    }
    tplr_genesis_free(&given);
    if (!e)
        e = restore_head(l);
    return e;
}

tplr_err tplr_ledger_open(const tplr_ledger_opts *o, tplr_ledger **out)
{
    *out = NULL;
    tplr_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return tplr_fail(TPLR_ENOMEM, "ledger: out of memory");
    if (strlen(o->db_path) >= sizeof l->db_path) {
        free(l);
        return tplr_fail(TPLR_EINVAL, "database path too long");
    }
    strcpy(l->db_path, o->db_path);
    l->sync_full = o->sync_full;
    pthread_mutex_init(&l->write_lock, NULL);
    pthread_mutex_init(&l->pool_lock, NULL);
    tplr_err e = open_db(l, o);
    if (e) {
        tplr_ledger_close(l);
        return e;
    }
    *out = l;
    return TPLR_OK;
}

void tplr_ledger_close(tplr_ledger *l)
{
    if (!l)
        return;
    readers_close(l);
    db_close(&l->writer);
    pthread_mutex_destroy(&l->write_lock);
    pthread_mutex_destroy(&l->pool_lock);
    free(l);
}

uint64_t tplr_ledger_head(tplr_ledger *l) { return atomic_load(&l->head); }

void ledger_head_set(tplr_ledger *l, uint64_t block, uint64_t time_ms)
{
    atomic_fetch_add(&l->head_seq, 1);
    atomic_store(&l->head_time_ms, time_ms);
    atomic_store(&l->head, block);
    atomic_fetch_add(&l->head_seq, 1);
}

void ledger_head_read(tplr_ledger *l, uint64_t *block, uint64_t *time_ms)
{
    for (;;) {
        uint64_t seq = atomic_load(&l->head_seq);
        *block = atomic_load(&l->head);
        *time_ms = atomic_load(&l->head_time_ms);
        if (!(seq & 1) && atomic_load(&l->head_seq) == seq)
            return;
    }
}
const tplr_subnet_params *tplr_ledger_params(const tplr_ledger *l) { return &l->params; }
const unsigned char *tplr_ledger_chain_id(const tplr_ledger *l) { return l->chain_id; }

tplr_err tplr_ledger_produce_block(tplr_ledger *l, uint64_t time_ms)
{
    pthread_mutex_lock(&l->write_lock);
    dbconn *c = &l->writer;
    uint64_t height = atomic_load(&l->head) + 1;
    tplr_err e = db_begin(c, 1);
    if (!e)
        e = add_block(c, height, time_ms);
    if (!e && height % l->params.tempo == 0)
        e = epoch_run(l, height);
    if (!e)
        e = db_commit(c);
    if (e)
        db_rollback(c);
    else {
        ledger_head_set(l, height, time_ms);
        l->next_index = 0;
    }
    pthread_mutex_unlock(&l->write_lock);
    return e;
}
