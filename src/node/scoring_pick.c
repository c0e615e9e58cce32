/* Evaluation selection, the weight profile and the gather peer list (see
 * scoring_pick.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring_internal.h"
#include "tplr/rng.h"
#include "tplr/scoring_pick.h"

tplr_err tplr_weighted_sample(const double *weight, int n, int k, uint64_t seed, uint64_t stream, int *out)
{
    if (n < 0 || k < 0 || n > TPLR_SCORING_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "weighted sample: %d of %d (at most %d items)", k, n, TPLR_SCORING_MAX_UIDS);
    unsigned char taken[TPLR_SCORING_MAX_UIDS];
    memset(taken, 0, (size_t)n);
    for (int i = 0; i < n; i++)
        if (!isfinite(weight[i]) || !(weight[i] > 0))
            return tplr_fail(TPLR_EINVAL, "weighted sample: weight %d (%g) must be finite and > 0", i, weight[i]);
    int m = k < n ? k : n;
    for (int j = 0; j < m; j++) {
        double total = 0;
        for (int i = 0; i < n; i++)
            if (!taken[i])
                total += weight[i];
        double u = tplr_rng_uniform(seed, stream, (uint64_t)j) * total, cum = 0;
        int pick = -1;
        for (int i = 0; i < n; i++) {
            if (taken[i])
                continue;
            pick = i; /* the last one left catches rounding at the top */
            cum += weight[i];
            if (u < cum)
                break;
        }
        taken[pick] = 1;
        out[j] = pick;
    }
    return TPLR_OK;
}

typedef struct ranked {
    uint16_t uid;
    double key1, key2;
} ranked;

/* key1 descending, key2 descending, uid ascending */
static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->key1 != b->key1)
        return a->key1 > b->key1 ? -1 : 1;
    if (a->key2 != b->key2)
        return a->key2 > b->key2 ? -1 : 1;
    return (a->uid > b->uid) - (a->uid < b->uid);
}

tplr_err tplr_scoring_select(tplr_scoring *s, const uint16_t *candidates, const double *stake, int n, uint64_t seed,
                             uint16_t *out, int *n_out, int *bin)
{
    const tplr_scoring_config *c = &s->cfg;
    *n_out = 0;
    if (bin)
        *bin = -1;
    TPLR_TRY(sc_check_window(s, "select"));
    if (n < 0 || n > TPLR_SCORING_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "scoring: select: %d candidates", n);
    unsigned char seen[TPLR_SCORING_MAX_UIDS];
    memset(seen, 0, sizeof seen);
    ranked pool[TPLR_SCORING_MAX_UIDS];
    int m = 0;
    tplr_openskill_params p;
    tplr_scoring_openskill_params(c, &p);
    for (int i = 0; i < n; i++) {
        int uid = candidates[i];
        TPLR_TRY(sc_check_uid(s, uid, "select"));
        if (seen[uid])
            return tplr_fail(TPLR_EINVAL, "scoring: select: uid %d is a candidate twice", uid);
        seen[uid] = 1;
        if (!(stake[i] <= c->eval_max_stake) || tplr_scoring_is_naughty(s, uid, s->window))
            continue;
        pool[m++] = (ranked){(uint16_t)uid, tplr_openskill_ordinal(&p, s->uid[uid].rating), 0};
    }
    int lo = 0, hi = m;
    if (m >= c->eval_bins_min) {
        qsort(pool, (size_t)m, sizeof pool[0], cmp_ranked);
        int b = (int)tplr_rng_below(seed, 0, 0, (uint64_t)c->eval_bins);
        int base = m / c->eval_bins, extra = m % c->eval_bins;
        lo = b * base + (b < extra ? b : extra);
        hi = lo + base + (b < extra ? 1 : 0);
        if (bin)
            *bin = b;
    }
    double w[TPLR_SCORING_MAX_UIDS];
    for (int i = lo; i < hi; i++) {
        tplr_uid_score *u = sc_touch(s, pool[i].uid);
        if (u->eval_wait < 1)
            u->eval_wait = 1;
        w[i - lo] = (double)u->eval_wait;
    }
    int idx[TPLR_SCORING_MAX_UIDS];
    TPLR_TRY(tplr_weighted_sample(w, hi - lo, c->uids_per_window, seed, 1, idx));
    int k = hi - lo < c->uids_per_window ? hi - lo : c->uids_per_window;
    unsigned char chosen[TPLR_SCORING_MAX_UIDS];
    memset(chosen, 0, sizeof chosen);
    for (int j = 0; j < k; j++) {
        out[j] = pool[lo + idx[j]].uid;
        chosen[out[j]] = 1;
    }
    for (int i = 0; i < m; i++) {
        tplr_uid_score *u = sc_touch(s, pool[i].uid);
        u->eval_wait = chosen[pool[i].uid] ? 1 : (u->eval_wait < 1 ? 1 : u->eval_wait) + 1;
    }
    *n_out = k;
    return TPLR_OK;
}

