// The CPU emulation of CUDA (emu_cuda.h): the fiber scheduler behind a launch,
// and the context, memory, copies and matrix product of tplr/kernels_cuda.h on
// host memory (the parts src/kernels/cuda/context.cu and matmul.cu do with the
// CUDA runtime and cuBLASLt). Tests only.
#undef _FORTIFY_SOURCE // _longjmp between fiber stacks
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <vector>

#include "emu_cuda.h"
extern "C" {
#include "tplr/kernels.h"
#include "tplr/kernels_cuda.h"
}
#include "common.cuh"

dim3 threadIdx, blockIdx, blockDim, gridDim;

#define STACK_BYTES (64 * 1024)
#define MAX_THREADS 1024
#define SPIN_LIMIT 100000000L // yields of one block before it is called hung

namespace {
struct fiber {
    ucontext_t start;
    jmp_buf ctx;
    char *stack;
    int started, done;
    int at_block_barrier;  // waiting in __syncthreads for generation...
    unsigned barrier_gen;  // ...this one to pass
};
struct barrier {
    unsigned waiting, gen;
};

fiber fibers[MAX_THREADS];
jmp_buf scheduler;
fiber *current;
unsigned current_tid;
emu_body_fn body_fn;
void *body_ctx;
barrier block_barrier, warp_barriers[MAX_THREADS / 32];
float exchange[MAX_THREADS / 32][32];
long yields;

void yield()
{
    if (++yields > SPIN_LIMIT) {
        fprintf(stderr, "emu_cuda: block (%u,%u) hung: threads wait at different barriers or shuffles\n",
                blockIdx.x, blockIdx.y);
        abort();
    }
    if (!_setjmp(current->ctx))
        _longjmp(scheduler, 1);
    threadIdx = dim3(current_tid);
}

void wait(barrier &b, unsigned count)
{
    unsigned g = b.gen;
    if (++b.waiting == count) {
        b.waiting = 0;
        b.gen++;
        return;
    }
    while (b.gen == g)
        yield();
}

// Runs the current fiber until it waits or ends; 1 when it has ended.
__attribute__((noinline)) int resume()
{
    threadIdx = dim3(current_tid);
    if (!_setjmp(scheduler)) {
        if (!current->started) {
            current->started = 1;
            setcontext(&current->start);
        }
        _longjmp(current->ctx, 1);
    }
    return current->done;
}

// A fiber runs one thread's body per block, for every block of every
// launch: started once (setcontext), then only _longjmp, no system calls.
void fiber_main()
{
    for (;;) {
        body_fn(body_ctx);
        current->done = 1;
        if (!_setjmp(current->ctx))
            _longjmp(scheduler, 1);
    }
}
} // namespace

void __syncthreads()
{
    // the scheduler leaves a fiber here alone until the barrier's generation passes
    current->at_block_barrier = 1;
    current->barrier_gen = block_barrier.gen;
    wait(block_barrier, blockDim.x);
    current->at_block_barrier = 0;
}

float __shfl_sync(unsigned, float v, int src)
{
    unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    exchange[w][lane] = v;
    wait(warp_barriers[w], 32);
    float r = exchange[w][src & 31];
    wait(warp_barriers[w], 32);
    return r;
}

void emu_run(dim3 grid, dim3 block, emu_body_fn fn, void *ctx)
{
    unsigned n = block.x * block.y * block.z;
    if (n > MAX_THREADS || block.y != 1 || block.z != 1 || (n % 32 && n > 32)) {
        fprintf(stderr, "emu_cuda: unsupported block of %u×%u×%u threads\n", block.x, block.y, block.z);
        abort();
    }
    blockDim = block;
    gridDim = grid;
    body_fn = fn;
    body_ctx = ctx;
    for (unsigned t = 0; t < n; t++) {
        fiber &f = fibers[t];
        if (f.stack)
            continue;
        f.stack = (char *)malloc(STACK_BYTES);
        getcontext(&f.start);
        f.start.uc_stack.ss_sp = f.stack;
        f.start.uc_stack.ss_size = STACK_BYTES;
        f.start.uc_link = NULL;
        makecontext(&f.start, fiber_main, 0);
    }
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                blockIdx = dim3(bx, by, bz);
                block_barrier = barrier{0, 0};
                for (unsigned w = 0; w < (n + 31) / 32; w++)
                    warp_barriers[w] = barrier{0, 0};
                yields = 0;
                for (unsigned t = 0; t < n; t++)
                    fibers[t].done = fibers[t].at_block_barrier = 0;
                // warp by warp: a warp's lanes run in turn until each has ended or
                // waits at the block barrier (shuffles only need the 32 lanes)
                for (unsigned left = n; left;) {
                    left = 0;
                    for (unsigned w0 = 0; w0 < n; w0 += 32) {
                        unsigned w1 = w0 + 32 < n ? w0 + 32 : n;
                        for (int ran = 1; ran;) {
                            ran = 0;
                            for (unsigned t = w0; t < w1; t++) {
                                fiber &f = fibers[t];
                                if (f.done || (f.at_block_barrier && f.barrier_gen == block_barrier.gen))
                                    continue;
                                current = &f;
                                current_tid = t;
                                resume();
                                ran = 1;
                            }
                        }
                        for (unsigned t = w0; t < w1; t++)
                            left += !fibers[t].done;
                    }
                }
            }
}

