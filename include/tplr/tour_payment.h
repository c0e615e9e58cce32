/* The submission fee: a ledger transfer from the miner's coldkey to the
 * validator's coldkey, proved by its transfer id. Everything is read from the
 * ledger, nothing from the miner's claim: the transfer by id, its recipient
 * and amount, and (from the metagraph) that the hotkey is registered and owned
 * by the coldkey that paid. Reuse of an id is refused by the store
 * (tour_store.h), where the id is unique. */
#ifndef TPLR_TOUR_PAYMENT_H
#define TPLR_TOUR_PAYMENT_H

#include <stdint.h>

#include "tplr/chain.h"
#include "tplr/err.h"

/* 0.1 token: the fee by default, in base units (10^9 per token). */
#define TPLR_TOUR_FEE_DEFAULT 100000000LL

typedef struct tplr_tour_payment {
    int uid;                  /* the hotkey's uid, -1 when it is not registered */
    unsigned char coldkey[32]; /* its owner (when uid >= 0) */
    int64_t paid;             /* the transfer's amount (when checked) */
    const char *reason;       /* after TPLR_EREFUSED: "payment_not_found", "payment_wrong_recipient",
                                 "payment_too_small", "payment_not_owner", "not_registered" */
} tplr_tour_payment;

/* The hotkey's uid and owner from the metagraph (uid -1 when absent). */
tplr_err tplr_tour_hotkey_owner(tplr_chain *c, const unsigned char hotkey[32], tplr_tour_payment *p);

/* Checks that transfer (block, index) pays at least fee to payee from the
 * coldkey that owns hotkey, a registered hotkey. TPLR_EREFUSED with p->reason
 * for a bad payment; other errors when the ledger cannot answer. */
tplr_err tplr_tour_payment_check(tplr_chain *c, const unsigned char hotkey[32], uint64_t block, uint32_t index,
                                 const unsigned char payee[32], int64_t fee, tplr_tour_payment *p);

#endif
