/* GPT-2's byte ↔ character mapping: the files write each byte of a token as
 * one visible character. Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand
 * for themselves; the other 68 bytes, in increasing order, become U+0100,
 * U+0101, ... (so the space is 'Ġ', U+0120). Token ids 0..255 follow GPT-2's
 * order of the 256 byte tokens: the printable bytes first, then the others. */
#ifndef TPLR_DATA_GPT2_BYTES_H
#define TPLR_DATA_GPT2_BYTES_H

#include <stddef.h>
#include <stdint.h>

#define TPLR_GPT2_MAX_CP 0x143 /* the highest code point the mapping uses */

typedef struct tplr_gpt2_chars {
    uint16_t cp[256];                /* byte → code point */
    int16_t byte[TPLR_GPT2_MAX_CP + 1]; /* code point → byte, or -1 */
    uint8_t order[256];              /* GPT-2's id order: order[i] is the byte of token i */
} tplr_gpt2_chars;

void tplr_gpt2_chars_init(tplr_gpt2_chars *c);

/* Decodes a mapped UTF-8 string (n bytes) into raw bytes (at most n of them) in out.
 * Returns the number of bytes, or -1 with *bad_cp set to the first code point outside the
 * mapping (0xFFFFFFFF for invalid UTF-8). */
long tplr_gpt2_decode(const tplr_gpt2_chars *c, const char *s, size_t n, unsigned char *out, uint32_t *bad_cp);
/* Encodes raw bytes as the mapped UTF-8 string (at most 2 bytes per byte) into out; returns its length. */
size_t tplr_gpt2_encode(const tplr_gpt2_chars *c, const unsigned char *b, size_t n, char *out);

#endif
