/* Fee checks against the ledger. */
#include "tplr/tour_payment.h"

#include <string.h>

#include "tplr/address.h"

tplr_err tplr_tour_hotkey_owner(tplr_chain *c, const unsigned char hotkey[32], tplr_tour_payment *p)
{
    memset(p, 0, sizeof *p);
    p->uid = -1;
    tplr_metagraph m;
    TPLR_TRY(tplr_chain_metagraph(c, &m));
    for (int i = 0; i < m.n; i++)
        if (!memcmp(m.neurons[i].hotkey, hotkey, 32)) {
            p->uid = m.neurons[i].uid;
            memcpy(p->coldkey, m.neurons[i].coldkey, 32);
            break;
        }
    tplr_metagraph_free(&m);
    return TPLR_OK;
}

static tplr_err refuse(tplr_tour_payment *p, const char *reason)
{
    p->reason = reason;
    return TPLR_EREFUSED;
}

tplr_err tplr_tour_payment_check(tplr_chain *c, const unsigned char hotkey[32], uint64_t block, uint32_t index,
                                 const unsigned char payee[32], int64_t fee, tplr_tour_payment *p)
{
    TPLR_TRY(tplr_tour_hotkey_owner(c, hotkey, p));
    char hk[TPLR_ADDRESS_MAX], want[TPLR_ADDRESS_MAX], got[TPLR_ADDRESS_MAX];
    tplr_address_encode(hotkey, hk);
    if (p->uid < 0) {
        tplr_fail(TPLR_EREFUSED, "hotkey %s is not registered on subnet %u: register it first (tplr register)", hk,
                  tplr_chain_netuid(c));
        return refuse(p, "not_registered");
    }
    tplr_transfer t;
    tplr_err e = tplr_chain_transfer_get(c, block, index, &t);
    if (e == TPLR_ENOTFOUND) {
        tplr_fail(TPLR_EREFUSED, "the ledger has no transfer %llu-%u: pay the fee first and send its id",
                  (unsigned long long)block, index);
        return refuse(p, "payment_not_found");
    }
    TPLR_TRY(e);
    p->paid = t.amount;
    tplr_address_encode(payee, want);
    if (memcmp(t.to, payee, 32)) {
        tplr_address_encode(t.to, got);
        tplr_fail(TPLR_EREFUSED, "transfer %llu-%u went to %s, not to this validator's coldkey %s",
                  (unsigned long long)block, index, got, want);
        return refuse(p, "payment_wrong_recipient");
    }
    if (t.amount < fee) {
        tplr_fail(TPLR_EREFUSED, "transfer %llu-%u paid %lld base units; the fee is %lld", (unsigned long long)block,
                  index, (long long)t.amount, (long long)fee);
        return refuse(p, "payment_too_small");
    }
    if (memcmp(t.from, p->coldkey, 32)) {
        tplr_address_encode(t.from, got);
        tplr_address_encode(p->coldkey, want);
        tplr_fail(TPLR_EREFUSED, "transfer %llu-%u came from %s, but hotkey %s belongs to coldkey %s: pay from the "
                  "hotkey's own coldkey", (unsigned long long)block, index, got, hk, want);
        return refuse(p, "payment_not_owner");
    }
    return TPLR_OK;
}
