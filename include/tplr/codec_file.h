/* Files around the codec, for tools and nodes: dense tensors in safetensors
 * files laid out by a codec table (deltas, decoded gradients, aggregates,
 * error-feedback state), and container files. */
#ifndef TPLR_CODEC_FILE_H
#define TPLR_CODEC_FILE_H

#include "tplr/codec.h"
#include "tplr/safetensors.h"

/* Largest container file the tools read. */
#define TPLR_CODEC_FILE_MAX ((size_t)4 << 30)

/* A table of st's floating-point 1-D and 2-D tensors, in the order of their
 * data in the file (the order tplr and PyTorch write them in). */
tplr_err tplr_codec_table_of_st(const tplr_safetensors *st, tplr_codec_table *out);
/* Reads exactly t's tensors (names and shapes must match; no others) into
 * buf (t->n_floats floats). */
tplr_err tplr_codec_st_read(const tplr_safetensors *st, const tplr_codec_table *t, float *buf);
/* Writes buf's tensors as F32, in table order, atomically. */
tplr_err tplr_codec_st_write(const char *path, const tplr_codec_table *t, const float *buf, const tplr_st_meta *meta,
                             int n_meta);
/* Reads a whole container file (at most TPLR_CODEC_FILE_MAX bytes). */
tplr_err tplr_codec_read_container(const char *path, unsigned char **bytes, size_t *n);

#endif
