/* Anti-copying for tournament submissions: a fingerprint of C source that
 * survives renaming, reformatting and comment edits, and the similarity of
 * two fingerprints. The source is cut into tokens with comments and white
 * space dropped; keywords and operators stay as they are, every other
 * identifier becomes one symbol, every number another, every string or
 * character literal a third. The fingerprint is the set of hashes of all
 * runs of TPLR_TOUR_NGRAM consecutive tokens, and the similarity is the
 * Jaccard index |A ∩ B| / |A ∪ B| of two such sets (docs/tournament_service.md).
 * The tournament compares what submissions add to the reference
 * (tplr_tour_fp_subtract). */
#ifndef TPLR_TOUR_SIMILAR_H
#define TPLR_TOUR_SIMILAR_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"

#define TPLR_TOUR_NGRAM 6

typedef struct tplr_tour_fp {
    size_t n;
    uint64_t *h; /* n distinct hashes, ascending */
} tplr_tour_fp;

/* The fingerprint of len bytes of source (any bytes; empty gives an empty set). */
tplr_err tplr_tour_fingerprint(const char *src, size_t len, tplr_tour_fp *fp);
/* The Jaccard index in [0, 1]; two empty sets are 1 (nothing tells them apart). */
double tplr_tour_similarity(const tplr_tour_fp *a, const tplr_tour_fp *b);
/* Removes from fp every hash that base has: what a submission adds to the
 * public reference code, so that what everybody starts from is no sign of copying. */
void tplr_tour_fp_subtract(tplr_tour_fp *fp, const tplr_tour_fp *base);
/* A fingerprint from its stored bytes (8 per hash, little-endian, ascending);
 * anything else is TPLR_EFORMAT. */
tplr_err tplr_tour_fp_from_bytes(const void *bytes, size_t len, tplr_tour_fp *fp);
/* The stored bytes of a fingerprint: 8 * fp->n bytes, malloc'd. */
tplr_err tplr_tour_fp_to_bytes(const tplr_tour_fp *fp, unsigned char **out, size_t *len);
void tplr_tour_fp_free(tplr_tour_fp *fp);

#endif
