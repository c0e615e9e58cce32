/* The validator's scoring of one window: the gather's misses, sync and
 * index overlap; activity, selection and evaluation of miners. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/rng.h"
#include "tplr/scoring_pick.h"
#include "tplr/store_keys.h"
#include "validator_internal.h"

/* Registered miners with a bucket (validators and the caller left out). */
int validator_miner_uids(tplr_node *n, uint16_t *out, double *stake, double *incentive)
{
    int k = 0;
    for (int u = 0; u < n->mg.n && u < TPLR_SCORING_MAX_UIDS; u++) {
        if (u == n->uid || tplr_node_is_validator_uid(n, u) || !tplr_node_peer_store(n, u))
            continue;
        out[k] = (uint16_t)u;
        if (stake)
            stake[k] = tplr_node_stake_tokens(n, u);
        if (incentive)
            incentive[k] = n->mg.neurons[u].incentive;
        k++;
    }
    return k;
}

/* Whether uid uploaded a gradient for one of the last active_windows windows up to w. */
static int is_active(tplr_node *n, int uid, int64_t w)
{
    tplr_store *s = tplr_node_peer_store(n, uid);
    char key[TPLR_KEY_MAX];
    for (int64_t k = 0; s && k < n->cfg->active_windows && w - k >= 0; k++) {
        tplr_obj_info info;
        if (!tplr_key_gradient(key, sizeof key, (uint64_t)(w - k), (uint64_t)uid, n->cfg->network_version) &&
            tplr_store_head(s, key, &info) == TPLR_OK)
            return 1;
    }
    return 0;
}

/* The sync distance of uid: its fingerprint after window w-1 against ours. */
static double sync_x_of(validator *v, int uid, int64_t w, int64_t *their_step)
{
    tplr_node *n = v->n;
    tplr_store *s = tplr_node_peer_store(n, uid);
    char key[TPLR_KEY_MAX], *text;
    size_t len;
    *their_step = -1;
    if (!s || tplr_key_debug(key, sizeof key, (uint64_t)(w - 1), (uint64_t)uid, n->cfg->network_version) ||
        tplr_node_get_small(n, s, key, &text, &len, NULL))
        return 0; /* no evidence */
    tplr_fingerprint *theirs = malloc(sizeof *theirs), *ours = malloc(sizeof *ours);
    double x = 0;
    if (theirs && ours && tplr_fingerprint_parse(text, len, key, theirs) == TPLR_OK) {
        tplr_node_fingerprint(n, w - 1, ours);
        *their_step = theirs->global_step;
        x = theirs->n_slice == ours->n_slice ? tplr_sync_x(ours->slice, theirs->slice, (size_t)ours->n_slice,
                                                           v->s->delta_ema)
                                             : INFINITY;
    }
    free(text);
    free(theirs);
    free(ours);
    return x;
}

/* uid's gradient of window w when it was not a gather peer: fetched within
 * the time bounds and validated. 1: view filled; 0: missing or late; -1: invalid. */
static int fetch_one(validator *v, int64_t w, int uid, unsigned char **bytes, tplr_codec_view *view)
{
    tplr_node *n = v->n;
    uint16_t u = (uint16_t)uid;
    tplr_node_gathered g;
    *bytes = NULL;
    if (tplr_node_gather(n, w, &u, 1, NULL, 0, &g))
        return 0;
    int r = 0;
    if (g.r.n_items > 0 && g.r.items[0].outcome == TPLR_PEER_INVALID)
        r = -1;
    else if (g.n == 1) {
        /* keep the bytes alive with the view: take them from the result */
        *bytes = g.r.items[0].data;
        g.r.items[0].data = NULL;
        tplr_codec_reason why;
        r = tplr_node_validate(n, *bytes, g.r.items[0].len, w, uid, view, &why) == TPLR_OK ? 1 : -1;
    }
    tplr_node_gathered_free(&g);
    return r;
}

