/* Tournament evaluation: compiles a submission (train.c), runs it in a
 * sandbox against the trusted harness, verifies its outputs against the
 * reference run on the same seed and measures its tokens per second. */
#ifndef TPLR_TOUR_EVAL_H
#define TPLR_TOUR_EVAL_H

#include <stdint.h>

#include "tplr/err.h"

typedef enum tplr_tour_verdict { TPLR_TOUR_PASS = 0, TPLR_TOUR_COMPILE_ERROR, TPLR_TOUR_TIMEOUT, TPLR_TOUR_CRASH,
    TPLR_TOUR_SANDBOX_VIOLATION, TPLR_TOUR_TOKEN_COUNT_MISMATCH, TPLR_TOUR_LOSS_MISMATCH,
    TPLR_TOUR_LOGITS_MISMATCH, TPLR_TOUR_WEIGHTS_MISMATCH } tplr_tour_verdict;
/* "Pass", "CompileError", "Timeout", "Crash", "SandboxViolation", "TokenCountMismatchError",
 * "LossMismatchError", "LogitsMismatchError", "WeightsMismatchError" */
const char *tplr_tour_verdict_name(tplr_tour_verdict v);

#define TPLR_TOUR_MAX_EVALS 16

typedef struct tplr_tour_eval_opts {
    const char *preset;    /* model preset (tiny, small, 150M) */
    int steps, batch, seq; /* seq: tokens per row handed out (the model sees seq − 1) */
    int evals;             /* evaluations, each on a fresh seed; the median TPS counts */
    double timeout_s;      /* wall clock per run, from the sandbox's start */
    const char *cache_dir; /* reference runs, by seed and settings */
    const char *work_dir;  /* compiled submissions and sandbox logs */
    uint64_t seed;         /* 0: fresh random seed per evaluation */
    /* fields added after the contract */
    int threads;               /* 0: every core of this machine */
    double mem_gib;            /* address-space limit of the sandbox; 0: sized from the model */
    const char *reference_path; /* NULL: tournament/reference_train.c of this build */
} tplr_tour_eval_opts;

void tplr_tour_eval_opts_default(tplr_tour_eval_opts *o);

typedef struct tplr_tour_run {
    tplr_tour_verdict verdict;
    uint64_t seed, tokens;
    double seconds, tps, loss, ref_loss, logits_diff, weights_rel_l2;
    char detail[1024]; /* statistics and likely causes */
    /* fields added after the contract */
    double startup_s;  /* sandbox start to the first batch request */
} tplr_tour_run;

typedef struct tplr_tour_report {
    tplr_tour_verdict verdict; /* PASS only if every run passed */
    double median_tps;
    int n_runs;
    tplr_tour_run runs[TPLR_TOUR_MAX_EVALS];
} tplr_tour_report;

/* tplr_err only for infrastructure failures (no compiler, cannot create dirs); faults of the submission are verdicts. */
tplr_err tplr_tour_evaluate(const char *source_path, const tplr_tour_eval_opts *o, tplr_tour_report *r);

#endif
