#include <math.h>
#include <stdlib.h>

#include "tplr/tokens.h"

static tplr_err write_rows(const char *path, const unsigned char *bytes, int64_t first, int64_t count,
                           int row_len)
{
    size_t n = (size_t)count * (size_t)row_len;
    uint16_t *buf = malloc(sizeof *buf * (n ? n : 1));
    if (!buf)
        return tplr_fail(TPLR_ENOMEM, "allocating %zu tokens", n);
    const unsigned char *src = bytes + (size_t)first * (size_t)row_len;
    for (size_t i = 0; i < n; i++)
        buf[i] = src[i];
    int64_t shape[2] = {count, row_len};
    tplr_err e = tplr_npy_write(path, TPLR_NPY_U16, 2, shape, buf);
    free(buf);
    return e;
}

tplr_err tplr_byte_rows_write(const unsigned char *bytes, size_t n, int row_len, double val_fraction,
                              const char *train_path, const char *val_path, int64_t *n_train,
                              int64_t *n_val)
{
    if (row_len < 2)
        return tplr_fail(TPLR_EINVAL, "rows need at least 2 tokens (seq ≥ 1)");
    if (!(val_fraction >= 0 && val_fraction < 1))
        return tplr_fail(TPLR_EINVAL, "the validation fraction must be in [0, 1)");
    int64_t rows = (int64_t)(n / (size_t)row_len);
    int64_t val = val_path ? (int64_t)llround(val_fraction * (double)rows) : 0;
    if (val_path && val_fraction > 0 && val == 0)
        val = 1;
    if (rows - val < 1)
        return tplr_fail(TPLR_EINVAL, "the input holds %zu bytes: too little for one training row of %d "
                         "tokens%s", n, row_len, val ? " plus validation rows" : "");
    TPLR_TRY(write_rows(train_path, bytes, 0, rows - val, row_len));
    if (val_path)
        TPLR_TRY(write_rows(val_path, bytes, rows - val, val, row_len));
    *n_train = rows - val;
    *n_val = val;
    return TPLR_OK;
}
