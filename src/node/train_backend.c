/* The training loop's backend switch (train_backend.h). */
#include <stdio.h>
#include <string.h>

#include "tplr/kernels.h"
#include "tplr/profile.h"
#include "train_backend.h"
#ifdef TPLR_HAVE_CUDA
#include "tplr/model_cuda.h"
#include "tplr/optim_cuda.h"
#endif

int tplr_have_cuda(void)
{
#ifdef TPLR_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

tplr_err tb_open(train_backend *b, tplr_model *m, const tplr_train_opts *o)
{
    memset(b, 0, sizeof *b);
    b->device = o->device;
    b->m = m;
    if (o->device == TPLR_DEVICE_CPU && o->precision != TPLR_PRECISION_FP32)
        return tplr_fail(TPLR_EINVAL, "the CPU engine computes in fp32 only: use --precision fp32 or --device cuda");
    TPLR_TRY(tplr_adamw_create(m, &o->hp, &b->opt));
    if (o->device == TPLR_DEVICE_CPU) {
        TPLR_TRY(tplr_acts_create(m, o->batch, o->seq, &b->acts));
        b->bytes_acts = b->acts->bytes;
        return TPLR_OK;
    }
#ifdef TPLR_HAVE_CUDA
    tplr_cu_dtype dt = o->precision == TPLR_PRECISION_BF16 ? TPLR_CU_BF16 : TPLR_CU_F32;
    TPLR_TRY(tplr_cuda_model_create(m, o->batch, o->seq, dt, &b->gpu));
    b->bytes_acts = b->gpu->bytes_acts;
    return TPLR_OK;
#else
    return tplr_fail(TPLR_EINVAL, "this tplr was built without CUDA: install nvcc and rebuild (or train with "
                     "--device cpu)");
#endif
}

void tb_close(train_backend *b)
{
#ifdef TPLR_HAVE_CUDA
    tplr_cuda_model_free(b->gpu);
#endif
    tplr_acts_free(b->acts);
    tplr_adamw_free(b->opt);
    memset(b, 0, sizeof *b);
}

tplr_err tb_state_loaded(train_backend *b)
{
#ifdef TPLR_HAVE_CUDA
    if (b->gpu) {
        TPLR_TRY(tplr_cuda_model_upload(b->gpu, b->m->params));
        return tplr_cuda_model_set_moments(b->gpu, b->opt->m, b->opt->v);
    }
#endif
    (void)b;
    return TPLR_OK;
}

tplr_err tb_grad(train_backend *b, const int32_t *inputs, const int32_t *targets, double clip, float *loss,
                 double *norm)
{
#ifdef TPLR_HAVE_CUDA
    if (b->gpu) {
        TPLR_TRY(tplr_cuda_model_zero_grads(b->gpu));
        TPLR_TRY(tplr_cuda_forward_backward(b->gpu, inputs, targets, 1.0f, loss, NULL));
        return tplr_cuda_clip_grad_norm(b->gpu, clip, norm);
    }
#endif
    TPLR_PROF(TPLR_PH_CLIP, tplr_model_zero_grads(b->m));
    *loss = tplr_model_forward_backward(b->m, b->acts, inputs, targets, 1.0f, NULL);
    TPLR_PROF(TPLR_PH_CLIP, *norm = tplr_clip_grad_norm(b->m, clip));
    return TPLR_OK;
}

tplr_err tb_update(train_backend *b, double lr)
{
#ifdef TPLR_HAVE_CUDA
    if (b->gpu) { /* waits for the step, so that each step's time is its own */
        TPLR_TRY(tplr_cuda_adamw_step(b->opt, b->gpu, lr));
        return tplr_cu_sync(b->gpu->cu);
    }
#endif
    TPLR_PROF(TPLR_PH_OPTIM, tplr_adamw_step(b->opt, b->m, lr));
    return TPLR_OK;
}

tplr_err tb_to_host(train_backend *b)
{
#ifdef TPLR_HAVE_CUDA
    if (b->gpu) {
        TPLR_TRY(tplr_cuda_model_download(b->gpu, b->m->params));
        return tplr_cuda_model_get_moments(b->gpu, b->opt->m, b->opt->v);
    }
#endif
    (void)b;
    return TPLR_OK;
}

void tb_describe(const train_backend *b, tplr_train_summary *s)
{
    snprintf(s->device_name, sizeof s->device_name, "cpu");
#ifdef TPLR_HAVE_CUDA
    if (b->gpu) {
        tplr_cu_sync(b->gpu->cu);
        snprintf(s->device_name, sizeof s->device_name, "%s", b->gpu->device_name);
        s->gpu_peak_bytes = tplr_cu_peak_bytes(b->gpu->cu);
    }
#endif
    (void)b;
}
