/* The validator (docs/network.md): one window behind the miners, it posts
 * peer lists, gathers with reserve, (as leader) uploads the aggregate,
 * checks index overlap, evaluates up to uids_per_window miners (loss before
 * and after each one's gradient on its own and on random data), scores them
 * (scoring.h), sets weights, applies the same outer step as the miners,
 * checkpoints, and keeps its scores in NODEDIR/scores.json across restarts. */
#ifndef TPLR_VALIDATOR_H
#define TPLR_VALIDATOR_H

#include "tplr/node.h"
#include "tplr/scoring.h"

#define TPLR_VALIDATOR_SCORES_FILE "scores.json"

/* The evaluation buffers and data of one window. */
typedef struct tplr_evaluator {
    tplr_node *n;
    tplr_acts *acts;
    int32_t *own_in, *own_tg, *rand_in, *rand_tg;
    float *backup, *grad;
    int64_t *pool;
    int64_t pool_n;
    double before_rand; /* this window's loss on the random batch */
} tplr_evaluator;

tplr_err tplr_evaluator_init(tplr_evaluator *ev, tplr_node *n);
void tplr_evaluator_free(tplr_evaluator *ev);
/* Prepares window w: the random batch and its loss with the current model. */
tplr_err tplr_evaluator_begin(tplr_evaluator *ev, int64_t w);
/* The losses of uid's gradient view (decoded, each tensor clipped to the
 * median norm of the gathered views, applied with outer_lr·eval_lr_factor,
 * then undone). */
tplr_err tplr_evaluator_eval(tplr_evaluator *ev, int64_t w, int uid, const tplr_codec_view *v,
                             const tplr_codec_view *gathered, int n_gathered, tplr_eval_losses *out);
/* The model's mean loss on the window's random batch. */
double tplr_evaluator_loss_now(tplr_evaluator *ev);

tplr_err tplr_validator_run(const tplr_node_opts *o);

#endif
