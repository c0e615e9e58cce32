/* Text generation: one sequence, a key/value cache per layer, one token at
 * a time (RoPE at the cache position), and sampling from the logits with
 * temperature and top-k, drawn from the counter-based generator so that the
 * same seed gives the same text. */
#ifndef TPLR_GENERATE_H
#define TPLR_GENERATE_H

#include <stdint.h>

#include "tplr/model.h"

typedef struct tplr_generator {
    const tplr_model *m;
    int max_len, len;   /* cache capacity and positions filled */
    float *k, *v;       /* [L][max_len][KV·hd] rotated keys, values */
    float *x, *ln, *qkv, *att, *gu, *act, *scores; /* one position's scratch */
    float *logits;      /* [V] after the last fed token */
    void *buf;
    int *order;         /* [V] scratch for top-k */
} tplr_generator;

tplr_err tplr_generator_create(const tplr_model *m, int max_len, tplr_generator **out);
void tplr_generator_free(tplr_generator *g);
/* Feeds n tokens at the next positions; g->logits then predicts the next
 * token. Fails when the cache (max_len) is full or a token is invalid. */
tplr_err tplr_generator_feed(tplr_generator *g, const int32_t *tokens, int n);
/* Starts over (empties the cache). */
void tplr_generator_reset(tplr_generator *g);

/* Picks the next token from logits: argmax when temperature is 0; otherwise
 * softmax(logits/temperature) restricted to the top_k largest (0: all),
 * drawn with the uniform at (seed, step). order is scratch of V ints. */
int32_t tplr_sample_logits(const float *logits, int V, double temperature, int top_k, uint64_t seed, uint64_t step,
                           int *order);

#endif