tplr_err validator_evaluate(validator *v, int64_t w, const tplr_node_gathered *g)
{
    tplr_node *n = v->n;
    uint16_t cand[TPLR_SCORING_MAX_UIDS], pick[TPLR_SCORING_MAX_UIDS], act[TPLR_SCORING_MAX_UIDS];
    double stake[TPLR_SCORING_MAX_UIDS];
    int nm = validator_miner_uids(n, cand, stake, NULL), na = 0, k = 0;
    double astake[TPLR_SCORING_MAX_UIDS];
    for (int i = 0; i < nm; i++) {
        int a = is_active(n, cand[i], w);
        TPLR_TRY(tplr_scoring_activity(v->s, cand[i], a));
        if (a) {
            act[na] = cand[i];
            astake[na++] = stake[i];
        }
    }
    TPLR_TRY(tplr_scoring_select(v->s, act, astake, na, tplr_rng_mix((uint64_t)w, 0x5e1ec7), pick, &k, NULL));
    for (int i = 0; i < k; i++) {
        int uid = pick[i], gi = -1;
        for (int j = 0; j < g->n; j++)
            if (g->uids[j] == uid)
                gi = j;
        tplr_codec_view own;
        unsigned char *bytes = NULL;
        const tplr_codec_view *view = gi >= 0 ? &g->views[gi] : NULL;
        int got = view ? 1 : fetch_one(v, w, uid, &bytes, &own);
        if (!view && got == 1)
            view = &own;
        json_array_append_new(v->evaluated, json_integer(uid));
        if (got <= 0) {
            free(bytes);
            TPLR_TRY(got == 0 ? tplr_scoring_missing(v->s, uid) : tplr_scoring_invalid(v->s, uid));
            continue;
        }
        tplr_eval_losses l;
        int64_t their_step;
        tplr_err e = tplr_evaluator_eval(&v->ev, w, uid, view, g->views, g->n, &l);
        double x = sync_x_of(v, uid, w, &their_step);
        if (!e && tplr_scoring_eval(v->s, uid, &l, x) != TPLR_OK)
            e = tplr_scoring_invalid(v->s, uid);
        if (!e) {
            char key[16];
            snprintf(key, sizeof key, "%d", uid);
            json_object_set_new(v->gscore, key, json_real(v->s->uid[uid].gradient_score));
        }
        if (gi < 0) {
            tplr_codec_view_free(&own);
            free(bytes);
        }
        TPLR_TRY(e);
    }
    return TPLR_OK;
}

tplr_err validator_score_gather(validator *v, const tplr_node_gathered *g)
{
    tplr_node *n = v->n;
    uint16_t peers[TPLR_SCORING_MAX_UIDS], skipped[TPLR_SCORING_MAX_UIDS];
    int np = 0, ns = 0;
    for (int i = 0; i < g->r.n_items && np < TPLR_SCORING_MAX_UIDS; i++) {
        peers[np++] = (uint16_t)g->r.items[i].uid;
        if (g->r.items[i].outcome != TPLR_PEER_OK)
            skipped[ns++] = (uint16_t)g->r.items[i].uid;
    }
    TPLR_TRY(tplr_scoring_gather(v->s, peers, np, skipped, ns, g->r.success_rate));
    for (int i = 0; i < g->n; i++) {
        int64_t their_step;
        double x = sync_x_of(v, g->uids[i], v->s->window, &their_step);
        if (their_step >= 0)
            TPLR_TRY(tplr_scoring_gather_sync(v->s, g->uids[i], x < n->cfg->scoring.sync_max_x,
                                              (double)(n->global_step - their_step)));
    }
    if (g->n >= 2) {
        int np2 = g->n * (g->n - 1) / 2, got;
        tplr_overlap_pair *pairs = malloc(sizeof *pairs * (size_t)np2);
        if (!pairs)
            return tplr_fail(TPLR_ENOMEM, "out of memory");
        tplr_err e = tplr_scoring_overlap_pairs(g->views, g->uids, g->times, g->n, pairs, &got);
        if (!e)
            e = tplr_scoring_overlap(v->s, pairs, got, n->global_step);
        free(pairs);
        TPLR_TRY(e);
    }
    return TPLR_OK;
}

