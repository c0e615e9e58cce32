/* The inner optimizer on the GPU (part of the CUDA plugin, tplr/cuda_plugin.h):
 * tplr_clip_grad_norm and tplr_adamw_step on a tplr_cuda_model, whose
 * moments live on the device (the tplr_adamw keeps the hparams and the step). */
#ifndef TPLR_OPTIM_CUDA_H
#define TPLR_OPTIM_CUDA_H

#include "tplr/model_cuda.h"
#include "tplr/optim.h"

/* Global L2 norm of g's gradients into *norm (fixed-order sum, the same bits
 * every run); scales them by clip/(norm + 1e-6) when clip > 0 and norm > clip. */
tplr_err tplr_cuda_clip_grad_norm(tplr_cuda_model *g, double clip, double *norm);
/* One AdamW step with learning rate lr; also refreshes the bf16 weight copy. */
tplr_err tplr_cuda_adamw_step(tplr_adamw *o, tplr_cuda_model *g, double lr);

#endif
