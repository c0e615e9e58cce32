/* The scoring state: creation, per-uid bookkeeping, penalty events and the
 * window's frame (begin, the evaluations' records, end with OpenSkill). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring_internal.h"
#include "tplr/scoring.h"

static const char *const penalty_names[TPLR_PENALTY_COUNT] = {
    [TPLR_PENALTY_NONE] = "none",
    [TPLR_PENALTY_MISSING] = "missing",
    [TPLR_PENALTY_INVALID] = "invalid",
    [TPLR_PENALTY_GATHER_MISS] = "gather_miss",
    [TPLR_PENALTY_GATHER_FAILED] = "gather_failed",
    [TPLR_PENALTY_GATHER_RESET] = "gather_reset",
    [TPLR_PENALTY_SYNC] = "sync",
    [TPLR_PENALTY_NEGATIVE] = "negative",
    [TPLR_PENALTY_NEGATIVE_EXCLUDED] = "negative_excluded",
    [TPLR_PENALTY_INACTIVE] = "inactive",
    [TPLR_PENALTY_INACTIVE_RESET] = "inactive_reset",
    [TPLR_PENALTY_OVERLAP] = "overlap",
    [TPLR_PENALTY_OVERLAP_RESET] = "overlap_reset",
    [TPLR_PENALTY_OVERLAP_NAUGHTY] = "overlap_naughty",
    [TPLR_PENALTY_BMA_LOW] = "bma_low",
    [TPLR_PENALTY_TINY] = "tiny",
};

const char *tplr_penalty_name(tplr_penalty p)
{
    return (p >= 0 && p < TPLR_PENALTY_COUNT) ? penalty_names[p] : "unknown";
}

static void fresh_uid(const tplr_scoring_config *c, tplr_uid_score *u)
{
    memset(u, 0, sizeof *u);
    u->rating = (tplr_rating){c->openskill_mu, c->openskill_sigma};
    u->sync_score = 1.0;
    u->last_eval_window = -1;
    u->eval_wait = 1;
    u->naughty_until = -1;
    u->inactive_since = -1;
}

tplr_err tplr_scoring_init(tplr_scoring *s, const tplr_scoring_config *c)
{
    TPLR_TRY(tplr_scoring_config_check(c));
    memset(s, 0, sizeof *s);
    s->cfg = *c;
    s->window = -1;
    s->first_window = -1;
    for (int i = 0; i < TPLR_SCORING_MAX_UIDS; i++)
        fresh_uid(c, &s->uid[i]);
    return TPLR_OK;
}

tplr_err tplr_scoring_create(const tplr_scoring_config *c, tplr_scoring **out)
{
    *out = NULL;
    tplr_scoring *s = malloc(sizeof *s);
    if (!s)
        return tplr_fail(TPLR_ENOMEM, "scoring: no memory for the state (%zu bytes)", sizeof *s);
    tplr_err e = tplr_scoring_init(s, c);
    if (e != TPLR_OK) {
        free(s);
        return e;
    }
    *out = s;
    return TPLR_OK;
}

void tplr_scoring_free(tplr_scoring *s)
{
    free(s);
}

void tplr_scoring_reset_uid(tplr_scoring *s, int uid)
{
    if (uid < 0 || uid >= TPLR_SCORING_MAX_UIDS)
        return;
    tplr_uid_score *u = &s->uid[uid];
    int64_t naughty = u->naughty_until;
    uint32_t pen = u->penalties;
    fresh_uid(&s->cfg, u);
    u->naughty_until = naughty;
    u->penalties = pen;
}

int tplr_scoring_is_naughty(const tplr_scoring *s, int uid, int64_t w)
{
    return uid >= 0 && uid < TPLR_SCORING_MAX_UIDS && w < s->uid[uid].naughty_until;
}

tplr_err sc_check_uid(const tplr_scoring *s, int uid, const char *what)
{
    (void)s;
    if (uid < 0 || uid >= TPLR_SCORING_MAX_UIDS)
        return tplr_fail(TPLR_EINVAL, "scoring: %s: uid %d is out of range [0, %d)", what, uid, TPLR_SCORING_MAX_UIDS);
    return TPLR_OK;
}

tplr_err sc_check_window(const tplr_scoring *s, const char *what)
{
    if (!s->in_window)
        return tplr_fail(TPLR_EINVAL, "scoring: %s outside a window (call tplr_scoring_begin_window first)", what);
    return TPLR_OK;
}

tplr_uid_score *sc_touch(tplr_scoring *s, int uid)
{
    tplr_uid_score *u = &s->uid[uid];
    u->known = 1;
    return u;
}

void sc_event(tplr_scoring *s, int uid, tplr_penalty reason, double before, double value)
{
    tplr_uid_score *u = &s->uid[uid];
    u->penalties |= 1u << reason;
    if (s->n_events < TPLR_SCORING_MAX_EVENTS)
        s->events[s->n_events] = (tplr_penalty_event){(uint16_t)uid, reason, before, u->final_score, value};
    if (s->n_events < INT32_MAX)
        s->n_events++;
}

void sc_slash(tplr_scoring *s, int uid, double factor, int with_bma, tplr_penalty reason, double value)
{
    tplr_uid_score *u = &s->uid[uid];
    double before = u->final_score;
    if (u->final_score > 0) {
        u->final_score *= factor;
        if (with_bma)
            u->bma *= factor;
    }
    sc_event(s, uid, reason, before, value);
}

void sc_reset(tplr_scoring *s, int uid, int naughty, tplr_penalty reason, double value)
{
    double before = s->uid[uid].final_score;
    tplr_scoring_reset_uid(s, uid);
    tplr_uid_score *u = sc_touch(s, uid);
    if (naughty)
        u->naughty_until = s->window + s->cfg.naughty_windows;
    sc_event(s, uid, reason, before, value);
}

const tplr_penalty_event *tplr_scoring_events(const tplr_scoring *s, int *n)
{
    *n = s->n_events < TPLR_SCORING_MAX_EVENTS ? s->n_events : TPLR_SCORING_MAX_EVENTS;
    return s->events;
}

tplr_err tplr_scoring_begin_window(tplr_scoring *s, int64_t w)
{
    if (w < 0 || w <= s->window)
        return tplr_fail(TPLR_EINVAL, "scoring: window %lld does not follow window %lld", (long long)w,
                         (long long)s->window);
    s->window = w;
    if (s->first_window < 0)
        s->first_window = w;
    s->in_window = 1;
    s->n_game = 0;
    s->n_events = 0;
    for (int i = 0; i < TPLR_SCORING_MAX_UIDS; i++)
        s->uid[i].penalties = 0;
    return TPLR_OK;
}

void tplr_scoring_cancel_window(tplr_scoring *s)
{
    s->in_window = 0;
    s->n_game = 0;
}

void tplr_scoring_observe_delta(tplr_scoring *s, double mean_abs_delta)
{
    if (isfinite(mean_abs_delta) && mean_abs_delta >= 0)
        s->delta_ema = tplr_sync_ema_update(s->delta_ema, mean_abs_delta, s->cfg.sync_ema_alpha);
}

/* Enters uid's OpenSkill score in this window's game (once per window). */
static tplr_err enter_game(tplr_scoring *s, int uid, double score, const char *what)
{
    for (int i = 0; i < s->n_game; i++)
        if (s->game_uid[i] == uid)
            return tplr_fail(TPLR_EINVAL, "scoring: %s: uid %d was already scored in window %lld", what, uid,
                             (long long)s->window);
    s->game_uid[s->n_game] = (uint16_t)uid;
    s->game_score[s->n_game] = score;
    s->n_game++;
    tplr_uid_score *u = &s->uid[uid];
    u->last_eval_window = s->window;
    u->n_evals++;
    return TPLR_OK;
}

