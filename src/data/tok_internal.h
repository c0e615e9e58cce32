/* The tokenizer's insides, shared by tokenizer_load.c (building it) and
 * tokenizer.c (using it). */
#ifndef TPLR_DATA_TOK_INTERNAL_H
#define TPLR_DATA_TOK_INTERNAL_H

#include <stdint.h>

#include "bytemap.h"
#include "tplr/tokenizer.h"

/* A merge rule in the pair map: key (left id << 32 | right id), value (rank << 32 | result id). */
static inline uint64_t tplr_pair_key(int32_t a, int32_t b) { return (uint64_t)(uint32_t)a << 32 | (uint32_t)b; }

struct tplr_tokenizer {
    int vocab_size;
    int n_merges;
    int32_t eos;
    int32_t byte_id[256];     /* byte → its token */
    uint32_t *tok_off;        /* [vocab_size + 1]: token i is tok_bytes[tok_off[i], tok_off[i+1]) */
    unsigned char *tok_bytes;
    tplr_u64map merges;       /* pair → rank and result */
};

#endif