// ---- the context and memory (context.cu's API) on the host ----

extern "C" {

size_t tplr_cu_dtype_size(tplr_cu_dtype dt) { return dt == TPLR_CU_BF16 ? 2 : 4; }
const char *tplr_cu_dtype_name(tplr_cu_dtype dt) { return dt == TPLR_CU_BF16 ? "bf16" : "fp32"; }
int tplr_cu_device_count(void) { return 1; }

tplr_err tplr_cu_create(int device, tplr_cu **out, char *name, size_t name_len)
{
    (void)device;
    tplr_cu *cu = (tplr_cu *)calloc(1, sizeof *cu);
    cu->partials = (double *)calloc(TPLR_CU_SUM_BLOCKS + 1, sizeof(double));
    if (name && name_len)
        snprintf(name, name_len, "CPU emulation of CUDA (tests/cuda/emu_cuda.cpp)");
    *out = cu;
    return TPLR_OK;
}

void tplr_cu_free(tplr_cu *cu)
{
    if (cu)
        free(cu->partials);
    free(cu);
}

tplr_err tplr_cu_sync(tplr_cu *) { return TPLR_OK; }
size_t tplr_cu_peak_bytes(const tplr_cu *) { return 0; }

tplr_err tplr_cu_alloc(void **p, size_t bytes, const char *what)
{
    *p = calloc(1, bytes ? bytes : 16);
    return *p ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "emulation: cannot allocate %s", what);
}

void tplr_cu_release(void *p) { free(p); }

tplr_err tplr_cu_upload(tplr_cu *, void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return TPLR_OK;
}

tplr_err tplr_cu_download(tplr_cu *, void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return TPLR_OK;
}

tplr_err tplr_cu_copy(tplr_cu *, void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return TPLR_OK;
}

tplr_err tplr_cu_zero(tplr_cu *, void *p, size_t bytes)
{
    memset(p, 0, bytes);
    return TPLR_OK;
}

static float get(const void *p, tplr_cu_dtype dt, size_t i)
{
    return dt == TPLR_CU_BF16 ? __bfloat162float(((const __nv_bfloat16 *)p)[i]) : ((const float *)p)[i];
}

static void put(void *p, tplr_cu_dtype dt, size_t i, float v)
{
    if (dt == TPLR_CU_BF16)
        ((__nv_bfloat16 *)p)[i] = __float2bfloat16_rn(v);
    else
        ((float *)p)[i] = v;
}

tplr_err tplr_cu_convert(tplr_cu *, void *dst, tplr_cu_dtype dt, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(dst, dt, i, src[i]);
    return TPLR_OK;
}

tplr_err tplr_cu_to_f32(tplr_cu *, float *dst, const void *src, tplr_cu_dtype dt, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = get(src, dt, i);
    return TPLR_OK;
}

// cuBLASLt's product, row-major, in fp32 with inputs and outputs of their types.
tplr_err tplr_cu_matmul(tplr_cu *, int trans_a, int trans_b, int M, int N, int K, float alpha, const void *A,
                        int lda, const void *B, int ldb, float beta, void *Cm, int ldc, tplr_cu_dtype ab,
                        tplr_cu_dtype c)
{
    std::vector<float> a((size_t)M * K), b((size_t)K * N), out((size_t)M * N);
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            a[(size_t)i * K + k] = get(A, ab, trans_a ? (size_t)k * lda + i : (size_t)i * lda + k);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            b[(size_t)k * N + j] = get(B, ab, trans_b ? (size_t)j * ldb + k : (size_t)k * ldb + j);
    tplr_k_matmul(0, 0, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, out.data(), N);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            size_t at = (size_t)i * ldc + j;
            float old = beta != 0.0f ? get(Cm, c, at) : 0.0f;
            put(Cm, c, at, alpha * out[(size_t)i * N + j] + beta * old);
        }
    return TPLR_OK;
}

} // extern "C"

// common.cuh declares it with C++ linkage, as the launching files use it.
tplr_err tplr_cu_after(tplr_cu *, const char *) { return TPLR_OK; }
