/* Training samples from any of the token formats tplr reads, behind one
 * interface: sample i → inputs[T] and targets[T] (ignore index where a
 * position has no target) and a 64-bit sample id.
 *
 *   2-D .npy rows (N, S+1):   inputs row[:-1], targets row[1:]            T = S
 *   shard folder (manifest):  inputs s[0:L], targets s[1:L] + [ignore]    T = L
 *   1-D .npy (Templar):       sample i = tokens[L·i, L·(i+1)), as shards  T = L (given)
 *
 * For shards and 1-D arrays, targets equal to the EOS token are ignored too
 * when mask_eos is set (Templar masks them). */
#ifndef TPLR_SAMPLES_H
#define TPLR_SAMPLES_H

#include <stdint.h>

#include "tplr/npy.h"
#include "tplr/shards.h"
#include "tplr/tokens.h"

typedef enum { TPLR_SAMPLES_ROWS, TPLR_SAMPLES_SHARDS, TPLR_SAMPLES_FLAT } tplr_samples_kind;

typedef struct tplr_samples_opts {
    int vocab;          /* every token must be below it */
    const char *split;  /* shard folders: "train" (default) or "val" */
    int sample_len;     /* 1-D arrays: tokens per sample (required); others: 0 or must match */
    int mask_eos;       /* ignore EOS targets (shards and 1-D arrays) */
    int32_t eos;        /* 1-D arrays: the EOS id, or −1 */
} tplr_samples_opts;

typedef struct tplr_samples {
    tplr_samples_kind kind;
    char path[4096];
    int T;              /* positions per sample */
    int64_t n;          /* samples */
    int32_t eos;        /* −1: none */
    int mask_eos;
    tplr_token_rows rows;           /* ROWS */
    int n_shards;                   /* SHARDS */
    tplr_shard *shards;
    int64_t *shard_first;           /* [n_shards + 1] first sample of each shard */
    tplr_npy flat;                  /* FLAT */
    int32_t *row_buf;               /* [T + 1] */
} tplr_samples;

tplr_err tplr_samples_open(const char *path, const tplr_samples_opts *o, tplr_samples *s);
void tplr_samples_close(tplr_samples *s);
/* Sample i (0 ≤ i < n) into inputs[T] and targets[T]. */
void tplr_samples_get(tplr_samples *s, int64_t i, int32_t *inputs, int32_t *targets);
uint64_t tplr_samples_id(tplr_samples *s, int64_t i);

/* Fills inputs and targets [B][T] for step (0-based): sample indices
 * step·B … step·B + B − 1 through the order. */
void tplr_batch_fill(tplr_samples *s, tplr_row_order *o, int64_t step, int B, int32_t *inputs, int32_t *targets);

#endif
