/* The validator's scoring: everything it computes from measured losses,
 * gather results and index overlaps into per-uid scores, penalties and
 * ratings (Templar's rules and constants, shared/reference/templar.md §4).
 * Pure and deterministic: no I/O, no clock, no global state; randomness only
 * from the seed a caller passes. Weights, evaluation selection and peer lists
 * are in scoring_pick.h, persistence in scoring_file.h. docs/scoring.md
 * describes the whole computation.
 *
 * One window, in the order the validator calls it:
 *   tplr_scoring_begin_window(s, w)
 *   tplr_scoring_gather(s, peers, skipped, success_rate)   gather misses
 *   tplr_scoring_gather_sync(s, uid, ok, steps_behind)      per gather peer
 *   tplr_scoring_overlap(s, pairs, global_step)             copied gradients
 *   tplr_scoring_select(...)                                (scoring_pick.h)
 *   tplr_scoring_eval / _missing / _invalid(s, uid, ...)    per selected uid
 *   tplr_scoring_activity(s, uid, active)                   per known uid
 *   tplr_scoring_end_window(s)                              OpenSkill, final scores
 *   tplr_scoring_weights(...)                               (scoring_pick.h)
 * Every penalty applied is recorded as an event (uid, reason, score before
 * and after) readable until the next begin_window. */
#ifndef TPLR_SCORING_H
#define TPLR_SCORING_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/openskill.h"

#define TPLR_SCORING_MAX_UIDS 1024  /* = TPLR_WEIGHTS_MAX: the largest subnet */
#define TPLR_SCORING_HISTORY 8      /* evaluations / gather windows remembered per uid */
#define TPLR_SCORING_MAX_EVENTS 8192 /* penalty events kept per window (more are counted, not kept) */

/* ------------------------------------------------------------------ config */

/* Every constant of the scoring; tplr_scoring_config_defaults gives
 * Templar's values (the reference names each). */
typedef struct tplr_scoring_config {
    /* OpenSkill */
    double openskill_mu;           /* 25 */
    double openskill_sigma;        /* 25/3 */
    double openskill_beta;         /* 7 */
    double openskill_tau;          /* 0.1 */
    double openskill_kappa;        /* 1e-4 */
    double openskill_z;            /* 3 */
    /* scores */
    double bma_alpha;              /* 0.05: BMA <- (1-a)·BMA + a·indicator */
    double bma_threshold;          /* 0.10: below it the BMA term is 0 ... */
    int bma_warmup_windows;        /* 10: ... once this many windows were scored */
    double sync_max_x;             /* 3: sync = max(0, 1 - min(x, max)/max)^power */
    double sync_power;             /* 2.5 */
    double sync_ema_alpha;         /* 0.2: EMA of the validator's per-window |Δθ| */
    double missing_score;          /* -99: the OpenSkill score of a missing or invalid gradient */
    double min_score;              /* 1e-4: final scores below it become 0 */
    /* penalties */
    double missing_slash;          /* 0.75: missing/late evaluated gradient, final and BMA */
    double sync_slash;             /* 0.75: gather peer whose sync failed or is behind */
    double sync_max_steps_behind;  /* 2 */
    double gather_min_success;     /* 0.4: a gather below it slashes its skipped peers to 0 */
    double miss_slash_1;           /* 0.75: first consecutive gather miss */
    double miss_slash_2;           /* 0.5: second */
    double miss_slash_3;           /* 0: third and later */
    int miss_reset_count;          /* 4: misses among the last 8 gather windows -> reset + naughty */
    int naughty_windows;           /* 20 */
    double negative_fraction;      /* 0.5: more than this share of negative evaluations ... */
    double negative_slash;         /* 0.25: ... multiplies the final score by this */
    int negative_streak;           /* 3: consecutive negatives exclude a uid from the gather */
    int negative_waiver_rank;      /* 5: both waived if this window's 5th-ranked score is negative */
    double inactive_slash;         /* 0.75 per inactive window */
    int inactive_reset_windows;    /* 3: inactive longer than this -> reset */
    int overlap_min_step;          /* 20: overlap checks start at this global step */
    double overlap_flag;           /* 0.4: a pair at or above it is flagged, the later uploader blamed */
    double overlap_slash;          /* 0.5: below overlap_reset, final and BMA times this */
    double overlap_reset;          /* 0.5: at or above -> reset */
    double overlap_naughty;        /* 0.6: at or above -> reset + naughty */
    /* selection (scoring_pick.h) */
    int uids_per_window;           /* 20 */
    int eval_bins;                 /* 5 */
    int eval_bins_min;             /* 100: candidates needed before binning */
    double eval_max_stake;         /* 20000: uids with more stake (validators) are not evaluated */
    /* weights and peers (scoring_pick.h) */
    int burn_uid;                  /* 1 */
    double burn_rate;              /* 0.5 */
    int gather_peer_count;         /* 20: gather peers = top of the weights */
    double gather_share;           /* 0.75: their share of the non-burn weight */
    double gather_top_ratio;       /* 2: the linear profile runs from this down to 1 */
    int reserve_peer_count;        /* 10 */
    double reserve_decay;          /* 0.5: reserve weight profile decay^i */
} tplr_scoring_config;

