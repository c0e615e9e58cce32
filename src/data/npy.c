#include "tplr/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/mem.h"

static const struct {
    const char *descr;
    tplr_npy_dtype dtype;
    size_t size;
} dtypes[] = {
    {"|u1", TPLR_NPY_U8, 1},  {"<u2", TPLR_NPY_U16, 2}, {"<u4", TPLR_NPY_U32, 4}, {"<i4", TPLR_NPY_I32, 4},
    {"<u8", TPLR_NPY_U64, 8}, {"<i8", TPLR_NPY_I64, 8}, {"<f4", TPLR_NPY_F32, 4},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

const char *tplr_npy_dtype_name(tplr_npy_dtype d)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == d)
            return dtypes[i].descr;
    return "?";
}

/* A cursor over the header's Python dict literal. */
typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'))
        c->p++;
}

static int eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...") without escapes, into out. */
static int read_str(cursor *c, char *out, size_t cap)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (n + 1 >= cap || *c->p == '\\')
            return 0;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    out[n] = '\0';
    return 1;
}

static int read_word(cursor *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && !memcmp(c->p, w, n)) {
        c->p += n;
        return 1;
    }
    return 0;
}

static int read_shape(cursor *c, tplr_npy *a)
{
    if (!eat(c, '('))
        return 0;
    a->ndim = 0;
    for (;;) {
        if (eat(c, ')'))
            return 1;
        if (a->ndim == TPLR_NPY_MAX_DIMS)
            return 0;
        skip_ws(c);
        int64_t v = 0;
        int digits = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return 0;
            v = v * 10 + (*c->p++ - '0');
            digits++;
        }
        if (!digits)
            return 0;
        if (c->p < c->end && *c->p == 'L') /* Python 2 longs */
            c->p++;
        a->shape[a->ndim++] = v;
        if (!eat(c, ',')) {
            if (!eat(c, ')'))
                return 0;
            return 1;
        }
    }
}

static tplr_err parse_header(const char *h, size_t n, const char *origin, tplr_npy *a)
{
    cursor c = {h, h + n};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!eat(&c, '{'))
        return tplr_fail(TPLR_EFORMAT, "%s: .npy header is not a dict", origin);
    for (;;) {
        if (eat(&c, '}'))
            break;
        char key[32], val[32];
        if (!read_str(&c, key, sizeof key) || !eat(&c, ':'))
            return tplr_fail(TPLR_EFORMAT, "%s: malformed .npy header", origin);
        if (!strcmp(key, "descr")) {
            if (!read_str(&c, val, sizeof val))
                return tplr_fail(TPLR_EFORMAT, "%s: malformed descr in .npy header", origin);
            size_t i = 0;
            /* "<u1" and "|u1" are both accepted for bytes */
            if (!strcmp(val, "<u1"))
                val[0] = '|';
            while (i < N_DTYPES && strcmp(dtypes[i].descr, val))
                i++;
            if (i == N_DTYPES)
                return tplr_fail(TPLR_EFORMAT, "%s: unsupported dtype '%s' (need little-endian u1, u2, u4, "
                                 "i4, u8, i8 or f4)", origin, val);
            a->dtype = dtypes[i].dtype;
            a->elem_size = dtypes[i].size;
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (read_word(&c, "True"))
                return tplr_fail(TPLR_EFORMAT, "%s: Fortran-order arrays are not supported; save with "
                                 "np.ascontiguousarray", origin);
            if (!read_word(&c, "False"))
                return tplr_fail(TPLR_EFORMAT, "%s: malformed fortran_order", origin);
            have_order = 1;
        } else if (!strcmp(key, "shape")) {
            if (!read_shape(&c, a))
                return tplr_fail(TPLR_EFORMAT, "%s: malformed shape in .npy header", origin);
            have_shape = 1;
        } else
            return tplr_fail(TPLR_EFORMAT, "%s: unexpected key '%s' in .npy header", origin, key);
        if (eat(&c, ','))
            continue;
        if (!eat(&c, '}'))
            return tplr_fail(TPLR_EFORMAT, "%s: malformed .npy header", origin);
        break;
    }
    if (!have_descr || !have_order || !have_shape)
        return tplr_fail(TPLR_EFORMAT, "%s: .npy header lacks descr, fortran_order or shape", origin);
    return TPLR_OK;
}

