/* The training loop's backend switch: where forward/backward, clipping and
 * AdamW run (the CPU engine, or the CUDA backend: libtplr_cuda.so, opened
 * with dlopen, tplr/cuda_plugin.h), and the
 * transfers a checkpoint needs. One loop (trainer.c) drives either. */
#ifndef TPLR_NODE_TRAIN_BACKEND_H
#define TPLR_NODE_TRAIN_BACKEND_H

#include "tplr/data_parallel.h"
#include "tplr/trainer.h"

typedef struct tplr_cuda_model tplr_cuda_model;
typedef struct tplr_cuda_plugin tplr_cuda_plugin;

typedef struct train_backend {
    tplr_device device;
    tplr_model *m;        /* host model: the weights a checkpoint saves */
    tplr_adamw *opt;      /* hparams and step; moments on the host (CPU) or copies of the device's */
    tplr_dp *dp;          /* CPU: the step's workers and their activations */
    const tplr_cuda_plugin *cuda; /* CUDA: the plugin's functions (NULL on CPU) */
    tplr_cuda_model *gpu; /* CUDA: the device model (NULL on CPU) */
    size_t bytes_acts;
    float grad_scale;     /* CPU: the clipping factor of the last tb_grad, for tb_update */
} train_backend;

tplr_err tb_open(train_backend *b, tplr_model *m, const tplr_train_opts *o);
void tb_close(train_backend *b);
/* After the host model and optimizer were loaded from a saved state: to the device. */
tplr_err tb_state_loaded(train_backend *b);
/* Zeroes the gradients, runs forward and backward, clips: the loss and the norm before clipping. */
tplr_err tb_grad(train_backend *b, const int32_t *inputs, const int32_t *targets, double clip, float *loss,
                 double *norm);
/* One AdamW step with learning rate lr. */
tplr_err tb_update(train_backend *b, double lr);
/* Brings weights and moments to the host model and optimizer (before a save). */
tplr_err tb_to_host(train_backend *b);
/* Fills the summary's device fields (name, peak device memory). */
void tb_describe(const train_backend *b, tplr_train_summary *s);

#endif
