/* Codec parameters, tile geometry and tensor tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "tplr/mem.h"

tplr_codec_params tplr_codec_defaults(void)
{
    /* Templar: topk_compression 64, target_chunk 64, quantization_bins 4,
     * quantization_range 6, use_dct false. */
    return (tplr_codec_params){64, 64, 4, 6, 0};
}

tplr_err tplr_codec_params_validate(const tplr_codec_params *p)
{
    if (p->topk < 1 || p->topk > CODEC_MAX_TOTALK)
        return tplr_fail(TPLR_EINVAL, "topk %d must be between 1 and %d", p->topk, CODEC_MAX_TOTALK);
    if (p->target_chunk < 1 || p->target_chunk > TPLR_CODEC_MAX_CHUNK)
        return tplr_fail(TPLR_EINVAL, "chunk %d must be between 1 and %d", p->target_chunk, TPLR_CODEC_MAX_CHUNK);
    if (p->bins < 2 || p->bins > TPLR_CODEC_MAX_BINS)
        return tplr_fail(TPLR_EINVAL, "bins %d must be between 2 and %d", p->bins, TPLR_CODEC_MAX_BINS);
    if (p->quant_range < 1 || p->quant_range > 1000)
        return tplr_fail(TPLR_EINVAL, "quantization range %d must be between 1 and 1000 standard deviations",
                         p->quant_range);
    if (p->use_dct != 0 && p->use_dct != 1)
        return tplr_fail(TPLR_EINVAL, "use_dct must be 0 or 1");
    return TPLR_OK;
}

int tplr_codec_params_equal(const tplr_codec_params *a, const tplr_codec_params *b)
{
    return a->topk == b->topk && a->target_chunk == b->target_chunk && a->bins == b->bins &&
           a->quant_range == b->quant_range && a->use_dct == b->use_dct;
}

int tplr_codec_split(int64_t n, int target)
{
    if (n <= target)
        return (int)n;
    for (int d = target; d > 1; d--)
        if (n % d == 0)
            return d;
    return 1;
}

/* Templar's _clamp_topk: min(topk, tile), at least 2, then even. */
static int clamp_k(int topk, int totalk)
{
    int k = topk < totalk ? topk : totalk;
    k = k < 2 ? 2 : k;
    return k - k % 2;
}

tplr_err tplr_codec_geom_of(const tplr_tensor_info *t, const tplr_codec_params *p, tplr_codec_geom *g)
{
    if (t->ndim != 1 && t->ndim != 2)
        return tplr_fail(TPLR_EINVAL, "tensor '%s' has %d dimensions; the codec takes 1 or 2", t->name, t->ndim);
    g->rows = t->ndim == 2 ? t->shape[0] : 1;
    g->cols = t->ndim == 2 ? t->shape[1] : t->shape[0];
    if (g->rows < 1 || g->cols < 1)
        return tplr_fail(TPLR_EINVAL, "tensor '%s' is empty", t->name);
    g->n1 = tplr_codec_split(g->rows, p->target_chunk);
    g->n2 = tplr_codec_split(g->cols, p->target_chunk);
    g->tiles_y = g->rows / g->n1;
    g->tiles_x = g->cols / g->n2;
    g->n_chunks = (size_t)g->tiles_y * (size_t)g->tiles_x;
    g->totalk = g->n1 * g->n2;
    g->k = clamp_k(p->topk, g->totalk);
    if (g->k > g->totalk)
        return tplr_fail(TPLR_EINVAL, "tensor '%s' [%" PRId64 " x %" PRId64 "] splits into tiles of %d value(s): "
                         "no dimension has a divisor between 2 and %d, so top-k cannot keep 2 values per tile",
                         t->name, g->rows, g->cols, g->totalk, p->target_chunk);
    return TPLR_OK;
}

tplr_codec_table tplr_codec_table_of_model(const tplr_model *m)
{
    return (tplr_codec_table){m->tensors, m->n_tensors, m->n_params, NULL};
}

tplr_err tplr_codec_table_build(const char *const *names, const int *ndims, const int64_t (*shapes)[2], int n,
                                tplr_codec_table *out)
{
    *out = (tplr_codec_table){0};
    if (n < 1 || n > CODEC_MAX_TENSORS)
        return tplr_fail(TPLR_EINVAL, "a tensor table holds 1 to %d tensors, not %d", CODEC_MAX_TENSORS, n);
    tplr_tensor_info *t = calloc((size_t)n, sizeof *t);
    if (!t)
        return tplr_fail(TPLR_ENOMEM, "allocating a tensor table");
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        int len = snprintf(t[i].name, sizeof t[i].name, "%s", names[i]);
        size_t numel = 1;
        int ok = len > 0 && len < (int)sizeof t[i].name && (ndims[i] == 1 || ndims[i] == 2);
        for (int d = 0; ok && d < ndims[i]; d++)
            ok = shapes[i][d] >= 1 && shapes[i][d] <= INT32_MAX && !tplr_mul_overflows(numel, (size_t)shapes[i][d], &numel);
        if (!ok || numel > CODEC_MAX_NUMEL) {
            free(t);
            return tplr_fail(TPLR_EINVAL, "tensor %d ('%.96s'): the codec takes names of 1 to %d bytes and 1-D or "
                             "2-D shapes of at most 2^40 values", i, names[i], TPLR_TENSOR_NAME_MAX - 1);
        }
        t[i].ndim = ndims[i];
        t[i].shape[0] = shapes[i][0];
        t[i].shape[1] = ndims[i] == 2 ? shapes[i][1] : 0;
        t[i].numel = numel;
        t[i].offset = off;
        off += numel;
    }
    *out = (tplr_codec_table){t, n, off, t};
    return TPLR_OK;
}

void tplr_codec_table_free(tplr_codec_table *t)
{
    free(t->owned);
    *t = (tplr_codec_table){0};
}

void codec_sort_doubles(double *v, int n)
{
    for (int i = 1; i < n; i++) {
        double x = v[i];
        int j = i - 1;
        for (; j >= 0 && v[j] > x; j--)
            v[j + 1] = v[j];
        v[j + 1] = x;
    }
}

typedef struct sized {
    size_t numel;
    int index;
} sized;

static int by_size_desc(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    return x->numel != y->numel ? (x->numel < y->numel ? 1 : -1) : x->index - y->index;
}

tplr_err codec_order_by_size(const tplr_codec_table *t, int **order)
{
    sized *s = malloc(sizeof *s * (size_t)t->n_tensors);
    *order = malloc(sizeof **order * (size_t)t->n_tensors);
    if (!s || !*order) {
        free(s);
        free(*order);
        *order = NULL;
        return tplr_fail(TPLR_ENOMEM, "allocating a tensor order");
    }
    for (int i = 0; i < t->n_tensors; i++)
        s[i] = (sized){t->tensors[i].numel, i};
    qsort(s, (size_t)t->n_tensors, sizeof *s, by_size_desc);
    for (int i = 0; i < t->n_tensors; i++)
        (*order)[i] = s[i].index;
    free(s);
    return TPLR_OK;
}
