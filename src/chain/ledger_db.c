/* The ledger's SQLite layer: the schema (docs/formats.md, "Ledger database"),
 * connections with WAL and the chosen synchronous level, cached statements,
 * and a pool of read-only connections for concurrent queries. */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"

static const char *const schema =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE blocks(height INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL);"
    "CREATE TABLE accounts(key BLOB PRIMARY KEY, balance INTEGER NOT NULL CHECK(balance >= 0)) WITHOUT ROWID;"
    "CREATE TABLE hotkeys(hotkey BLOB PRIMARY KEY, coldkey BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE neurons(uid INTEGER PRIMARY KEY, hotkey BLOB NOT NULL UNIQUE, registered_at INTEGER NOT NULL,"
    " last_update INTEGER NOT NULL, validator_permit INTEGER NOT NULL DEFAULT 0, consensus REAL NOT NULL DEFAULT 0,"
    " trust REAL NOT NULL DEFAULT 0, incentive REAL NOT NULL DEFAULT 0, dividends REAL NOT NULL DEFAULT 0,"
    " emission INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE stakes(hotkey BLOB NOT NULL, coldkey BLOB NOT NULL, amount INTEGER NOT NULL CHECK(amount > 0),"
    " PRIMARY KEY(hotkey, coldkey)) WITHOUT ROWID;"
    "CREATE INDEX stakes_by_coldkey ON stakes(coldkey);"
    "CREATE TABLE commitments(hotkey BLOB PRIMARY KEY, data TEXT NOT NULL, block INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE weights(uid INTEGER PRIMARY KEY, block INTEGER NOT NULL, pairs BLOB NOT NULL);"
    "CREATE TABLE bonds(i INTEGER NOT NULL, j INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY(i, j)) WITHOUT ROWID;"
    "CREATE TABLE extrinsics(block INTEGER NOT NULL, idx INTEGER NOT NULL, op INTEGER NOT NULL, signer BLOB NOT NULL,"
    " nonce INTEGER NOT NULL, payload BLOB NOT NULL, signature BLOB NOT NULL, PRIMARY KEY(block, idx)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX extrinsics_by_nonce ON extrinsics(signer, nonce);"
    "CREATE TABLE transfers(block INTEGER NOT NULL, idx INTEGER NOT NULL, src BLOB NOT NULL, dst BLOB NOT NULL,"
    " amount INTEGER NOT NULL, PRIMARY KEY(block, idx)) WITHOUT ROWID;";

#define STAKE_OF(hk) "(SELECT COALESCE(SUM(amount), 0) FROM stakes s WHERE s.hotkey = " hk ")"

