/* Emissions at the end of each tempo: read the subnet, run the Yuma-style
 * epoch, store consensus, incentive, dividends and bonds, and add each uid's
 * emission to its owner's stake on its hotkey. Runs inside the block's
 * transaction, under the write lock. */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "tplr/log.h"
#include "tplr/yuma.h"

typedef struct subnet {
    int n;
    unsigned char (*hotkey)[32], (*owner)[32];
    uint64_t *stake, *last_update, *registered_at, *emission;
    int *permit;
    double *weights, *bonds, *consensus, *rank, *trust, *incentive, *dividends, *new_bonds;
} subnet;

static void subnet_free(subnet *s)
{
    free(s->hotkey), free(s->owner), free(s->stake), free(s->last_update), free(s->registered_at);
    free(s->emission), free(s->permit), free(s->weights), free(s->bonds), free(s->consensus), free(s->rank);
    free(s->trust), free(s->incentive), free(s->dividends), free(s->new_bonds);
}

static tplr_err subnet_alloc(subnet *s, int n)
{
    size_t v = (size_t)n + 1, m = (size_t)n * (size_t)n + 1;
    s->n = n;
    s->hotkey = calloc(v, 32), s->owner = calloc(v, 32);
    s->stake = calloc(v, 8), s->last_update = calloc(v, 8), s->registered_at = calloc(v, 8);
    s->emission = calloc(v, 8), s->permit = calloc(v, sizeof(int));
    s->weights = calloc(m, 8), s->bonds = calloc(m, 8), s->new_bonds = calloc(m, 8);
    s->consensus = calloc(v, 8), s->rank = calloc(v, 8), s->trust = calloc(v, 8);
    s->incentive = calloc(v, 8), s->dividends = calloc(v, 8);
    if (!s->hotkey || !s->owner || !s->stake || !s->last_update || !s->registered_at || !s->emission || !s->permit ||
        !s->weights || !s->bonds || !s->new_bonds || !s->consensus || !s->rank || !s->trust || !s->incentive ||
        !s->dividends)
        return tplr_fail(TPLR_ENOMEM, "emissions for %d uids: out of memory", n);
    return TPLR_OK;
}

static tplr_err load_subnet(dbconn *c, subnet *s)
{
    int64_t n;
    sqlite3_stmt *q = db_stmt(c, ST_NEURON_COUNT);
    if (!q || sqlite3_step(q) != SQLITE_ROW)
        return db_fail(c, "counting uids");
    n = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    TPLR_TRY(subnet_alloc(s, (int)n));
    if (!(q = db_stmt(c, ST_NEURONS_EPOCH)))
        return TPLR_EIO;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int i = sqlite3_column_int(q, 0);
        if (i < 0 || i >= n || sqlite3_column_bytes(q, 1) != 32 || sqlite3_column_bytes(q, 2) != 32)
            continue; /* uids are dense 0..n-1 with 32-byte keys; anything else is ignored */
        memcpy(s->hotkey[i], sqlite3_column_blob(q, 1), 32);
        memcpy(s->owner[i], sqlite3_column_blob(q, 2), 32);
        s->stake[i] = (uint64_t)sqlite3_column_int64(q, 3);
        s->permit[i] = sqlite3_column_int(q, 4);
        s->last_update[i] = (uint64_t)sqlite3_column_int64(q, 5);
        s->registered_at[i] = (uint64_t)sqlite3_column_int64(q, 6);
    }
    sqlite3_reset(q);
    if (!(q = db_stmt(c, ST_WEIGHTS_ALL)))
        return TPLR_EIO;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int i = sqlite3_column_int(q, 0), len = sqlite3_column_bytes(q, 2);
        const unsigned char *p = sqlite3_column_blob(q, 2);
        for (int k = 0; i >= 0 && i < n && p && k + 4 <= len; k += 4) {
            int j = p[k] | p[k + 1] << 8;
            if (j < n)
                s->weights[(size_t)i * (size_t)n + (size_t)j] = p[k + 2] | p[k + 3] << 8;
        }
    }
    sqlite3_reset(q);
    if (!(q = db_stmt(c, ST_BONDS_ALL)))
        return TPLR_EIO;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int i = sqlite3_column_int(q, 0), j = sqlite3_column_int(q, 1);
        if (i >= 0 && j >= 0 && i < n && j < n)
            s->bonds[(size_t)i * (size_t)n + (size_t)j] = sqlite3_column_double(q, 2);
    }
    sqlite3_reset(q);
    return TPLR_OK;
}