tplr_err tplr_scoring_weights_of(const tplr_scoring_config *c, const double *final_scores, int n_uids, uint16_t *uids,
                                 double *weights, int *n)
{
    *n = 0;
    if (n_uids < 0 || n_uids > TPLR_SCORING_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "scoring: weights over %d uids (at most %d)", n_uids, TPLR_SCORING_MAX_UIDS);
    ranked pos[TPLR_SCORING_MAX_UIDS];
    int m = 0;
    for (int uid = 0; uid < n_uids; uid++) {
        if (!isfinite(final_scores[uid]))
            return tplr_fail(TPLR_EINVAL, "scoring: uid %d's final score is not finite", uid);
        if (uid != c->burn_uid && final_scores[uid] > 0)
            pos[m++] = (ranked){(uint16_t)uid, final_scores[uid], 0};
    }
    qsort(pos, (size_t)m, sizeof pos[0], cmp_ranked);
    int ng = m < c->gather_peer_count ? m : c->gather_peer_count;
    int nr = m - ng < c->reserve_peer_count ? m - ng : c->reserve_peer_count;
    double burn = c->burn_uid >= 0 ? c->burn_rate : 0.0;
    if (ng == 0) {
        if (c->burn_uid >= 0) {
            uids[0] = (uint16_t)c->burn_uid;
            weights[0] = 1.0;
            *n = 1;
        }
        return TPLR_OK;
    }
    double w[TPLR_SCORING_MAX_UIDS], sum = 0;
    for (int i = 0; i < ng; i++) {
        w[i] = ng == 1 ? c->gather_top_ratio : c->gather_top_ratio - (c->gather_top_ratio - 1.0) * i / (ng - 1);
        sum += w[i];
    }
    double cap = INFINITY, rsum = 0;
    for (int i = 0; i < ng; i++) {
        w[i] *= (1.0 - burn) * c->gather_share / sum;
        cap = fmin(cap, w[i]);
    }
    for (int i = 0; i < nr; i++) {
        w[ng + i] = pow(c->reserve_decay, i);
        rsum += w[ng + i];
    }
    for (int i = 0; i < nr; i++)
        w[ng + i] = fmin(w[ng + i] * (1.0 - burn) * (1.0 - c->gather_share) / rsum, cap);
    double total = 0;
    for (int i = 0; i < ng + nr; i++)
        total += w[i];
    int k = 0;
    if (burn > 0) {
        uids[k] = (uint16_t)c->burn_uid;
        weights[k++] = burn;
    }
    for (int i = 0; i < ng + nr; i++) {
        double v = total > 0 ? w[i] * (1.0 - burn) / total : 0;
        if (v > 0) {
            uids[k] = pos[i].uid;
            weights[k++] = v;
        }
    }
    *n = k;
    return TPLR_OK;
}

tplr_err tplr_scoring_weights(tplr_scoring *s, uint16_t *uids, double *weights, int *n)
{
    double f[TPLR_SCORING_MAX_UIDS];
    for (int i = 0; i < TPLR_SCORING_MAX_UIDS; i++)
        f[i] = s->uid[i].final_score;
    TPLR_TRY(tplr_scoring_weights_of(&s->cfg, f, TPLR_SCORING_MAX_UIDS, uids, weights, n));
    for (int i = 0; i < TPLR_SCORING_MAX_UIDS; i++)
        s->uid[i].weight = 0;
    for (int i = 0; i < *n; i++)
        s->uid[uids[i]].weight = weights[i];
    return TPLR_OK;
}

tplr_err tplr_scoring_peers(const tplr_scoring *s, const uint16_t *candidates, const double *incentive, int n,
                            int initial, uint16_t *peers, int *n_peers, uint16_t *reserve, int *n_reserve)
{
    const tplr_scoring_config *c = &s->cfg;
    *n_peers = *n_reserve = 0;
    if (n < 0 || n > TPLR_SCORING_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "scoring: peers: %d candidates", n);
    unsigned char seen[TPLR_SCORING_MAX_UIDS];
    memset(seen, 0, sizeof seen);
    ranked pool[TPLR_SCORING_MAX_UIDS];
    int m = 0;
    for (int i = 0; i < n; i++) {
        int uid = candidates[i];
        TPLR_TRY(sc_check_uid(s, uid, "peers"));
        double inc = incentive ? incentive[i] : 0.0;
        if (!isfinite(inc))
            return tplr_fail(TPLR_EINVAL, "scoring: peers: uid %d's incentive is not finite", uid);
        if (seen[uid])
            return tplr_fail(TPLR_EINVAL, "scoring: peers: uid %d is a candidate twice", uid);
        seen[uid] = 1;
        const tplr_uid_score *u = &s->uid[uid];
        if (uid == c->burn_uid || tplr_scoring_is_naughty(s, uid, s->window) || u->excluded)
            continue;
        pool[m++] = initial ? (ranked){(uint16_t)uid, inc, 0} : (ranked){(uint16_t)uid, u->weight, inc};
    }
    qsort(pool, (size_t)m, sizeof pool[0], cmp_ranked);
    for (int i = 0; i < m; i++) {
        if (*n_peers < c->gather_peer_count)
            peers[(*n_peers)++] = pool[i].uid;
        else if (*n_reserve < c->reserve_peer_count)
            reserve[(*n_reserve)++] = pool[i].uid;
    }
    return TPLR_OK;
}
