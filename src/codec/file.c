/* Safetensors files laid out by a codec table, and container files. */
#include "tplr/codec_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"

static int by_offset(const void *a, const void *b)
{
    const tplr_st_tensor *x = *(const tplr_st_tensor *const *)a, *y = *(const tplr_st_tensor *const *)b;
    return x->data < y->data ? -1 : x->data > y->data;
}

tplr_err tplr_codec_table_of_st(const tplr_safetensors *st, tplr_codec_table *out)
{
    *out = (tplr_codec_table){0};
    if (st->n_tensors < 1)
        return tplr_fail(TPLR_EFORMAT, "%s holds no tensors", st->path);
    const tplr_st_tensor **sorted = malloc(sizeof *sorted * (size_t)st->n_tensors);
    const char **names = malloc(sizeof *names * (size_t)st->n_tensors);
    int *ndims = malloc(sizeof *ndims * (size_t)st->n_tensors);
    int64_t(*shapes)[2] = malloc(sizeof *shapes * (size_t)st->n_tensors);
    tplr_err e = !sorted || !names || !ndims || !shapes ? tplr_fail(TPLR_ENOMEM, "out of memory") : TPLR_OK;
    for (int i = 0; !e && i < st->n_tensors; i++)
        sorted[i] = &st->tensors[i];
    if (!e)
        qsort(sorted, (size_t)st->n_tensors, sizeof *sorted, by_offset);
    for (int i = 0; !e && i < st->n_tensors; i++) {
        const tplr_st_tensor *t = sorted[i];
        if (t->ndim < 1 || t->ndim > 2 || (t->dtype != TPLR_ST_F32 && t->dtype != TPLR_ST_F16 && t->dtype != TPLR_ST_BF16))
            e = tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' is not a 1-D or 2-D floating-point tensor", st->path,
                          t->name);
        names[i] = t->name;
        ndims[i] = t->ndim;
        shapes[i][0] = t->shape[0];
        shapes[i][1] = t->ndim == 2 ? t->shape[1] : 0;
    }
    if (!e && (e = tplr_codec_table_build(names, ndims, (const int64_t(*)[2])shapes, st->n_tensors, out)))
        tplr_fail_ctx(e, "%s", st->path);
    free(sorted);
    free(names);
    free(ndims);
    free(shapes);
    return e;
}

tplr_err tplr_codec_st_read(const tplr_safetensors *st, const tplr_codec_table *t, float *buf)
{
    if (st->n_tensors != t->n_tensors)
        return tplr_fail(TPLR_EMISMATCH, "%s holds %d tensors, expected %d", st->path, st->n_tensors, t->n_tensors);
    for (int i = 0; i < t->n_tensors; i++) {
        const tplr_tensor_info *ti = &t->tensors[i];
        const tplr_st_tensor *s = tplr_st_find(st, ti->name);
        if (!s)
            return tplr_fail(TPLR_EMISMATCH, "%s: tensor '%s' is missing", st->path, ti->name);
        if (s->ndim != ti->ndim || s->shape[0] != ti->shape[0] || (ti->ndim == 2 && s->shape[1] != ti->shape[1]))
            return tplr_fail(TPLR_EMISMATCH, "%s: tensor '%s' has another shape than expected", st->path, ti->name);
        TPLR_TRY(tplr_st_read_f32(st, s, buf + ti->offset, ti->numel));
    }
    return TPLR_OK;
}

tplr_err tplr_codec_st_write(const char *path, const tplr_codec_table *t, const float *buf, const tplr_st_meta *meta,
                             int n_meta)
{
    tplr_st_entry *entries = malloc(sizeof *entries * (size_t)t->n_tensors);
    if (!entries)
        return tplr_fail(TPLR_ENOMEM, "writing %s: out of memory", path);
    for (int i = 0; i < t->n_tensors; i++) {
        const tplr_tensor_info *ti = &t->tensors[i];
        entries[i] = (tplr_st_entry){ti->name, buf + ti->offset, ti->ndim, {ti->shape[0], ti->shape[1]}};
    }
    tplr_err e = tplr_st_write(path, entries, t->n_tensors, meta, n_meta);
    free(entries);
    return e;
}

tplr_err tplr_codec_read_container(const char *path, unsigned char **bytes, size_t *n)
{
    char *buf;
    TPLR_TRY(tplr_read_file(path, TPLR_CODEC_FILE_MAX, &buf, n));
    *bytes = (unsigned char *)buf;
    return TPLR_OK;
}
