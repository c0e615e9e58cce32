/* Outer optimizers: what every node applies to its parameters once the
 * peers' pseudo-gradients are aggregated (θ ← θ − update).
 *
 *   SGD (Templar):      θ ← θ − lr·g                       lr 0.4
 *   Nesterov (DiLoCo):  m ← μ·m + g;  θ ← θ − lr·(g + μ·m)  lr 0.7, μ 0.9
 *
 * Nesterov follows torch.optim.SGD(momentum=μ, nesterov=True, dampening=0)
 * (its first step sets m = g, the same as m = μ·0 + g). Tensors marked as
 * skipped (a non-finite aggregate) are left alone, momentum included, like a
 * PyTorch parameter whose grad is None. Every operation is one fp32 multiply
 * or add, rounded on its own (no fused multiply-add), so every node computes
 * the same bits. */
#ifndef TPLR_OUTER_H
#define TPLR_OUTER_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/model.h"

typedef enum { TPLR_OUTER_SGD, TPLR_OUTER_NESTEROV } tplr_outer_kind;

typedef struct tplr_outer_hparams {
    tplr_outer_kind kind;
    double lr;
    double momentum; /* Nesterov only */
} tplr_outer_hparams;

/* SGD: lr 0.4 (Templar's outer_learning_rate); Nesterov: lr 0.7, momentum 0.9 (DiLoCo). */
tplr_outer_hparams tplr_outer_defaults(tplr_outer_kind kind);
tplr_err tplr_outer_validate(const tplr_outer_hparams *h);
/* "sgd" or "nesterov". */
tplr_err tplr_outer_kind_parse(const char *name, tplr_outer_kind *out);

typedef struct tplr_outer {
    tplr_outer_hparams hp;
    size_t n;        /* floats in the parameter layout */
    float *momentum; /* [n], Nesterov only (NULL for SGD) */
    int64_t steps;
} tplr_outer;

tplr_err tplr_outer_create(const tplr_outer_hparams *hp, size_t n_floats, tplr_outer **out);
void tplr_outer_free(tplr_outer *o);

/* One outer step on params (the model's layout) from the aggregate g (same
 * layout). skip[t] != 0 leaves tensor t untouched; skip may be NULL. */
void tplr_outer_step(tplr_outer *o, float *params, const float *g, const tplr_tensor_info *tensors, int n_tensors,
                     const unsigned char *skip);

#endif
