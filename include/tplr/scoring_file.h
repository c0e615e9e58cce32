/* The validator's scoring state on disk: a JSON file, format `tplr-scores`
 * version 1 (docs/formats.md), written atomically, checked field by field on
 * reading. A validator that saves after each window and loads on restart
 * continues exactly as if it had not stopped. The config is not in the file:
 * it comes from the node's config, so the loaded state keeps s->cfg. */
#ifndef TPLR_SCORING_FILE_H
#define TPLR_SCORING_FILE_H

#include <stddef.h>

#include "tplr/err.h"
#include "tplr/scoring.h"

#define TPLR_SCORES_FORMAT "tplr-scores"
#define TPLR_SCORES_VERSION 1
#define TPLR_SCORES_MAX_BYTES (64u << 20) /* the largest scores file read */

/* The state between windows as JSON text (malloc'd, NUL-terminated). Fails
 * (TPLR_EINVAL) inside a window (between begin_window and end_window). */
tplr_err tplr_scoring_to_json(const tplr_scoring *s, char **out);
/* Replaces s's state (all but s->cfg) with the one in json[0..len);
 * TPLR_EFORMAT / TPLR_EMISMATCH with a message naming origin and the field
 * on anything malformed, and then s is unchanged. */
tplr_err tplr_scoring_from_json(tplr_scoring *s, const char *json, size_t len, const char *origin);

/* Atomic write (temporary file + rename) of tplr_scoring_to_json. */
tplr_err tplr_scoring_save(const tplr_scoring *s, const char *path);
/* Reads path (at most TPLR_SCORES_MAX_BYTES) with tplr_scoring_from_json. */
tplr_err tplr_scoring_load(tplr_scoring *s, const char *path);

#endif
