/* Helpers shared by the codec tests: tables, random deltas, keys, encoding. */
#ifndef TPLR_TEST_CODEC_UTIL_H
#define TPLR_TEST_CODEC_UTIL_H

#include "test_util.h"
#include "tplr/codec.h"

typedef struct cu_keys {
    unsigned char pk[32], sk[64];
} cu_keys;

/* A deterministic key pair from a one-byte seed. */
cu_keys cu_keys_make(unsigned char seed_byte);
/* A table of n tensors named t0, t1, ... with the given shapes (dim 1 = 0 for 1-D). */
tplr_codec_table cu_table(const int64_t (*shapes)[2], int n);
/* n floats: normal(0, scale) from (seed, stream). */
float *cu_randn(size_t n, uint64_t seed, uint64_t stream, float scale);
/* Encodes delta with a fresh encoder state per call unless enc is given;
 * returns a malloc'd copy of the container. */
unsigned char *cu_encode(tplr_codec_encoder *enc, const float *delta, const cu_keys *k, uint64_t window, uint32_t uid,
                         size_t *len);
/* Validates (asserting success) against table and params. */
void cu_validate(const unsigned char *b, size_t n, const tplr_codec_table *t, const tplr_codec_params *p,
                 tplr_codec_view *v);

#endif
