/* The state digest: BLAKE2b-256 over every table but the block list, row by
 * row in primary-key order, each value typed and length-prefixed, so that two
 * ledgers with equal digests hold the same state. */
#include <string.h>

#include "ledger_internal.h"
#include "tplr/hash.h"

static const char *const tables[] = {
    "SELECT * FROM meta ORDER BY key",
    "SELECT * FROM accounts ORDER BY key",
    "SELECT * FROM hotkeys ORDER BY hotkey",
    "SELECT * FROM neurons ORDER BY uid",
    "SELECT * FROM stakes ORDER BY hotkey, coldkey",
    "SELECT * FROM commitments ORDER BY hotkey",
    "SELECT * FROM weights ORDER BY uid",
    "SELECT * FROM bonds ORDER BY i, j",
    "SELECT * FROM extrinsics ORDER BY block, idx",
    "SELECT * FROM transfers ORDER BY block, idx",
};

static void put_u64(tplr_blake2b_state *h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    tplr_blake2b_update(h, b, 8);
}

static void hash_value(tplr_blake2b_state *h, sqlite3_stmt *s, int col)
{
    unsigned char type = (unsigned char)sqlite3_column_type(s, col);
    tplr_blake2b_update(h, &type, 1);
    if (type == SQLITE_INTEGER)
        put_u64(h, (uint64_t)sqlite3_column_int64(s, col));
    else if (type == SQLITE_FLOAT) {
        double d = sqlite3_column_double(s, col);
        uint64_t bits;
        memcpy(&bits, &d, 8);
        put_u64(h, bits);
    } else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
        const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(s, col) : sqlite3_column_blob(s, col);
        int n = sqlite3_column_bytes(s, col);
        put_u64(h, (uint64_t)n);
        tplr_blake2b_update(h, p, (size_t)n);
    }
}

tplr_err ledger_digest_on(dbconn *c, unsigned char digest[32])
{
    tplr_blake2b_state h;
    tplr_blake2b_init(&h, 32);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(c->db, tables[t], -1, &s, NULL) != SQLITE_OK)
            return db_fail(c, "digesting the state");
        tplr_blake2b_update(&h, tables[t], strlen(tables[t]));
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int cols = sqlite3_column_count(s);
            put_u64(&h, (uint64_t)cols);
            for (int i = 0; i < cols; i++)
                hash_value(&h, s, i);
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            return db_fail(c, "digesting the state");
    }
    tplr_blake2b_final(&h, digest);
    return TPLR_OK;
}

tplr_err tplr_ledger_state_digest(tplr_ledger *l, unsigned char digest[32])
{
    dbconn *c;
    TPLR_TRY(reader_get(l, &c));
    tplr_err e = db_begin(c, 0);
    if (!e) {
        e = ledger_digest_on(c, digest);
        db_commit(c);
    }
    reader_put(l, c);
    return e;
}
