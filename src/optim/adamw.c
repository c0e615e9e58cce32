#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/optim.h"

tplr_adamw_hparams tplr_adamw_defaults(void)
{
    tplr_adamw_hparams h = {
        .lr = 1.17e-4, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1,
        .clip = 1.0, .warmup_steps = 1500, .t_max = 140000, .eta_min_factor = 0.1,
    };
    return h;
}

tplr_err tplr_adamw_validate(const tplr_adamw_hparams *h)
{
    if (!(h->lr > 0) || !isfinite(h->lr))
        return tplr_fail(TPLR_EINVAL, "learning rate must be a positive number (got %g)", h->lr);
    if (!(h->beta1 >= 0 && h->beta1 < 1) || !(h->beta2 >= 0 && h->beta2 < 1))
        return tplr_fail(TPLR_EINVAL, "beta1 and beta2 must be in [0, 1) (got %g, %g)", h->beta1, h->beta2);
    if (!(h->eps > 0) || !isfinite(h->eps))
        return tplr_fail(TPLR_EINVAL, "eps must be positive (got %g)", h->eps);
    if (!(h->weight_decay >= 0) || !isfinite(h->weight_decay))
        return tplr_fail(TPLR_EINVAL, "weight decay must be ≥ 0 (got %g)", h->weight_decay);
    if (!(h->clip >= 0) || !isfinite(h->clip))
        return tplr_fail(TPLR_EINVAL, "clip must be ≥ 0 (0 disables it; got %g)", h->clip);
    if (h->warmup_steps < 0 || h->t_max < 0)
        return tplr_fail(TPLR_EINVAL, "warmup and t_max must be ≥ 0");
    if (!(h->eta_min_factor >= 0 && h->eta_min_factor <= 1))
        return tplr_fail(TPLR_EINVAL, "eta_min_factor must be in [0, 1] (got %g)", h->eta_min_factor);
    return TPLR_OK;
}

double tplr_lr_at(const tplr_adamw_hparams *h, int64_t step)
{
    if (step < h->warmup_steps)
        return h->lr * (double)(step + 1) / (double)h->warmup_steps;
    double eta_min = h->eta_min_factor * h->lr;
    if (h->t_max <= 0)
        return h->lr;
    double progress = (double)(step - h->warmup_steps) / (double)h->t_max;
    if (progress > 1)
        progress = 1;
    return eta_min + (h->lr - eta_min) * 0.5 * (1.0 + cos(M_PI * progress));
}

tplr_err tplr_adamw_create(const tplr_model *model, const tplr_adamw_hparams *hp, tplr_adamw **out)
{
    *out = NULL;
    TPLR_TRY(tplr_adamw_validate(hp));
    tplr_adamw *o = calloc(1, sizeof *o);
    if (!o)
        return tplr_fail(TPLR_ENOMEM, "allocating the optimizer");
    o->hp = *hp;
    o->n = model->n_params;
    tplr_err e = tplr_alloc((void **)&o->m, sizeof(float) * o->n, "AdamW first moments");
    if (!e)
        e = tplr_alloc((void **)&o->v, sizeof(float) * o->n, "AdamW second moments");
    if (e) {
        tplr_adamw_free(o);
        return e;
    }
    *out = o;
    return TPLR_OK;
}

void tplr_adamw_free(tplr_adamw *o)
{
    if (!o)
        return;
    tplr_free(o->m);
    tplr_free(o->v);
    free(o);
}

float tplr_clip_factor(double norm, double clip)
{
    return clip > 0 && norm > clip ? (float)(clip / (norm + 1e-6)) : 1.0f;
}

double tplr_clip_grad_norm(tplr_model *model, double clip)
{
    double norm = sqrt(tplr_k_sumsq(model->grads, model->n_params));
    float f = tplr_clip_factor(norm, clip);
    if (f != 1.0f)
        tplr_k_scale(model->grads, model->n_params, f);
    return norm;
}

/* Weight decay applies to matrices, not to norm gains. */
static int decays(const tplr_tensor_info *ti) { return ti->ndim >= 2; }

void tplr_adamw_step(tplr_adamw *o, tplr_model *model, double lr)
{
    o->step++;
    const tplr_adamw_hparams *h = &o->hp;
    for (int t = 0; t < model->n_tensors; t++) {
        const tplr_tensor_info *ti = &model->tensors[t];
        size_t off = ti->offset;
        double wd = decays(ti) ? h->weight_decay : 0.0;
        tplr_k_adamw(model->params + off, model->grads + off, o->m + off, o->v + off, ti->numel, lr,
                     h->beta1, h->beta2, h->eps, wd, o->step);
    }
}

void tplr_adamw_step_clear(tplr_adamw *o, tplr_model *model, double lr, float grad_scale)
{
    o->step++;
    const tplr_adamw_hparams *h = &o->hp;
    tplr_adamw_k decayed = tplr_k_adamw_scalars(lr, h->beta1, h->beta2, h->eps, h->weight_decay, o->step);
    tplr_adamw_k plain = tplr_k_adamw_scalars(lr, h->beta1, h->beta2, h->eps, 0.0, o->step);
    size_t n = model->n_params;
    /* one region: each thread takes a contiguous share of the buffer and
     * walks the tensors in it (the tensors lie back to back) */
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        size_t lo = n * (size_t)t / (size_t)nt, hi = n * (size_t)(t + 1) / (size_t)nt;
        for (int k = 0; k < model->n_tensors; k++) {
            const tplr_tensor_info *ti = &model->tensors[k];
            size_t a = ti->offset > lo ? ti->offset : lo;
            size_t z = ti->offset + ti->numel < hi ? ti->offset + ti->numel : hi;
            if (a < z)
                tplr_k_adamw_span_clear(model->params + a, model->grads + a, o->m + a, o->v + a, z - a,
                                        decays(ti) ? &decayed : &plain, grad_scale);
        }
    }
}
