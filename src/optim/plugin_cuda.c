/* The CUDA plugin's function table (tplr/cuda_plugin.h): the one symbol
 * libtplr_cuda.so exports for tplr to find. */
#include "tplr/cuda_plugin.h"
#include "tplr/optim_cuda.h"

static tplr_err plugin_sync(tplr_cuda_model *g) { return tplr_cu_sync(g->cu); }

static size_t plugin_peak_bytes(const tplr_cuda_model *g) { return tplr_cu_peak_bytes(g->cu); }

static const tplr_cuda_plugin table = {
    .abi = TPLR_CUDA_PLUGIN_ABI,
    .size = sizeof(tplr_cuda_plugin),
    .model_create = tplr_cuda_model_create,
    .model_free = tplr_cuda_model_free,
    .model_upload = tplr_cuda_model_upload,
    .model_download = tplr_cuda_model_download,
    .set_moments = tplr_cuda_model_set_moments,
    .get_moments = tplr_cuda_model_get_moments,
    .zero_grads = tplr_cuda_model_zero_grads,
    .forward_backward = tplr_cuda_forward_backward,
    .clip_grad_norm = tplr_cuda_clip_grad_norm,
    .adamw_step = tplr_cuda_adamw_step,
    .sync = plugin_sync,
    .peak_bytes = plugin_peak_bytes,
};

const tplr_cuda_plugin *tplr_cuda_plugin_table(void);

__attribute__((visibility("default"))) const tplr_cuda_plugin *tplr_cuda_plugin_table(void) { return &table; }
