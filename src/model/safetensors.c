#include "tplr/safetensors.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/mem.h"

static const struct {
    const char *name;
    tplr_st_dtype dtype;
    size_t size;
} dtypes[] = {
    {"F32", TPLR_ST_F32, 4}, {"F16", TPLR_ST_F16, 2}, {"BF16", TPLR_ST_BF16, 2},
    {"I32", TPLR_ST_I32, 4}, {"I64", TPLR_ST_I64, 8}, {"U8", TPLR_ST_U8, 1},
};

static int dtype_from_name(const char *s, tplr_st_dtype *d, size_t *size)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (!strcmp(dtypes[i].name, s)) {
            *d = dtypes[i].dtype;
            *size = dtypes[i].size;
            return 1;
        }
    return 0;
}

static int cmp_by_offset(const void *a, const void *b)
{
    const tplr_st_tensor *x = *(const tplr_st_tensor *const *)a, *y = *(const tplr_st_tensor *const *)b;
    return x->data < y->data ? -1 : x->data > y->data;
}

static tplr_err parse_tensor(const char *origin, const char *name, json_t *v, const unsigned char *data,
                             size_t data_size, tplr_st_tensor *t)
{
    json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape");
    json_t *offs = json_object_get(v, "data_offsets");
    if (!json_is_object(v) || !json_is_string(dt) || !json_is_array(shape) || !json_is_array(offs) ||
        json_array_size(offs) != 2 || json_object_size(v) != 3)
        return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' needs exactly dtype, shape and data_offsets",
                         origin, name);
    size_t esize;
    if (!dtype_from_name(json_string_value(dt), &t->dtype, &esize))
        return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' has unsupported dtype '%s'", origin, name,
                         json_string_value(dt));
    t->ndim = (int)json_array_size(shape);
    if (t->ndim > TPLR_ST_MAX_DIMS)
        return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' has %d dimensions (at most %d)", origin, name,
                         t->ndim, TPLR_ST_MAX_DIMS);
    size_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        json_t *s = json_array_get(shape, (size_t)d);
        if (!json_is_integer(s) || json_integer_value(s) < 0)
            return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' has a bad shape", origin, name);
        t->shape[d] = json_integer_value(s);
        if (tplr_mul_overflows(numel, (size_t)t->shape[d], &numel))
            return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' is impossibly large", origin, name);
    }
    json_t *b = json_array_get(offs, 0), *e = json_array_get(offs, 1);
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < json_integer_value(b) || (uint64_t)json_integer_value(e) > data_size)
        return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' has data_offsets outside the %zu data bytes "
                         "(truncated file?)", origin, name, data_size);
    size_t nbytes;
    if (tplr_mul_overflows(numel, esize, &nbytes) ||
        nbytes != (size_t)(json_integer_value(e) - json_integer_value(b)))
        return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' has %zu bytes of data for %zu elements of %s",
                         origin, name, (size_t)(json_integer_value(e) - json_integer_value(b)), numel,
                         json_string_value(dt));
    t->numel = numel;
    t->nbytes = nbytes;
    t->data = data + json_integer_value(b);
    t->name = strdup(name);
    return t->name ? TPLR_OK : tplr_fail(TPLR_ENOMEM, "out of memory");
}

static tplr_err parse_meta(const char *origin, json_t *v, tplr_safetensors *st)
{
    if (!json_is_object(v))
        return tplr_fail(TPLR_EFORMAT, "%s: __metadata__ must be an object of strings", origin);
    st->meta = calloc(json_object_size(v) + 1, sizeof *st->meta);
    if (!st->meta)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    const char *k;
    json_t *s;
    json_object_foreach(v, k, s)
    {
        if (!json_is_string(s))
            return tplr_fail(TPLR_EFORMAT, "%s: __metadata__ value of '%s' is not a string", origin, k);
        tplr_st_meta *mm = &st->meta[st->n_meta++];
        mm->key = strdup(k);
        mm->value = strdup(json_string_value(s));
        if (!mm->key || !mm->value)
            return tplr_fail(TPLR_ENOMEM, "out of memory");
    }
    return TPLR_OK;
}

static tplr_err check_overlaps(const char *origin, tplr_safetensors *st)
{
    if (st->n_tensors < 2)
        return TPLR_OK;
    tplr_st_tensor **sorted = malloc(sizeof *sorted * (size_t)st->n_tensors);
    if (!sorted)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    for (int i = 0; i < st->n_tensors; i++)
        sorted[i] = &st->tensors[i];
    qsort(sorted, (size_t)st->n_tensors, sizeof *sorted, cmp_by_offset);
    tplr_err e = TPLR_OK;
    for (int i = 1; i < st->n_tensors && !e; i++)
        if (sorted[i - 1]->data + sorted[i - 1]->nbytes > sorted[i]->data)
            e = tplr_fail(TPLR_EFORMAT, "%s: tensors '%s' and '%s' overlap", origin, sorted[i - 1]->name,
                          sorted[i]->name);
    free(sorted);
    return e;
}

