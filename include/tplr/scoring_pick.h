/* What the validator picks from its scores: the uids to evaluate this
 * window, the weights it sets on the ledger, and the gather peer list it
 * posts (shared/reference/templar.md §3 "Peer lists", §4 "Selection",
 * "Weights"). Deterministic: randomness only from the caller's seed, through
 * the counter-based RNG (rng.h). */
#ifndef TPLR_SCORING_PICK_H
#define TPLR_SCORING_PICK_H

#include <stdint.h>

#include "tplr/err.h"
#include "tplr/scoring.h"

/* ------------------------------------------------------------- evaluation */

/* Draws up to k distinct indices of [0, n) with probability proportional to
 * weight (every weight must be finite and > 0), without replacement, in draw
 * order: draw j takes u = tplr_rng_uniform(seed, stream, j). Writes
 * min(k, n) indices to out. */
tplr_err tplr_weighted_sample(const double *weight, int n, int k, uint64_t seed, uint64_t stream, int *out);

/* Chooses this window's uids to evaluate among candidates (the active uids,
 * stake[i] is candidates[i]'s): drops naughty ones and those with more than
 * eval_max_stake; with eval_bins_min or more left, sorts them by OpenSkill
 * ordinal (best first, then uid), splits them into eval_bins bins of near
 * equal size (the first n % bins one larger) and keeps one bin drawn with the
 * seed; then samples up to uids_per_window weighted by eval_wait, without
 * replacement. Updates the state: the chosen uids' eval_wait becomes 1 and
 * every other remaining candidate's grows by 1 (a candidate seen for the
 * first time starts at 1). out must hold uids_per_window entries; *n_out
 * receives how many were chosen; *bin (may be NULL) the bin used (-1: no
 * binning). Call it once per window, after tplr_scoring_begin_window. */
tplr_err tplr_scoring_select(tplr_scoring *s, const uint16_t *candidates, const double *stake, int n, uint64_t seed,
                             uint16_t *out, int *n_out, int *bin);

/* ---------------------------------------------------------------- weights */

/* Templar's update_weights over final scores indexed by uid (n_uids of
 * them): burn_rate to burn_uid; the positive scores (burn uid excluded)
 * ranked (score, then lower uid first); the top gather_peer_count share
 * (1-burn)·gather_share on a linear profile from gather_top_ratio down to 1;
 * the next reserve_peer_count share (1-burn)·(1-gather_share) on a
 * reserve_decay^i profile, each capped at the smallest gather weight; then
 * the non-burn weights are scaled to sum to 1-burn. With no positive score
 * all weight goes to burn_uid. Writes uids (burn uid first, then by rank) and
 * weights, *n entries, at most 1 + gather + reserve (out arrays must hold
 * that). Weights are fractions that sum to 1: tplr_chain_set_weights takes
 * them as they are and converts to the ledger's u16 form. */
tplr_err tplr_scoring_weights_of(const tplr_scoring_config *c, const double *final_scores, int n_uids, uint16_t *uids,
                                 double *weights, int *n);

/* The same over the state's final scores; also stores each uid's weight in
 * s->uid[u].weight (0 for the uids not listed). */
tplr_err tplr_scoring_weights(tplr_scoring *s, uint16_t *uids, double *weights, int *n);

/* ------------------------------------------------------------- peer lists */

/* The gather peer list a validator posts: candidates (registered miners,
 * the validator itself left out by the caller) ranked by incentive[i] when
 * initial is set, else by the state's weights (then incentive, then lower
 * uid); the burn uid, naughty (in window s->window) and excluded uids
 * dropped; the first gather_peer_count become peers, the next
 * reserve_peer_count reserve peers. peers and reserve must hold those
 * counts. */
tplr_err tplr_scoring_peers(const tplr_scoring *s, const uint16_t *candidates, const double *incentive, int n,
                            int initial, uint16_t *peers, int *n_peers, uint16_t *reserve, int *n_reserve);

#endif
