/* NumPy .npy arrays (format versions 1.0, 2.0 and 3.0): little-endian
 * numeric dtypes, C order. Readers memory-map the file and check the header
 * and the size of the data before any use. */
#ifndef TPLR_NPY_H
#define TPLR_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/fileio.h"

typedef enum { TPLR_NPY_U8, TPLR_NPY_U16, TPLR_NPY_U32, TPLR_NPY_I32, TPLR_NPY_U64, TPLR_NPY_I64, TPLR_NPY_F32 } tplr_npy_dtype;

#define TPLR_NPY_MAX_DIMS 8

typedef struct tplr_npy {
    tplr_mmap map;
    tplr_npy_dtype dtype;
    size_t elem_size;
    int ndim;
    int64_t shape[TPLR_NPY_MAX_DIMS];
    size_t numel;
    const void *data;
} tplr_npy;

tplr_err tplr_npy_open(const char *path, tplr_npy *out);
/* Parses an image already in memory (not owned). */
tplr_err tplr_npy_parse(const unsigned char *buf, size_t size, const char *origin, tplr_npy *out);
void tplr_npy_close(tplr_npy *a);
const char *tplr_npy_dtype_name(tplr_npy_dtype d); /* "<u2", ... */

/* Writes a C-order array atomically (format 1.0, or 2.0 if the header needs it). */
tplr_err tplr_npy_write(const char *path, tplr_npy_dtype dtype, int ndim, const int64_t *shape,
                        const void *data);

#endif
