/* The submission API of the tournament: a submission is one C file that
 * defines inner_steps() against the engine's public API (tplr/model.h,
 * tplr/kernels.h, tplr/optim.h). It mirrors the Templar Tournament's Python
 * signature: inner_steps(model, data_iterator, optimizer, num_steps, device).
 *
 * What the evaluation compares with the reference (tournament/reference_train.c):
 * every batch is taken from the iterator exactly once (num_steps batches);
 * each step trains on inputs batch[:, :-1] and targets batch[:, 1:]
 * (cross-entropy, ignore index -100), then takes one AdamW step with
 * learning rate optimizer->hp.lr; the result carries the last step's logits
 * (before its optimizer step), its loss, and the tokens taken
 * (num_steps · B · S, the dropped last column included). The final weights
 * (model->params after the last step) are compared as well. */
#ifndef TPLR_TOURNAMENT_H
#define TPLR_TOURNAMENT_H

#include <stdint.h>

#include "tplr/err.h"
#include "tplr/kernels.h"
#include "tplr/model.h"
#include "tplr/optim.h"

/* Batches from the harness: B rows of S tokens each. */
typedef struct tplr_tour_data tplr_tour_data;

/* The next batch, [B][S] row-major, valid until the next call; NULL when the
 * harness refused (more batches asked than num_steps: the run is void) or
 * the pipe failed. Each call counts B·S tokens on the harness's side. */
const int32_t *tplr_tour_next_batch(tplr_tour_data *it);
int tplr_tour_batch_rows(const tplr_tour_data *it); /* B */
int tplr_tour_batch_len(const tplr_tour_data *it);  /* S */

typedef struct tplr_tour_device {
    int threads; /* cores granted to the run (already set with tplr_k_set_threads) */
} tplr_tour_device;

typedef struct tplr_inner_steps_result {
    float *final_logits;  /* [B][S-1][V], allocated by the runner, filled by inner_steps */
    int64_t total_tokens; /* tokens taken from the iterator */
    double final_loss;    /* mean loss of the last step */
} tplr_inner_steps_result;

/* Defined by the submission. Returns TPLR_OK, or an error whose message
 * (tplr_fail) is reported to the miner. */
tplr_err inner_steps(tplr_model *model, tplr_tour_data *data_iterator, tplr_adamw *optimizer, int num_steps,
                     const tplr_tour_device *device, tplr_inner_steps_result *result);

#endif
