/* What the validator's loop (validator.c) and its scoring of a window
 * (validator_score.c) share. */
#ifndef TPLR_VALIDATOR_INTERNAL_H
#define TPLR_VALIDATOR_INTERNAL_H

#include "tplr/scoring.h"
#include "tplr/validator.h"

typedef struct validator {
    tplr_node *n;
    tplr_scoring *s;
    tplr_evaluator ev;
    char scores_path[4096];
    float *before; /* [n_params] the model before the outer step */
    /* this window, for the metrics line */
    json_t *evaluated, *gscore;
    int weights_set;
} validator;

/* Registered miners with a bucket (validators and the caller left out);
 * stake in tokens and incentive may be NULL. */
int validator_miner_uids(tplr_node *n, uint16_t *out, double *stake, double *incentive);
/* The gather's outcome: misses, each peer's sync, index overlap. */
tplr_err validator_score_gather(validator *v, const tplr_node_gathered *g);
/* Activity, selection and the evaluation of the chosen uids. */
tplr_err validator_evaluate(validator *v, int64_t w, const tplr_node_gathered *g);

#endif
