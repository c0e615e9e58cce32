// Fused softmax cross-entropy: one block per row; the gradient overwrites
// the logits, no probabilities are stored elsewhere.
#include "common.cuh"
#include "xent_kernels.cuh"

tplr_err tplr_cu_xent(tplr_cu *cu, void *logits, float *row_loss, const int32_t *targets, int rows, int V,
                      float grad_scale, tplr_cu_dtype dt)
{
    if (rows <= 0)
        return TPLR_OK;
    CU_DISPATCH(dt, TPLR_LAUNCH((unsigned)rows, XENT_THREADS, cu->stream, xent_kernel<T>)((T *)logits, row_loss, targets,
                                                                                     V, grad_scale));
    return tplr_cu_after(cu, "xent");
}
