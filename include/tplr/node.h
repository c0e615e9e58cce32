/* What miners and validators share (docs/network.md): keys, the ledger
 * (registration, the store commitment, blocks and windows, the metagraph),
 * the node's own bucket and its peers' buckets, the model every node keeps
 * in step, gathers of the peers' gradients, the aggregate and outer step,
 * fingerprints, and catching up from the leader's checkpoint plus aggregate
 * files. */
#ifndef TPLR_NODE_H
#define TPLR_NODE_H

#include <stdint.h>

#include "tplr/chain.h"
#include "tplr/codec.h"
#include "tplr/gather.h"
#include "tplr/metrics.h"
#include "tplr/model.h"
#include "tplr/node_config.h"
#include "tplr/node_files.h"
#include "tplr/outer.h"
#include "tplr/samples.h"
#include "tplr/store.h"

#define TPLR_NODE_MAX_UIDS 1024
#define TPLR_UNITS_PER_TOKEN 1e9 /* ledger amounts are base units (docs/ledger.md) */

typedef struct tplr_node_opts {
    const char *kind;          /* "miner" or "validator" */
    const char *wallet, *hotkey;
    const char *chain_url;     /* NULL: $TPLR_LEDGER or the default */
    const char *store_url;     /* this node's bucket (committed on the ledger for peers to read) */
    const char *dir;           /* the node's folder: metrics.jsonl, state, temporary files */
    const char *data_path;     /* token samples (any format tplr_samples_open reads) */
    const char *metrics_listen;/* HOST:PORT for GET /metrics, or NULL */
    int64_t windows;           /* stop after this many windows (0: until SIGINT/SIGTERM) */
    tplr_node_config cfg;
} tplr_node_opts;

typedef struct tplr_node {
    tplr_node_opts o;
    const tplr_node_config *cfg; /* = &o.cfg */
    tplr_keypair hot;
    tplr_chain *chain;
    tplr_store *store;
    int uid;
    tplr_metagraph mg;
    tplr_commitment *commits;
    int n_commits;
    tplr_store *peer_store[TPLR_NODE_MAX_UIDS];
    char *peer_url[TPLR_NODE_MAX_UIDS];
    tplr_model *model;
    tplr_codec_table table;
    tplr_codec_params codec;
    tplr_codec_aggregator *agg;
    tplr_outer *outer;
    float *agg_buf;            /* [n_params] the last aggregate */
    unsigned char *skip;       /* [n_tensors] its skipped tensors */
    tplr_samples data;
    int have_data;
    tplr_metrics *metrics;
    int64_t start_window;      /* the network's first window (the leader's start_window file) */
    int64_t model_window;      /* the model holds every outer step up to this window */
    int64_t global_step;       /* outer steps applied */
    uint64_t bytes_up, bytes_down; /* this window's transfers (reset by the caller) */
} tplr_node;

/* Keys, ledger (registers the hotkey if needed, commits store_url if the
 * commitment differs), stores, model (initialized from cfg.init_seed),
 * data, metrics (writes the "start" line). */
tplr_err tplr_node_open(const tplr_node_opts *o, tplr_node **out);
/* Writes the "stop" line and frees everything. */
void tplr_node_close(tplr_node *n);

tplr_err tplr_node_refresh(tplr_node *n);           /* metagraph + commitments */
tplr_err tplr_node_window(tplr_node *n, int64_t *window);
/* Waits until window w has begun; TPLR_EINTERRUPTED on SIGINT/SIGTERM. */
tplr_err tplr_node_wait_window(tplr_node *n, int64_t w);
/* Wall time (unix seconds) of window w's first block (waits for it). */
tplr_err tplr_node_window_time(tplr_node *n, int64_t w, double *t);
/* The gather time bounds of window w's uploads. */
tplr_err tplr_node_upload_bounds(tplr_node *n, int64_t w, double *time_min, double *time_max);
/* The store a uid publishes to (NULL when it committed none). */
tplr_store *tplr_node_peer_store(tplr_node *n, int uid);
/* The validator with the most stake (ties: lower uid), or -1. */
int tplr_node_leader(const tplr_node *n);
/* A uid's stake in tokens (Templar's thresholds are in TAO). */
double tplr_node_stake_tokens(const tplr_node *n, int uid);
/* Validators: more stake than eval_max_stake tokens (Templar's rule for who
 * is not evaluated). Miners earn stake through emissions, so a permit alone
 * does not make a validator. */
