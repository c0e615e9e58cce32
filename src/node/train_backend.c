/* The training loop's backend switch (train_backend.h). */
#include <stdio.h>
#include <string.h>

#include "tplr/cuda_plugin.h"
#include "tplr/data_parallel.h"
#include "tplr/kernels.h"
#include "tplr/profile.h"
#include "train_backend.h"

tplr_err tb_open(train_backend *b, tplr_model *m, const tplr_train_opts *o)
{
    memset(b, 0, sizeof *b);
    b->device = o->device;
    b->m = m;
    if (o->device == TPLR_DEVICE_CPU && o->precision != TPLR_PRECISION_FP32)
        return tplr_fail(TPLR_EINVAL, "the CPU engine computes in fp32 only: use --precision fp32 or --device cuda");
    if (o->device == TPLR_DEVICE_CUDA)
        TPLR_TRY(tplr_cuda_plugin_load(&b->cuda));
    TPLR_TRY(tplr_adamw_create(m, &o->hp, &b->opt));
    if (o->device == TPLR_DEVICE_CPU) {
        tplr_model_zero_grads(m); /* and every update clears them again */
        TPLR_TRY(tplr_dp_create(m, o->batch, o->seq, o->workers, &b->dp));
        b->bytes_acts = b->dp->bytes_acts;
        return TPLR_OK;
    }
    tplr_cu_dtype dt = o->precision == TPLR_PRECISION_BF16 ? TPLR_CU_BF16 : TPLR_CU_F32;
    TPLR_TRY(b->cuda->model_create(m, o->batch, o->seq, dt, &b->gpu));
    b->bytes_acts = b->gpu->bytes_acts;
    return TPLR_OK;
}

void tb_close(train_backend *b)
{
    if (b->gpu)
        b->cuda->model_free(b->gpu);
    tplr_dp_free(b->dp);
    tplr_adamw_free(b->opt);
    memset(b, 0, sizeof *b);
}

tplr_err tb_state_loaded(train_backend *b)
{
    if (b->gpu) {
        TPLR_TRY(b->cuda->model_upload(b->gpu, b->m->params));
        return b->cuda->set_moments(b->gpu, b->opt->m, b->opt->v);
    }
    return TPLR_OK;
}

tplr_err tb_grad(train_backend *b, const int32_t *inputs, const int32_t *targets, double clip, float *loss,
                 double *norm)
{
    if (b->gpu) {
        TPLR_TRY(b->cuda->zero_grads(b->gpu));
        TPLR_TRY(b->cuda->forward_backward(b->gpu, inputs, targets, 1.0f, loss, NULL));
        return b->cuda->clip_grad_norm(b->gpu, clip, norm);
    }
    /* the gradients are zero here: tb_open and every tb_update clear them */
    *loss = tplr_dp_grad(b->dp, inputs, targets, norm);
    b->grad_scale = tplr_clip_factor(*norm, clip); /* applied as the update reads the gradients */
    return TPLR_OK;
}

tplr_err tb_update(train_backend *b, double lr)
{
    if (b->gpu) { /* waits for the step, so that each step's time is its own */
        TPLR_TRY(b->cuda->adamw_step(b->opt, b->gpu, lr));
        return b->cuda->sync(b->gpu);
    }
    TPLR_PROF(TPLR_PH_OPTIM, tplr_adamw_step_clear(b->opt, b->m, lr, b->grad_scale));
    return TPLR_OK;
}

tplr_err tb_to_host(train_backend *b)
{
    if (b->gpu) {
        TPLR_TRY(b->cuda->model_download(b->gpu, b->m->params));
        return b->cuda->get_moments(b->gpu, b->opt->m, b->opt->v);
    }
    return TPLR_OK;
}

void tb_describe(const train_backend *b, tplr_train_summary *s)
{
    snprintf(s->device_name, sizeof s->device_name, "cpu");
    if (b->gpu) {
        b->cuda->sync(b->gpu);
        snprintf(s->device_name, sizeof s->device_name, "%s", b->gpu->device_name);
        s->gpu_peak_bytes = b->cuda->peak_bytes(b->gpu);
    }
}
