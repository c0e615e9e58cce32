/* The inner optimizer on the GPU: global-norm clipping and AdamW over a
 * tplr_cuda_model, tplr_clip_grad_norm and tplr_adamw_step's semantics. */
#include <math.h>

#include "tplr/model_cuda.h"
#include "tplr/optim_cuda.h"

tplr_err tplr_cuda_clip_grad_norm(tplr_cuda_model *g, double clip, double *norm)
{
    double ss;
    TPLR_TRY(tplr_cu_sumsq(g->cu, g->grads, g->host->n_params, &ss));
    *norm = sqrt(ss);
    if (clip > 0 && *norm > clip)
        TPLR_TRY(tplr_cu_scale(g->cu, g->grads, g->host->n_params, (float)(clip / (*norm + 1e-6))));
    return TPLR_OK;
}

tplr_err tplr_cuda_adamw_step(tplr_adamw *o, tplr_cuda_model *g, double lr)
{
    const tplr_model *model = g->host;
    const tplr_adamw_hparams *h = &o->hp;
    int64_t step = o->step + 1;
    size_t es = tplr_cu_dtype_size(g->dt);
    for (int t = 0; t < model->n_tensors; t++) {
        const tplr_tensor_info *ti = &model->tensors[t];
        size_t off = ti->offset;
        double wd = ti->ndim >= 2 ? h->weight_decay : 0.0;
        void *low = g->wlow ? (char *)g->wlow + off * es : NULL;
        TPLR_TRY(tplr_cu_adamw(g->cu, g->params + off, g->grads + off, g->adam_m + off, g->adam_v + off, ti->numel,
                               lr, h->beta1, h->beta2, h->eps, wd, step, low, g->dt));
    }
    o->step = step;
    return TPLR_OK;
}
