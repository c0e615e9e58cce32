/* Writing a learned vocabulary as GPT-2's encoder.json + vocab.bpe. */
#ifndef TPLR_DATA_TOK_WRITE_H
#define TPLR_DATA_TOK_WRITE_H

#include <stdint.h>

#include "tplr/err.h"

/* A vocabulary to write: n_tokens tokens (token i is bytes[off[i], off[i+1])), the last one
 * <|endoftext|>, and n_merges rules (left[k], right[k]) in rank order. */
typedef struct tplr_vocab_out {
    int n_tokens;
    const uint32_t *off;
    const unsigned char *bytes;
    int n_merges;
    const int32_t *left, *right;
} tplr_vocab_out;

/* Writes out_dir/encoder.json and out_dir/vocab.bpe: both are built in memory first, then each is
 * written to a temporary name and renamed, so neither is ever half-written. */
tplr_err tplr_vocab_write(const tplr_vocab_out *v, const char *out_dir);

#endif
