/* The pseudo-gradient codec (SparseLoCo as Templar runs it; see docs/codec.md):
 *
 *   miner:     e ← β·e + Δ → chunk → [DCT] → top-k → quantize → signed container
 *              e ← e − decode(what was sent)
 *   validator: validate(container) → aggregate(peers) → outer step
 *
 * Every tensor is seen as a matrix (a 1-D tensor of length L as 1 × L) cut
 * into tiles of n1 × n2, n = the largest divisor of the dimension that is at
 * most target_chunk. Each tile keeps its k largest magnitudes (ties: lower
 * position first); positions travel as 12-bit pairs (Templar's layout) or as
 * Rice-coded gaps, values as codes of a per-tensor quantizer.
 *
 * Decoding and aggregation are pure functions of the containers, in a fixed
 * summation order and without fused multiply-adds, so every node computes the
 * same bits (docs/codec.md lists the orders). Nothing in a hot loop allocates:
 * encoders and aggregators allocate everything when they are created. */
#ifndef TPLR_CODEC_H
#define TPLR_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/model.h"

#define TPLR_CODEC_VERSION 1
#define TPLR_CODEC_MAX_CHUNK 64   /* tiles are at most 64 × 64 = 4096 values */
#define TPLR_CODEC_MAX_BINS 256
#define TPLR_CODEC_MAX_PEERS 1024

/* What the network agrees on (the container's header records it). */
typedef struct tplr_codec_params {
    int topk;         /* values kept per tile: min(topk, tile), then even and ≥ 2 (Templar: 64) */
    int target_chunk; /* tile side bound, 1..64 (64) */
    int bins;         /* quantization levels, 2..256 (4: 2-bit codes) */
    int quant_range;  /* the quantizer spans quant_range standard deviations (6) */
    int use_dct;      /* orthonormal DCT-II per tile before top-k (0) */
} tplr_codec_params;

tplr_codec_params tplr_codec_defaults(void);
tplr_err tplr_codec_params_validate(const tplr_codec_params *p);
int tplr_codec_params_equal(const tplr_codec_params *a, const tplr_codec_params *b);

/* The tensors a container carries and where each lives in a flat buffer (the
 * model's parameter layout: tplr_tensor_info.offset/numel, in floats). */
typedef struct tplr_codec_table {
    const tplr_tensor_info *tensors;
    int n_tensors;
    size_t n_floats;         /* length of a buffer in this layout */
    tplr_tensor_info *owned; /* storage freed by tplr_codec_table_free, or NULL */
} tplr_codec_table;

/* A view of a model's table (borrowed: the model must outlive it). */
tplr_codec_table tplr_codec_table_of_model(const tplr_model *m);
/* A table of n tensors from names and shapes (ndim 1 or 2), laid out back to back. */
tplr_err tplr_codec_table_build(const char *const *names, const int *ndims, const int64_t (*shapes)[2], int n,
                                tplr_codec_table *out);
void tplr_codec_table_free(tplr_codec_table *t);

/* Tile geometry and values per tile of one tensor under the given parameters;
 * fails when a tile would hold fewer than 2 values (both dimensions with no
 * divisor between 2 and target_chunk). */
typedef struct tplr_codec_geom {
    int64_t rows, cols; /* a 1-D tensor is 1 × L */
    int n1, n2;         /* tile shape */
    int64_t tiles_y, tiles_x;
    size_t n_chunks;
    int totalk; /* n1·n2 */
    int k;
} tplr_codec_geom;

tplr_err tplr_codec_geom_of(const tplr_tensor_info *t, const tplr_codec_params *p, tplr_codec_geom *g);
/* Templar's _get_smaller_split: the largest divisor of n that is ≤ target (n ≥ 1). */
int tplr_codec_split(int64_t n, int target);

/* ------------------------------------------------------------------ encoder */

typedef enum {
    TPLR_CODEC_IDX_AUTO = -1, /* encoder choice: the smaller of the two, per tensor */
    TPLR_CODEC_IDX_PACK12 = 0, /* Templar: two 12-bit positions per 3 bytes */
    TPLR_CODEC_IDX_RICE = 1    /* per tile ascending gaps, Golomb-Rice coded */
} tplr_codec_index_layout;

typedef enum {
    TPLR_CODEC_CODES_BYTE = 0,  /* Templar: one byte per code */
    TPLR_CODEC_CODES_PACKED = 1 /* ceil(log2 bins) bits per code */
} tplr_codec_code_layout;

typedef struct tplr_codec_encode_opts {
    double momentum_decay;  /* β of the error feedback (Templar: 0.95) */
    int index_layout;       /* AUTO (default) or PACK12 */
    int code_layout;        /* tplr_codec_code_layout (PACKED) */
} tplr_codec_encode_opts;

