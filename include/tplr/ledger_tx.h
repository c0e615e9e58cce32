/* Ledger transactions: the state-changing requests (register, stake,
 * unstake, commit, set_weights, transfer), their canonical signed encoding
 * and their JSON form on the wire (docs/formats.md, "Ledger transactions").
 *
 * The same struct is filled by the client (then signed and sent as JSON) and
 * by the server (parsed from untrusted JSON, field by field, then verified
 * against the canonical encoding). Both sides build the canonical bytes from
 * the struct, so the JSON's key order and spacing never matter. */
#ifndef TPLR_LEDGER_TX_H
#define TPLR_LEDGER_TX_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/keys.h"

typedef enum tplr_tx_op {
    TPLR_TX_REGISTER = 1, /* signer: coldkey (pays); key: the hotkey, which co-signs */
    TPLR_TX_STAKE = 2,    /* signer: coldkey; key: hotkey; amount */
    TPLR_TX_UNSTAKE = 3,  /* signer: coldkey; key: hotkey; amount */
    TPLR_TX_COMMIT = 4,   /* signer: hotkey; data */
    TPLR_TX_SET_WEIGHTS = 5, /* signer: hotkey (a validator); uids, weights */
    TPLR_TX_TRANSFER = 6, /* signer: coldkey; key: recipient; amount */
} tplr_tx_op;
#define TPLR_TX_OP_COUNT 6

#define TPLR_TX_DOMAIN "tplr-ledger-tx/1" /* 16 bytes, starts every signed message */
#define TPLR_COMMIT_MAX 128               /* bytes in a commitment */
#define TPLR_WEIGHTS_MAX 1024             /* entries in a weight vector = the largest subnet */
#define TPLR_TX_ENCODED_MAX (99 + 2 + 4 * TPLR_WEIGHTS_MAX)
#define TPLR_TX_JSON_MAX 65536            /* the largest request body the server reads */
#define TPLR_TX_JSON_DEPTH 4              /* the deepest nesting of arrays and objects accepted */
#define TPLR_AMOUNT_MAX INT64_MAX         /* amounts are integers in base units, 1..2^63-1 */

typedef struct tplr_tx {
    tplr_tx_op op;
    uint16_t netuid;
    uint64_t nonce;  /* chosen by the signer; each (signer, nonce) is accepted once, ever */
    uint64_t block;  /* the head the signer saw: refused when ahead of the ledger or too old */
    unsigned char signer[TPLR_KEY_PUBLIC];
    unsigned char signature[TPLR_KEY_SIGNATURE];
    unsigned char key[TPLR_KEY_PUBLIC];            /* hotkey (register, stake, unstake) or recipient */
    unsigned char key_signature[TPLR_KEY_SIGNATURE]; /* register: the hotkey's signature */
    uint64_t amount;
    size_t data_len;
    char data[TPLR_COMMIT_MAX + 1];
    int n_weights;
    uint16_t uids[TPLR_WEIGHTS_MAX];
    uint16_t weights[TPLR_WEIGHTS_MAX];
} tplr_tx;

const char *tplr_tx_op_name(tplr_tx_op op);
/* The op named name ("transfer", ...); TPLR_ENOTFOUND for another name. */
tplr_err tplr_tx_op_parse(const char *name, tplr_tx_op *op);

/* The canonical bytes a transaction's signatures cover (the signatures
 * themselves excluded): out must hold TPLR_TX_ENCODED_MAX bytes. chain_id is
 * the ledger's genesis hash. */
size_t tplr_tx_encode(const tplr_tx *tx, const unsigned char chain_id[32], unsigned char *out);

/* Signs tx with the signer's secret key (and, for register, the hotkey's). */
tplr_err tplr_tx_sign(tplr_tx *tx, const unsigned char chain_id[32], const unsigned char signer_sk[TPLR_KEY_SECRET],
                      const unsigned char *hotkey_sk);
/* TPLR_OK when every signature tx needs is valid for chain_id; else
 * TPLR_EREFUSED naming the signature that is not. */
tplr_err tplr_tx_verify(const tplr_tx *tx, const unsigned char chain_id[32]);

/* The request body (malloc'd JSON text). */
char *tplr_tx_to_json(const tplr_tx *tx);
/* Parses an untrusted request body for op: a JSON object with exactly the
 * fields op needs, each of the right type and range. On failure the message
 * names the field and the problem. Signatures are not checked here. */
tplr_err tplr_tx_from_json(tplr_tx_op op, const char *body, size_t len, tplr_tx *tx);

/* Bittensor's conversion of a weight vector for the chain: scales it so that
 * the largest entry becomes 65535, rounds, and drops the entries that become
 * 0. Fills tx's uids and weights; fails on a negative or non-finite weight,
 * repeated uids, an empty or all-zero vector, or more than TPLR_WEIGHTS_MAX
 * entries. */
tplr_err tplr_tx_set_weights_u16(tplr_tx *tx, const uint16_t *uids, const double *weights, int n);

#endif