void tplr_scoring_config_defaults(tplr_scoring_config *c);
/* Checks every field's range; TPLR_EINVAL names the first bad one. */
tplr_err tplr_scoring_config_check(const tplr_scoring_config *c);

/* One row per field, in struct order: for docs/config.md and for reading the
 * fields from a node's JSON config by name. */
typedef struct tplr_scoring_config_row {
    const char *name;      /* the field's name, also its JSON key */
    int is_int;            /* 1: an int field, 0: a double */
    size_t offset;         /* offsetof(tplr_scoring_config, name) */
    double default_value;
    const char *meaning;   /* one line */
} tplr_scoring_config_row;

const tplr_scoring_config_row *tplr_scoring_config_rows(int *n);
/* Sets / reads one field by name (TPLR_ENOTFOUND for an unknown name,
 * TPLR_EINVAL for a non-integral value of an int field). */
tplr_err tplr_scoring_config_set(tplr_scoring_config *c, const char *name, double value);
tplr_err tplr_scoring_config_get(const tplr_scoring_config *c, const char *name, double *value);
/* The OpenSkill part of c. */
void tplr_scoring_openskill_params(const tplr_scoring_config *c, tplr_openskill_params *p);

/* -------------------------------------------------------- pure score rules */

/* Summed cross-entropy losses of one evaluation, before and after applying
 * the uid's gradient, on its own data and on the window's random data. */
typedef struct tplr_eval_losses {
    double before_own, after_own;
    double before_rand, after_rand;
} tplr_eval_losses;

/* (before_rand - after_rand) / before_rand. */
double tplr_gradient_score(const tplr_eval_losses *l);
/* +1 if the relative improvement on own data beats the one on random data, else -1. */
int tplr_binary_indicator(const tplr_eval_losses *l);
/* Losses usable for scoring: all finite, befores > 0, afters >= 0. */
int tplr_eval_losses_ok(const tplr_eval_losses *l);

/* max(0, 1 - min(x, max_x)/max_x)^power (x < 0 counts as 0, NaN as max_x). */
double tplr_sync_score(const tplr_scoring_config *c, double x);
/* The sync distance x: the interquartile mean of |a[i] - b[i]| (the values
 * between the 25th and 75th percentiles, percentiles linearly interpolated
 * as torch.quantile does) divided by delta_ema, the EMA of the validator's
 * per-window mean |Δθ|. a is the validator's fingerprint, b the miner's.
 * delta_ema <= 0 (not measured yet) or n = 0 gives 0 (no evidence, no
 * penalty); a non-finite difference gives +inf. */
double tplr_sync_x(const float *a, const float *b, size_t n, double delta_ema);
/* The next EMA of |Δθ|: alpha·delta + (1-alpha)·ema, or delta when ema <= 0. */
double tplr_sync_ema_update(double ema, double delta, double alpha);

/* --------------------------------------------------------------- penalties */

