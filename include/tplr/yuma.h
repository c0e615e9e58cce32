/* Yuma-style consensus: turns validators' weights and stake into incentive
 * (for the uids that were weighted: miners) and dividends (for the
 * validators that weighted them early and in agreement), once per tempo.
 * The math, step by step, is in docs/ledger.md ("Emissions"); hand-worked
 * examples and an independent Python reference are in tests/chain/. */
#ifndef TPLR_YUMA_H
#define TPLR_YUMA_H

#include <stdint.h>

#include "tplr/err.h"

typedef struct tplr_yuma_in {
    int n;                          /* uids 0..n-1 */
    uint64_t block;                 /* the block the epoch runs at */
    uint64_t activity_cutoff;       /* a validator that set no weights for longer is ignored */
    double kappa;                   /* share of stake that must support a weight (0.5: median) */
    double alpha;                   /* bonds EMA: B = alpha*dB + (1-alpha)*B_prev */
    const uint64_t *stake;          /* [n] stake on each uid's hotkey, base units */
    const int *permit;              /* [n] validator permits (tplr_yuma_permits) */
    const uint64_t *last_update;    /* [n] block of each uid's last set_weights (or registration) */
    const uint64_t *registered_at;  /* [n] block each uid's current hotkey registered */
    const double *weights;          /* [n*n] row i: validator i's weights as set (u16 values), 0 if none */
    const double *bonds;            /* [n*n] bonds after the last epoch (0 for new pairs) */
} tplr_yuma_in;

typedef struct tplr_yuma_out {
    double *consensus, *rank, *trust, *incentive, *dividends; /* [n] each */
    double *bonds;                                            /* [n*n] new bonds */
} tplr_yuma_out;

/* The validator permits: the max_validators uids with the most stake (ties to
 * the lower uid) among those with at least min_stake (and more than 0). */
void tplr_yuma_permits(int n, const uint64_t *stake, int max_validators, uint64_t min_stake, int *permit);

/* One epoch. out's arrays are the caller's. */
tplr_err tplr_yuma_epoch(const tplr_yuma_in *in, const tplr_yuma_out *out);

/* Splits total base units: floor(total/2) to miners in proportion to
 * incentive, the rest to validators in proportion to dividends, each share
 * rounded down. A half whose vector is all zero is not paid. emission[n]
 * receives each uid's amount; returns the sum paid. total must be < 2^53. */
uint64_t tplr_yuma_emission(uint64_t total, int n, const double *incentive, const double *dividends,
                            uint64_t *emission);

#endif
