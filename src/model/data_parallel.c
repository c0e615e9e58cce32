/* One training step's forward and backward split by rows over the cores
 * (tplr/data_parallel.h). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/data_parallel.h"
#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/profile.h"
#include "tplr/wgrad_queue.h"

void tplr_dp_free(tplr_dp *dp)
{
    if (!dp)
        return;
    for (int k = 0; k < dp->n; k++) {
        tplr_wgrad_queue_free(dp->queue[k]);
        tplr_acts_free(dp->acts[k]);
        if (k > 0)
            tplr_free(dp->grads[k]);
    }
    free(dp);
}

int tplr_dp_count(int requested, int B)
{
    int w = requested > 0 ? requested : tplr_k_threads();
    if (w > B)
        w = B;
    if (w > TPLR_DP_MAX_WORKERS)
        w = TPLR_DP_MAX_WORKERS;
    return w < 1 ? 1 : w;
}

int tplr_dp_queued_layers(int layers) { return (layers + 3) / 4; }

tplr_err tplr_dp_create(tplr_model *m, int B, int T, int workers, tplr_dp **out)
{
    *out = NULL;
    if (B < 1)
        return tplr_fail(TPLR_EINVAL, "batch (%d) must be positive", B);
    int w = tplr_dp_count(workers, B);
    tplr_dp *dp = calloc(1, sizeof *dp);
    if (!dp)
        return tplr_fail(TPLR_ENOMEM, "allocating the data-parallel workers");
    dp->model = m;
    dp->B = B;
    dp->T = T;
    for (int k = 0; k <= w; k++)
        dp->row0[k] = (int)((int64_t)B * k / w);
    tplr_err e = TPLR_OK;
    for (int k = 0; k < w && !e; k++) {
        dp->n = k + 1;
        dp->grads[k] = m->grads;
        if (k > 0) {
            e = tplr_alloc((void **)&dp->grads[k], sizeof(float) * m->n_params, "a worker's gradients"); /* zeroed */
            if (e)
                break;
            dp->bytes_grads += sizeof(float) * m->n_params;
        }
        e = tplr_acts_create(m, dp->row0[k + 1] - dp->row0[k], T, &dp->acts[k]);
        if (e)
            break;
        dp->bytes_acts += dp->acts[k]->bytes;
        if (w > 1) { /* its attention runs on its own thread; its lowest layers' weight gradients are queued */
            dp->acts[k]->n_threads = 1;
            e = tplr_wgrad_queue_create(m, dp->acts[k]->M, tplr_dp_queued_layers(m->cfg.layers), &dp->queue[k]);
            if (e)
                break;
            dp->acts[k]->wq = dp->queue[k];
            dp->bytes_acts += dp->queue[k]->bytes;
        }
    }
    if (e) {
        tplr_dp_free(dp);
        return e;
    }
    *out = dp;
    return TPLR_OK;
}

/* Worker k's rows, on the calling thread; its gradient scaled by its share of all valid targets. */
static void run_worker(tplr_dp *dp, int k, const int32_t *inputs, const int32_t *targets, int64_t all)
{
    tplr_model view = *dp->model;
    view.grads = dp->grads[k];
    size_t off = (size_t)dp->row0[k] * (size_t)dp->T;
    float scale = all > 0 ? (float)((double)dp->valid[k] / (double)all) : 1.0f;
    dp->loss[k] = tplr_model_forward_backward(&view, dp->acts[k], inputs + off, targets + off, scale, NULL);
    if (dp->logits) { /* the final norm's output is still in lnf: the backward pass only reads it */
        const tplr_acts *a = dp->acts[k];
        int C = view.cfg.hidden, V = view.cfg.vocab;
        tplr_k_matmul(0, 1, (int)a->M, V, C, 1.0f, a->lnf, C, view.params + view.lm_head, C, 0.0f,
                      dp->logits + off * (size_t)V, V);
    }
}

/* The end of a step's rows for every worker (a barrier of the enclosing
 * region), timed by the profile as what is left of their imbalance. */
static void wait_for_workers(void)
{
#pragma omp barrier
}

float tplr_dp_forward_backward(tplr_dp *dp, const int32_t *inputs, const int32_t *targets, int64_t *n_valid)
{
    int64_t all = 0;
    for (int k = 0; k < dp->n; k++) {
        size_t off = (size_t)dp->row0[k] * (size_t)dp->T, n = (size_t)(dp->row0[k + 1] - dp->row0[k]) * dp->T;
        dp->valid[k] = tplr_model_count_valid(targets + off, n);
        all += dp->valid[k];
    }
    if (n_valid)
        *n_valid = all;
    if (dp->n == 1) {
        run_worker(dp, 0, inputs, targets, all);
        return dp->loss[0];
    }
    for (int k = 0; k < dp->n; k++)
        tplr_wgrad_queue_reset(dp->queue[k]);
#pragma omp parallel num_threads(dp->n)
    {
        omp_set_num_threads(1); /* loops without a thread count nested in here stay on this thread */
        tplr_prof_mute_thread(omp_get_thread_num() != 0); /* the profile times worker 0 */
#pragma omp for schedule(static, 1) nowait
        for (int k = 0; k < dp->n; k++)
            run_worker(dp, k, inputs, targets, all);
        /* done with its own rows: take over queued weight gradients of the
         * workers still running (each waits only on a worker that a thread
         * is running, so none waits forever) */
        int me = omp_get_thread_num();
        for (int j = 1; j < dp->n; j++)
            tplr_wgrad_queue_run(dp->queue[(me + j) % dp->n]);
        TPLR_PROF(TPLR_PH_WAIT, wait_for_workers());
        tplr_prof_mute_thread(0);
    }
    double loss = 0;
    for (int k = 0; k < dp->n; k++)
        loss += all > 0 ? (double)dp->loss[k] * (double)dp->valid[k] / (double)all : 0.0;
    return (float)loss;
}

double tplr_dp_fold_sumsq(tplr_dp *dp)
{
    return tplr_k_fold_sumsq(dp->model->grads, dp->grads + 1, dp->n - 1, dp->model->n_params);
}

void tplr_dp_fold(tplr_dp *dp)
{
    if (dp->n > 1)
        tplr_dp_fold_sumsq(dp);
}

float tplr_dp_grad(tplr_dp *dp, const int32_t *inputs, const int32_t *targets, double *norm)
{
    float loss = tplr_dp_forward_backward(dp, inputs, targets, NULL);
    TPLR_PROF(TPLR_PH_CLIP, *norm = sqrt(tplr_dp_fold_sumsq(dp)));
    return loss;
}