static const char *const sql[ST_COUNT] = {
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    [ST_BLOCK_ADD] = "INSERT INTO blocks(height, time_ms) VALUES(?1, ?2)",
    [ST_BLOCK_GET] = "SELECT time_ms FROM blocks WHERE height = ?1",
    [ST_HEAD] = "SELECT height, time_ms FROM blocks ORDER BY height DESC LIMIT 1",
    [ST_ACCOUNT_GET] = "SELECT balance FROM accounts WHERE key = ?1",
    [ST_ACCOUNT_PUT] = "INSERT INTO accounts(key, balance) VALUES(?1, ?2) "
                       "ON CONFLICT(key) DO UPDATE SET balance = excluded.balance",
    [ST_HOTKEY_OWNER] = "SELECT coldkey FROM hotkeys WHERE hotkey = ?1",
    [ST_HOTKEY_ADD] = "INSERT OR IGNORE INTO hotkeys(hotkey, coldkey) VALUES(?1, ?2)",
    [ST_NEURON_BY_HOTKEY] = "SELECT uid, last_update, validator_permit FROM neurons WHERE hotkey = ?1",
    [ST_NEURON_COUNT] = "SELECT COUNT(*) FROM neurons",
    [ST_PRUNE_CANDIDATE] = "SELECT uid FROM neurons WHERE registered_at + ?2 <= ?1 "
                           "ORDER BY emission ASC, registered_at ASC, uid ASC LIMIT 1",
    [ST_IMMUNE_UNTIL] = "SELECT MIN(registered_at) + ?1 FROM neurons",
    [ST_NEURON_PUT] = "INSERT OR REPLACE INTO neurons(uid, hotkey, registered_at, last_update) VALUES(?1, ?2, ?3, ?3)",
    [ST_NEURON_TOUCH] = "UPDATE neurons SET last_update = ?2 WHERE uid = ?1",
    [ST_NEURON_STAKES] = "SELECT uid, " STAKE_OF("n.hotkey") ", validator_permit FROM neurons n ORDER BY uid",
    [ST_PERMIT_SET] = "UPDATE neurons SET validator_permit = ?2 WHERE uid = ?1",
    [ST_NEURON_RESULT] = "UPDATE neurons SET consensus = ?2, trust = ?3, incentive = ?4, dividends = ?5, "
                         "emission = ?6 WHERE uid = ?1",
    [ST_NEURONS_EPOCH] = "SELECT n.uid, n.hotkey, h.coldkey, " STAKE_OF("n.hotkey") ", n.validator_permit, "
                         "n.last_update, n.registered_at FROM neurons n JOIN hotkeys h ON h.hotkey = n.hotkey "
                         "ORDER BY n.uid",
    [ST_WEIGHTS_DEL_UID] = "DELETE FROM weights WHERE uid = ?1",
    [ST_WEIGHTS_PUT] = "INSERT OR REPLACE INTO weights(uid, block, pairs) VALUES(?1, ?2, ?3)",
    [ST_WEIGHTS_GET] = "SELECT block, pairs FROM weights WHERE uid = ?1",
    [ST_WEIGHTS_ALL] = "SELECT uid, block, pairs FROM weights ORDER BY uid",
    [ST_BONDS_DEL_UID] = "DELETE FROM bonds WHERE i = ?1 OR j = ?1",
    [ST_BONDS_ALL] = "SELECT i, j, value FROM bonds",
    [ST_BONDS_CLEAR] = "DELETE FROM bonds",
    [ST_BOND_ADD] = "INSERT INTO bonds(i, j, value) VALUES(?1, ?2, ?3)",
    [ST_STAKE_GET] = "SELECT amount FROM stakes WHERE hotkey = ?1 AND coldkey = ?2",
    [ST_STAKE_PUT] = "INSERT INTO stakes(hotkey, coldkey, amount) VALUES(?1, ?2, ?3) "
                     "ON CONFLICT(hotkey, coldkey) DO UPDATE SET amount = excluded.amount",
    [ST_STAKE_DEL] = "DELETE FROM stakes WHERE hotkey = ?1 AND coldkey = ?2",
    [ST_STAKE_SUM_HOTKEY] = "SELECT COALESCE(SUM(amount), 0) FROM stakes WHERE hotkey = ?1",
    [ST_STAKES_OF_COLDKEY] = "SELECT hotkey, amount FROM stakes WHERE coldkey = ?1 ORDER BY hotkey",
    [ST_COMMIT_PUT] = "INSERT OR REPLACE INTO commitments(hotkey, data, block) VALUES(?1, ?2, ?3)",
    [ST_COMMIT_GET] = "SELECT data, block FROM commitments WHERE hotkey = ?1",
    [ST_COMMITS_ALL] = "SELECT n.uid, c.hotkey, c.data, c.block FROM commitments c "
                       "JOIN neurons n ON n.hotkey = c.hotkey ORDER BY n.uid",
    [ST_EXT_FIND] = "SELECT block, idx FROM extrinsics WHERE signer = ?1 AND nonce = ?2",
    [ST_EXT_ADD] = "INSERT INTO extrinsics(block, idx, op, signer, nonce, payload, signature) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_EXT_GET] = "SELECT op, signer, nonce, payload, signature FROM extrinsics WHERE block = ?1 AND idx = ?2",
    [ST_TRANSFER_ADD] = "INSERT INTO transfers(block, idx, src, dst, amount) VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_TRANSFER_GET] = "SELECT src, dst, amount FROM transfers WHERE block = ?1 AND idx = ?2",
    [ST_METAGRAPH] = "SELECT n.uid, n.hotkey, h.coldkey, " STAKE_OF("n.hotkey") ", n.validator_permit, n.consensus, "
                     "n.trust, n.incentive, n.dividends, n.emission, n.registered_at, n.last_update "
                     "FROM neurons n JOIN hotkeys h ON h.hotkey = n.hotkey ORDER BY n.uid",
    [ST_SUM_BALANCES] = "SELECT COALESCE(SUM(balance), 0), COUNT(*) FROM accounts",
    [ST_SUM_STAKES] = "SELECT COALESCE(SUM(amount), 0) FROM stakes",
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

tplr_err db_fail(dbconn *c, const char *what)
{
    return tplr_fail(TPLR_EIO, "ledger database: %s: %s", what, c->db ? sqlite3_errmsg(c->db) : "not open");
}

tplr_err db_exec(dbconn *c, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, text, NULL, NULL, &msg) != SQLITE_OK) {
        tplr_err e = tplr_fail(TPLR_EIO, "ledger database: %s", msg ? msg : sqlite3_errmsg(c->db));
        sqlite3_free(msg);
        return e;
    }
    return TPLR_OK;
}

