/* Queued weight gradients (tplr/wgrad_queue.h). Tickets: a thread takes the
 * next index with one atomic add, then waits until the owner has pushed that
 * item, or has sealed the queue short of it. Every index below the final
 * count goes to exactly one thread, so each product runs once. */
#include <sched.h>
#include <stdlib.h>

#include "tplr/kernels.h"
#include "tplr/mem.h"
#include "tplr/profile.h"
#include "tplr/wgrad_queue.h"

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

tplr_err tplr_wgrad_queue_create(const tplr_model *m, size_t M, int layers, tplr_wgrad_queue **out)
{
    *out = NULL;
    if (layers < 1 || layers > m->cfg.layers)
        return tplr_fail(TPLR_EINVAL, "queued layers %d: the model has %d", layers, m->cfg.layers);
    tplr_wgrad_queue *q = calloc(1, sizeof *q);
    if (!q)
        return tplr_fail(TPLR_ENOMEM, "allocating a weight-gradient queue");
    size_t C = (size_t)m->cfg.hidden, F = (size_t)m->cfg.ffn, D = (size_t)m->qkv_dim;
    q->layers = layers;
    q->off[TPLR_WQ_DRES_MLP] = 0;
    q->off[TPLR_WQ_DRES_ATTN] = round16(M * C);
    q->off[TPLR_WQ_DGU] = 2 * round16(M * C);
    q->off[TPLR_WQ_DQKV] = q->off[TPLR_WQ_DGU] + round16(M * 2 * F);
    q->layer_floats = q->off[TPLR_WQ_DQKV] + round16(M * D);
    q->cap = 4 * layers;
    size_t in_bytes = sizeof(float) * q->layer_floats * (size_t)layers;
    q->bytes = in_bytes + sizeof(tplr_wgrad) * (size_t)q->cap;
    tplr_err e = tplr_alloc((void **)&q->inputs, in_bytes, "the queued weight gradients' inputs");
    if (!e)
        e = tplr_alloc((void **)&q->item, sizeof(tplr_wgrad) * (size_t)q->cap, "the weight-gradient queue");
    if (e) {
        tplr_wgrad_queue_free(q);
        return e;
    }
    *out = q;
    return TPLR_OK;
}

void tplr_wgrad_queue_free(tplr_wgrad_queue *q)
{
    if (!q)
        return;
    tplr_free(q->inputs);
    tplr_free(q->item);
    free(q);
}

void tplr_wgrad_queue_reset(tplr_wgrad_queue *q)
{
    __atomic_store_n(&q->pushed, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&q->taken, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&q->sealed, 0, __ATOMIC_RELEASE);
}

float *tplr_wgrad_queue_input(tplr_wgrad_queue *q, int l, int which)
{
    return q->inputs + (size_t)l * q->layer_floats + q->off[which];
}

void tplr_wgrad_run(const tplr_wgrad *w)
{
    TPLR_PROF((tplr_phase)w->phase, tplr_k_matmul(1, 0, w->M, w->N, w->K, 1.0f, w->A, w->lda, w->B, w->ldb, 1.0f,
                                                  w->G, w->ldg));
}

void tplr_wgrad_queue_push(tplr_wgrad_queue *q, const tplr_wgrad *w)
{
    int n = __atomic_load_n(&q->pushed, __ATOMIC_RELAXED); /* only the owner writes it */
    if (n == q->cap) {
        tplr_wgrad_run(w);
        return;
    }
    q->item[n] = *w;
    __atomic_store_n(&q->pushed, n + 1, __ATOMIC_RELEASE); /* the item is visible before the count */
}

void tplr_wgrad_queue_seal(tplr_wgrad_queue *q) { __atomic_store_n(&q->sealed, 1, __ATOMIC_RELEASE); }

/* A short pause while spinning; after a while, the CPU to another thread
 * (more threads than cores: the owner may need this one). */
static void relax(unsigned *spins)
{
    if (++*spins > 4096) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void tplr_wgrad_queue_run(tplr_wgrad_queue *q)
{
    for (;;) {
        int i = __atomic_fetch_add(&q->taken, 1, __ATOMIC_RELAXED);
        unsigned spins = 0;
        for (;;) {
            if (i < __atomic_load_n(&q->pushed, __ATOMIC_ACQUIRE))
                break;
            /* sealed first, then the final count: pushes happen before the seal */
            if (__atomic_load_n(&q->sealed, __ATOMIC_ACQUIRE) && i >= __atomic_load_n(&q->pushed, __ATOMIC_ACQUIRE))
                return;
            relax(&spins);
        }
        tplr_wgrad_run(&q->item[i]);
    }
}
