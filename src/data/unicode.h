/* Code points for the GPT-2 pre-tokenizer: strict UTF-8 decoding (an invalid
 * byte is one unit of its own) and the class of each code point, from the
 * table that scripts/gen_unicode_tables.py generates. */
#ifndef TPLR_DATA_UNICODE_H
#define TPLR_DATA_UNICODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { TPLR_UC_OTHER = 0, TPLR_UC_LETTER = 1, TPLR_UC_NUMBER = 2, TPLR_UC_SPACE = 3 } tplr_uc_class;

typedef struct tplr_uc_range {
    uint32_t lo, hi; /* inclusive */
    uint8_t cls;
} tplr_uc_range;

extern const tplr_uc_range tplr_uc_ranges[]; /* sorted, disjoint */
extern const int tplr_uc_n_ranges;
extern const uint8_t tplr_uc_latin1[256]; /* class of U+0000..U+00FF */

/* The class of a code point (binary search over the ranges). */
tplr_uc_class tplr_uc_class_of(uint32_t cp);

/* Decodes the unit at s[0] (n > 0 bytes available): returns its length in
 * bytes (1-4) and sets *cls. A byte that does not start a well-formed UTF-8
 * sequence (overlong, surrogate, above U+10FFFF, truncated, stray
 * continuation) is a unit of length 1 and class other. */
size_t tplr_uc_next(const unsigned char *s, size_t n, tplr_uc_class *cls);

#endif
