/* The ledger: the state of one subnet (balances, registrations, stake,
 * commitments, weights, transfers, emissions) in an SQLite database, and the
 * operations that change and read it. tplr_ledger_serve (ledger_server.h)
 * puts it behind HTTP; tests drive it directly too. See docs/ledger.md. */
#ifndef TPLR_LEDGER_H
#define TPLR_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/ledger_tx.h"

/* Subnet parameters, fixed by the genesis file. Defaults follow Bittensor's
 * (and Templar's subnet 3) where it has one. */
typedef struct tplr_subnet_params {
    uint16_t netuid;              /* 3 */
    uint32_t max_uids;            /* 256 uids at most (up to 1024) */
    uint32_t tempo;               /* 360: emissions every tempo blocks */
    uint32_t immunity_period;     /* 5000 blocks a new uid cannot be replaced */
    uint32_t weights_rate_limit;  /* 100 blocks between a validator's set_weights */
    uint64_t registration_cost;   /* 1e9 base units (one token), burned */
    uint32_t max_validators;      /* 64 validator permits, by stake */
    uint64_t min_validator_stake; /* 1 base unit: the least stake with a permit */
    uint32_t activity_cutoff;     /* 5000 blocks without set_weights and a validator is ignored */
    uint32_t request_validity;    /* 64 blocks: how old a signed request's block may be */
    uint64_t block_emission;      /* 1e9 base units minted per block, paid every tempo */
    double kappa;                 /* 0.5: the consensus is the stake-weighted median */
    double bonds_alpha;           /* 0.1: bonds EMA rate */
} tplr_subnet_params;

typedef struct tplr_genesis_balance {
    unsigned char key[32];
    uint64_t amount;
} tplr_genesis_balance;

/* A genesis file (docs/formats.md, "Genesis file"): parameters and initial balances. */
typedef struct tplr_genesis {
    char network[65];
    tplr_subnet_params params;
    int n_balances;
    tplr_genesis_balance *balances;
} tplr_genesis;

void tplr_genesis_default(tplr_genesis *g);
/* Parses genesis JSON (name labels messages); absent parameters take their defaults. */
tplr_err tplr_genesis_parse(const char *text, size_t len, const char *name, tplr_genesis *g);
tplr_err tplr_genesis_load(const char *path, tplr_genesis *g);
/* Sets one parameter from text (name "tempo", value "10"), checked as in a file. */
tplr_err tplr_genesis_set_param(tplr_genesis *g, const char *name, const char *value);
/* Adds an initial balance (each key once, the total at most 2^63-1). */
tplr_err tplr_genesis_add_balance(tplr_genesis *g, const unsigned char key[32], uint64_t amount);
/* The canonical JSON (every parameter, sorted keys, compact; malloc'd). */
char *tplr_genesis_to_json(const tplr_genesis *g);
/* The chain id: BLAKE2b-256 of "tplr-genesis/1" and the canonical JSON. */
tplr_err tplr_genesis_chain_id(const tplr_genesis *g, unsigned char id[32]);
void tplr_genesis_free(tplr_genesis *g);

typedef struct tplr_ledger tplr_ledger;

typedef struct tplr_ledger_opts {
    const char *db_path;      /* created with the genesis when it does not exist */
    const char *genesis_path; /* NULL: the default genesis for a new database, the stored one otherwise */
    int sync_full;            /* SQLite synchronous=FULL instead of NORMAL (docs/ledger.md, "Durability") */
} tplr_ledger_opts;

tplr_err tplr_ledger_open(const tplr_ledger_opts *o, tplr_ledger **out);
void tplr_ledger_close(tplr_ledger *l);

uint64_t tplr_ledger_head(tplr_ledger *l);
const tplr_subnet_params *tplr_ledger_params(const tplr_ledger *l);
const unsigned char *tplr_ledger_chain_id(const tplr_ledger *l);

/* Appends block head+1 with the given wall time, paying emissions when its
 * height is a multiple of tempo. */
tplr_err tplr_ledger_produce_block(tplr_ledger *l, uint64_t time_ms);

/* The answer to a request: an HTTP status, a short reason code ("ok",
 * "insufficient_balance", ...), and a JSON body (malloc'd). */
typedef struct tplr_ledger_reply {
    int status;
    const char *code;
    char *body;
    size_t body_len;
} tplr_ledger_reply;

/* A state-changing request: the untrusted JSON body of a transaction. It is
 * parsed, its signatures checked, and it is applied in one SQLite
 * transaction, or refused with the state unchanged. Thread-safe. */
void tplr_ledger_submit(tplr_ledger *l, tplr_tx_op op, const char *body, size_t len, tplr_ledger_reply *r);
/* A read: path such as "/v1/metagraph" (docs/ledger.md, "API"), query string or NULL. Thread-safe. */
void tplr_ledger_get(tplr_ledger *l, const char *path, const char *query, tplr_ledger_reply *r);
void tplr_ledger_reply_free(tplr_ledger_reply *r);

/* BLAKE2b-256 over every table but the block list: equal digests, equal state. */
tplr_err tplr_ledger_state_digest(tplr_ledger *l, unsigned char digest[32]);

#endif
