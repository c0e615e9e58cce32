/* The ledger's insides, shared by its modules: SQLite connections with
 * cached statements, the ledger struct, and the outcome of an operation.
 * Private to src/chain. */
#ifndef TPLR_CHAIN_LEDGER_INTERNAL_H
#define TPLR_CHAIN_LEDGER_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "tplr/ledger.h"

#define LEDGER_SCHEMA_VERSION 1

/* Every SQL statement the ledger runs; texts in ledger_db.c. */
typedef enum stmt_id {
    ST_META_GET, ST_META_PUT,
    ST_BLOCK_ADD, ST_BLOCK_GET, ST_HEAD,
    ST_ACCOUNT_GET, ST_ACCOUNT_PUT,
    ST_HOTKEY_OWNER, ST_HOTKEY_ADD,
    ST_NEURON_BY_HOTKEY, ST_NEURON_COUNT, ST_PRUNE_CANDIDATE, ST_IMMUNE_UNTIL, ST_NEURON_PUT, ST_NEURON_TOUCH,
    ST_NEURON_STAKES, ST_PERMIT_SET, ST_NEURON_RESULT, ST_NEURONS_EPOCH,
    ST_WEIGHTS_DEL_UID, ST_WEIGHTS_PUT, ST_WEIGHTS_GET, ST_WEIGHTS_ALL,
    ST_BONDS_DEL_UID, ST_BONDS_ALL, ST_BONDS_CLEAR, ST_BOND_ADD,
    ST_STAKE_GET, ST_STAKE_PUT, ST_STAKE_DEL, ST_STAKE_SUM_HOTKEY, ST_STAKES_OF_COLDKEY,
    ST_COMMIT_PUT, ST_COMMIT_GET, ST_COMMITS_ALL,
    ST_EXT_FIND, ST_EXT_ADD, ST_EXT_GET,
    ST_TRANSFER_ADD, ST_TRANSFER_GET,
    ST_METAGRAPH, ST_SUM_BALANCES, ST_SUM_STAKES,
    ST_BEGIN, ST_BEGIN_WRITE, ST_COMMIT, ST_ROLLBACK,
    ST_COUNT
} stmt_id;

typedef struct dbconn {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    struct dbconn *next_free;
} dbconn;

struct tplr_ledger {
    tplr_subnet_params params;
    unsigned char chain_id[32];
    char db_path[4096];
    int sync_full;
    dbconn writer;               /* the one connection that writes, under write_lock */
    pthread_mutex_t write_lock;
    _Atomic uint64_t head;       /* the newest block */
    _Atomic uint64_t head_time_ms;
    _Atomic uint64_t head_seq;   /* odd while head and head_time_ms change (a seqlock for readers) */
    uint32_t next_index;         /* the next extrinsic's index in the head block; under write_lock */
    pthread_mutex_t pool_lock;   /* guards free_readers */
    dbconn *free_readers;        /* read-only connections not in use */
};

/* The head and its time, consistent with each other, without a lock. */
void ledger_head_read(tplr_ledger *l, uint64_t *block, uint64_t *time_ms);
void ledger_head_set(tplr_ledger *l, uint64_t block, uint64_t time_ms);

/* ---- ledger_db.c ---- */
tplr_err db_open(const char *path, int writer, int sync_full, dbconn *c);
void db_close(dbconn *c);
/* The statement, prepared on first use, reset and unbound. NULL on failure (message set). */
sqlite3_stmt *db_stmt(dbconn *c, stmt_id id);
tplr_err db_exec(dbconn *c, const char *sql);
/* A failure carrying SQLite's message for c. */
tplr_err db_fail(dbconn *c, const char *what);
/* Steps a statement that returns no row; TPLR_OK on SQLITE_DONE. */
tplr_err db_done(dbconn *c, sqlite3_stmt *s, const char *what);
tplr_err db_create_schema(dbconn *c);
/* Transactions through cached statements (no SQL parsing per request). */
tplr_err db_begin(dbconn *c, int write);
tplr_err db_commit(dbconn *c);
void db_rollback(dbconn *c);
/* A read-only connection from the pool (opened when none is free). */
tplr_err reader_get(tplr_ledger *l, dbconn **c);
void reader_put(tplr_ledger *l, dbconn *c);
void readers_close(tplr_ledger *l);

/* 64-bit meta counters ("issuance", "burned", "emitted", "last_epoch"). */
tplr_err meta_get_int(dbconn *c, const char *key, int64_t *v);
tplr_err meta_put_int(dbconn *c, const char *key, int64_t v);

/* ---- the outcome of an operation ---- */
typedef struct outcome {
    int status;       /* 200, or the HTTP status of the refusal */
    const char *code; /* "ok" or the reason */
    int uid;          /* register: the uid given; -1 otherwise */
    int64_t ref_block, ref_index; /* replay: the extrinsic that used the nonce */
} outcome;

/* Records a refusal: the message (printf-style) goes to the error buffer;
 * evaluates to status. A macro, so that no message buffer sits on the small
 * stacks of the HTTP worker threads. */
#define REFUSE(o, status, code, ...) (tplr_fail(TPLR_EREFUSED, __VA_ARGS__), outcome_set((o), (status), (code)))
int outcome_set(outcome *o, int status, const char *code);
/* Records an internal failure (the database): status 500; the message is the current error. */
int internal(outcome *o);

/* ---- ledger_ops.c: the effects of each transaction, inside the write transaction ---- */
int ops_apply(tplr_ledger *l, const tplr_tx *tx, uint64_t block, uint32_t index, outcome *o);
/* Recomputes every uid's validator permit from current stake. */
tplr_err ops_refresh_permits(tplr_ledger *l);
/* Total stake on a hotkey. */
tplr_err ops_hotkey_stake(dbconn *c, const unsigned char hotkey[32], int64_t *stake);

/* ---- ledger_digest.c ---- */
/* The state digest read through c (inside the caller's read transaction). */
tplr_err ledger_digest_on(dbconn *c, unsigned char digest[32]);

/* ---- ledger_epoch.c ---- */
/* Pays emissions for the blocks since the last epoch, at block. */
tplr_err epoch_run(tplr_ledger *l, uint64_t block);

#endif
