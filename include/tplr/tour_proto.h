/* The pipe protocol between the trusted harness and the sandboxed runner
 * (format "tplr-tour-pipe" v1, docs/formats.md). Every record is a 16-byte
 * header (magic, version, type, payload length, little-endian) and a payload.
 * Harness → runner: INIT, BATCH, END. Runner → harness: REQUEST, RESULT, ERROR.
 * Everything the runner sends is untrusted: the parsers below check each
 * field against limits the harness sets, never trusting a length. */
#ifndef TPLR_TOUR_PROTO_H
#define TPLR_TOUR_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/config.h"
#include "tplr/err.h"
#include "tplr/optim.h"

#define TPLR_TOUR_MAGIC 0x50545054u /* "TPTP" in little-endian bytes */
#define TPLR_TOUR_PROTO_VERSION 1
#define TPLR_TOUR_HDR_BYTES 16
#define TPLR_TOUR_RESULT_HEAD_BYTES 32
#define TPLR_TOUR_ERROR_MAX 1024

enum {
    TPLR_TOUR_MSG_INIT = 1,     /* harness → runner: the run's settings */
    TPLR_TOUR_MSG_BATCH = 2,    /* harness → runner: B·S int32 tokens */
    TPLR_TOUR_MSG_END = 3,      /* harness → runner: no more batches */
    TPLR_TOUR_MSG_REQUEST = 16, /* runner → harness: the next batch, please (empty) */
    TPLR_TOUR_MSG_RESULT = 17,  /* runner → harness: result head, logits, weights */
    TPLR_TOUR_MSG_ERROR = 18    /* runner → harness: a message (≤ 1024 bytes) */
};

typedef struct tplr_tour_hdr {
    uint32_t type;
    uint64_t len;
} tplr_tour_hdr;

/* The run's settings, sent once (INIT). */
typedef struct tplr_tour_init {
    tplr_model_config cfg;
    int32_t batch, seq, steps, threads;
    uint64_t seed; /* harness side: the evaluation's seed; in the INIT record: tplr_tour_weight_seed(seed) */
    tplr_adamw_hparams hp;
} tplr_tour_init;
#define TPLR_TOUR_INIT_BYTES 160

/* What a RESULT's payload must hold. */
typedef struct tplr_tour_expect {
    uint64_t n_logits, n_weights;
} tplr_tour_expect;

typedef struct tplr_tour_result_head {
    int64_t total_tokens;
    double final_loss;
    uint64_t n_logits, n_weights;
} tplr_tour_result_head;

void tplr_tour_hdr_encode(uint8_t out[TPLR_TOUR_HDR_BYTES], uint32_t type, uint64_t len);
/* An up-pipe (runner → harness) header: magic, version, a runner type, and a
 * length that fits that type (REQUEST 0, ERROR ≤ 1024, RESULT exactly the
 * expected size). */
tplr_err tplr_tour_hdr_parse_up(const uint8_t in[TPLR_TOUR_HDR_BYTES], const tplr_tour_expect *ex,
                                tplr_tour_hdr *out);
/* A down-pipe header (what the runner reads). */
tplr_err tplr_tour_hdr_parse_down(const uint8_t in[TPLR_TOUR_HDR_BYTES], tplr_tour_hdr *out);

void tplr_tour_result_head_encode(uint8_t out[TPLR_TOUR_RESULT_HEAD_BYTES], const tplr_tour_result_head *h);
tplr_err tplr_tour_result_head_parse(const uint8_t in[TPLR_TOUR_RESULT_HEAD_BYTES], const tplr_tour_expect *ex,
                                     tplr_tour_result_head *out);

void tplr_tour_init_encode(uint8_t out[TPLR_TOUR_INIT_BYTES], const tplr_tour_init *in);
tplr_err tplr_tour_init_parse(const uint8_t in[TPLR_TOUR_INIT_BYTES], tplr_tour_init *out);

/* Copies an ERROR payload into out (cap bytes with the NUL), printable ASCII only. */
void tplr_tour_error_text(const uint8_t *in, size_t n, char *out, size_t cap);

/* RESULT payload bytes for ex. */
uint64_t tplr_tour_result_bytes(const tplr_tour_expect *ex);

/* The seed the runner gets, for the weights only: a one-way hash of the
 * evaluation's seed, so code in the sandbox cannot compute the batches ahead
 * of asking for them (they come from the evaluation's seed itself). */
uint64_t tplr_tour_weight_seed(uint64_t eval_seed);
/* The run's shared setup, done the same way by the runner (in the sandbox)
 * and by the verifier: Hugging Face initialization from a fixed seed plus a
 * uniform perturbation of ±1e-3 drawn from weight_seed. */
void tplr_tour_init_weights(tplr_model *m, uint64_t weight_seed);
/* Batch `index` of the evaluation `seed`: B rows of S tokens in [0, V). */
void tplr_tour_batch_tokens(uint64_t seed, int64_t index, int B, int S, int V, int32_t *out);
/* The optimizer of every run: AdamW, lr 1e-3 constant, betas (0.9, 0.95),
 * eps 1e-8, weight decay 0.1, no clipping (the seed's reference step). */
tplr_adamw_hparams tplr_tour_hparams(void);

#endif