static tplr_err store_results(dbconn *c, const subnet *s)
{
    int n = s->n;
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *q = db_stmt(c, ST_NEURON_RESULT);
        if (!q)
            return TPLR_EIO;
        sqlite3_bind_int(q, 1, i);
        sqlite3_bind_double(q, 2, s->consensus[i]);
        sqlite3_bind_double(q, 3, s->trust[i]);
        sqlite3_bind_double(q, 4, s->incentive[i]);
        sqlite3_bind_double(q, 5, s->dividends[i]);
        sqlite3_bind_int64(q, 6, (sqlite3_int64)s->emission[i]);
        TPLR_TRY(db_done(c, q, "storing an epoch"));
    }
    TPLR_TRY(db_done(c, db_stmt(c, ST_BONDS_CLEAR), "clearing bonds"));
    for (size_t k = 0; k < (size_t)n * (size_t)n; k++) {
        if (!(s->new_bonds[k] > 0))
            continue;
        sqlite3_stmt *q = db_stmt(c, ST_BOND_ADD);
        if (!q)
            return TPLR_EIO;
        sqlite3_bind_int64(q, 1, (sqlite3_int64)(k / (size_t)n));
        sqlite3_bind_int64(q, 2, (sqlite3_int64)(k % (size_t)n));
        sqlite3_bind_double(q, 3, s->new_bonds[k]);
        TPLR_TRY(db_done(c, q, "storing bonds"));
    }
    return TPLR_OK;
}

/* Adds each uid's emission to its owner's stake on its hotkey. */
static tplr_err pay(dbconn *c, const subnet *s)
{
    for (int i = 0; i < s->n; i++) {
        if (!s->emission[i])
            continue;
        sqlite3_stmt *q = db_stmt(c, ST_STAKE_GET);
        if (!q)
            return TPLR_EIO;
        sqlite3_bind_blob(q, 1, s->hotkey[i], 32, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, s->owner[i], 32, SQLITE_STATIC);
        int64_t staked = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
        sqlite3_reset(q);
        if (!(q = db_stmt(c, ST_STAKE_PUT)))
            return TPLR_EIO;
        sqlite3_bind_blob(q, 1, s->hotkey[i], 32, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, s->owner[i], 32, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, staked + (int64_t)s->emission[i]);
        TPLR_TRY(db_done(c, q, "paying an emission"));
    }
    return TPLR_OK;
}

tplr_err epoch_run(tplr_ledger *l, uint64_t block)
{
    dbconn *c = &l->writer;
    int64_t last_epoch, issuance, emitted;
    TPLR_TRY(meta_get_int(c, "last_epoch", &last_epoch));
    TPLR_TRY(meta_get_int(c, "issuance", &issuance));
    TPLR_TRY(meta_get_int(c, "emitted", &emitted));
    subnet s = {0};
    tplr_err e = load_subnet(c, &s);
    uint64_t paid = 0;
    if (!e && s.n > 0) {
        tplr_yuma_in in = {s.n, block, l->params.activity_cutoff, l->params.kappa, l->params.bonds_alpha,
                           s.stake, s.permit, s.last_update, s.registered_at, s.weights, s.bonds};
        tplr_yuma_out out = {s.consensus, s.rank, s.trust, s.incentive, s.dividends, s.new_bonds};
        e = tplr_yuma_epoch(&in, &out);
        uint64_t blocks = block - (uint64_t)last_epoch, total = blocks * l->params.block_emission;
        if (blocks > l->params.tempo) /* never more than one tempo's worth at once */
            total = (uint64_t)l->params.tempo * l->params.block_emission;
        if (!e)
            paid = tplr_yuma_emission(total, s.n, s.incentive, s.dividends, s.emission);
        if (paid > (uint64_t)(INT64_MAX - issuance)) {
            tplr_warn("ledger: issuance would pass 2^63-1 base units; block %llu mints nothing",
                      (unsigned long long)block);
            memset(s.emission, 0, sizeof *s.emission * (size_t)s.n);
            paid = 0;
        }
        if (!e)
            e = store_results(c, &s);
        if (!e)
            e = pay(c, &s);
    }
    if (!e)
        e = meta_put_int(c, "issuance", issuance + (int64_t)paid);
    if (!e)
        e = meta_put_int(c, "emitted", emitted + (int64_t)paid);
    if (!e)
        e = meta_put_int(c, "last_epoch", (int64_t)block);
    if (!e && s.n > 0)
        e = ops_refresh_permits(l);
    if (!e)
        tplr_debug("ledger: epoch at block %llu over %d uids paid %llu base units", (unsigned long long)block, s.n,
                   (unsigned long long)paid);
    subnet_free(&s);
    return e;
}
