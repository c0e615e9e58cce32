/* Token-id files for the command line: .npy arrays and decimal text. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/fileio.h"
#include "tplr/npy.h"
#include "tplr/tokenizer.h"

#define MAX_TEXT_BYTES ((size_t)4 << 30)

static tplr_err ids_from_npy(const char *path, int32_t **ids, size_t *n)
{
    tplr_npy a;
    TPLR_TRY(tplr_npy_open(path, &a));
    tplr_err e = TPLR_OK;
    int32_t *out = malloc((a.numel ? a.numel : 1) * sizeof *out);
    if (!out) {
        e = tplr_fail(TPLR_ENOMEM, "%s: out of memory for %zu ids", path, a.numel);
        goto done;
    }
    const unsigned char *p = a.data;
    for (size_t i = 0; i < a.numel; i++) {
        int64_t v;
        switch (a.dtype) {
        case TPLR_NPY_U8: v = p[i]; break;
        case TPLR_NPY_U16: { uint16_t x; memcpy(&x, p + 2 * i, 2); v = x; break; }
        case TPLR_NPY_U32: { uint32_t x; memcpy(&x, p + 4 * i, 4); v = x; break; }
        case TPLR_NPY_I32: { int32_t x; memcpy(&x, p + 4 * i, 4); v = x; break; }
        case TPLR_NPY_I64: { int64_t x; memcpy(&x, p + 8 * i, 8); v = x; break; }
        case TPLR_NPY_U64: { uint64_t x; memcpy(&x, p + 8 * i, 8); v = x > INT32_MAX ? -1 : (int64_t)x; break; }
        default:
            e = tplr_fail(TPLR_EFORMAT, "%s: dtype %s is not an integer type; token ids need one", path,
                          tplr_npy_dtype_name(a.dtype));
            goto done;
        }
        if (v < 0 || v > INT32_MAX) {
            e = tplr_fail(TPLR_EFORMAT, "%s: element %zu (%lld) is not a token id", path, i, (long long)v);
            goto done;
        }
        out[i] = (int32_t)v;
    }
    *ids = out;
    *n = a.numel;
    out = NULL;
done:
    free(out);
    tplr_npy_close(&a);
    return e;
}

static tplr_err ids_from_text(const char *path, const char *text, size_t len, int32_t **ids, size_t *n)
{
    size_t cap = 0, k = 0, line = 1;
    int32_t *out = NULL;
    for (size_t i = 0; i < len;) {
        if (isspace((unsigned char)text[i])) {
            line += text[i++] == '\n';
            continue;
        }
        size_t j = i;
        long long v = 0;
        while (j < len && isdigit((unsigned char)text[j]) && v <= INT32_MAX)
            v = v * 10 + (text[j++] - '0');
        if (j == i || v > INT32_MAX || (j < len && !isspace((unsigned char)text[j]))) {
            free(out);
            return tplr_fail(TPLR_EFORMAT, "%s line %zu: '%.20s' is not a token id (expected decimal ids separated "
                                           "by white space, or a .npy file)", path, line, text + i);
        }
        if (k == cap) {
            cap = cap ? cap * 2 : 1024;
            int32_t *p = realloc(out, cap * sizeof *p);
            if (!p) {
                free(out);
                return tplr_fail(TPLR_ENOMEM, "%s: out of memory", path);
            }
            out = p;
        }
        out[k++] = (int32_t)v;
        i = j;
    }
    *ids = out;
    *n = k;
    return TPLR_OK;
}

tplr_err tplr_token_ids_read(const char *path, int32_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    char *text;
    size_t len;
    TPLR_TRY(tplr_read_file(path, MAX_TEXT_BYTES, &text, &len));
    tplr_err e = len >= 6 && !memcmp(text, "\x93NUMPY", 6) ? ids_from_npy(path, ids, n)
                                                            : ids_from_text(path, text, len, ids, n);
    free(text);
    return e;
}

tplr_err tplr_token_ids_write_npy(const char *path, const int32_t *ids, size_t n, int vocab_size)
{
    int64_t shape[1] = {(int64_t)n};
    if (vocab_size > 65536)
        return tplr_npy_write(path, TPLR_NPY_I32, 1, shape, ids);
    uint16_t *narrow = malloc((n ? n : 1) * sizeof *narrow);
    if (!narrow)
        return tplr_fail(TPLR_ENOMEM, "writing %s: out of memory", path);
    for (size_t i = 0; i < n; i++)
        narrow[i] = (uint16_t)ids[i];
    tplr_err e = tplr_npy_write(path, TPLR_NPY_U16, 1, shape, narrow);
    free(narrow);
    return e;
}

tplr_err tplr_token_ids_format(const int32_t *ids, size_t n, char **buf, size_t *len, size_t *cap)
{
    size_t need = *len + n * 12 + 2;
    if (need > *cap) {
        char *p = realloc(*buf, need);
        if (!p)
            return tplr_fail(TPLR_ENOMEM, "formatting %zu ids: out of memory", n);
        *buf = p;
        *cap = need;
    }
    char *dst = *buf + *len;
    for (size_t i = 0; i < n; i++) {
        char tmp[12];
        int k = 0;
        uint32_t v = (uint32_t)ids[i];
        do {
            tmp[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        if (i)
            *dst++ = ' ';
        while (k)
            *dst++ = tmp[--k];
    }
    *dst++ = '\n';
    *dst = '\0';
    *len = (size_t)(dst - *buf);
    return TPLR_OK;
}
