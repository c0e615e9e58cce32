/* Token samples for training: a 2-D array of rows, each one sample of S+1
 * tokens (inputs row[:-1], targets row[1:]), and the order in which a run
 * visits them. */
#ifndef TPLR_TOKENS_H
#define TPLR_TOKENS_H

#include <stdint.h>

#include "tplr/npy.h"

typedef struct tplr_token_rows {
    tplr_npy npy;
    char path[4096];
    int64_t n_rows;
    int row_len; /* S + 1 */
} tplr_token_rows;

/* Opens a 2-D .npy of uint16, uint32 or int32 tokens and checks every token
 * against the vocabulary. */
tplr_err tplr_token_rows_open(const char *path, int vocab, tplr_token_rows *r);
void tplr_token_rows_close(tplr_token_rows *r);
/* Copies row (0 ≤ row < n_rows) as int32 into out[row_len]. */
void tplr_token_rows_get(const tplr_token_rows *r, int64_t row, int32_t *out);

typedef enum { TPLR_ORDER_SEQUENTIAL, TPLR_ORDER_SHUFFLED } tplr_order_kind;

/* Sample index s (0, 1, 2, ... over the whole run) → row. Sequential: s mod N.
 * Shuffled: epoch e = s / N visits the rows in a permutation drawn from
 * (seed, e) by Fisher-Yates with the counter-based generator, so any step's
 * rows are known without replaying the run. */
typedef struct tplr_row_order {
    tplr_order_kind kind;
    uint64_t seed;
    int64_t n;
    int64_t epoch; /* epoch of perm, -1 before the first */
    int64_t *perm; /* [n] when shuffled */
} tplr_row_order;

tplr_err tplr_row_order_init(tplr_row_order *o, tplr_order_kind kind, uint64_t seed, int64_t n);
void tplr_row_order_free(tplr_row_order *o);
int64_t tplr_row_order_row(tplr_row_order *o, int64_t sample);
tplr_err tplr_order_parse(const char *s, tplr_order_kind *out);
const char *tplr_order_name(tplr_order_kind k);

/* Byte-level samples: cuts raw bytes (tokens 0..255) into non-overlapping
 * rows of row_len, drops the remainder, and writes the first rows to
 * train_path and the last round(val_fraction·rows) to val_path as uint16
 * .npy arrays of shape (rows, row_len). */
tplr_err tplr_byte_rows_write(const unsigned char *bytes, size_t n, int row_len, double val_fraction,
                              const char *train_path, const char *val_path, int64_t *n_train,
                              int64_t *n_val);

#endif
