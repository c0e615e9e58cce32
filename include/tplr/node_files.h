/* The small JSON files nodes publish in their buckets (docs/formats.md), each
 * with "format" and "version", written by one function and read back field
 * by field by another (peers' files are untrusted; tests/fuzz/fuzz_node_files.c):
 *
 *   peers_{first_effective_window}_v{ver}.json   tplr-peers       the gather peer list
 *   debug-{window}-{uid}-v{ver}.json             tplr-debug       a node's model fingerprint
 *   checkpoints/{ver}/_LATEST.json               tplr-checkpoint-latest
 *   start_window_v{ver}.json                     tplr-start-window */
#ifndef TPLR_NODE_FILES_H
#define TPLR_NODE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

#define TPLR_NODE_FILE_MAX (1u << 20)     /* the largest node file read */
#define TPLR_PEERS_MAX 256                 /* peers or reserve peers in a list */
#define TPLR_FINGERPRINT_SLICE_MAX 4096    /* floats in a fingerprint slice */
#define TPLR_MAX_UID 65535

typedef struct tplr_peer_list {
    int64_t window;                 /* the window the validator was scoring when it posted */
    int64_t first_effective_window; /* gathers of this window and later use it */
    int initial;                    /* ranked by incentive (no weights yet) */
    int n_peers, n_reserve;
    uint16_t peers[TPLR_PEERS_MAX], reserve[TPLR_PEERS_MAX];
} tplr_peer_list;

tplr_err tplr_peer_list_to_json(const tplr_peer_list *p, char **out);
tplr_err tplr_peer_list_parse(const char *json, size_t len, const char *origin, tplr_peer_list *p);

/* A model fingerprint after window's outer step. */
typedef struct tplr_fingerprint {
    int64_t window, global_step;
    int uid;
    char digest[33];  /* BLAKE2b-128 hex of the parameters' bytes */
    int n_slice;      /* elements [10:12] of each tensor (fewer for tiny tensors), in model order */
    float slice[TPLR_FINGERPRINT_SLICE_MAX];
} tplr_fingerprint;

tplr_err tplr_fingerprint_to_json(const tplr_fingerprint *f, char **out);
tplr_err tplr_fingerprint_parse(const char *json, size_t len, const char *origin, tplr_fingerprint *f);

typedef struct tplr_ckpt_pointer {
    int64_t latest_window; /* the checkpoint holds the model after this window's outer step */
    int64_t global_step;
} tplr_ckpt_pointer;

tplr_err tplr_ckpt_pointer_to_json(const tplr_ckpt_pointer *p, char **out);
tplr_err tplr_ckpt_pointer_parse(const char *json, size_t len, const char *origin, tplr_ckpt_pointer *p);

tplr_err tplr_start_window_to_json(int64_t start_window, char **out);
tplr_err tplr_start_window_parse(const char *json, size_t len, const char *origin, int64_t *start_window);

#endif