typedef enum tplr_penalty {
    TPLR_PENALTY_NONE = 0,
    TPLR_PENALTY_MISSING,          /* evaluated, but no gradient in the time bounds: final, BMA ×0.75; score -99 */
    TPLR_PENALTY_INVALID,          /* evaluated, gradient failed validation: positive final -> 0; score -99 */
    TPLR_PENALTY_GATHER_MISS,      /* skipped in the gather: ×0.75, ×0.5, ×0 by consecutive misses */
    TPLR_PENALTY_GATHER_FAILED,    /* skipped in a gather whose success rate < 0.4: ×0 */
    TPLR_PENALTY_GATHER_RESET,     /* >= 4 of the last 8 gathers missed: reset + naughty */
    TPLR_PENALTY_SYNC,             /* gather peer out of sync or > 2 steps behind: final, BMA ×0.75 */
    TPLR_PENALTY_NEGATIVE,         /* > 50% of the last 8 evaluations negative: final ×0.25 */
    TPLR_PENALTY_NEGATIVE_EXCLUDED,/* 3 consecutive negative evaluations: out of the gather */
    TPLR_PENALTY_INACTIVE,         /* no recent gradient: final ×0.75 per window */
    TPLR_PENALTY_INACTIVE_RESET,   /* inactive for more than 3 windows: reset */
    TPLR_PENALTY_OVERLAP,          /* copied indices (0.4..0.5): final, BMA ×0.5 */
    TPLR_PENALTY_OVERLAP_RESET,    /* copied indices (>= 0.5): reset */
    TPLR_PENALTY_OVERLAP_NAUGHTY,  /* copied indices (>= 0.6): reset + naughty */
    TPLR_PENALTY_BMA_LOW,          /* BMA below 0.10 after warm-up: the BMA term (so the final score) is 0 */
    TPLR_PENALTY_TINY,             /* final score below 1e-4: set to 0 */
    TPLR_PENALTY_COUNT
} tplr_penalty;

/* "missing", "invalid", "gather_miss", ...: stable names for logs and reports. */
const char *tplr_penalty_name(tplr_penalty p);

typedef struct tplr_penalty_event {
    uint16_t uid;
    tplr_penalty reason;
    double before, after;  /* the final score before and after */
    double value;          /* what triggered it: overlap fraction, steps behind, misses, ... (0 if nothing) */
} tplr_penalty_event;

/* ------------------------------------------------------------------- state */

typedef struct tplr_uid_score {
    int known;                  /* 1 once anything was recorded for the uid */
    int rated;                  /* 1 once OpenSkill rated it (else rating is the default) */
    tplr_rating rating;
    double gradient_score;      /* its last evaluation's (0 if none) */
    double binary_indicator;    /* its last evaluation's: +1, -1 (0 if none) */
    double bma;                 /* binary moving average */
    double sync_score;          /* its last measured sync score (1 until measured) */
    double final_score;
    double weight;              /* from the last tplr_scoring_weights */
    int64_t last_eval_window;   /* -1: never evaluated */
    int64_t eval_wait;          /* windows waited for an evaluation: the selection weight (>= 1) */
    int64_t n_evals;            /* evaluations recorded (measured, missing or invalid) */
    uint32_t neg_bits;          /* bit i: the (i+1)-th latest measured evaluation was negative */
    int neg_count;              /* valid bits in neg_bits (<= TPLR_SCORING_HISTORY) */
    int neg_streak;             /* consecutive negative measured evaluations */
    int excluded;               /* 1: out of the gather (neg_streak >= negative_streak, not waived) */
    uint32_t miss_bits;         /* bit i: missed the (i+1)-th latest gather it was a peer in */
    int miss_count;             /* valid bits in miss_bits */
    int miss_streak;            /* consecutive gather misses */
    int64_t naughty_until;      /* naughty while window < this; -1: never */
    int64_t inactive_since;     /* first inactive window; -1: active */
    uint32_t penalties;         /* this window's: bit (1u << tplr_penalty) */
} tplr_uid_score;

typedef struct tplr_scoring {
    tplr_scoring_config cfg;
    int64_t window;             /* the window being scored (begin_window); -1 before the first */
    int64_t first_window;       /* the first window scored; -1 before */
    int64_t windows_scored;     /* end_window calls */
    double delta_ema;           /* EMA of the validator's per-window mean |Δθ|; 0: not measured */
    tplr_uid_score uid[TPLR_SCORING_MAX_UIDS];
    /* this window (not persisted: a window is scored start to end in one run) */
    int in_window;              /* between begin_window and end_window */
    int n_game;                 /* uids scored this window, in record order */
    uint16_t game_uid[TPLR_SCORING_MAX_UIDS];
    double game_score[TPLR_SCORING_MAX_UIDS];
    int n_events;               /* events recorded this window (may exceed the array) */
    tplr_penalty_event events[TPLR_SCORING_MAX_EVENTS];
} tplr_scoring;

/* A fresh state (every uid unknown) with config c (checked). The struct is
 * large (~ 0.5 MB): allocate it with tplr_scoring_create. */
tplr_err tplr_scoring_init(tplr_scoring *s, const tplr_scoring_config *c);
tplr_err tplr_scoring_create(const tplr_scoring_config *c, tplr_scoring **out);
void tplr_scoring_free(tplr_scoring *s);