tplr_err tplr_st_parse(const unsigned char *data, size_t size, const char *origin, tplr_safetensors *st)
{
    memset(st, 0, sizeof *st);
    snprintf(st->path, sizeof st->path, "%s", origin);
    if (size < 8)
        return tplr_fail(TPLR_EFORMAT, "%s: too short for a safetensors file (%zu bytes)", origin, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | data[i];
    if (hlen > TPLR_ST_MAX_HEADER || hlen > size - 8)
        return tplr_fail(TPLR_EFORMAT, "%s: header length %llu does not fit in the %zu-byte file "
                         "(truncated or not safetensors)", origin, (unsigned long long)hlen, size);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tplr_fail(TPLR_EFORMAT, "%s: header is not valid JSON (%s at column %d)", origin, jerr.text,
                         jerr.column);
    tplr_err e = TPLR_OK;
    if (!json_is_object(root)) {
        e = tplr_fail(TPLR_EFORMAT, "%s: header is not a JSON object", origin);
        goto done;
    }
    st->tensors = calloc(json_object_size(root) + 1, sizeof *st->tensors);
    if (!st->tensors) {
        e = tplr_fail(TPLR_ENOMEM, "out of memory");
        goto done;
    }
    const unsigned char *payload = data + 8 + hlen;
    size_t payload_size = size - 8 - (size_t)hlen;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (!strcmp(key, "__metadata__"))
            e = parse_meta(origin, v, st);
        else if ((e = parse_tensor(origin, key, v, payload, payload_size, &st->tensors[st->n_tensors])) == TPLR_OK)
            st->n_tensors++;
        if (e)
            goto done;
    }
    e = check_overlaps(origin, st);
done:
    json_decref(root);
    if (e)
        tplr_st_close(st);
    return e;
}

tplr_err tplr_st_open(const char *path, tplr_safetensors *st)
{
    tplr_mmap map;
    memset(st, 0, sizeof *st);
    TPLR_TRY(tplr_mmap_open(path, &map));
    tplr_err e = tplr_st_parse(map.data, map.size, path, st);
    if (e) {
        tplr_mmap_close(&map);
        return e;
    }
    st->map = map;
    return TPLR_OK;
}

void tplr_st_close(tplr_safetensors *st)
{
    for (int i = 0; i < st->n_tensors; i++)
        free(st->tensors[i].name);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->tensors);
    free(st->meta);
    tplr_mmap_close(&st->map);
    st->tensors = NULL;
    st->meta = NULL;
    st->n_tensors = st->n_meta = 0;
}

const tplr_st_tensor *tplr_st_find(const tplr_safetensors *st, const char *name)
{
    for (int i = 0; i < st->n_tensors; i++)
        if (!strcmp(st->tensors[i].name, name))
            return &st->tensors[i];
    return NULL;
}

const char *tplr_st_meta_get(const tplr_safetensors *st, const char *key)
{
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[i].key, key))
            return st->meta[i].value;
    return NULL;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0)
            bits = sign;
        else { /* subnormal: normalize */
            int e = -1;
            do {
                mant <<= 1;
                e++;
            } while (!(mant & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
        }
    } else if (exp == 31)
        bits = sign | 0x7f800000u | mant << 13;
    else
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

tplr_err tplr_st_read_f32(const tplr_safetensors *st, const tplr_st_tensor *t, float *dst, size_t numel)
{
    if (t->numel != numel)
        return tplr_fail(TPLR_EMISMATCH, "%s: tensor '%s' has %zu elements, expected %zu", st->path,
                         t->name, t->numel, numel);
    const unsigned char *src = t->data;
    switch (t->dtype) {
    case TPLR_ST_F32:
        memcpy(dst, src, numel * sizeof(float));
        return TPLR_OK;
    case TPLR_ST_BF16:
        for (size_t i = 0; i < numel; i++) {
            uint32_t bits = (uint32_t)(src[2 * i] | src[2 * i + 1] << 8) << 16;
            memcpy(&dst[i], &bits, sizeof bits);
        }
        return TPLR_OK;
    case TPLR_ST_F16:
        for (size_t i = 0; i < numel; i++)
            dst[i] = half_to_float((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        return TPLR_OK;
    default:
        return tplr_fail(TPLR_EFORMAT, "%s: tensor '%s' is not a floating-point tensor", st->path, t->name);
    }
}

tplr_err tplr_st_write(const char *path, const tplr_st_entry *entries, int n, const tplr_st_meta *meta,
                       int n_meta)
{
    json_t *root = json_object();
    if (n_meta > 0) {
        json_t *m = json_object();
        for (int i = 0; i < n_meta; i++)
            json_object_set_new(m, meta[i].key, json_string(meta[i].value));
        json_object_set_new(root, "__metadata__", m);
    }
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        json_t *t = json_object(), *shape = json_array(), *offs = json_array();
        size_t numel = 1;
        for (int d = 0; d < entries[i].ndim; d++) {
            json_array_append_new(shape, json_integer(entries[i].shape[d]));
            numel *= (size_t)entries[i].shape[d];
        }
        json_array_append_new(offs, json_integer((json_int_t)offset));
        offset += numel * sizeof(float);
        json_array_append_new(offs, json_integer((json_int_t)offset));
        json_object_set_new(t, "dtype", json_string("F32"));
        json_object_set_new(t, "shape", shape);
        json_object_set_new(t, "data_offsets", offs);
        json_object_set_new(root, entries[i].name, t);
    }
    char *header = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!header)
        return tplr_fail(TPLR_ENOMEM, "%s: serializing the header failed", path);
    size_t hlen = strlen(header), padded = (hlen + 7) / 8 * 8;
    unsigned char lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (unsigned char)(padded >> (8 * i));
    tplr_atomic_file f;
    tplr_err e = tplr_atomic_open(&f, path);
    if (!e) e = tplr_atomic_write(&f, lenbuf, 8);
    if (!e) e = tplr_atomic_write(&f, header, hlen);
    if (!e) e = tplr_atomic_write(&f, "        ", padded - hlen);
    for (int i = 0; i < n && !e; i++) {
        size_t numel = 1;
        for (int d = 0; d < entries[i].ndim; d++)
            numel *= (size_t)entries[i].shape[d];
        e = tplr_atomic_write(&f, entries[i].data, numel * sizeof(float));
    }
    if (!e)
        e = tplr_atomic_commit(&f);
    free(header);
    return e;
}
