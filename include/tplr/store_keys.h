/* The object keys of the network (Templar's scheme, with tplr's own file
 * suffixes: our containers are not pickles) and their retention. The
 * version tag partitions the network by release. See docs/formats.md.
 *
 *   gradient-{window}-{uid}-v{version}.tplr     a miner's compressed pseudo-gradient
 *   aggregator-{window}-v{version}.tplr         the window's aggregate (leader only)
 *   debug-{window}-{uid}-v{version}.json        a miner's debug record
 *   peers_{first_effective_window}_v{version}.json
 *   start_window_v{version}.json
 *   checkpoints/{version}/{window}/{file}
 *   checkpoints/{version}/_LATEST.json */
#ifndef TPLR_STORE_KEYS_H
#define TPLR_STORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/store.h"

#define TPLR_KEY_CONTAINER_SUFFIX ".tplr" /* gradient and aggregator containers */
#define TPLR_KEY_JSON_SUFFIX ".json"
#define TPLR_KEY_MAX 256                  /* every key below fits */
#define TPLR_RETENTION_WINDOWS 100        /* Templar deletes own gradients older than this */

/* A version tag: 1..32 characters among letters, digits, '.', '_' and '+',
 * not starting with '.'. */
tplr_err tplr_key_check_version(const char *version);

tplr_err tplr_key_gradient(char *out, size_t cap, uint64_t window, uint64_t uid, const char *version);
tplr_err tplr_key_aggregator(char *out, size_t cap, uint64_t window, const char *version);
tplr_err tplr_key_debug(char *out, size_t cap, uint64_t window, uint64_t uid, const char *version);
tplr_err tplr_key_peers(char *out, size_t cap, uint64_t first_effective_window, const char *version);
tplr_err tplr_key_start_window(char *out, size_t cap, const char *version);
/* checkpoints/{version}/{window}/{file}; file is one path segment. */
tplr_err tplr_key_checkpoint(char *out, size_t cap, const char *version, uint64_t window, const char *file);
tplr_err tplr_key_checkpoint_latest(char *out, size_t cap, const char *version);

typedef enum { TPLR_KEY_GRADIENT, TPLR_KEY_DEBUG } tplr_key_kind;

/* Parses a per-miner key (gradient or debug). Returns 1 and fills the
 * fields when key has exactly that form, 0 otherwise. */
int tplr_key_parse_miner(const char *key, tplr_key_kind *kind, uint64_t *window, uint64_t *uid, char *version,
                         size_t version_cap);

/* Retention: deletes this uid's own gradient and debug objects of this
 * version whose window is older than current_window - keep_windows. Other
 * uids' and versions' objects are never touched. *deleted may be NULL. */
tplr_err tplr_store_prune_own(tplr_store *s, uint64_t uid, const char *version, uint64_t current_window,
                              uint64_t keep_windows, int *deleted);

#endif
