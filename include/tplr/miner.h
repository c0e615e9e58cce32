/* The miner (docs/network.md): per window its deterministic samples, H inner
 * AdamW steps, the pseudo-gradient through the codec with error feedback,
 * the upload once the window closes, then the gather of the peers the
 * leader validator named, the aggregate and the outer step, and a
 * fingerprint of the model. Adversaries misbehave in the upload path only
 * (for tests of the validator). */
#ifndef TPLR_MINER_H
#define TPLR_MINER_H

#include "tplr/node.h"

typedef enum tplr_adversary {
    TPLR_ADV_NONE = 0,
    TPLR_ADV_SILENT,     /* uploads nothing */
    TPLR_ADV_LATE,       /* uploads after the time bound */
    TPLR_ADV_GARBAGE,    /* uploads random bytes */
    TPLR_ADV_COPY,       /* re-uploads another miner's gradient as its own (uid, hotkey, signature) */
    TPLR_ADV_WRONG_DATA, /* trains on the samples of uid + 100000 */
    TPLR_ADV_ASCENT      /* uploads the negated pseudo-gradient */
} tplr_adversary;

/* "none", "silent", "late", "garbage", "copy", "wrong-data", "ascent". */
tplr_err tplr_adversary_parse(const char *name, tplr_adversary *out);
const char *tplr_adversary_name(tplr_adversary a);

/* Runs until o->windows windows are done or SIGINT/SIGTERM. */
tplr_err tplr_miner_run(const tplr_node_opts *o, tplr_adversary adv);

#endif