tplr_codec_encode_opts tplr_codec_encode_defaults(void);

typedef struct tplr_codec_encoder tplr_codec_encoder;

/* An encoder for the tensors of table (which must outlive it), with zeroed
 * error feedback. It uses the OpenMP thread count at creation, and serves
 * one call at a time. */
tplr_err tplr_codec_encoder_create(const tplr_codec_table *table, const tplr_codec_params *p,
                                   const tplr_codec_encode_opts *o, tplr_codec_encoder **out);
void tplr_codec_encoder_free(tplr_codec_encoder *enc);
/* The error feedback e, in the table's layout (table->n_floats floats), to
 * save or restore between windows. */
float *tplr_codec_encoder_state(tplr_codec_encoder *enc);

/* Who signs and when. */
typedef struct tplr_codec_origin {
    uint64_t window;
    uint32_t uid;
    const unsigned char *sk; /* libsodium Ed25519 secret key, 64 bytes (its public half goes in the header) */
} tplr_codec_origin;

/* One window: e ← β·e + delta (e ← 0 in a null round, delta unused), encode
 * e, e ← e − decode(container). *bytes points into the encoder and stays
 * valid until the next call. A non-finite value in e fails with
 * TPLR_ENUMERIC and zeroes e (as a null round would). */
tplr_err tplr_codec_encode(tplr_codec_encoder *enc, const float *delta, int null_round, const tplr_codec_origin *who,
                           const unsigned char **bytes, size_t *len);

/* -------------------------------------------------------------- validation */

/* Why a container was refused: the validator's penalties key on this. */
typedef enum tplr_codec_reason {
    TPLR_CODEC_VALID = 0,
    TPLR_CODEC_TOO_LARGE,     /* more bytes than the cap */
    TPLR_CODEC_TRUNCATED,     /* a field or length runs past the bytes present */
    TPLR_CODEC_BAD_MAGIC,
    TPLR_CODEC_BAD_VERSION,
    TPLR_CODEC_BAD_HEADER,    /* unknown flags, parameters out of range */
    TPLR_CODEC_WRONG_PARAMS,  /* parameters differ from the network's */
    TPLR_CODEC_WRONG_WINDOW,
    TPLR_CODEC_WRONG_UID,
    TPLR_CODEC_WRONG_SIGNER,  /* signed by another hotkey than expected */
    TPLR_CODEC_BAD_DIGEST,    /* the BLAKE2b digest does not match the bytes */
    TPLR_CODEC_BAD_SIGNATURE,
    TPLR_CODEC_WRONG_TENSORS, /* count, names or order differ from the model */
    TPLR_CODEC_WRONG_SHAPE,
    TPLR_CODEC_BAD_CHUNK,     /* tile shape is not the one the parameters give */
    TPLR_CODEC_BAD_K,
    TPLR_CODEC_BAD_LAYOUT,    /* unknown layout, or a length that does not match it */
    TPLR_CODEC_BAD_INDEX,     /* a position ≥ tile size, repeated in a tile, or a malformed stream */
    TPLR_CODEC_BAD_CODE,      /* a code ≥ bins, or nonzero padding */
    TPLR_CODEC_BAD_QUANT,     /* non-finite shift/lookup, or scale outside [1e-12, 1e4] */
    TPLR_CODEC_TRAILING,      /* bytes after the last record */
    TPLR_CODEC_N_REASONS
} tplr_codec_reason;

/* A short name ("bad_signature"), stable for logs and JSON. */
const char *tplr_codec_reason_name(tplr_codec_reason r);

/* What the validator expects; NULL/−1/0 fields accept anything. */
typedef struct tplr_codec_expect {
    const tplr_codec_table *table;   /* the model's tensors, in order (NULL: any, for inspection) */
    const tplr_codec_params *params; /* the network's codec parameters (NULL: any) */
    const unsigned char *signer;     /* 32-byte Ed25519 public key (NULL: any) */
    int64_t window, uid;             /* −1: any */
    size_t max_bytes;                /* 0: the largest container the table allows, or 1 GiB without one */
} tplr_codec_expect;

/* One tensor's record, as parsed (pointers into the container's bytes). */
typedef struct tplr_codec_record {
    char name[TPLR_TENSOR_NAME_MAX];
    int ndim;
    int64_t shape[2];
    tplr_codec_geom geom;
    int index_layout, rice_param, code_layout, code_bits;
    float shift, scale;
    float lookup[TPLR_CODEC_MAX_BINS];
    float deq[TPLR_CODEC_MAX_BINS]; /* lookup[b] + shift: the value code b stands for */
    const unsigned char *idx, *codes; /* the streams, in the container */
    size_t idx_bytes, code_bytes;
    const uint16_t *pos; /* decoded at validation: tiles·k positions, tile after tile */
    const uint8_t *code; /* their codes, in the same order */
    double norm;   /* L2 norm of the dequantized values: sqrt(Σ_b count_b·deq_b²), in bin order */
    size_t offset; /* where the tensor lives in a buffer of the table's layout, in floats */
} tplr_codec_record;