tplr_err tplr_npy_parse(const unsigned char *buf, size_t size, const char *origin, tplr_npy *a)
{
    memset(a, 0, sizeof *a);
    if (size < 10 || memcmp(buf, "\x93NUMPY", 6))
        return tplr_fail(TPLR_EFORMAT, "%s is not a NumPy .npy file", origin);
    int major = buf[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12)
            return tplr_fail(TPLR_EFORMAT, "%s: truncated .npy header", origin);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hstart = 12;
    } else
        return tplr_fail(TPLR_EFORMAT, "%s: unsupported .npy format version %d", origin, major);
    if (hlen > size - hstart || hlen > (1u << 20))
        return tplr_fail(TPLR_EFORMAT, "%s: truncated .npy header", origin);
    TPLR_TRY(parse_header((const char *)buf + hstart, hlen, origin, a));
    size_t numel = 1;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] < 0 || tplr_mul_overflows(numel, (size_t)a->shape[d], &numel))
            return tplr_fail(TPLR_EFORMAT, "%s: impossible shape in .npy header", origin);
    size_t nbytes, start = hstart + hlen;
    if (tplr_mul_overflows(numel, a->elem_size, &nbytes) || nbytes > size - start)
        return tplr_fail(TPLR_EFORMAT, "%s: holds %zu data bytes but its header promises %zu (truncated?)",
                         origin, size - start, numel * a->elem_size);
    a->numel = numel;
    a->data = buf + start;
    return TPLR_OK;
}

tplr_err tplr_npy_open(const char *path, tplr_npy *out)
{
    tplr_mmap map;
    memset(out, 0, sizeof *out);
    TPLR_TRY(tplr_mmap_open(path, &map));
    tplr_err e = tplr_npy_parse(map.data, map.size, path, out);
    if (e) {
        tplr_mmap_close(&map);
        return e;
    }
    out->map = map;
    return TPLR_OK;
}

void tplr_npy_close(tplr_npy *a)
{
    tplr_mmap_close(&a->map);
    a->data = NULL;
}

tplr_err tplr_npy_write(const char *path, tplr_npy_dtype dtype, int ndim, const int64_t *shape,
                        const void *data)
{
    size_t esize = 0;
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dtype)
            esize = dtypes[i].size;
    if (!esize || ndim < 0 || ndim > TPLR_NPY_MAX_DIMS)
        return tplr_fail(TPLR_EINVAL, "npy write: bad dtype or rank");
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     tplr_npy_dtype_name(dtype));
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)shape[d],
                      d + 1 < ndim ? " " : "");
        numel *= (size_t)shape[d];
    }
    if (ndim > 1) /* Python writes (3,) for one dimension and (3, 4) for two */
        n--;
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    /* Pad with spaces and a newline so data starts on a 64-byte boundary. */
    size_t pre = 10, total = pre + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    unsigned char head[640];
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    size_t hlen = padded - pre;
    head[8] = (unsigned char)(hlen & 0xff);
    head[9] = (unsigned char)(hlen >> 8);
    memcpy(head + pre, dict, (size_t)n);
    memset(head + pre + n, ' ', padded - pre - (size_t)n - 1);
    head[padded - 1] = '\n';
    tplr_atomic_file f;
    TPLR_TRY(tplr_atomic_open(&f, path));
    TPLR_TRY(tplr_atomic_write(&f, head, padded));
    TPLR_TRY(tplr_atomic_write(&f, data, numel * esize));
    return tplr_atomic_commit(&f);
}
