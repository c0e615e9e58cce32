/* Gather: fetch many peers' objects at once, each from the peer's own store
 * (bucket), within a per-peer timeout and an overall cap, as Templar's
 * comms.gather / gather_with_reserve do.
 *
 * Each peer's object is polled every poll_interval_s while it does not exist
 * yet. An object whose LastModified lies outside [time_min, time_max] is
 * rejected (EARLY / LATE) without downloading it; one that fails the
 * caller's validation callback is INVALID. gather_with_reserve replaces
 * every primary peer that fails by the next reserve peer, in order.
 * S3 peers are fetched on one curl multi handle (one connection per peer),
 * folder peers by a small pool of reader threads; both behave the same. */
#ifndef TPLR_GATHER_H
#define TPLR_GATHER_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/store.h"

typedef struct tplr_gather_peer {
    uint64_t uid;
    tplr_store *store; /* where this peer publishes (borrowed) */
    const char *key;   /* the object to fetch (borrowed) */
} tplr_gather_peer;

/* Checks an object's bytes (e.g. the codec's container validation). Returns
 * TPLR_OK, or an error code with tplr_fail's message as the reason. Called on
 * the gathering thread. */
typedef tplr_err (*tplr_gather_validate_fn)(const unsigned char *data, size_t len, uint64_t uid, void *ctx);

typedef struct tplr_gather_opts {
    double time_min, time_max; /* epoch seconds; 0 = no bound. Compared at whole seconds */
    double late_grace_s;       /* polling stops this long after time_max (default 3) */
    double peer_timeout_s;     /* per peer, from when it is started (default 90) */
    double total_timeout_s;    /* the whole gather (default 600) */
    double poll_interval_s;    /* while an object is missing (default 0.5) */
    uint64_t max_bytes;        /* per object (default 1 GiB) */
    int max_parallel;          /* transfers at once (default 64) */
    tplr_gather_validate_fn validate; /* NULL: every object is accepted */
    void *validate_ctx;
} tplr_gather_opts;

void tplr_gather_opts_defaults(tplr_gather_opts *o);

typedef enum tplr_peer_outcome {
    TPLR_PEER_OK,
    TPLR_PEER_MISSING, /* no object before the peer's deadline */
    TPLR_PEER_EARLY,   /* LastModified before time_min */
    TPLR_PEER_LATE,    /* LastModified after time_max */
    TPLR_PEER_INVALID, /* the validation callback refused it */
    TPLR_PEER_ERROR    /* the store failed: forbidden, too large, timeout, server error... */
} tplr_peer_outcome;

const char *tplr_peer_outcome_name(tplr_peer_outcome o);

typedef struct tplr_gather_item {
    uint64_t uid;
    int is_reserve;
    tplr_peer_outcome outcome;
    tplr_err err;        /* INVALID: the validator's code; ERROR: the store's; else TPLR_OK */
    char reason[512];    /* why it is not OK ("" when OK) */
    unsigned char *data; /* OK only: the object's bytes (malloc'd, freed with the result) */
    size_t len;
    double last_modified;
    double seconds;      /* from the start of the gather to this outcome */
    int requests;        /* attempts, polls included */
    long connections;    /* new connections opened for this peer */
} tplr_gather_item;

typedef struct tplr_gather_result {
    tplr_gather_item *items; /* primaries in the given order, then the reserves tried, in order */
    int n_items;
    int n_primary;
    int n_ok;                /* OK items, primaries and reserves */
    double success_rate;     /* n_ok / n_primary (0 when there are no primaries) */
    double seconds;
    uint64_t bytes;          /* bytes of the OK objects */
    long connections;        /* new connections, all peers */
} tplr_gather_result;

/* Fetches every peer's object. Fails only for bad arguments or no memory:
 * each peer's failure is reported in its item. */
tplr_err tplr_gather(const tplr_gather_peer *peers, int n, const tplr_gather_opts *opts, tplr_gather_result *out);
/* Like tplr_gather over the primaries; each failed primary is replaced by the
 * next reserve not tried yet, so at most n_primary objects are gathered. */
tplr_err tplr_gather_with_reserve(const tplr_gather_peer *primary, int n_primary, const tplr_gather_peer *reserve,
                                  int n_reserve, const tplr_gather_opts *opts, tplr_gather_result *out);
void tplr_gather_result_free(tplr_gather_result *r);

#endif