static tplr_err begin_record(tplr_scoring *s, int uid, const char *what)
{
    TPLR_TRY(sc_check_window(s, what));
    TPLR_TRY(sc_check_uid(s, uid, what));
    sc_touch(s, uid);
    return TPLR_OK;
}

tplr_err tplr_scoring_eval(tplr_scoring *s, int uid, const tplr_eval_losses *l, double sync_x)
{
    TPLR_TRY(begin_record(s, uid, "eval"));
    if (!tplr_eval_losses_ok(l))
        return tplr_fail(TPLR_EINVAL, "scoring: uid %d's losses are not usable (non-finite, or a loss before <= 0): "
                         "record it as invalid", uid);
    double gs = tplr_gradient_score(l);
    TPLR_TRY(enter_game(s, uid, gs, "eval"));
    tplr_uid_score *u = &s->uid[uid];
    const tplr_scoring_config *c = &s->cfg;
    u->gradient_score = gs;
    u->binary_indicator = tplr_binary_indicator(l);
    u->bma = (1.0 - c->bma_alpha) * u->bma + c->bma_alpha * u->binary_indicator;
    u->sync_score = tplr_sync_score(c, sync_x);
    int neg = gs < 0;
    u->neg_bits = ((u->neg_bits << 1) | (uint32_t)neg) & ((1u << TPLR_SCORING_HISTORY) - 1);
    if (u->neg_count < TPLR_SCORING_HISTORY)
        u->neg_count++;
    u->neg_streak = neg ? u->neg_streak + 1 : 0;
    return TPLR_OK;
}

