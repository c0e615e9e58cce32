/* The ledger's client, for miners, validators, the tournament and the
 * command line: reads, and signed transactions, over HTTP (libcurl) with
 * timeouts and retries. A tplr_chain keeps one connection alive; use one per
 * thread. See docs/ledger.md ("Client library").
 *
 * Failures: TPLR_EIO when the ledger cannot be reached (after the retries),
 * TPLR_ENOTFOUND for a missing object, TPLR_EREFUSED when the ledger refused
 * a request (tplr_chain_last_code says why, e.g. "insufficient_balance"). */
#ifndef TPLR_CHAIN_H
#define TPLR_CHAIN_H

#include <stdint.h>

#include "tplr/err.h"
#include "tplr/keys.h"
#include "tplr/ledger_tx.h"

#define TPLR_LEDGER_URL_ENV "TPLR_LEDGER"
#define TPLR_LEDGER_URL_DEFAULT "http://127.0.0.1:9944"

typedef struct tplr_chain tplr_chain;

typedef struct tplr_chain_opts {
    long timeout_ms; /* per attempt (default 5000) */
    int retries;     /* further attempts after a network failure or a 5xx (default 3) */
    long backoff_ms; /* wait before the first retry, doubled each time (default 200) */
} tplr_chain_opts;

/* Connects to url (NULL: $TPLR_LEDGER, else the default) and reads the
 * ledger's netuid and chain id. o may be NULL for the defaults. */
tplr_err tplr_chain_connect(const char *url, const tplr_chain_opts *o, tplr_chain **out);
void tplr_chain_close(tplr_chain *c);
uint16_t tplr_chain_netuid(const tplr_chain *c);
const unsigned char *tplr_chain_id(const tplr_chain *c);
const char *tplr_chain_url(const tplr_chain *c);
/* After a failed call: the HTTP status (0: no answer) and the ledger's reason code ("" if none). */
int tplr_chain_last_status(const tplr_chain *c);
const char *tplr_chain_last_code(const tplr_chain *c);

/* ---- reads ---- */

/* Any GET of the API: the JSON body (malloc'd, NUL-terminated). */
tplr_err tplr_chain_get(tplr_chain *c, const char *path, char **body);
tplr_err tplr_chain_block(tplr_chain *c, uint64_t *block, uint64_t *time_ms);
/* The wall time of a block (ms since the epoch). */
tplr_err tplr_chain_block_time(tplr_chain *c, uint64_t height, uint64_t *time_ms);

typedef struct tplr_neuron {
    int uid;
    unsigned char hotkey[32], coldkey[32];
    int64_t stake, emission;
    int validator_permit;
    double consensus, trust, incentive, dividends;
    uint64_t registered_at, last_update;
} tplr_neuron;

typedef struct tplr_metagraph {
    uint64_t block;
    uint16_t netuid;
    int n;
    tplr_neuron *neurons; /* n of them, by uid */
} tplr_metagraph;

tplr_err tplr_chain_metagraph(tplr_chain *c, tplr_metagraph *m);
void tplr_metagraph_free(tplr_metagraph *m);

/* A coldkey's free balance and its total stake (staked may be NULL). */
tplr_err tplr_chain_balance(tplr_chain *c, const unsigned char key[32], int64_t *balance, int64_t *staked);

typedef struct tplr_commitment {
    int uid;
    unsigned char hotkey[32];
    char data[TPLR_COMMIT_MAX + 1];
    uint64_t block;
} tplr_commitment;

/* One hotkey's commitment (TPLR_ENOTFOUND if none); uid is -1 here. */
tplr_err tplr_chain_commitment(tplr_chain *c, const unsigned char hotkey[32], tplr_commitment *out);
/* The commitments of every registered hotkey, by uid (free *out). */
tplr_err tplr_chain_commitments(tplr_chain *c, tplr_commitment **out, int *n);

/* The weights uid last set (TPLR_ENOTFOUND if none): n entries of uids and
 * weights, each array TPLR_WEIGHTS_MAX long. */
tplr_err tplr_chain_weights(tplr_chain *c, int uid, uint16_t *uids, uint16_t *weights, int *n, uint64_t *block);

typedef struct tplr_transfer {
    uint64_t block;
    uint32_t index;
    unsigned char from[32], to[32];
    int64_t amount;
} tplr_transfer;

/* A transfer by its id (TPLR_ENOTFOUND if there is none). */
tplr_err tplr_chain_transfer_get(tplr_chain *c, uint64_t block, uint32_t index, tplr_transfer *t);

/* ---- transactions ---- */

typedef struct tplr_extrinsic_id {
    uint64_t block;
    uint32_t index;
} tplr_extrinsic_id;

tplr_err tplr_chain_register(tplr_chain *c, const tplr_keypair *coldkey, const tplr_keypair *hotkey,
                             tplr_extrinsic_id *id, int *uid);
tplr_err tplr_chain_stake(tplr_chain *c, const tplr_keypair *coldkey, const unsigned char hotkey[32],
                          uint64_t amount, tplr_extrinsic_id *id);
tplr_err tplr_chain_unstake(tplr_chain *c, const tplr_keypair *coldkey, const unsigned char hotkey[32],
                            uint64_t amount, tplr_extrinsic_id *id);
tplr_err tplr_chain_commit(tplr_chain *c, const tplr_keypair *hotkey, const char *data, tplr_extrinsic_id *id);
/* Weights as any non-negative numbers; converted to u16 as Bittensor does
 * (tplr_tx_set_weights_u16). */
tplr_err tplr_chain_set_weights(tplr_chain *c, const tplr_keypair *hotkey, const uint16_t *uids,
                                const double *weights, int n, tplr_extrinsic_id *id);
tplr_err tplr_chain_transfer(tplr_chain *c, const tplr_keypair *coldkey, const unsigned char to[32],
                             uint64_t amount, tplr_extrinsic_id *id);

/* The two halves of the above, for callers that build tx themselves: sets
 * tx's netuid, a random nonce, the current block and the signer, and signs
 * (hotkey_sk: the hotkey's secret key for a registration, else NULL). */
tplr_err tplr_chain_prepare(tplr_chain *c, tplr_tx *tx, const tplr_keypair *signer, const unsigned char *hotkey_sk);
/* Sends a prepared tx. A retry sends the very same bytes, so an attempt that
 * was applied before its answer got lost is found as a replay of itself and
 * reported as success: a transaction is never applied twice. uid may be NULL. */
tplr_err tplr_chain_submit(tplr_chain *c, const tplr_tx *tx, tplr_extrinsic_id *id, int *uid);

#endif
