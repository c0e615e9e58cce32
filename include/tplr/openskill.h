/* OpenSkill's Plackett-Luce rating (Weng & Lin 2011), as the npm `openskill`
 * package 5.0.1 computes it (rate() with `score`, no margin, no balance, no
 * limitSigma): each player is a one-player team, teams are ranked by their
 * score (higher is better, equal scores tie), and every rating moves after one
 * game. The validator rates the uids it scored in a window as one game. */
#ifndef TPLR_OPENSKILL_H
#define TPLR_OPENSKILL_H

#include "tplr/err.h"

typedef struct tplr_rating {
    double mu;    /* skill estimate */
    double sigma; /* its uncertainty (standard deviation) */
} tplr_rating;

typedef struct tplr_openskill_params {
    double mu;    /* a new player's mu: 25 */
    double sigma; /* a new player's sigma: 25/3 */
    double beta;  /* performance noise: npm default 25/6; Templar 7 */
    double tau;   /* dynamics, added in quadrature to sigma before each game: npm 25/300; Templar 0.1 */
    double kappa; /* floor of the sigma shrink factor: 1e-4 */
    double z;     /* ordinal = mu - z*sigma: 3 */
} tplr_openskill_params;

/* The npm package's defaults (beta 25/6, tau 25/300). */
void tplr_openskill_defaults(tplr_openskill_params *p);

/* A new player's rating (p->mu, p->sigma). */
tplr_rating tplr_openskill_new(const tplr_openskill_params *p);

/* mu - z*sigma: a conservative skill estimate (0 for a new player). */
double tplr_openskill_ordinal(const tplr_openskill_params *p, tplr_rating r);

/* Rates one game of n one-player teams: ratings[i] (updated in place) scored
 * scores[i]. Fails (TPLR_EINVAL) on n < 1, a non-finite score or rating, or a
 * sigma <= 0; TPLR_ENOMEM when the n-sized scratch cannot be allocated. A game
 * of one team only adds tau (as the npm package does). */
tplr_err tplr_openskill_rate(const tplr_openskill_params *p, tplr_rating *ratings, const double *scores, int n);

#endif