tplr_err tplr_scoring_missing(tplr_scoring *s, int uid)
{
    TPLR_TRY(begin_record(s, uid, "missing"));
    TPLR_TRY(enter_game(s, uid, s->cfg.missing_score, "missing"));
    sc_slash(s, uid, s->cfg.missing_slash, 1, TPLR_PENALTY_MISSING, 0);
    return TPLR_OK;
}

tplr_err tplr_scoring_invalid(tplr_scoring *s, int uid)
{
    TPLR_TRY(begin_record(s, uid, "invalid"));
    TPLR_TRY(enter_game(s, uid, s->cfg.missing_score, "invalid"));
    sc_slash(s, uid, 0.0, 0, TPLR_PENALTY_INVALID, 0);
    return TPLR_OK;
}

/* The score of rank `rank` (1-based) among this window's measured
 * evaluations, highest first; NAN when there are fewer. */
static double ranked_measured(const tplr_scoring *s, int rank)
{
    double top[TPLR_SCORING_MAX_UIDS];
    int n = 0;
    for (int i = 0; i < s->n_game; i++)
        if (s->uid[s->game_uid[i]].penalties & ((1u << TPLR_PENALTY_MISSING) | (1u << TPLR_PENALTY_INVALID)))
            continue;
        else
            top[n++] = s->game_score[i];
    if (n < rank)
        return NAN;
    /* partial selection: the rank-th largest */
    for (int k = 0; k < rank; k++) {
        int best = k;
        for (int j = k + 1; j < n; j++)
            if (top[j] > top[best])
                best = j;
        double t = top[k];
        top[k] = top[best];
        top[best] = t;
    }
    return top[rank - 1];
}

/* The negative-evaluation rules for the uids measured this window. */
static void negative_rules(tplr_scoring *s)
{
    const tplr_scoring_config *c = &s->cfg;
    double kth = ranked_measured(s, c->negative_waiver_rank);
    int waived = !isnan(kth) && kth < 0;
    for (int i = 0; i < s->n_game; i++) {
        int uid = s->game_uid[i];
        tplr_uid_score *u = &s->uid[uid];
        if (u->penalties & ((1u << TPLR_PENALTY_MISSING) | (1u << TPLR_PENALTY_INVALID)))
            continue;
        if (waived) {
            u->excluded = 0;
            continue;
        }
        int negs = __builtin_popcount(u->neg_bits);
        if (u->neg_count > 0 && negs > c->negative_fraction * u->neg_count)
            sc_slash(s, uid, c->negative_slash, 0, TPLR_PENALTY_NEGATIVE, negs);
        u->excluded = u->neg_streak >= c->negative_streak;
        if (u->excluded)
            sc_event(s, uid, TPLR_PENALTY_NEGATIVE_EXCLUDED, u->final_score, u->neg_streak);
    }
}

tplr_err tplr_scoring_end_window(tplr_scoring *s)
{
    TPLR_TRY(sc_check_window(s, "end_window"));
    const tplr_scoring_config *c = &s->cfg;
    if (s->n_game > 0) {
        tplr_rating r[TPLR_SCORING_MAX_UIDS];
        for (int i = 0; i < s->n_game; i++)
            r[i] = s->uid[s->game_uid[i]].rating;
        tplr_openskill_params p;
        tplr_scoring_openskill_params(c, &p);
        TPLR_TRY(tplr_openskill_rate(&p, r, s->game_score, s->n_game));
        int warm = s->window - s->first_window >= c->bma_warmup_windows;
        for (int i = 0; i < s->n_game; i++) {
            int uid = s->game_uid[i];
            tplr_uid_score *u = &s->uid[uid];
            u->rating = r[i];
            u->rated = 1;
            double term = fmax(0.0, u->bma);
            if (warm && u->bma < c->bma_threshold && term > 0) {
                term = 0;
                sc_event(s, uid, TPLR_PENALTY_BMA_LOW, u->final_score, u->bma);
            }
            u->final_score = tplr_openskill_ordinal(&p, u->rating) * term * u->sync_score;
        }
    }
    negative_rules(s);
    for (int uid = 0; uid < TPLR_SCORING_MAX_UIDS; uid++) {
        tplr_uid_score *u = &s->uid[uid];
        if (u->final_score < c->min_score && u->final_score != 0) {
            double before = u->final_score;
            u->final_score = 0;
            if (before > 0)
                sc_event(s, uid, TPLR_PENALTY_TINY, before, before);
        }
    }
    s->windows_scored++;
    s->in_window = 0;
    return TPLR_OK;
}

double tplr_scoring_ordinal(const tplr_scoring *s, int uid)
{
    if (uid < 0 || uid >= TPLR_SCORING_MAX_UIDS)
        return 0.0;
    return s->uid[uid].rating.mu - s->cfg.openskill_z * s->uid[uid].rating.sigma;
}