int tplr_node_is_validator_uid(const tplr_node *n, int uid);
/* Reads a small JSON object of a peer's (at most TPLR_NODE_FILE_MAX bytes). */
tplr_err tplr_node_get_small(tplr_node *n, tplr_store *s, const char *key, char **text, size_t *len,
                             tplr_obj_info *info);
tplr_err tplr_node_put(tplr_node *n, const char *key, const void *data, size_t len);

/* The start window from the leader's bucket (TPLR_ENOTFOUND while none). */
tplr_err tplr_node_read_start_window(tplr_node *n, int64_t *w);
/* Polls for it (refreshing the metagraph) into n->start_window; TPLR_EINTERRUPTED on a signal. */
tplr_err tplr_node_wait_start_window(tplr_node *n);
/* The newest peer list in the leader's bucket that applies to window w. */
tplr_err tplr_node_read_peer_list(tplr_node *n, int64_t w, tplr_peer_list *p);

/* Gathers window w's gradients from primary then reserve uids within the
 * time bounds; every OK item has passed tplr_codec_validate. views (n_ok of
 * them, in item order, uids[i] its sender) must be freed with
 * tplr_node_views_free. */
typedef struct tplr_node_gathered {
    tplr_gather_result r;
    tplr_codec_view *views;
    uint16_t *uids;
    double *times;
    int n;
} tplr_node_gathered;
tplr_err tplr_node_gather(tplr_node *n, int64_t w, const uint16_t *primary, int n_primary, const uint16_t *reserve,
                          int n_reserve, tplr_node_gathered *g);
void tplr_node_gathered_free(tplr_node_gathered *g);
/* Window w's gather from the leader's peer list and its outer step, or the
 * skip of a null round or of a window without a peer list; *applied gets
 * the number of peers aggregated. */
tplr_err tplr_node_gather_step(tplr_node *n, int64_t w, int *applied);
/* Validates one container of window w from uid against the model and the
 * network's codec parameters. */
tplr_err tplr_node_validate(tplr_node *n, const unsigned char *bytes, size_t len, int64_t w, int uid,
                            tplr_codec_view *view, tplr_codec_reason *reason);

/* Aggregates the views into n->agg_buf and applies the outer step; window
 * w is then done (model_window = w, global_step + 1). With no view the
 * window is skipped (model_window = w, no step). */
tplr_err tplr_node_outer_step(tplr_node *n, int64_t w, const tplr_codec_view *views, int n_views);
/* Applies a stored aggregate (the leader's aggregator file). */
tplr_err tplr_node_apply_aggregate_file(tplr_node *n, int64_t w, const char *path);
/* Writes n->agg_buf as window w's aggregator file. */
tplr_err tplr_node_write_aggregate_file(tplr_node *n, int64_t w, const char *path);

void tplr_node_fingerprint(const tplr_node *n, int64_t w, tplr_fingerprint *f);

/* Loads the weights of the config's init_model folder (shapes checked). */
tplr_err tplr_node_load_init_model(tplr_node *n);
/* Brings the model to model_window = upto: the leader's latest checkpoint
 * (if newer than what the node holds), then the aggregator files; a
 * window without one is gathered from the peers' buckets. */
tplr_err tplr_node_catch_up(tplr_node *n, int64_t upto);
/* Validators: a checkpoint of the model after window w in the own bucket
 * and the _LATEST pointer. */
tplr_err tplr_node_write_checkpoint(tplr_node *n, int64_t w);

/* Emits a metrics line (fields consumed). */
void tplr_node_emit(tplr_node *n, int64_t w, const char *event, json_t *fields);

#endif
