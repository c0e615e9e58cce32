/* The scoring config: Templar's constants as defaults, one row per field
 * (name, type, default, meaning), range checks and access by name. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "tplr/scoring.h"

#define D(f, def, what) {#f, 0, offsetof(tplr_scoring_config, f), def, what}
#define I(f, def, what) {#f, 1, offsetof(tplr_scoring_config, f), def, what}

static const tplr_scoring_config_row rows[] = {
    D(openskill_mu, 25.0, "OpenSkill: a new uid's mu"),
    D(openskill_sigma, 25.0 / 3.0, "OpenSkill: a new uid's sigma"),
    D(openskill_beta, 7.0, "OpenSkill Plackett-Luce beta (performance noise)"),
    D(openskill_tau, 0.1, "OpenSkill tau (added in quadrature to sigma before each window's game)"),
    D(openskill_kappa, 1e-4, "OpenSkill: floor of the sigma shrink factor"),
    D(openskill_z, 3.0, "ordinal = mu - z*sigma"),
    D(bma_alpha, 0.05, "binary moving average: BMA <- (1-alpha)*BMA + alpha*indicator"),
    D(bma_threshold, 0.10, "after warm-up a BMA below this zeroes the BMA term of the final score"),
    I(bma_warmup_windows, 10, "windows scored before bma_threshold applies"),
    D(sync_max_x, 3.0, "sync score = max(0, 1 - min(x, sync_max_x)/sync_max_x)^sync_power"),
    D(sync_power, 2.5, "exponent of the sync score"),
    D(sync_ema_alpha, 0.2, "EMA weight of the validator's per-window mean |delta theta| (sync x's unit)"),
    D(missing_score, -99.0, "OpenSkill score of an evaluated uid whose gradient is missing, late or invalid"),
    D(min_score, 1e-4, "final scores below this become 0"),
    D(missing_slash, 0.75, "missing or late evaluated gradient: final score and BMA times this"),
    D(sync_slash, 0.75, "gather peer whose sync check failed or that is behind: final score and BMA times this"),
    D(sync_max_steps_behind, 2.0, "a gather peer more outer steps behind than this is slashed"),
    D(gather_min_success, 0.4, "a gather with a lower success rate slashes its skipped peers to 0"),
    D(miss_slash_1, 0.75, "skipped in the gather, first consecutive miss: final score and BMA times this"),
    D(miss_slash_2, 0.5, "second consecutive miss"),
    D(miss_slash_3, 0.0, "third and later consecutive misses"),
    I(miss_reset_count, 4, "this many misses among the last 8 gathers a uid was a peer in: reset + naughty"),
    I(naughty_windows, 20, "windows a naughty uid is neither evaluated nor a gather peer"),
    D(negative_fraction, 0.5, "more than this share of negative evaluations among the last 8 ..."),
    D(negative_slash, 0.25, "... multiplies the final score by this"),
    I(negative_streak, 3, "this many consecutive negative evaluations exclude a uid from the gather"),
    I(negative_waiver_rank, 5, "both negative rules are waived when this window's score of this rank is negative"),
    D(inactive_slash, 0.75, "inactive uid: final score times this per window"),
    I(inactive_reset_windows, 3, "inactive for more windows than this: reset"),
    I(overlap_min_step, 20, "global step from which index overlap is checked"),
    D(overlap_flag, 0.4, "pairs of gather peers with an index overlap at or above this are flagged"),
    D(overlap_slash, 0.5, "flagged below overlap_reset: final score and BMA times this"),
    D(overlap_reset, 0.5, "flagged at or above this: reset"),
    D(overlap_naughty, 0.6, "flagged at or above this: reset + naughty"),
    I(uids_per_window, 20, "uids evaluated per window"),
    I(eval_bins, 5, "evaluation bins by ordinal (one bin evaluated per window) ..."),
    I(eval_bins_min, 100, "... once there are this many candidates"),
    D(eval_max_stake, 20000.0, "uids with more stake than this (validators) are not evaluated"),
    I(burn_uid, 1, "the uid that receives the burn share of the weights"),
    D(burn_rate, 0.5, "share of the weights burned"),
    I(gather_peer_count, 20, "gather peers: the top positive final scores"),
    D(gather_share, 0.75, "their share of the non-burn weight"),
    D(gather_top_ratio, 2.0, "gather weights fall linearly from this down to 1"),
    I(reserve_peer_count, 10, "reserve peers: the next positive final scores"),
    D(reserve_decay, 0.5, "reserve weights fall as reserve_decay^i, capped at the smallest gather weight"),
};

#undef D
#undef I

const tplr_scoring_config_row *tplr_scoring_config_rows(int *n)
{
    *n = (int)(sizeof rows / sizeof rows[0]);
    return rows;
}

static const tplr_scoring_config_row *find_row(const char *name)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

void tplr_scoring_config_defaults(tplr_scoring_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *field = (char *)c + rows[i].offset;
        if (rows[i].is_int)
            *(int *)field = (int)rows[i].default_value;
        else
            *(double *)field = rows[i].default_value;
    }
}

tplr_err tplr_scoring_config_set(tplr_scoring_config *c, const char *name, double value)
{
    const tplr_scoring_config_row *r = find_row(name);
    if (!r)
        return tplr_fail(TPLR_ENOTFOUND, "scoring config: no field named '%s'", name);
    char *field = (char *)c + r->offset;
    if (r->is_int) {
        if (!(value == floor(value)) || fabs(value) > 1e9)
            return tplr_fail(TPLR_EINVAL, "scoring config: %s must be an integer (got %g)", name, value);
        *(int *)field = (int)value;
    } else {
        if (!isfinite(value))
            return tplr_fail(TPLR_EINVAL, "scoring config: %s must be finite", name);
        *(double *)field = value;
    }
    return TPLR_OK;
}

tplr_err tplr_scoring_config_get(const tplr_scoring_config *c, const char *name, double *value)
{
    const tplr_scoring_config_row *r = find_row(name);
    if (!r)
        return tplr_fail(TPLR_ENOTFOUND, "scoring config: no field named '%s'", name);
    const char *field = (const char *)c + r->offset;
    *value = r->is_int ? (double)*(const int *)field : *(const double *)field;
    return TPLR_OK;
}

void tplr_scoring_openskill_params(const tplr_scoring_config *c, tplr_openskill_params *p)
{
    p->mu = c->openskill_mu;
    p->sigma = c->openskill_sigma;
    p->beta = c->openskill_beta;
    p->tau = c->openskill_tau;
    p->kappa = c->openskill_kappa;
    p->z = c->openskill_z;
}

/* lo <= v <= hi, finite */
static int in(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

#define CHECK(cond, field, what)                                                                  \
    do {                                                                                          \
        if (!(cond))                                                                              \
            return tplr_fail(TPLR_EINVAL, "scoring config: %s must be %s", #field, what);         \
    } while (0)

tplr_err tplr_scoring_config_check(const tplr_scoring_config *c)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!rows[i].is_int && !isfinite(*(const double *)((const char *)c + rows[i].offset)))
            return tplr_fail(TPLR_EINVAL, "scoring config: %s must be finite", rows[i].name);
    CHECK(c->openskill_sigma > 0, openskill_sigma, "> 0");
    CHECK(c->openskill_beta > 0, openskill_beta, "> 0");
    CHECK(c->openskill_tau >= 0, openskill_tau, ">= 0");
    CHECK(c->openskill_kappa > 0 && c->openskill_kappa <= 1, openskill_kappa, "in (0, 1]");
    CHECK(c->openskill_z >= 0, openskill_z, ">= 0");
    CHECK(c->bma_alpha > 0 && c->bma_alpha <= 1, bma_alpha, "in (0, 1]");
    CHECK(in(c->bma_threshold, -1, 1), bma_threshold, "in [-1, 1]");
    CHECK(c->bma_warmup_windows >= 0, bma_warmup_windows, ">= 0");
    CHECK(c->sync_max_x > 0, sync_max_x, "> 0");
    CHECK(c->sync_power > 0, sync_power, "> 0");
    CHECK(c->sync_ema_alpha > 0 && c->sync_ema_alpha <= 1, sync_ema_alpha, "in (0, 1]");
    CHECK(c->min_score >= 0, min_score, ">= 0");
    CHECK(in(c->missing_slash, 0, 1), missing_slash, "in [0, 1]");
    CHECK(in(c->sync_slash, 0, 1), sync_slash, "in [0, 1]");
    CHECK(c->sync_max_steps_behind >= 0, sync_max_steps_behind, ">= 0");
    CHECK(in(c->gather_min_success, 0, 1), gather_min_success, "in [0, 1]");
    CHECK(in(c->miss_slash_1, 0, 1), miss_slash_1, "in [0, 1]");
    CHECK(in(c->miss_slash_2, 0, 1), miss_slash_2, "in [0, 1]");
    CHECK(in(c->miss_slash_3, 0, 1), miss_slash_3, "in [0, 1]");
    CHECK(c->miss_reset_count >= 1 && c->miss_reset_count <= TPLR_SCORING_HISTORY, miss_reset_count, "in [1, 8]");
    CHECK(c->naughty_windows >= 0, naughty_windows, ">= 0");
    CHECK(in(c->negative_fraction, 0, 1), negative_fraction, "in [0, 1]");
    CHECK(in(c->negative_slash, 0, 1), negative_slash, "in [0, 1]");
    CHECK(c->negative_streak >= 1, negative_streak, ">= 1");
    CHECK(c->negative_waiver_rank >= 1, negative_waiver_rank, ">= 1");
    CHECK(in(c->inactive_slash, 0, 1), inactive_slash, "in [0, 1]");
    CHECK(c->inactive_reset_windows >= 0, inactive_reset_windows, ">= 0");
    CHECK(c->overlap_min_step >= 0, overlap_min_step, ">= 0");
    CHECK(in(c->overlap_flag, 0, 1), overlap_flag, "in [0, 1]");
    CHECK(in(c->overlap_slash, 0, 1), overlap_slash, "in [0, 1]");
    CHECK(in(c->overlap_reset, c->overlap_flag, 1), overlap_reset, "in [overlap_flag, 1]");
    CHECK(in(c->overlap_naughty, c->overlap_reset, 1), overlap_naughty, "in [overlap_reset, 1]");
    CHECK(c->uids_per_window >= 1 && c->uids_per_window <= TPLR_SCORING_MAX_UIDS, uids_per_window, "in [1, 1024]");
    CHECK(c->eval_bins >= 1 && c->eval_bins <= TPLR_SCORING_MAX_UIDS, eval_bins, "in [1, 1024]");
    CHECK(c->eval_bins_min >= c->eval_bins, eval_bins_min, ">= eval_bins");
    CHECK(c->eval_max_stake >= 0, eval_max_stake, ">= 0");
    CHECK(c->burn_uid >= -1 && c->burn_uid < TPLR_SCORING_MAX_UIDS, burn_uid, "a uid (or -1: no burn)");
    CHECK(in(c->burn_rate, 0, 1), burn_rate, "in [0, 1]");
    CHECK(c->burn_uid >= 0 || c->burn_rate == 0, burn_rate, "0 when burn_uid is -1");
    CHECK(c->gather_peer_count >= 1 && c->gather_peer_count <= TPLR_SCORING_MAX_UIDS, gather_peer_count, "in [1, 1024]");
    CHECK(in(c->gather_share, 0, 1), gather_share, "in [0, 1]");
    CHECK(c->gather_top_ratio >= 1, gather_top_ratio, ">= 1");
    CHECK(c->reserve_peer_count >= 0 && c->reserve_peer_count <= TPLR_SCORING_MAX_UIDS, reserve_peer_count, "in [0, 1024]");
    CHECK(in(c->reserve_decay, 0, 1), reserve_decay, "in [0, 1]");
    return TPLR_OK;
}