/* Forgets everything about uid (a new hotkey took the slot, or a reset
 * penalty): scores, rating, histories; naughty_until is kept. */
void tplr_scoring_reset_uid(tplr_scoring *s, int uid);
/* Whether uid is naughty in window w / excluded from the gather. */
int tplr_scoring_is_naughty(const tplr_scoring *s, int uid, int64_t w);

/* Starts window w (> the last one): clears the per-window game, events and
 * penalty bits. A window begun and never ended is dropped (as by
 * tplr_scoring_cancel_window). */
tplr_err tplr_scoring_begin_window(tplr_scoring *s, int64_t w);
/* Abandons the window begun (the gather failed, say): its game is dropped
 * unrated; penalties already applied, and the BMA and histories of
 * evaluations already recorded, stay. No-op outside a window. */
void tplr_scoring_cancel_window(tplr_scoring *s);

/* The gather's outcome: its peers (primary + reserve used), which of them
 * were skipped, and its success rate. Updates miss histories and applies the
 * gather-miss penalties to the skipped ones. */
tplr_err tplr_scoring_gather(tplr_scoring *s, const uint16_t *peers, int n_peers, const uint16_t *skipped,
                             int n_skipped, double success_rate);
/* A gather peer's sync check: ok = 0 (the check failed) or steps_behind >
 * sync_max_steps_behind slashes it. */
tplr_err tplr_scoring_gather_sync(tplr_scoring *s, int uid, int ok, double steps_behind);

/* One pair of gather peers' index overlap (tplr_codec_overlap_of's
 * fraction) and their upload times (any clock, later = larger). */
typedef struct tplr_overlap_pair {
    uint16_t a, b;
    double fraction;
    double time_a, time_b;
} tplr_overlap_pair;

/* Flags pairs at or above overlap_flag, blames the later uploader (both on a
 * tie) at its highest flagged fraction, and applies the overlap penalty.
 * Nothing happens before global_step overlap_min_step. */
tplr_err tplr_scoring_overlap(tplr_scoring *s, const tplr_overlap_pair *pairs, int n, int64_t global_step);

/* A measured evaluation of uid: its losses and its sync distance x
 * (tplr_sync_x; pass 0 when not measured). Updates gradient score, indicator,
 * BMA, sync score, histories, and enters the gradient score in this
 * window's game. TPLR_EINVAL for unusable losses (record it as invalid). */
tplr_err tplr_scoring_eval(tplr_scoring *s, int uid, const tplr_eval_losses *l, double sync_x);
/* uid was selected but its gradient was missing or outside the time bounds. */
tplr_err tplr_scoring_missing(tplr_scoring *s, int uid);
/* uid was selected but its gradient failed validation. */
tplr_err tplr_scoring_invalid(tplr_scoring *s, int uid);

/* Whether a known uid is active (a gradient in the recent windows):
 * inactive ones are slashed each window and reset after
 * inactive_reset_windows. */
tplr_err tplr_scoring_activity(tplr_scoring *s, int uid, int active);

/* Ends the window: rates this window's game with OpenSkill, recomputes the
 * final scores of the uids in it (ordinal × BMA term × sync), applies the
 * negative-evaluation penalties and zeroes final scores below min_score. */
tplr_err tplr_scoring_end_window(tplr_scoring *s);

/* Records the validator's own mean |Δθ| of this window into delta_ema. */
void tplr_scoring_observe_delta(tplr_scoring *s, double mean_abs_delta);

/* This window's penalty events (at most TPLR_SCORING_MAX_EVENTS are kept). */
const tplr_penalty_event *tplr_scoring_events(const tplr_scoring *s, int *n);

/* uid's OpenSkill ordinal (mu - z*sigma; 0 for a new uid with the defaults). */
double tplr_scoring_ordinal(const tplr_scoring *s, int uid);

/* Every pair of the gather's validated containers (views[i] sent by uids[i]
 * at times[i]) with its index overlap (tplr_codec_overlap_of), ready for
 * tplr_scoring_overlap. pairs must hold n·(n-1)/2 entries. Fails on
 * containers whose tensors differ (TPLR_EMISMATCH) or n out of range. */
struct tplr_codec_view;
tplr_err tplr_scoring_overlap_pairs(const struct tplr_codec_view *views, const uint16_t *uids, const double *times,
                                    int n, tplr_overlap_pair *pairs, int *n_pairs);

#endif
