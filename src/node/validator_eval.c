/* The validator's evaluation of one miner's gradient: loss before and after
 * applying it, on the miner's own samples and on the window's random data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/rng.h"
#include "tplr/sampler.h"
#include "tplr/validator.h"

#define RANDOM_UID_BASE ((uint64_t)1 << 32) /* pseudo-uids of random data: beyond every real uid */

tplr_err tplr_evaluator_init(tplr_evaluator *ev, tplr_node *n)
{
    memset(ev, 0, sizeof *ev);
    ev->n = n;
    const tplr_node_config *c = n->cfg;
    if (!n->have_data)
        return tplr_fail(TPLR_EINVAL, "a validator needs --data (token samples) to evaluate gradients");
    TPLR_TRY(tplr_acts_create(n->model, c->eval_samples, c->seq, &ev->acts));
    size_t tok = (size_t)c->eval_samples * (size_t)c->seq, np = n->model->n_params;
    ev->pool_n = c->pool_size < n->data.n ? c->pool_size : n->data.n;
    ev->own_in = malloc(tok * sizeof(int32_t));
    ev->own_tg = malloc(tok * sizeof(int32_t));
    ev->rand_in = malloc(tok * sizeof(int32_t));
    ev->rand_tg = malloc(tok * sizeof(int32_t));
    ev->backup = malloc(np * sizeof(float));
    ev->grad = malloc(np * sizeof(float));
    ev->pool = malloc((size_t)ev->pool_n * sizeof(int64_t));
    if (!ev->own_in || !ev->own_tg || !ev->rand_in || !ev->rand_tg || !ev->backup || !ev->grad || !ev->pool)
        return tplr_fail(TPLR_ENOMEM, "validator: out of memory");
    return TPLR_OK;
}

void tplr_evaluator_free(tplr_evaluator *ev)
{
    tplr_acts_free(ev->acts);
    free(ev->own_in);
    free(ev->own_tg);
    free(ev->rand_in);
    free(ev->rand_tg);
    free(ev->backup);
    free(ev->grad);
    free(ev->pool);
}

/* eval_samples samples of uid's window-w pool, from among those its inner
 * steps used, at an offset drawn per (window, uid). */
static tplr_err batch_of(tplr_evaluator *ev, uint64_t uid, int64_t w, int32_t *in, int32_t *tg)
{
    tplr_node *n = ev->n;
    const tplr_node_config *c = n->cfg;
    tplr_pool_spec spec = {uid, (uint64_t)w, (uint64_t)c->network_seed, ev->pool_n};
    TPLR_TRY(tplr_sample_pool(&spec, n->data.n, ev->pool));
    int64_t used = (int64_t)c->inner_steps * c->batch;
    if (used > ev->pool_n)
        used = ev->pool_n;
    int64_t batches = used / c->eval_samples;
    int64_t k = batches > 1 ? (int64_t)tplr_rng_below(tplr_rng_mix((uint64_t)w, uid), 7, 0, (uint64_t)batches) : 0;
    tplr_pool_batch(&n->data, ev->pool, used, k, c->eval_samples, in, tg);
    return TPLR_OK;
}

static double loss_of(tplr_evaluator *ev, const int32_t *in, const int32_t *tg)
{
    return tplr_model_forward_loss(ev->n->model, ev->acts, in, tg, NULL);
}

double tplr_evaluator_loss_now(tplr_evaluator *ev) { return loss_of(ev, ev->rand_in, ev->rand_tg); }

tplr_err tplr_evaluator_begin(tplr_evaluator *ev, int64_t w)
{
    uint64_t pseudo = RANDOM_UID_BASE + tplr_rng_below((uint64_t)w, 11, 0, (uint64_t)1 << 30);
    TPLR_TRY(batch_of(ev, pseudo, w, ev->rand_in, ev->rand_tg));
    ev->before_rand = tplr_evaluator_loss_now(ev);
    return TPLR_OK;
}

/* The lower median of the gathered views' norms of tensor t (0 if none). */
static double median_norm(const tplr_codec_view *g, int n, int t)
{
    double v[TPLR_CODEC_MAX_PEERS];
    int k = 0;
    for (int i = 0; i < n && k < TPLR_CODEC_MAX_PEERS; i++)
        if (t < g[i].n_records)
            v[k++] = g[i].records[t].norm;
    for (int i = 1; i < k; i++) /* insertion sort: few peers */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return k ? v[(k - 1) / 2] : 0;
}

tplr_err tplr_evaluator_eval(tplr_evaluator *ev, int64_t w, int uid, const tplr_codec_view *v,
                             const tplr_codec_view *gathered, int n_gathered, tplr_eval_losses *out)
{
    tplr_node *n = ev->n;
    tplr_model *m = n->model;
    TPLR_TRY(batch_of(ev, (uint64_t)uid, w, ev->own_in, ev->own_tg));
    out->before_rand = ev->before_rand;
    out->before_own = loss_of(ev, ev->own_in, ev->own_tg);
    TPLR_TRY(tplr_codec_decode(n->agg, v, ev->grad, NULL));
    memcpy(ev->backup, m->params, m->n_params * sizeof(float));
    float lr = (float)(n->cfg->outer_lr * n->cfg->eval_lr_factor);
    for (int t = 0; t < m->n_tensors && t < v->n_records; t++) {
        double med = median_norm(gathered, n_gathered, t), norm = v->records[t].norm;
        float scale = (float)(n_gathered > 0 && med < norm ? med / (norm + 1e-8) : 1.0);
        const tplr_tensor_info *ti = &m->tensors[t];
        for (size_t i = 0; i < ti->numel; i++) {
            float g = ev->grad[ti->offset + i] * scale;
            m->params[ti->offset + i] -= lr * (isfinite(g) ? g : 0.0f);
        }
    }
    out->after_own = loss_of(ev, ev->own_in, ev->own_tg);
    out->after_rand = loss_of(ev, ev->rand_in, ev->rand_tg);
    memcpy(m->params, ev->backup, m->n_params * sizeof(float));
    return TPLR_OK;
}
