/* Inner optimizer: AdamW with decoupled weight decay and bias correction,
 * global-norm gradient clipping, and a learning-rate schedule of linear
 * warmup then cosine decay to eta_min_factor·lr. Outer optimizers are in
 * tplr/outer.h. */
#ifndef TPLR_OPTIM_H
#define TPLR_OPTIM_H

#include <stdint.h>

#include "tplr/model.h"

typedef struct tplr_adamw_hparams {
    double lr;             /* peak learning rate */
    double beta1, beta2, eps;
    double weight_decay;   /* applied to matrices and embeddings, not to norm gains */
    double clip;           /* max global gradient norm; 0 disables clipping */
    int64_t warmup_steps;  /* lr rises as lr·(step+1)/warmup over these steps */
    int64_t t_max;         /* cosine length after warmup */
    double eta_min_factor; /* the cosine ends at eta_min_factor·lr */
} tplr_adamw_hparams;

/* Templar's inner-optimizer defaults (hparams: lr 1.17e-4, betas 0.9/0.95,
 * eps 1e-8, weight decay 0.1, clip 1.0, warmup 1500, t_max 140000, eta_min 0.1·lr). */
tplr_adamw_hparams tplr_adamw_defaults(void);
tplr_err tplr_adamw_validate(const tplr_adamw_hparams *h);

/* Learning rate for 0-based step. */
double tplr_lr_at(const tplr_adamw_hparams *h, int64_t step);

typedef struct tplr_adamw {
    tplr_adamw_hparams hp;
    int64_t step; /* optimizer steps taken */
    size_t n;
    float *m, *v; /* first and second moments, the model's parameter layout */
} tplr_adamw;

tplr_err tplr_adamw_create(const tplr_model *model, const tplr_adamw_hparams *hp, tplr_adamw **out);
void tplr_adamw_free(tplr_adamw *o);

/* Global L2 norm of the gradients; if clip > 0 and the norm exceeds it, scales
 * the gradients by clip/(norm + 1e-6) (PyTorch's clip_grad_norm_). Returns
 * the norm before clipping. */
double tplr_clip_grad_norm(tplr_model *model, double clip);
/* The factor tplr_clip_grad_norm scales by: clip/(norm + 1e-6) when clip > 0
 * and norm > clip, else 1. */
float tplr_clip_factor(double norm, double clip);

/* One AdamW step with learning rate lr on model->params from model->grads. */
void tplr_adamw_step(tplr_adamw *o, tplr_model *model, double lr);
/* The same step from grad_scale·model->grads (the same bits as scaling the
 * gradients first, e.g. by tplr_clip_factor), then the gradients cleared for
 * the next step: one pass over params, gradients and moments, in one
 * parallel region. */
void tplr_adamw_step_clear(tplr_adamw *o, tplr_model *model, double lr, float grad_scale);

#endif
