// cuBLASLt, opened with dlopen when the first CUDA context is created: its
// library carries ~94 KiB of static TLS, which, linked in, made every thread
// of every tplr process need it (civetweb's small-stack worker threads then
// failed to start), CUDA used or not.
#include <dlfcn.h>
#include <pthread.h>

#include "common.cuh"

tplr_lt_api tplr_lt;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *load_error;

#define LT_SYMBOL(name)                                                  \
    do {                                                                 \
        *(void **)&tplr_lt.name = dlsym(lib, "cublasLt" #name);          \
        if (!tplr_lt.name) {                                             \
            load_error = "cublasLt" #name;                               \
            return;                                                      \
        }                                                                \
    } while (0)

static void load(void)
{
    void *lib = dlopen("libcublasLt.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        load_error = dlerror();
        return;
    }
    LT_SYMBOL(Create);
    LT_SYMBOL(Destroy);
    LT_SYMBOL(GetStatusString);
    LT_SYMBOL(Matmul);
    LT_SYMBOL(MatmulAlgoGetHeuristic);
    LT_SYMBOL(MatmulDescCreate);
    LT_SYMBOL(MatmulDescDestroy);
    LT_SYMBOL(MatmulDescSetAttribute);
    LT_SYMBOL(MatmulPreferenceCreate);
    LT_SYMBOL(MatmulPreferenceDestroy);
    LT_SYMBOL(MatmulPreferenceSetAttribute);
    LT_SYMBOL(MatrixLayoutCreate);
    LT_SYMBOL(MatrixLayoutDestroy);
    tplr_lt.loaded = 1;
}

tplr_err tplr_lt_load(void)
{
    pthread_once(&once, load);
    if (!tplr_lt.loaded)
        return tplr_fail(TPLR_EIO, "cannot load cuBLASLt (libcublasLt.so.13): %s; put the CUDA 13 libraries on "
                         "LD_LIBRARY_PATH (e.g. /usr/local/cuda/lib64)", load_error ? load_error : "unknown");
    return TPLR_OK;
}
