/* Token shards: tplr's own shard files (written by `tplr data prepare`) and
 * the folder that holds them with its manifest. A shard is a fixed 128-byte
 * header, the tokens (uint16, or uint32 for vocabularies over 65536), padding
 * to 8 bytes, then one 64-bit id per sample; docs/formats.md has the layout.
 * Readers memory-map a shard and check it whole (header, sizes, checksum,
 * every token against the vocabulary) before any use. */
#ifndef TPLR_SHARDS_H
#define TPLR_SHARDS_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/fileio.h"

#define TPLR_SHARD_MAGIC "TPLRSHRD"
#define TPLR_SHARD_VERSION 1
#define TPLR_SHARD_HEADER_BYTES 128
#define TPLR_SHARDS_MANIFEST "manifest.json"
#define TPLR_SHARDS_FORMAT "tplr-shards"

typedef struct tplr_shard {
    char path[4096];
    tplr_mmap map;
    int token_bytes;           /* 2 or 4 */
    uint32_t sample_len, vocab_size;
    int32_t eos;               /* −1: none */
    uint64_t n_tokens, n_samples;
    const unsigned char *tokens;
    const unsigned char *ids;  /* little-endian uint64 [n_samples] */
} tplr_shard;

tplr_err tplr_shard_open(const char *path, tplr_shard *s);
/* Checks an image already in memory (not owned; used by the fuzzer). */
tplr_err tplr_shard_parse(const unsigned char *data, size_t size, const char *origin, tplr_shard *s);
void tplr_shard_close(tplr_shard *s);
uint32_t tplr_shard_token(const tplr_shard *s, uint64_t i);
uint64_t tplr_shard_sample_id(const tplr_shard *s, uint64_t i);

/* Templar's sample id: the 8-byte BLAKE2b digest of the tokens as
 * little-endian uint32, read as a little-endian uint64. */
uint64_t tplr_sample_id(const uint32_t *tokens, size_t n);

typedef struct tplr_shards_params {
    const char *dir;
    const char *tokenizer;   /* recorded in the manifest */
    int vocab_size;
    int32_t eos;             /* appended after each document; −1 for none */
    int sample_len;          /* tokens per sample */
    int64_t shard_tokens;    /* tokens per shard file (rounded down to whole samples) */
    double val_fraction;     /* the last round(f·samples) samples form the val split */
} tplr_shards_params;

typedef struct tplr_shards_summary {
    int64_t documents, tokens, train_samples, val_samples;
    int train_shards, val_shards;
    int64_t bytes;
} tplr_shards_summary;

typedef struct tplr_shards_writer tplr_shards_writer;

/* Starts a shard folder. Documents stream to a temporary file; finish cuts
 * them into samples and shards, and writes the manifest last (atomically). */
tplr_err tplr_shards_writer_create(const tplr_shards_params *p, tplr_shards_writer **out);
tplr_err tplr_shards_writer_add(tplr_shards_writer *w, const int32_t *tokens, size_t n);
tplr_err tplr_shards_writer_finish(tplr_shards_writer *w, tplr_shards_summary *sum);
/* Removes everything the writer created and frees it. */
void tplr_shards_writer_abort(tplr_shards_writer *w);

#endif
