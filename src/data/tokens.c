#include "tplr/tokens.h"

#include <stdlib.h>
#include <string.h>

#include "tplr/rng.h"

/* Loads through memcpy: a file's data need not be aligned. */
static int64_t token_at(const tplr_npy *a, size_t i)
{
    const unsigned char *p = (const unsigned char *)a->data + i * a->elem_size;
    uint16_t u16;
    uint32_t u32;
    int32_t i32;
    switch (a->dtype) {
    case TPLR_NPY_U16: memcpy(&u16, p, 2); return u16;
    case TPLR_NPY_U32: memcpy(&u32, p, 4); return u32;
    case TPLR_NPY_I32: memcpy(&i32, p, 4); return i32;
    default: return -1;
    }
}

tplr_err tplr_token_rows_open(const char *path, int vocab, tplr_token_rows *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    TPLR_TRY(tplr_npy_open(path, &r->npy));
    tplr_npy *a = &r->npy;
    tplr_err e = TPLR_OK;
    if (a->dtype != TPLR_NPY_U16 && a->dtype != TPLR_NPY_U32 && a->dtype != TPLR_NPY_I32)
        e = tplr_fail(TPLR_EFORMAT, "%s: tokens must be uint16, uint32 or int32, not %s", path,
                      tplr_npy_dtype_name(a->dtype));
    else if (a->ndim != 2)
        e = tplr_fail(TPLR_EFORMAT, "%s: expected a 2-D array of samples (rows of seq+1 tokens), got %d "
                      "dimensions", path, a->ndim);
    else if (a->shape[0] < 1 || a->shape[1] < 2 || a->shape[1] > (1 << 24))
        e = tplr_fail(TPLR_EFORMAT, "%s: needs at least one row of at least 2 tokens (shape %lld x %lld)",
                      path, (long long)a->shape[0], (long long)a->shape[1]);
    if (!e) {
        for (size_t i = 0; i < a->numel; i++) {
            int64_t t = token_at(a, i);
            if (t < 0 || t >= vocab) {
                e = tplr_fail(TPLR_EFORMAT, "%s: token %lld at row %zu, column %zu is outside the model's "
                              "vocabulary [0, %d)", path, (long long)t, i / (size_t)a->shape[1],
                              i % (size_t)a->shape[1], vocab);
                break;
            }
        }
    }
    if (e) {
        tplr_npy_close(a);
        return e;
    }
    r->n_rows = a->shape[0];
    r->row_len = (int)a->shape[1];
    return TPLR_OK;
}

void tplr_token_rows_close(tplr_token_rows *r) { tplr_npy_close(&r->npy); }

void tplr_token_rows_get(const tplr_token_rows *r, int64_t row, int32_t *out)
{
    size_t base = (size_t)row * (size_t)r->row_len;
    for (int j = 0; j < r->row_len; j++)
        out[j] = (int32_t)token_at(&r->npy, base + (size_t)j);
}

tplr_err tplr_order_parse(const char *s, tplr_order_kind *out)
{
    if (!strcmp(s, "sequential"))
        *out = TPLR_ORDER_SEQUENTIAL;
    else if (!strcmp(s, "shuffled"))
        *out = TPLR_ORDER_SHUFFLED;
    else
        return tplr_fail(TPLR_EINVAL, "--order must be sequential or shuffled, not '%s'", s);
    return TPLR_OK;
}

const char *tplr_order_name(tplr_order_kind k) { return k == TPLR_ORDER_SHUFFLED ? "shuffled" : "sequential"; }

tplr_err tplr_row_order_init(tplr_row_order *o, tplr_order_kind kind, uint64_t seed, int64_t n)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->seed = seed;
    o->n = n;
    o->epoch = -1;
    if (kind == TPLR_ORDER_SHUFFLED) {
        o->perm = malloc(sizeof *o->perm * (size_t)n);
        if (!o->perm)
            return tplr_fail(TPLR_ENOMEM, "allocating the shuffle order for %lld rows", (long long)n);
    }
    return TPLR_OK;
}

void tplr_row_order_free(tplr_row_order *o)
{
    free(o->perm);
    o->perm = NULL;
}

int64_t tplr_row_order_row(tplr_row_order *o, int64_t sample)
{
    int64_t epoch = sample / o->n, pos = sample % o->n;
    if (o->kind == TPLR_ORDER_SEQUENTIAL)
        return pos;
    if (epoch != o->epoch) {
        for (int64_t i = 0; i < o->n; i++)
            o->perm[i] = i;
        for (int64_t i = o->n - 1; i > 0; i--) {
            int64_t j = (int64_t)tplr_rng_below(o->seed, (uint64_t)epoch, (uint64_t)i, (uint64_t)i + 1);
            int64_t t = o->perm[i];
            o->perm[i] = o->perm[j];
            o->perm[j] = t;
        }
        o->epoch = epoch;
    }
    return o->perm[pos];
}
