/* The penalties that come from outside an evaluation: gather misses, gather
 * peers' sync, copied gradients (index overlap) and inactivity. */
#include <math.h>
#include <string.h>

#include "scoring_internal.h"
#include "tplr/codec.h"
#include "tplr/scoring.h"

tplr_err tplr_scoring_gather(tplr_scoring *s, const uint16_t *peers, int n_peers, const uint16_t *skipped,
                             int n_skipped, double success_rate)
{
    TPLR_TRY(sc_check_window(s, "gather"));
    if (n_peers < 0 || n_skipped < 0 || n_skipped > n_peers || n_peers > TPLR_SCORING_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "scoring: gather: %d skipped of %d peers", n_skipped, n_peers);
    if (!isfinite(success_rate) || success_rate < 0 || success_rate > 1)
        return tplr_fail(TPLR_EINVAL, "scoring: gather: success rate %g is not in [0, 1]", success_rate);
    unsigned char role[TPLR_SCORING_MAX_UIDS]; /* 1 peer, 2 skipped peer */
    memset(role, 0, sizeof role);
    for (int i = 0; i < n_peers; i++) {
        TPLR_TRY(sc_check_uid(s, peers[i], "gather"));
        if (role[peers[i]])
            return tplr_fail(TPLR_EINVAL, "scoring: gather: uid %d is listed twice among the peers", peers[i]);
        role[peers[i]] = 1;
    }
    for (int i = 0; i < n_skipped; i++) {
        if (skipped[i] >= TPLR_SCORING_MAX_UIDS || role[skipped[i]] != 1)
            return tplr_fail(TPLR_EINVAL, "scoring: gather: skipped uid %d is not a peer (or listed twice)",
                             skipped[i]);
        role[skipped[i]] = 2;
    }
    const tplr_scoring_config *c = &s->cfg;
    const uint32_t mask = (1u << TPLR_SCORING_HISTORY) - 1;
    for (int i = 0; i < n_peers; i++) {
        int uid = peers[i];
        int miss = role[uid] == 2;
        tplr_uid_score *u = sc_touch(s, uid);
        u->miss_bits = ((u->miss_bits << 1) | (uint32_t)miss) & mask;
        if (u->miss_count < TPLR_SCORING_HISTORY)
            u->miss_count++;
        if (!miss) {
            u->miss_streak = 0;
            continue;
        }
        u->miss_streak++;
        int misses = __builtin_popcount(u->miss_bits);
        if (misses >= c->miss_reset_count)
            sc_reset(s, uid, 1, TPLR_PENALTY_GATHER_RESET, misses);
        else if (success_rate < c->gather_min_success)
            sc_slash(s, uid, 0.0, 1, TPLR_PENALTY_GATHER_FAILED, success_rate);
        else {
            double f = u->miss_streak == 1 ? c->miss_slash_1 : u->miss_streak == 2 ? c->miss_slash_2 : c->miss_slash_3;
            sc_slash(s, uid, f, 1, TPLR_PENALTY_GATHER_MISS, u->miss_streak);
        }
    }
    return TPLR_OK;
}

tplr_err tplr_scoring_gather_sync(tplr_scoring *s, int uid, int ok, double steps_behind)
{
    TPLR_TRY(sc_check_window(s, "gather_sync"));
    TPLR_TRY(sc_check_uid(s, uid, "gather_sync"));
    sc_touch(s, uid);
    if (!ok || !(steps_behind <= s->cfg.sync_max_steps_behind))
        sc_slash(s, uid, s->cfg.sync_slash, 1, TPLR_PENALTY_SYNC, ok ? steps_behind : -1);
    return TPLR_OK;
}

tplr_err tplr_scoring_overlap(tplr_scoring *s, const tplr_overlap_pair *pairs, int n, int64_t global_step)
{
    TPLR_TRY(sc_check_window(s, "overlap"));
    if (n < 0)
        return tplr_fail(TPLR_EINVAL, "scoring: overlap: %d pairs", n);
    const tplr_scoring_config *c = &s->cfg;
    double blame[TPLR_SCORING_MAX_UIDS];
    for (int i = 0; i < TPLR_SCORING_MAX_UIDS; i++)
        blame[i] = -1;
    for (int i = 0; i < n; i++) {
        const tplr_overlap_pair *p = &pairs[i];
        if (p->a >= TPLR_SCORING_MAX_UIDS || p->b >= TPLR_SCORING_MAX_UIDS || p->a == p->b)
            return tplr_fail(TPLR_EINVAL, "scoring: overlap pair %d: uids %d and %d", i, p->a, p->b);
        if (!isfinite(p->fraction) || p->fraction < 0 || p->fraction > 1 || !isfinite(p->time_a) ||
            !isfinite(p->time_b))
            return tplr_fail(TPLR_EINVAL, "scoring: overlap pair %d: fraction %g must be in [0, 1], times finite", i,
                             p->fraction);
        if (p->fraction < c->overlap_flag)
            continue;
        if (p->time_b >= p->time_a)
            blame[p->b] = fmax(blame[p->b], p->fraction);
        if (p->time_a >= p->time_b)
            blame[p->a] = fmax(blame[p->a], p->fraction);
    }
    if (global_step < c->overlap_min_step)
        return TPLR_OK;
    for (int uid = 0; uid < TPLR_SCORING_MAX_UIDS; uid++) {
        double f = blame[uid];
        if (f < 0)
            continue;
        sc_touch(s, uid);
        if (f >= c->overlap_naughty)
            sc_reset(s, uid, 1, TPLR_PENALTY_OVERLAP_NAUGHTY, f);
        else if (f >= c->overlap_reset)
            sc_reset(s, uid, 0, TPLR_PENALTY_OVERLAP_RESET, f);
        else
            sc_slash(s, uid, c->overlap_slash, 1, TPLR_PENALTY_OVERLAP, f);
    }
    return TPLR_OK;
}

tplr_err tplr_scoring_activity(tplr_scoring *s, int uid, int active)
{
    TPLR_TRY(sc_check_window(s, "activity"));
    TPLR_TRY(sc_check_uid(s, uid, "activity"));
    tplr_uid_score *u = &s->uid[uid];
    if (active) {
        u->inactive_since = -1;
        return TPLR_OK;
    }
    if (!u->known)
        return TPLR_OK;
    if (u->inactive_since < 0)
        u->inactive_since = s->window;
    int64_t inactive = s->window - u->inactive_since;
    if (inactive > s->cfg.inactive_reset_windows) {
        sc_reset(s, uid, 0, TPLR_PENALTY_INACTIVE_RESET, (double)inactive);
        s->uid[uid].known = 0; /* forgotten until it shows up again */
    } else
        sc_slash(s, uid, s->cfg.inactive_slash, 0, TPLR_PENALTY_INACTIVE, (double)inactive);
    return TPLR_OK;
}

tplr_err tplr_scoring_overlap_pairs(const struct tplr_codec_view *views, const uint16_t *uids, const double *times,
                                    int n, tplr_overlap_pair *pairs, int *n_pairs)
{
    *n_pairs = 0;
    if (n < 0 || n > TPLR_SCORING_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "scoring: overlap pairs of %d containers", n);
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            tplr_codec_overlap o;
            tplr_err e = tplr_codec_overlap_of(&views[i], &views[j], &o, NULL);
            if (e != TPLR_OK)
                return tplr_fail_ctx(e, "scoring: overlap of uids %d and %d", uids[i], uids[j]);
            pairs[k++] = (tplr_overlap_pair){uids[i], uids[j], o.fraction, times[i], times[j]};
        }
    *n_pairs = k;
    return TPLR_OK;
}
