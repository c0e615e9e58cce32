/* libFuzzer target: the ledger's request parser and validator. The first
 * byte picks the operation, the rest is the untrusted JSON body. An accepted
 * request must survive the round trip body -> struct -> canonical bytes and
 * JSON -> struct unchanged, and its signature check must not crash. The raw
 * input is also fed to the address decoder. */
#include <stdlib.h>
#include <string.h>

#include "tplr/address.h"
#include "tplr/ledger_tx.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    unsigned char pk[32];
    tplr_address_decode((const char *)data, size, pk);
    if (size < 1)
        return 0;
    tplr_tx_op op = (tplr_tx_op)(1 + data[0] % TPLR_TX_OP_COUNT);
    tplr_tx *tx = malloc(sizeof *tx), *back = malloc(sizeof *back);
    if (tplr_tx_from_json(op, (const char *)data + 1, size - 1, tx) == TPLR_OK) {
        static const unsigned char chain_id[32] = {1};
        unsigned char a[TPLR_TX_ENCODED_MAX], b[TPLR_TX_ENCODED_MAX];
        size_t na = tplr_tx_encode(tx, chain_id, a);
        if (na > TPLR_TX_ENCODED_MAX)
            abort();
        (void)tplr_tx_verify(tx, chain_id);
        char *json = tplr_tx_to_json(tx);
        if (!json || tplr_tx_from_json(op, json, strlen(json), back) != TPLR_OK)
            abort();
        size_t nb = tplr_tx_encode(back, chain_id, b);
        if (na != nb || memcmp(a, b, na) || memcmp(tx, back, sizeof *tx))
            abort();
        free(json);
    }
    free(tx);
    free(back);
    return 0;
}
