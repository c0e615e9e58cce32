/* safetensors files: an 8-byte little-endian header length, a JSON header
 * (name → dtype, shape, data_offsets; optional "__metadata__" of strings),
 * then the raw little-endian tensor bytes. Readers memory-map the file and
 * check every field against the bytes present before any use. */
#ifndef TPLR_SAFETENSORS_H
#define TPLR_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/fileio.h"

#define TPLR_ST_MAX_DIMS 8
#define TPLR_ST_MAX_HEADER (100u << 20)

typedef enum { TPLR_ST_F32, TPLR_ST_F16, TPLR_ST_BF16, TPLR_ST_I32, TPLR_ST_I64, TPLR_ST_U8 } tplr_st_dtype;

typedef struct tplr_st_tensor {
    char *name;
    tplr_st_dtype dtype;
    int ndim;
    int64_t shape[TPLR_ST_MAX_DIMS];
    size_t numel;
    const unsigned char *data; /* into the map */
    size_t nbytes;
} tplr_st_tensor;

typedef struct tplr_st_meta {
    char *key, *value;
} tplr_st_meta;

typedef struct tplr_safetensors {
    char path[4096];
    tplr_mmap map;
    int n_tensors, n_meta;
    tplr_st_tensor *tensors;
    tplr_st_meta *meta;
} tplr_safetensors;

tplr_err tplr_st_open(const char *path, tplr_safetensors *st);
/* Parses a file image already in memory (used by the fuzzer); st->map is not owned. */
tplr_err tplr_st_parse(const unsigned char *data, size_t size, const char *origin, tplr_safetensors *st);
void tplr_st_close(tplr_safetensors *st);
const tplr_st_tensor *tplr_st_find(const tplr_safetensors *st, const char *name);
const char *tplr_st_meta_get(const tplr_safetensors *st, const char *key);
/* Copies a floating-point tensor (F32, F16 or BF16) into dst as fp32; numel
 * must equal the tensor's element count. */
tplr_err tplr_st_read_f32(const tplr_safetensors *st, const tplr_st_tensor *t, float *dst, size_t numel);

typedef struct tplr_st_entry {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[TPLR_ST_MAX_DIMS];
} tplr_st_entry;

/* Writes fp32 tensors, in the given order, and string metadata (n_meta
 * pairs), atomically. */
tplr_err tplr_st_write(const char *path, const tplr_st_entry *entries, int n, const tplr_st_meta *meta,
                       int n_meta);

#endif
