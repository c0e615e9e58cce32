/* The CUDA backend as a plugin: libtplr_cuda.so holds the CUDA kernels, the
 * device model and the device optimizer (and the CUDA runtime); tplr opens it
 * with dlopen only when asked to train with --device cuda, so that no CUDA
 * code or thread-local storage is in the servers' threads (docs/engine.md,
 * "CUDA backend"). The plugin exports one function, TPLR_CUDA_PLUGIN_ENTRY,
 * that returns this table; the engine functions it calls (tplr_fail, the
 * model's layout, ...) are resolved from the tplr executable that loads it.
 *
 * TPLR_CUDA_PLUGIN_ABI changes whenever this table or a struct passed through
 * it (tplr_model, tplr_adamw, tplr_cuda_model) changes: a plugin of another
 * version is refused. */
#ifndef TPLR_CUDA_PLUGIN_H
#define TPLR_CUDA_PLUGIN_H

#include <stdint.h>

#include "tplr/model_cuda.h"
#include "tplr/optim.h"

#define TPLR_CUDA_PLUGIN_ABI 1
#define TPLR_CUDA_PLUGIN_ENTRY "tplr_cuda_plugin_table"
#define TPLR_CUDA_PLUGIN_FILE "libtplr_cuda.so"

typedef struct tplr_cuda_plugin {
    uint32_t abi;  /* TPLR_CUDA_PLUGIN_ABI of the tree the plugin was built from */
    uint32_t size; /* sizeof(tplr_cuda_plugin) there */
    /* tplr/model_cuda.h */
    tplr_err (*model_create)(const tplr_model *m, int B, int T, tplr_cu_dtype dt, tplr_cuda_model **out);
    void (*model_free)(tplr_cuda_model *g);
    tplr_err (*model_upload)(tplr_cuda_model *g, const float *params);
    tplr_err (*model_download)(tplr_cuda_model *g, float *params);
    tplr_err (*set_moments)(tplr_cuda_model *g, const float *m, const float *v);
    tplr_err (*get_moments)(tplr_cuda_model *g, float *m, float *v);
    tplr_err (*zero_grads)(tplr_cuda_model *g);
    tplr_err (*forward_backward)(tplr_cuda_model *g, const int32_t *inputs, const int32_t *targets,
                                 float grad_scale, float *loss, int64_t *n_valid);
    /* tplr/optim_cuda.h */
    tplr_err (*clip_grad_norm)(tplr_cuda_model *g, double clip, double *norm);
    tplr_err (*adamw_step)(tplr_adamw *o, tplr_cuda_model *g, double lr);
    /* tplr/kernels_cuda.h, on the model's context */
    tplr_err (*sync)(tplr_cuda_model *g);
    size_t (*peak_bytes)(const tplr_cuda_model *g);
} tplr_cuda_plugin;

/* The plugin's one export (src/optim/plugin_cuda.c). */
typedef const tplr_cuda_plugin *(*tplr_cuda_plugin_entry_fn)(void);

/* Opens the plugin once per process: $TPLR_CUDA_PLUGIN if set, else
 * libtplr_cuda.so next to the running executable; checks its version. Fails
 * with what to do when it is missing, does not load or is of another version. */
tplr_err tplr_cuda_plugin_load(const tplr_cuda_plugin **out);

#endif