/* A container that passed validation. It points into the caller's bytes,
 * which must outlive it, and holds its positions and codes decoded (3 bytes
 * per value sent), so that aggregation, decoding and overlap read them
 * directly. */
typedef struct tplr_codec_view {
    int version;
    uint64_t window;
    uint32_t uid;
    unsigned char hotkey[32];
    unsigned char digest[32];
    tplr_codec_params params;
    int n_records;
    tplr_codec_record *records;
    size_t n_floats; /* dense size of all its tensors */
    size_t size;
    void *decoded;   /* owns every record's pos and code */
} tplr_codec_view;

/* Checks everything: header, caps, signer, digest, signature, then every
 * record field by field against expect. On success fills view (free it with
 * tplr_codec_view_free); on failure sets *reason and returns TPLR_EFORMAT or
 * TPLR_EMISMATCH with a message that says which field is wrong (or
 * TPLR_ENOMEM, reason too_large, when the view does not fit in memory). */
tplr_err tplr_codec_validate(const unsigned char *bytes, size_t n, const tplr_codec_expect *expect,
                             tplr_codec_view *view, tplr_codec_reason *reason);
/* The same without the digest and signature checks, for inspecting a
 * container whose signature fails. Never feed its output to aggregation. */
tplr_err tplr_codec_parse(const unsigned char *bytes, size_t n, const tplr_codec_expect *expect,
                          tplr_codec_view *view, tplr_codec_reason *reason);
/* Digest and signature alone (by the hotkey in the header). */
tplr_err tplr_codec_verify(const unsigned char *bytes, size_t n, tplr_codec_reason *reason);
void tplr_codec_view_free(tplr_codec_view *view);
/* A table of the view's own tensors, laid out back to back. */
tplr_err tplr_codec_table_of_view(const tplr_codec_view *view, tplr_codec_table *out);

/* Writes the digest and signature over bytes[0, n − 96) into the last 96
 * bytes, with sk (whose public half must be the header's hotkey). The
 * encoder does this; tools that rewrite a container use it. */
tplr_err tplr_codec_sign(unsigned char *bytes, size_t n, const unsigned char sk[64]);

/* ------------------------------------------------------ decode, aggregate */

typedef struct tplr_codec_aggregator tplr_codec_aggregator;

/* Scratch for up to max_peers containers of table's tensors (the OpenMP
 * thread count at creation; one call at a time). */
tplr_err tplr_codec_aggregator_create(const tplr_codec_table *table, const tplr_codec_params *p, int max_peers,
                                      tplr_codec_aggregator **out);
void tplr_codec_aggregator_free(tplr_codec_aggregator *a);

/* One peer's dense pseudo-gradient: each position the mean of the values
 * sent for it, 0 elsewhere (inverse DCT when the parameters use it). out has
 * table->n_floats floats. skipped[t] (may be NULL) is set to 1 for a tensor
 * whose result is not finite; such a tensor is zeroed. */
tplr_err tplr_codec_decode(tplr_codec_aggregator *a, const tplr_codec_view *peer, float *out,
                           unsigned char *skipped);
/* Templar's batch_decompress over validated peers, per tensor: dequantize;
 * scale each peer's values by min(1, median/(norm + 1e-8)), median = the
 * lower median of the peers' norms; scatter-mean, so each position is the
 * mean over the values sent for it (peers in the given order). Tensors whose
 * result is not finite are zeroed and marked in skipped (may be NULL);
 * *n_skipped (may be NULL) counts them. */
tplr_err tplr_codec_aggregate(tplr_codec_aggregator *a, const tplr_codec_view *const *peers, int n_peers,
                              float *out, unsigned char *skipped, int *n_skipped);

/* ----------------------------------------------------------------- overlap */

/* Templar's index-overlap check between two peers: for each tile, how many of
 * a's positions b also sent; overall = Σ shared / Σ (tiles·k) over tensors
 * (the reference's C·k weighting). per_tensor (may be NULL) receives each
 * tensor's fraction. */
typedef struct tplr_codec_overlap {
    uint64_t shared, total;
    double fraction;
} tplr_codec_overlap;

tplr_err tplr_codec_overlap_of(const tplr_codec_view *a, const tplr_codec_view *b, tplr_codec_overlap *out,
                               double *per_tensor);

#endif
