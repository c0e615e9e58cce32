/* The tournament validator's state in SQLite (schema in
 * docs/tournament_service.md, "Storage"): submissions with their source,
 * evaluations, and the fee payments already used. One connection guarded by a
 * mutex: every function is thread-safe. Sources stay hidden until their
 * submission is evaluated (tplr_tour_store_code says whether it may be shown). */
#ifndef TPLR_TOUR_STORE_H
#define TPLR_TOUR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/address.h"
#include "tplr/err.h"
#include "tplr/tour_similar.h"
#include "tplr/tour_winner.h"

#define TPLR_TOUR_STORE_VERSION 1

typedef enum tplr_tour_status {
    TPLR_TOUR_PENDING = 0, /* waiting for the evaluator */
    TPLR_TOUR_EVALUATING,  /* being evaluated now (back to pending after a restart) */
    TPLR_TOUR_FINISHED,    /* every run passed: it has a score */
    TPLR_TOUR_FAILED,      /* a run failed verification, compilation, the sandbox or the clock */
    TPLR_TOUR_ERROR        /* the validator could not evaluate it (its own fault, not the miner's) */
} tplr_tour_status;
const char *tplr_tour_status_name(tplr_tour_status s);

typedef struct tplr_tour_submission {
    int64_t id; /* 1, 2, ...: a lower id arrived earlier */
    char hotkey[TPLR_ADDRESS_MAX];
    int uid; /* at submission time; -1 when it was not registered */
    char code_sha256[65];
    tplr_tour_status status;
    char verdict[40]; /* the evaluation's verdict name, "" until evaluated */
    int has_score;
    double score; /* median tokens per second of the runs */
    int n_evals;
    int64_t created_ms, updated_ms;
    int has_payment;
    uint64_t pay_block;
    uint32_t pay_index;
    int64_t paid; /* base units */
    char error[512];
} tplr_tour_submission;

/* A new submission; payer/amount only with has_payment. */
typedef struct tplr_tour_new {
    const unsigned char *hotkey; /* 32 bytes */
    int uid;
    const char *code;
    size_t code_len;
    const unsigned char *code_sha256; /* 32 bytes */
    const tplr_tour_fp *fp;
    int has_payment;
    uint64_t pay_block;
    uint32_t pay_index;
    const unsigned char *payer; /* 32 bytes */
    int64_t paid;
} tplr_tour_new;

/* Why an insert was refused (TPLR_EREFUSED): the reason, and for a copy the
 * earlier submission it copies. */
typedef struct tplr_tour_refusal {
    const char *code; /* "duplicate_code", "near_copy", "payment_used" */
    int64_t other_id;
    double similarity;
} tplr_tour_refusal;

/* One run of an evaluation, as stored. */
typedef struct tplr_tour_eval_row {
    int64_t submission_id;
    int run;
    char verdict[40];
    uint64_t seed, tokens;
    double seconds, tps, loss, ref_loss, logits_diff, weights_rel_l2;
    char detail[1024];
    int64_t created_ms;
} tplr_tour_eval_row;

typedef struct tplr_tour_store tplr_tour_store;

/* Opens (creating) the database; submissions left "evaluating" by a stopped
 * server go back to "pending". */
tplr_err tplr_tour_store_open(const char *path, tplr_tour_store **out);
void tplr_tour_store_close(tplr_tour_store *s);

/* Adds a pending submission in one transaction, refusing (TPLR_EREFUSED,
 * why filled) code already submitted by anyone, code whose similarity to an
 * earlier submission of another hotkey is at least copy_threshold, and a
 * payment id used before. */
tplr_err tplr_tour_store_add(tplr_tour_store *s, const tplr_tour_new *n, double copy_threshold, int64_t *id,
                             tplr_tour_refusal *why);
/* 1 when the transfer id already paid for a submission. */
int tplr_tour_store_payment_used(tplr_tour_store *s, uint64_t block, uint32_t index);

tplr_err tplr_tour_store_get(tplr_tour_store *s, int64_t id, tplr_tour_submission *out);
/* The source (malloc'd, NUL-terminated). */
tplr_err tplr_tour_store_code(tplr_tour_store *s, int64_t id, char **code, size_t *len);
/* A source may be shown once its submission is evaluated (finished or failed). */
int tplr_tour_status_public(tplr_tour_status st);

/* Claims the oldest pending submission (now "evaluating"); TPLR_ENOTFOUND when none waits. */
tplr_err tplr_tour_store_claim(tplr_tour_store *s, int64_t *id);
/* Records an evaluation in one transaction: its runs, status, verdict, score
 * (has_score) and error text (may be NULL). */
tplr_err tplr_tour_store_finish(tplr_tour_store *s, int64_t id, tplr_tour_status st, const char *verdict,
                                int has_score, double score, const tplr_tour_eval_row *runs, int n_runs,
                                const char *error);
/* The runs of a submission, in run order (free *rows). */
tplr_err tplr_tour_store_evaluations(tplr_tour_store *s, int64_t id, tplr_tour_eval_row **rows, int *n);

/* The leaderboard: scored submissions by score (highest first, ties to the
 * earlier), then the others newest first; at most limit (free *subs). */
tplr_err tplr_tour_store_list(tplr_tour_store *s, int limit, tplr_tour_submission **subs, int *n);
/* Every scored submission in id order, for tplr_tour_pick_winner (free *out). */
tplr_err tplr_tour_store_scored(tplr_tour_store *s, tplr_tour_scored **out, int *n);
/* The current winner by tplr_tour_pick_winner (0 when nothing is scored). */
tplr_err tplr_tour_store_winner(tplr_tour_store *s, double threshold, int64_t *id);
/* Submissions waiting or being evaluated. */
tplr_err tplr_tour_store_pending(tplr_tour_store *s, int *n);

#endif
