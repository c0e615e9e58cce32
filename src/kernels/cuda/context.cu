// The device context, memory, copies and dtype conversions.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.cuh"

#define WORKSPACE_BYTES ((size_t)64 << 20) // cuBLASLt's scratch: Hopper's kernels want up to 32 MiB

tplr_err tplr_cu_fail(cudaError_t e, const char *op)
{
    return tplr_fail(TPLR_EIO, "CUDA: %s failed: %s (%s); check the device with nvidia-smi, and rerun with "
                     "TPLR_CUDA_SYNC=1 to find the op that faulted", op, cudaGetErrorString(e), cudaGetErrorName(e));
}

tplr_err tplr_cu_after(tplr_cu *cu, const char *op)
{
    CU_TRY(cudaGetLastError(), op);
    if (cu->sync_each_op)
        CU_TRY(cudaStreamSynchronize(cu->stream), op);
    return TPLR_OK;
}

size_t tplr_cu_dtype_size(tplr_cu_dtype dt) { return dt == TPLR_CU_BF16 ? 2 : 4; }
const char *tplr_cu_dtype_name(tplr_cu_dtype dt) { return dt == TPLR_CU_BF16 ? "bf16" : "fp32"; }

int tplr_cu_device_count(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); // clear the sticky "no driver" error
        return 0;
    }
    return n;
}

tplr_err tplr_cu_create(int device, tplr_cu **out, char *name, size_t name_len)
{
    *out = NULL;
    int n = tplr_cu_device_count();
    if (n == 0)
        return tplr_fail(TPLR_EINVAL, "no CUDA device found (is the NVIDIA driver loaded? nvidia-smi should list "
                         "a GPU); train with --device cpu instead");
    if (device < 0 || device >= n)
        return tplr_fail(TPLR_EINVAL, "CUDA device %d does not exist (%d found)", device, n);
    CU_TRY(cudaSetDevice(device), "selecting the device");
    cudaDeviceProp prop;
    CU_TRY(cudaGetDeviceProperties(&prop, device), "reading the device's properties");
    if (name && name_len)
        snprintf(name, name_len, "%s", prop.name);
    tplr_cu *cu = (tplr_cu *)calloc(1, sizeof *cu);
    if (!cu)
        return tplr_fail(TPLR_ENOMEM, "allocating the CUDA context");
    cu->device = device;
    const char *s = getenv("TPLR_CUDA_SYNC");
    cu->sync_each_op = s && !strcmp(s, "1");
    cu->workspace_bytes = WORKSPACE_BYTES;
    tplr_err e = TPLR_OK;
    /* a blocking stream: it also waits for work on the default stream (cudaMemset in tplr_cu_alloc) */
    if (cudaStreamCreate(&cu->stream) != cudaSuccess)
        e = tplr_fail(TPLR_EIO, "CUDA: cannot create a stream");
    if (!e)
        e = tplr_lt_load();
    if (!e && tplr_lt.Create(&cu->lt) != CUBLAS_STATUS_SUCCESS)
        e = tplr_fail(TPLR_EIO, "cuBLASLt: cannot create a handle (is libcublasLt.so.13 on LD_LIBRARY_PATH?)");
    if (!e)
        e = tplr_cu_alloc(&cu->workspace, cu->workspace_bytes, "the cuBLASLt workspace");
    if (!e)
        e = tplr_cu_alloc((void **)&cu->partials, sizeof(double) * (TPLR_CU_SUM_BLOCKS + 1), "reduction scratch");
    if (e) {
        tplr_cu_free(cu);
        return e;
    }
    *out = cu;
    return TPLR_OK;
}

void tplr_cu_free(tplr_cu *cu)
{
    if (!cu)
        return;
    if (cu->stream)
        cudaStreamSynchronize(cu->stream);
    tplr_cu_release(cu->workspace);
    tplr_cu_release(cu->partials);
    if (cu->lt)
        tplr_lt.Destroy(cu->lt);
    if (cu->stream)
        cudaStreamDestroy(cu->stream);
    free(cu);
}

tplr_err tplr_cu_sync(tplr_cu *cu)
{
    CU_TRY(cudaStreamSynchronize(cu->stream), "waiting for the device");
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess && total_b - free_b > cu->peak_bytes)
        cu->peak_bytes = total_b - free_b;
    return TPLR_OK;
}

size_t tplr_cu_peak_bytes(const tplr_cu *cu) { return cu->peak_bytes; }

tplr_err tplr_cu_alloc(void **p, size_t bytes, const char *what)
{
    *p = NULL;
    if (bytes == 0)
        bytes = 16;
    cudaError_t e = cudaMalloc(p, bytes);
    if (e != cudaSuccess) {
        cudaGetLastError();
        *p = NULL;
        return tplr_fail(TPLR_ENOMEM, "CUDA: cannot allocate %.1f MiB of device memory for %s (%s); use a smaller "
                         "--batch or --seq, or a GPU with more memory", (double)bytes / 1048576.0, what,
                         cudaGetErrorString(e));
    }
    CU_TRY(cudaMemset(*p, 0, bytes), what);
    return TPLR_OK;
}

void tplr_cu_release(void *p)
{
    if (p)
        cudaFree(p);
}

tplr_err tplr_cu_upload(tplr_cu *cu, void *dst, const void *src, size_t bytes)
{
    CU_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cu->stream), "copying to the device");
    CU_TRY(cudaStreamSynchronize(cu->stream), "copying to the device");
    return TPLR_OK;
}

tplr_err tplr_cu_download(tplr_cu *cu, void *dst, const void *src, size_t bytes)
{
    CU_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cu->stream), "copying from the device");
    CU_TRY(cudaStreamSynchronize(cu->stream), "copying from the device");
    return TPLR_OK;
}

tplr_err tplr_cu_zero(tplr_cu *cu, void *p, size_t bytes)
{
    CU_TRY(cudaMemsetAsync(p, 0, bytes, cu->stream), "zeroing device memory");
    return tplr_cu_after(cu, "zeroing device memory");
}

tplr_err tplr_cu_copy(tplr_cu *cu, void *dst, const void *src, size_t bytes)
{
    CU_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cu->stream), "copying on the device");
    return tplr_cu_after(cu, "copying on the device");
}

template <typename D, typename S>
__global__ void convert_kernel(D *dst, const S *src, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        stf(dst, i, ldf(src, i));
}

tplr_err tplr_cu_convert(tplr_cu *cu, void *dst, tplr_cu_dtype dt, const float *src, size_t n)
{
    if (n == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, convert_kernel<T, float><<<elem_grid(n), 256, 0, cu->stream>>>((T *)dst, src, n));
    return tplr_cu_after(cu, "convert");
}

tplr_err tplr_cu_to_f32(tplr_cu *cu, float *dst, const void *src, tplr_cu_dtype dt, size_t n)
{
    if (n == 0)
        return TPLR_OK;
    CU_DISPATCH(dt, convert_kernel<float, T><<<elem_grid(n), 256, 0, cu->stream>>>(dst, (const T *)src, n));
    return tplr_cu_after(cu, "to_f32");
}