tplr_err db_open(const char *path, int writer, int sync_full, dbconn *c)
{
    memset(c, 0, sizeof *c);
    int flags = SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
    if (sqlite3_open_v2(path, &c->db, flags, "unix-excl") != SQLITE_OK) {
        tplr_err e = tplr_fail(TPLR_EIO, "cannot open the ledger database %s: %s", path,
                               c->db ? sqlite3_errmsg(c->db) : "out of memory");
        db_close(c);
        return e;
    }
    sqlite3_busy_timeout(c->db, 1000);
    tplr_err e = writer ? db_exec(c, "PRAGMA journal_mode=WAL") : TPLR_OK;
    if (e && sqlite3_errcode(c->db) == SQLITE_BUSY)
        e = tplr_fail(TPLR_EIO, "the database is in use by another process (another `tplr chain serve`?); the server "
                      "holds it exclusively while it runs");
    if (!e)
        e = db_exec(c, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    if (!e)
        e = db_exec(c, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384");
    if (e) {
        tplr_fail_ctx(e, "%s", path);
        db_close(c);
    }
    return e;
}

void db_close(dbconn *c)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    if (c->db)
        sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

sqlite3_stmt *db_stmt(dbconn *c, stmt_id id)
{
    sqlite3_stmt *s = c->st[id];
    if (!s) {
        if (sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL) != SQLITE_OK) {
            db_fail(c, "preparing a statement");
            return NULL;
        }
        return c->st[id];
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

tplr_err db_done(dbconn *c, sqlite3_stmt *s, const char *what)
{
    int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
    if (s)
        sqlite3_reset(s);
    return rc == SQLITE_DONE ? TPLR_OK : db_fail(c, what);
}

tplr_err db_create_schema(dbconn *c) { return db_exec(c, schema); }

tplr_err db_begin(dbconn *c, int write)
{
    return db_done(c, db_stmt(c, write ? ST_BEGIN_WRITE : ST_BEGIN), "beginning a transaction");
}

tplr_err db_commit(dbconn *c) { return db_done(c, db_stmt(c, ST_COMMIT), "committing"); }

void db_rollback(dbconn *c)
{
    sqlite3_stmt *s = c->st[ST_ROLLBACK];
    if (sqlite3_get_autocommit(c->db))
        return;
    if (!s && sqlite3_prepare_v3(c->db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &c->st[ST_ROLLBACK], NULL) == 0)
        s = c->st[ST_ROLLBACK];
    if (s) { /* errors here are not reported: the caller's message says what failed */
        sqlite3_step(s);
        sqlite3_reset(s);
    } else
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

tplr_err meta_get_int(dbconn *c, const char *key, int64_t *v)
{
    sqlite3_stmt *s = db_stmt(c, ST_META_GET);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return TPLR_OK;
    return rc == SQLITE_DONE ? tplr_fail(TPLR_EFORMAT, "ledger database: meta '%s' is missing", key)
                             : db_fail(c, "reading meta");
}

tplr_err meta_put_int(dbconn *c, const char *key, int64_t v)
{
    sqlite3_stmt *s = db_stmt(c, ST_META_PUT);
    if (!s)
        return TPLR_EIO;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, v);
    return db_done(c, s, "writing meta");
}

tplr_err reader_get(tplr_ledger *l, dbconn **out)
{
    pthread_mutex_lock(&l->pool_lock);
    dbconn *c = l->free_readers;
    if (c)
        l->free_readers = c->next_free;
    pthread_mutex_unlock(&l->pool_lock);
    if (!c) {
        c = malloc(sizeof *c);
        if (!c)
            return tplr_fail(TPLR_ENOMEM, "ledger: out of memory");
        tplr_err e = db_open(l->db_path, 0, l->sync_full, c);
        if (e) {
            free(c);
            return e;
        }
    }
    *out = c;
    return TPLR_OK;
}

void reader_put(tplr_ledger *l, dbconn *c)
{
    pthread_mutex_lock(&l->pool_lock);
    c->next_free = l->free_readers;
    l->free_readers = c;
    pthread_mutex_unlock(&l->pool_lock);
}

void readers_close(tplr_ledger *l)
{
    pthread_mutex_lock(&l->pool_lock);
    while (l->free_readers) {
        dbconn *c = l->free_readers;
        l->free_readers = c->next_free;
        db_close(c);
        free(c);
    }
    pthread_mutex_unlock(&l->pool_lock);
}
