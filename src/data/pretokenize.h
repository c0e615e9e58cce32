/* GPT-2's pre-tokenizer: splits text into the pieces that the regular
 * expression
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * matches one after another (leftmost alternative first, \s = White_Space),
 * without a regex engine. Bytes that are not well-formed UTF-8 count as
 * "other" characters, one per byte. */
#ifndef TPLR_DATA_PRETOKENIZE_H
#define TPLR_DATA_PRETOKENIZE_H

#include <stddef.h>

/* The end of the piece that starts at s[pos] (pos < n): always > pos. */
size_t tplr_pretok_next(const unsigned char *s, size_t n, size_t pos);

#endif
