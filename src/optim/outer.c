/* Outer optimizers. Built with -ffp-contract=off (see CMakeLists.txt): each
 * multiply and add rounds on its own, so every node gets the same bits. */
#include "tplr/outer.h"

#include <math.h>
#include <string.h>

#include "tplr/mem.h"

tplr_outer_hparams tplr_outer_defaults(tplr_outer_kind kind)
{
    if (kind == TPLR_OUTER_NESTEROV)
        return (tplr_outer_hparams){TPLR_OUTER_NESTEROV, 0.7, 0.9};
    return (tplr_outer_hparams){TPLR_OUTER_SGD, 0.4, 0.0};
}

tplr_err tplr_outer_validate(const tplr_outer_hparams *h)
{
    if (!(h->lr > 0) || !isfinite(h->lr))
        return tplr_fail(TPLR_EINVAL, "outer learning rate %g must be a positive number", h->lr);
    if (h->kind == TPLR_OUTER_NESTEROV && !(h->momentum >= 0 && h->momentum < 1))
        return tplr_fail(TPLR_EINVAL, "outer momentum %g must be in [0, 1)", h->momentum);
    if (h->kind != TPLR_OUTER_SGD && h->kind != TPLR_OUTER_NESTEROV)
        return tplr_fail(TPLR_EINVAL, "unknown outer optimizer %d", (int)h->kind);
    return TPLR_OK;
}

tplr_err tplr_outer_kind_parse(const char *name, tplr_outer_kind *out)
{
    if (!strcmp(name, "sgd"))
        *out = TPLR_OUTER_SGD;
    else if (!strcmp(name, "nesterov"))
        *out = TPLR_OUTER_NESTEROV;
    else
        return tplr_fail(TPLR_EINVAL, "unknown outer optimizer '%s' (choose sgd or nesterov)", name);
    return TPLR_OK;
}

tplr_err tplr_outer_create(const tplr_outer_hparams *hp, size_t n_floats, tplr_outer **out)
{
    *out = NULL;
    TPLR_TRY(tplr_outer_validate(hp));
    tplr_outer *o;
    TPLR_TRY(tplr_alloc((void **)&o, sizeof *o, "the outer optimizer"));
    o->hp = *hp;
    o->n = n_floats;
    if (hp->kind == TPLR_OUTER_NESTEROV) {
        tplr_err e = tplr_alloc((void **)&o->momentum, sizeof(float) * n_floats, "outer momentum");
        if (e) {
            tplr_free(o);
            return e;
        }
    }
    *out = o;
    return TPLR_OK;
}

void tplr_outer_free(tplr_outer *o)
{
    if (!o)
        return;
    tplr_free(o->momentum);
    tplr_free(o);
}

static void sgd(float *p, const float *g, size_t n, float lr)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        p[i] = p[i] - lr * g[i];
}

static void nesterov(float *p, const float *g, float *m, size_t n, float lr, float mu)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float mi = mu * m[i] + g[i];
        m[i] = mi;
        p[i] = p[i] - lr * (g[i] + mu * mi);
    }
}

void tplr_outer_step(tplr_outer *o, float *params, const float *g, const tplr_tensor_info *tensors, int n_tensors,
                     const unsigned char *skip)
{
    float lr = (float)o->hp.lr, mu = (float)o->hp.momentum;
    for (int t = 0; t < n_tensors; t++) {
        if (skip && skip[t])
            continue;
        size_t off = tensors[t].offset, n = tensors[t].numel;
        if (o->hp.kind == TPLR_OUTER_NESTEROV)
            nesterov(params + off, g + off, o->momentum + off, n, lr, mu);
        else
            sgd(params + off, g + off, n, lr);
    }
    o->steps++;
}
